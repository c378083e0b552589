"""Connections, pushing and the frame allowance (API.md limits)."""

import pytest
from botocore.stub import Stubber

from chalicelib import aws as clients
from chalicelib import clock, observe, realtime
from chalicelib.models import Connection
from tests.chat_helpers import NOW
from tests.emf import metrics_written


@pytest.fixture
def connection(aws):
    return realtime.open_connection("c1", service_id="acme", role="customer", subject_id="cu_1",
                                    name=None, ip=None, device=None, now=NOW)


def _frames_allowed(connection, times):
    """Send a frame at each time (seconds); how many were allowed."""
    allowed = 0
    for at in times:
        current = Connection.get(connection.connection_id, consistent_read=True)
        allowance = realtime.allowance(current, NOW.timestamp() + at)
        if allowance.allowed:
            assert realtime.spend(allowance)
            allowed += 1
    return allowed


def test_bursts_of_20_within_60_a_minute_are_never_limited(connection):
    # Ten minutes of a busy client: 20 frames at once every 20 seconds.
    times = [start + i * 0.01 for start in range(0, 600, 20) for i in range(20)]
    assert _frames_allowed(connection, times) == len(times)


def test_60_frames_a_minute_however_spread_are_never_limited(connection):
    # 60 at the end of one minute and 60 at the start of the next.
    times = [59 + i * 0.001 for i in range(60)] + [60 + 60 + i * 0.001 for i in range(60)]
    assert _frames_allowed(connection, times) == 120


def test_a_flood_is_limited(connection):
    assert _frames_allowed(connection, [i * 0.001 for i in range(200)]) == 60
    current = Connection.get("c1", consistent_read=True)
    assert realtime.allowance(current, NOW.timestamp() + 0.2).retry_after_s >= 1


def test_an_allowance_spent_by_a_concurrent_frame_is_refused(connection):
    first = realtime.allowance(connection, NOW.timestamp())
    second = realtime.allowance(connection, NOW.timestamp())
    assert realtime.spend(first) is True
    assert realtime.spend(second) is False


def test_the_pusher_reports_a_gone_connection_and_counts_failed_pushes(aws, capsys):
    pusher = realtime.ApiGatewayPusher("https://x1.execute-api.us-east-1.amazonaws.com/ws")
    client = clients.client("apigatewaymanagementapi", endpoint_url=pusher.endpoint)
    with Stubber(client) as stub, observe.invocation(request_id="req-push"):
        stub.add_client_error("post_to_connection", "GoneException", http_status_code=410)
        stub.add_client_error("post_to_connection", "LimitExceededException",
                              http_status_code=429)
        stub.add_response("post_to_connection", {})
        assert pusher("gone-1", {"type": "pong"}) is False
        assert pusher("busy-1", {"type": "pong"}) is True  # not gone: never fails the sender
        assert pusher("fine-1", {"type": "pong"}) is True
    assert metrics_written(capsys.readouterr().out) == {"FailedPushes": [2.0]}


def test_the_endpoint_comes_from_the_setting_or_the_event(monkeypatch):
    monkeypatch.delenv("WS_MANAGEMENT_ENDPOINT", raising=False)
    assert realtime.management_endpoint("abc.execute-api.eu-west-1.amazonaws.com", "ws") == \
        "https://abc.execute-api.eu-west-1.amazonaws.com/ws"
    assert realtime.management_endpoint() is None
    monkeypatch.setenv("WS_MANAGEMENT_ENDPOINT", "http://127.0.0.1:8080/@ws")
    assert realtime.management_endpoint("abc.example", "ws") == "http://127.0.0.1:8080/@ws"


def test_closing_a_connection_twice_is_harmless(connection):
    assert realtime.close_connection("c1").subject_id == "cu_1"
    assert realtime.close_connection("c1") is None


def _gone(connection_id):
    return lambda pushed_to, frame: pushed_to != connection_id


def test_a_push_finding_an_old_socket_gone_forgets_it(aws):
    realtime.open_connection("old-1", service_id="acme", role="customer", subject_id="cu_1",
                             name=None, ip=None, device=None, now=NOW)
    realtime.deliver(_gone("old-1"), ["old-1"], {"type": "pong"})
    assert realtime.get_connection("old-1") is None


def test_a_push_finding_a_socket_still_connecting_keeps_it(aws):
    # API Gateway answers Gone until $connect returns; a console that rejoins its
    # chats during $connect must not lose its connection to a push in that window.
    realtime.open_connection("new-1", service_id="acme", role="operator", subject_id="op_1",
                             name=None, ip=None, device=None, now=clock.now())
    realtime.deliver(_gone("new-1"), ["new-1"], {"type": "pong"})
    assert realtime.get_connection("new-1") is not None
