"""Signed webhooks (R-HOOK-1) over the real handlers: admins' REST, deliveries
recorded with their events, sent by the queue's handler (fed here from moto's
SQS the way Lambda's event source mapping would) to a receiver on loopback,
signed, retried on the schedule (run in hundredths), and refused anything
inside the network (SSRF)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest
from pynamodb.connection import base

from chalicelib import aws, clock
from chalicelib.models import Webhook, WebhookDelivery
from chalicelib.services import hook_sender, webhooks
from tests.api.helpers import assert_error

QUEUE = "helpdesk-webhooks"


# --- a receiver on loopback, and the queue's pump ----------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next scripted
    status (then 200), recording what it got."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.script: list[int | str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.got.append({"path": self.path, "headers": dict(self.headers),
                                     "body": body})
                answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "slow":
                    time.sleep(1.5)
                    answer = 200
                if answer == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.end_headers()
                    return
                self.send_response(int(answer))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [g["headers"]["X-Helpdesk-Delivery"] for g in self.got]

    def events(self) -> list[str]:
        return [json.loads(g["body"])["event"] for g in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def hooks(desk: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The admin's API with a webhook queue (moto's SQS), loopback admitted as
    on the local stack, and the retry schedule in hundredths."""
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", queue_url)
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0.00001")
    return desk.admin


def pump(rounds: int = 30, handler: Any = None) -> int:
    """What Lambda's event source mapping does: receive a batch, run the
    handler (`handler(event)`, by default the sender's body in-process),
    delete all but the failures; until the queue stays empty."""
    from chalicelib.api import hooks as hook_routes

    handler = handler or hook_routes.run_sender
    sqs = aws.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    handled, idle = 0, 0
    for _ in range(rounds * 10):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                  WaitTimeSeconds=0).get("Messages", [])
        if not got:
            idle += 1
            if idle >= 3:
                break
            time.sleep(0.05)
            continue
        idle = 0
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"], "eventSource": "aws:sqs"} for m in got]
        answer = handler({"Records": records})
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for m in got:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        handled += len(got)
    return handled


def create(api: Any, url: str, events: list[str] | None = None) -> dict[str, Any]:
    status, body = api.post("/webhooks", {"url": url, "events": events
                                          or ["chat.started", "message.created"]})
    assert status == 201, body
    return body


def verify(secret: str, got: dict[str, Any], tolerance_s: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md)."""
    header = got["headers"]["X-Helpdesk-Signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + got["body"],
                        hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) <= tolerance_s
    return fresh and hmac.compare_digest(expected, parts["v1"])


def log_of(api: Any, webhook_id: str) -> list[dict[str, Any]]:
    status, body = api.get(f"/webhooks/{webhook_id}/deliveries")
    assert status == 200, body
    return body["deliveries"]


def ping(api: Any, webhook_id: str) -> str:
    status, body = api.post(f"/webhooks/{webhook_id}/test")
    assert status == 202, body
    return body["delivery_id"]


# --- the admins' webhooks ----------------------------------------------------------------


def test_the_secret_is_shown_at_creation_only_and_operators_may_not_touch_webhooks(
        hooks, desk, receiver):
    created = create(hooks, receiver.url)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["enabled"] is True and created["disabled_reason"] is None
    assert created["events"] == ["chat.started", "message.created"]
    status, listed = hooks.get("/webhooks")
    assert status == 200 and [w["webhook_id"] for w in listed["webhooks"]] == [
        created["webhook_id"]]
    assert "secret" not in listed["webhooks"][0]
    operator, _ = desk.operator()
    for method, path in (("get", "/webhooks"), ("post", "/webhooks"),
                         ("put", f"/webhooks/{created['webhook_id']}"),
                         ("delete", f"/webhooks/{created['webhook_id']}"),
                         ("post", f"/webhooks/{created['webhook_id']}/secret"),
                         ("post", f"/webhooks/{created['webhook_id']}/test"),
                         ("get", f"/webhooks/{created['webhook_id']}/deliveries")):
        call = getattr(operator, method)
        result = call(path, {"url": receiver.url, "events": ["ping"]}) \
            if method in ("post", "put") else call(path)
        assert_error(result, 403, "admin_only")


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/",
    "http://[::1]/",
    "https://[::1]:8443/",
    "https://10.0.0.1/",
    "https://192.168.1.10/hook",
    "https://172.16.0.5/",
    "https://100.64.0.1/",
    "https://224.0.0.1/",
    "https://0.0.0.0/",
    "https://127.0.0.1/",
    "https://2130706433/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[fd00:ec2::254]/",
    "https://[64:ff9b::a00:1]/",
    "https://[2002:c0a8:0101::1]/",
    "https://[fe80::1]/",
    "https://localhost/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://example.com/",
    "javascript:alert(1)",
    "https://user:secret@93.184.215.14/",
    "http://93.184.215.14/",
    "https://93.184.215.14/" + "a" * 3000,
    "https://",
    "https://[::1",
    "https://93.184.215.14:0/",
    "https://93.184.215.14/\nhook",
    "",
    None,
    42,
])
def test_urls_into_the_network_or_not_https_are_refused_as_bad_url(hooks, url, monkeypatch):
    # As on AWS: loopback refused too (the local stack admits it).
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")
    assert_error(hooks.post("/webhooks", {"url": url, "events": ["chat.started"]}), 400,
                 "bad_url")
    assert hooks.get("/webhooks")[1]["webhooks"] == []


def test_a_hostname_resolving_to_loopback_is_refused_on_aws(hooks, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")

    def resolves_home(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_home)
    body = assert_error(hooks.post("/webhooks", {"url": "https://hooks.example.com/in",
                                                 "events": ["chat.started"]}), 400, "bad_url")
    assert "loopback" in body["message"]


def test_a_public_https_url_is_taken(hooks, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")
    created = create(hooks, "https://93.184.215.14/hooks?src=helpdesk")
    assert created["url"] == "https://93.184.215.14/hooks?src=helpdesk"


@pytest.mark.parametrize("events", [[], ["chat.exploded"], ["ping"], ["chat.started", 7],
                                    "chat.started", None, ["x" * 5000]])
def test_unknown_or_missing_events_are_bad_request(hooks, receiver, events):
    body = assert_error(hooks.post("/webhooks", {"url": receiver.url, "events": events}), 400,
                        "bad_request")
    assert "events" in body["message"]


def test_unknown_fields_and_ids_are_refused(hooks, receiver):
    assert_error(hooks.post("/webhooks", {"url": receiver.url, "events": ["chat.started"],
                                          "secret": "mine"}), 400, "bad_request")
    created = create(hooks, receiver.url)
    assert_error(hooks.put(f"/webhooks/{created['webhook_id']}", {"enabled": "yes"}), 400)
    assert_error(hooks.put("/webhooks/wh_nope", {"enabled": True}), 404, "not_found")
    assert_error(hooks.delete("/webhooks/wh_nope"), 404, "not_found")
    assert_error(hooks.get("/webhooks/wh_nope/deliveries"), 404, "not_found")
    assert_error(hooks.post(f"/webhooks/{created['webhook_id']}/deliveries/dlv_nope/redeliver"),
                 404, "not_found")
    assert_error(hooks.get(f"/webhooks/{created['webhook_id']}/deliveries?cursor=forged"), 400)


def test_a_service_has_at_most_ten_webhooks_and_deleting_one_frees_a_place(hooks, receiver):
    made = [create(hooks, receiver.url) for _ in range(webhooks.MAX_WEBHOOKS)]
    assert_error(hooks.post("/webhooks", {"url": receiver.url, "events": ["chat.started"]}),
                 409, "too_many")
    assert hooks.delete(f"/webhooks/{made[0]['webhook_id']}")[0] == 204
    create(hooks, receiver.url)


def test_another_services_webhooks_are_not_found(hooks, receiver, client):
    from tests.api.helpers import login
    from tests.conftest import make_tenant

    created = create(hooks, receiver.url)
    other = make_tenant("globex")
    theirs = login(client, other.service_id, other.admin_email)
    wid = created["webhook_id"]
    assert theirs.get("/webhooks")[1]["webhooks"] == []
    assert_error(theirs.put(f"/webhooks/{wid}", {"enabled": False}), 404)
    assert_error(theirs.delete(f"/webhooks/{wid}"), 404)
    assert_error(theirs.post(f"/webhooks/{wid}/secret"), 404)
    assert_error(theirs.post(f"/webhooks/{wid}/test"), 404)
    assert_error(theirs.get(f"/webhooks/{wid}/deliveries"), 404)


# --- deliveries ------------------------------------------------------------------------


def test_events_arrive_signed_with_the_secret_from_creation(hooks, desk, receiver):
    created = create(hooks, receiver.url, ["chat.started", "chat.assigned", "message.created",
                                           "chat.ended"])
    operator, console = desk.operator()
    customer = desk.customer()
    started = customer.request({"type": "chat.start", "consent": True, "name": "Ann",
                                "email": "ann@example.test"})
    chat_id = started["chat"]["chat_id"]
    assert customer.request({"type": "message.send", "chat_id": chat_id,
                             "client_msg_id": "c1", "text": "where is my parcel?"}
                            )["type"] == "message.ack"
    assert operator.post(f"/chats/{chat_id}/notes", {"text": "VIP, be kind"})[0] == 201
    assert console.request({"type": "message.send", "chat_id": chat_id,
                            "client_msg_id": "o1", "text": "on its way"})["type"] == "message.ack"
    assert operator.post(f"/chats/{chat_id}/end")[0] == 200
    pump()
    assert sorted(receiver.events()) == sorted(["chat.started", "chat.assigned",
                                                "message.created", "message.created",
                                                "chat.ended"])
    for got in receiver.got:
        assert verify(created["secret"], got), got["headers"]
        assert got["path"] == "/hook"
        assert got["headers"]["Content-Type"] == "application/json"
        body = json.loads(got["body"])
        assert body["delivery_id"] == got["headers"]["X-Helpdesk-Delivery"]
        assert body["service_id"] == desk.tenant.service_id
        assert set(body) == {"delivery_id", "event", "created_at", "service_id", "data"}
    # A batch is sent in parallel: order by the message's seq, as a receiver would.
    sent = sorted((json.loads(g["body"])["data"]["message"] for g in receiver.got
                   if json.loads(g["body"])["event"] == "message.created"),
                  key=lambda m: m["seq"])
    texts = [m["text"] for m in sent]
    assert texts == ["where is my parcel?", "on its way"]  # never the note, nor the greeting
    everything = b" ".join(g["body"] for g in receiver.got)
    assert b"VIP" not in everything and b"203.0.113.20" not in everything
    bodies = [json.loads(g["body"]) for g in receiver.got]
    (chat,) = [b["data"]["chat"] for b in bodies if b["event"] == "chat.started"]
    assert chat["customer"] == {"customer_id": customer.customer_id, "name": "Ann",
                                "email": "ann@example.test", "verified": False}
    assert len(set(receiver.ids())) == 5
    assert {d["status"] for d in log_of(hooks, created["webhook_id"])} == {"delivered"}


def test_transfers_ratings_and_tickets_are_heard_too(hooks, desk, receiver):
    create(hooks, receiver.url, ["chat.transferred", "chat.rated", "ticket.created",
                                 "ticket.updated"])
    api1, _ = desk.operator(max_chats=1)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True,
                                "name": "Ann"})["chat"]["chat_id"]
    api2, _ = desk.operator(max_chats=1)
    status, moved = api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api2.operator_id,
                                                             "note": "private handover"})
    assert status == 200, moved
    assert customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 4,
                             "comment": "kind"})["type"] != "error"
    status, ticket = api2.post(f"/chats/{chat_id}/tickets", {"subject": "Call back"})
    assert status == 201, ticket
    assert api2.put(f"/tickets/{ticket['ticket_id']}", {"status": "pending"})[0] == 200
    assert api2.post(f"/tickets/{ticket['ticket_id']}/replies", {"text": "calling"})[0] == 201
    pump()
    bodies = [json.loads(g["body"]) for g in receiver.got]
    assert sorted(b["event"] for b in bodies) == ["chat.rated", "chat.transferred",
                                                  "ticket.created", "ticket.updated",
                                                  "ticket.updated"]
    by_event = {b["event"]: b["data"] for b in bodies}
    moved_data = by_event["chat.transferred"]
    assert moved_data["from_operator_id"] == api1.operator_id
    assert moved_data["chat"]["operator_id"] == api2.operator_id
    assert by_event["chat.rated"]["chat"]["rating"] == {"score": 4, "comment": "kind"}
    assert by_event["ticket.created"]["ticket"]["subject"] == "Call back"
    assert "created_by" not in by_event["ticket.created"]["ticket"]
    replies = [b["data"] for b in bodies if b["event"] == "ticket.updated" and "entry" in b["data"]]
    assert [r["entry"]["text"] for r in replies] == ["calling"]
    assert b"private handover" not in b" ".join(g["body"] for g in receiver.got)


def test_500_twice_then_200_is_the_same_delivery_three_times_and_delivered(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.script = [500, 503]
    delivery_id = ping(hooks, created["webhook_id"])
    pump()
    assert receiver.ids() == [delivery_id] * 3
    assert [g["headers"]["X-Helpdesk-Attempt"] for g in receiver.got] == ["1", "2", "3"]
    assert all(verify(created["secret"], g) for g in receiver.got)
    [logged] = log_of(hooks, created["webhook_id"])
    assert logged["delivery_id"] == delivery_id and logged["event"] == "ping"
    assert (logged["status"], logged["attempts"], logged["last_status_code"],
            logged["last_error"], logged["next_attempt_at"]) == ("delivered", 3, 200, None, None)


def test_timeouts_and_429_are_retried_on_the_schedule(hooks, receiver, monkeypatch):
    monkeypatch.setattr(hook_sender, "TIMEOUT_S", 0.5)
    created = create(hooks, receiver.url)
    receiver.script = ["slow", 429]
    ping(hooks, created["webhook_id"])
    pump()
    [logged] = log_of(hooks, created["webhook_id"])
    assert logged["status"] == "delivered" and logged["attempts"] == 3
    assert len(receiver.got) == 3


def test_a_400_fails_at_once(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.script = [400]
    ping(hooks, created["webhook_id"])
    pump()
    [logged] = log_of(hooks, created["webhook_id"])
    assert (logged["status"], logged["attempts"], logged["last_status_code"],
            logged["last_error"]) == ("failed", 1, 400, "HTTP 400")
    assert len(receiver.got) == 1


def test_a_redirect_is_not_followed_and_fails(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.script = ["redirect"]
    ping(hooks, created["webhook_id"])
    pump()
    [logged] = log_of(hooks, created["webhook_id"])
    assert logged["status"] == "failed" and logged["last_status_code"] == 302
    assert "redirect" in logged["last_error"]
    assert len(receiver.got) == 1


def test_a_receiver_down_is_retried_seven_times_then_failed(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.stop()
    ping(hooks, created["webhook_id"])
    pump()
    [logged] = log_of(hooks, created["webhook_id"])
    assert logged["status"] == "failed"
    assert logged["attempts"] == 1 + len(hook_sender.RETRY_DELAYS_S)
    assert logged["last_status_code"] is None and logged["last_error"]


def test_redeliver_sends_the_same_delivery_again(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.script = [400]
    delivery_id = ping(hooks, created["webhook_id"])
    pump()
    path = f"/webhooks/{created['webhook_id']}/deliveries/{delivery_id}/redeliver"
    status, body = hooks.post(path)
    assert status == 202 and body == {"delivery_id": delivery_id}
    [pending] = log_of(hooks, created["webhook_id"])
    assert pending["status"] == "pending"
    assert_error(hooks.post(path), 409, "conflict")  # on its way already
    pump()
    assert receiver.ids() == [delivery_id, delivery_id]
    assert json.loads(receiver.got[0]["body"]) == json.loads(receiver.got[1]["body"])
    [logged] = log_of(hooks, created["webhook_id"])
    assert (logged["status"], logged["attempts"]) == ("delivered", 2)


def test_a_rotated_secret_signs_the_next_delivery(hooks, receiver):
    created = create(hooks, receiver.url)
    status, rotated = hooks.post(f"/webhooks/{created['webhook_id']}/secret")
    assert status == 200 and rotated["secret"] != created["secret"]
    ping(hooks, created["webhook_id"])
    pump()
    [got] = receiver.got
    assert verify(rotated["secret"], got)
    assert not verify(created["secret"], got)


def test_a_switched_off_webhook_hears_nothing_until_switched_on(hooks, desk, receiver):
    created = create(hooks, receiver.url, ["chat.started"])
    wid = created["webhook_id"]
    status, changed = hooks.put(f"/webhooks/{wid}", {"enabled": False})
    assert status == 200 and changed["enabled"] is False
    desk.customer().request({"type": "chat.start", "consent": True})
    pump()
    assert receiver.got == [] and log_of(hooks, wid) == []
    hooks.put(f"/webhooks/{wid}", {"enabled": True, "events": ["chat.started", "chat.ended"]})
    desk.customer(ip="203.0.113.21").request({"type": "chat.start", "consent": True})
    pump()
    assert receiver.events() == ["chat.started"]


def test_deliveries_to_a_deleted_webhook_are_failed_not_sent(hooks, receiver):
    created = create(hooks, receiver.url)
    ping(hooks, created["webhook_id"])
    [queued] = WebhookDelivery.query(created["webhook_id"])
    assert hooks.delete(f"/webhooks/{created['webhook_id']}")[0] == 204
    pump()
    assert receiver.got == []
    gone = WebhookDelivery.get(queued.webhook_id, queued.delivery_id)
    assert gone.status == "failed" and "deleted" in gone.last_error


def test_failing_for_three_days_switches_a_webhook_off_with_its_reason(
        hooks, receiver, monkeypatch):
    created = create(hooks, receiver.url)
    wid = created["webhook_id"]
    start = clock.now()
    receiver.script = [400, 400]
    monkeypatch.setattr(clock, "now", lambda: start)
    ping(hooks, wid)
    pump()
    assert hooks.get("/webhooks")[1]["webhooks"][0]["failing_since"] is not None
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=3, minutes=1))
    ping(hooks, wid)
    pump()
    [hook] = hooks.get("/webhooks")[1]["webhooks"]
    assert hook["enabled"] is False
    assert "failed since" in hook["disabled_reason"] and "HTTP 400" in hook["disabled_reason"]
    _status, back = hooks.put(f"/webhooks/{wid}", {"enabled": True})
    assert back["enabled"] is True and back["disabled_reason"] is None
    assert back["failing_since"] is None


def test_a_success_forgets_earlier_failures(hooks, receiver):
    created = create(hooks, receiver.url)
    receiver.script = [400]
    ping(hooks, created["webhook_id"])
    pump()
    assert hooks.get("/webhooks")[1]["webhooks"][0]["failing_since"] is not None
    ping(hooks, created["webhook_id"])
    pump()
    assert hooks.get("/webhooks")[1]["webhooks"][0]["failing_since"] is None


def test_a_name_that_turns_private_after_saving_is_not_reached(hooks, receiver, monkeypatch):
    """DNS rebinding: checked again before each attempt, at the address used."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")
    answers = {"now": "93.184.215.14"}

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["now"], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    created = create(hooks, "https://hooks.example.com/in")
    answers["now"] = "169.254.169.254"
    ping(hooks, created["webhook_id"])
    pump()
    [logged] = log_of(hooks, created["webhook_id"])
    assert logged["status"] == "failed" and "link-local" in logged["last_error"]


def test_the_log_pages_newest_first(hooks, receiver):
    created = create(hooks, receiver.url)
    sent = [ping(hooks, created["webhook_id"]) for _ in range(webhooks.PAGE + 3)]
    _, first = hooks.get(f"/webhooks/{created['webhook_id']}/deliveries")
    assert [d["delivery_id"] for d in first["deliveries"]] == sent[::-1][:webhooks.PAGE]
    _status, rest = hooks.get(f"/webhooks/{created['webhook_id']}/deliveries"
                             f"?cursor={first['next_cursor']}")
    assert [d["delivery_id"] for d in rest["deliveries"]] == sent[::-1][webhooks.PAGE:]
    assert rest["next_cursor"] is None


def test_a_duplicate_queue_message_is_one_attempt(hooks, receiver):
    """At least once on the queue, once per attempt at the receiver."""
    created = create(hooks, receiver.url)
    delivery_id = ping(hooks, created["webhook_id"])
    [queued] = WebhookDelivery.query(created["webhook_id"])
    webhooks.enqueue([queued])
    webhooks.enqueue([queued])
    pump()
    assert receiver.ids() == [delivery_id]


def test_the_sweep_queues_a_delivery_whose_message_was_lost(hooks, receiver, monkeypatch):
    created = create(hooks, receiver.url)
    monkeypatch.delenv("WEBHOOK_QUEUE_URL")  # the queue cannot be reached
    delivery_id = ping(hooks, created["webhook_id"])
    monkeypatch.setenv("WEBHOOK_QUEUE_URL",
                       aws.client("sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"])
    pump()
    assert receiver.got == []
    assert webhooks.enqueue_due(clock.now() + timedelta(minutes=1)) == 1
    pump()
    assert receiver.ids() == [delivery_id]


# --- what it costs -----------------------------------------------------------------------


def _requests_of(work: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    original = base.Connection._make_api_call

    def counted(connection: Any, operation: str, kwargs: Any) -> Any:
        sent.append(operation)
        return original(connection, operation, kwargs)

    monkeypatch.setattr(base.Connection, "_make_api_call", counted)
    try:
        work()
    finally:
        monkeypatch.setattr(base.Connection, "_make_api_call", original)
    return sent


def test_a_message_costs_two_requests_unless_a_webhook_hears_it(hooks, desk, receiver,
                                                                monkeypatch):
    _, _console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    create(hooks, receiver.url, ["chat.ended"])  # a webhook, but not for messages
    n = iter(range(100))

    def send() -> None:
        answer = customer.request({"type": "message.send", "chat_id": chat_id,
                                   "client_msg_id": f"m{next(n)}", "text": "hello"})
        assert answer["type"] == "message.ack"

    send()  # the subscriptions are read once per SUBSCRIPTIONS_TTL_S
    assert len(_requests_of(send, monkeypatch)) == 2
    create(hooks, receiver.url, ["message.created"])
    send()
    with_hook = _requests_of(send, monkeypatch)
    assert len(with_hook) == 3 and with_hook[-1] == "BatchWriteItem"


def test_the_secret_never_reaches_the_log(hooks, receiver, caplog):
    created = create(hooks, receiver.url)
    receiver.script = [500]
    ping(hooks, created["webhook_id"])
    with caplog.at_level("DEBUG", logger="helpdesk"), caplog.at_level("INFO"):
        pump()
    assert created["secret"] not in caplog.text
    assert '"message":"ping"' not in caplog.text  # nor the body
    assert Webhook.get(hooks_service(hooks), created["webhook_id"]).secret == created["secret"]


def hooks_service(api: Any) -> str:
    return api.get("/me")[1]["service_id"]


def test_a_delivery_handed_out_early_goes_back_on_the_queue_for_the_rest(hooks, receiver):
    """A retry further off than SQS delays (15 min) arrives early: it is not sent,
    but queued again with what is left (at most 900 s)."""
    created = create(hooks, receiver.url)
    delivery_id = ping(hooks, created["webhook_id"])
    pump()
    delivery = WebhookDelivery.get(created["webhook_id"], delivery_id)
    later = clock.now() + timedelta(hours=6)
    delivery.update(actions=[WebhookDelivery.status.set("pending"),
                             WebhookDelivery.next_attempt_at.set(clock.iso(later))])
    sent: list[dict[str, Any]] = []
    original = webhooks.enqueue

    def recorded(deliveries: list[Any], delay_s: int = 0) -> int:
        sent.append({"ids": [d.delivery_id for d in deliveries], "delay_s": delay_s})
        return original(deliveries, delay_s)

    with mock.patch.object(webhooks, "enqueue", recorded):
        outcome = hook_sender.attempt(created["webhook_id"], delivery_id, clock.now())
    assert outcome == "early"
    assert sent == [{"ids": [delivery_id], "delay_s": pytest.approx(6 * 3600, abs=2)}]
    assert len(receiver.got) == 1  # only the first, delivered attempt
    assert int(WebhookDelivery.get(created["webhook_id"], delivery_id).attempts) == 1


def test_webhooks_that_cannot_be_read_never_fail_the_change(hooks, desk, receiver,
                                                             monkeypatch):
    create(hooks, receiver.url, ["chat.started"])
    webhooks.forget_subscriptions()

    def unreadable(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(Webhook, "query", unreadable)
    desk.operator()
    started = desk.customer().request({"type": "chat.start", "consent": True})
    assert started["type"] == "chat.started", started
    pump()
    assert receiver.got == []
