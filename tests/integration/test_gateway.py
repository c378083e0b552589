"""The local gateway behaves as API Gateway does: REST through the product's
app, the WebSocket lifecycle as Lambda events, `@connections` over HTTP, the
Lambda Invoke API, API Gateway's limits, and the static pages.

One stack for the module, serving the echo app (tests/integration/echo_app.py):
the product's REST API with WebSocket handlers that echo."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import websockets
from botocore.config import Config
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.stack_runner import Stack

pytestmark = pytest.mark.integration

IDLE_TIMEOUT_S = 4
MAX_FRAME = 128 * 1024


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(
        state_dir=tmp_path_factory.mktemp("echo-stack"),
        app_path="tests.integration.echo_app:app",
        extra_env={"LOCAL_WS_IDLE_TIMEOUT_S": str(IDLE_TIMEOUT_S)},
    ).run()
    yield running
    assert running.interrupt() == 0, running.log()


@pytest.fixture(scope="module")
def admin_token(stack: Stack) -> str:
    return stack.login("admin@demo.test")


def aws_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def connections_api(stack: Stack) -> Any:
    return aws_client("apigatewaymanagementapi", f"{stack.base_url}/ws")


def disconnect_note(stack: Stack, connection_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """What echo_app's `$disconnect` wrote for the connection (the stack's own tables)."""
    dynamodb = aws_client("dynamodb", f"http://127.0.0.1:{stack.dynamodb_port}")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        item = dynamodb.get_item(
            TableName="local-tokens",
            Key={"token_key": {"S": f"echo-disconnect#{connection_id}"}},
            ConsistentRead=True,
        ).get("Item")
        if item:
            return json.loads(item["payload"]["S"])
        time.sleep(0.1)
    raise AssertionError(f"no $disconnect for {connection_id}")


def ws_url(stack: Stack, ticket: str) -> str:
    return f"ws://127.0.0.1:{stack.port}/ws?ticket={ticket}"


async def echo(socket: Any, frame: dict[str, Any]) -> dict[str, Any]:
    await socket.send(json.dumps(frame))
    return json.loads(await asyncio.wait_for(socket.recv(), 10))


async def close_code(socket: Any, timeout_s: float = 10) -> int | None:
    """Wait for the server to close the socket; the code it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), timeout_s)
    return closed.value.rcvd.code if closed.value.rcvd else None


# --- REST -------------------------------------------------------------------------


def test_rest_reaches_the_product_api(stack, admin_token):
    assert stack.call("GET", "/api/health") == (200, {"ok": True})
    status, me = stack.call("GET", "/api/me", token=admin_token)
    assert status == 200 and me["role"] == "admin" and me["service_id"] == "demo"
    status, ticket = stack.call("POST", "/api/auth/ws-ticket", {}, token=admin_token)
    assert status == 200 and ticket["ws_url"] == f"ws://127.0.0.1:{stack.port}/ws"


def test_cors_preflights_admit_any_site_on_the_widget_and_only_the_console_elsewhere(stack):
    """R-SEC-5: the widget's public routes answer CORS for any site (Chalice's own
    preflight); sign-in and every operator or admin route only for the console."""
    request = {"Access-Control-Request-Method": "POST"}
    status, _, headers = _raw(stack, "OPTIONS", "/api/widget/demo/session",
                              {"Origin": "https://shop.example", **request})
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*"
    for path in ("/api/auth/login", "/api/settings", "/api/chats"):
        status, _, headers = _raw(stack, "OPTIONS", path,
                                  {"Origin": "https://shop.example", **request})
        assert status == 204 and "Access-Control-Allow-Origin" not in headers, path
        status, _, headers = _raw(stack, "OPTIONS", path,
                                  {"Origin": stack.base_url, **request})
        assert headers.get("Access-Control-Allow-Origin") == stack.base_url, path
        assert "Authorization" in headers.get("Access-Control-Allow-Headers", "")
    # The answer to a request from another site carries no permission either.
    status, _, headers = _raw(stack, "GET", "/api/me", {"Origin": "https://shop.example",
                                                         "Authorization": "Bearer x.y.z"})
    assert status == 401 and "Access-Control-Allow-Origin" not in headers


def test_an_unknown_api_route_is_a_404_that_echoes_nothing(stack):
    """R-SEC-5: API Gateway would answer 403 quoting the Authorization header;
    the deployed gateway response and the local gateway answer this instead."""
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl"
    status, body, headers = _raw(stack, "GET", "/api/no/such/route",
                                 {"Authorization": f"Bearer {token}"})
    assert status == 404
    assert json.loads(body) == {"code": "not_found", "message": "no such route"}
    assert token not in body and "Bearer" not in body
    assert headers["Content-Type"].startswith("application/json")


def test_an_attackers_failed_logins_do_not_lock_the_owner_out_from_another_address(stack):
    """R-SEC-3 over real sockets: an attacker on 127.0.0.2 fails until slowed;
    the owner on 127.0.0.1 signs in at once; the attacker stays slowed."""
    def login(address, password):
        body = json.dumps({"service_id": "demo", "email": "operator@demo.test",
                           "password": password})
        status, answer, headers = _raw(stack, "POST", "/api/auth/login",
                                       {"Content-Type": "application/json"}, body=body,
                                       source=address)
        return status, json.loads(answer), headers

    statuses = [login("127.0.0.2", f"wrong-guess-{n}")[0] for n in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    status, refused, headers = login("127.0.0.2", "demo-password")
    assert status == 429 and refused["code"] == "rate_limited"
    assert int(headers["Retry-After"]) >= 1
    status, signed_in, _ = login("127.0.0.1", "demo-password")
    assert status == 200 and signed_in["operator"]["email"] == "operator@demo.test"


def _raw(stack, method, path, headers, *, body=None, source="127.0.0.1"):
    """One request as a browser would send it (from a loopback `source`
    address): status, body, headers."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10,
                                            source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode(), dict(response.getheaders())
    finally:
        connection.close()


def test_ws_without_an_upgrade_is_refused(stack):
    assert stack.call("GET", "/ws")[0] == 426


def test_the_demo_page_and_the_console_are_served(stack):
    status, page = stack.call("GET", "/")
    assert status == 200 and "<html" in page.lower()
    status, console = stack.call("GET", "/console/")
    assert status == 200 and "<html" in console.lower()
    assert stack.call("GET", "/widget/../app.py")[0] == 404


# --- WebSocket --------------------------------------------------------------------


def test_a_frame_comes_back_through_connections_with_the_events_aws_sends(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def talk() -> dict[str, Any]:
        async with websockets.connect(
            ws_url(stack, ticket), origin="http://127.0.0.1", user_agent_header="echo-test/1.0"
        ) as socket:
            return await echo(socket, {"type": "hello", "text": "hi"})

    reply = asyncio.run(talk())

    assert reply["type"] == "echo" and reply["frame"] == {"type": "hello", "text": "hi"}
    connect = reply["connect"]
    assert connect["holder"]["role"] == "admin"
    assert connect["query"] == {"ticket": ticket}
    assert connect["headers"]["Origin"] == "http://127.0.0.1"
    assert connect["headers"]["User-Agent"] == "echo-test/1.0"
    opened = connect["request_context"]
    assert (opened["routeKey"], opened["eventType"]) == ("$connect", "CONNECT")
    assert opened["stage"] == "ws"
    assert opened["domainName"] == f"127.0.0.1:{stack.port}"
    assert opened["identity"]["sourceIp"] == "127.0.0.1"
    message = reply["request_context"]
    assert (message["routeKey"], message["eventType"]) == ("$default", "MESSAGE")
    assert message["connectionId"] == opened["connectionId"]


def test_chalice_websocket_api_send_reaches_the_socket(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def talk() -> dict[str, Any]:
        async with websockets.connect(ws_url(stack, ticket)) as socket:
            return await echo(socket, {"type": "hello", "via": "chalice"})

    assert asyncio.run(talk())["frame"]["via"] == "chalice"


def test_the_default_route_is_two_way_the_answered_body_reaches_the_sender(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def talk() -> tuple[dict[str, Any], list[Any]]:
        async with websockets.connect(ws_url(stack, ticket)) as socket:
            reply = await echo(socket, {"type": "hello", "via": "route-response"})
            # A handler that answers without a body sends nothing back.
            await socket.send(json.dumps({"type": "quiet", "via": "route-response-none"}))
            late = await echo(socket, {"type": "after", "via": "route-response"})
            return reply, [late]

    reply, later = asyncio.run(talk())
    assert reply["type"] == "echo" and reply["frame"]["type"] == "hello"
    assert [frame["frame"]["type"] for frame in later] == ["after"]


@pytest.mark.parametrize("ticket", ["not-a-ticket", ""])
def test_a_bad_ticket_is_refused_at_the_handshake(stack, ticket):
    async def connect() -> None:
        async with websockets.connect(ws_url(stack, ticket)):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(connect())
    assert refused.value.response.status_code == 403


def test_a_used_ticket_is_refused_at_the_handshake(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def connect_twice() -> None:
        async with websockets.connect(ws_url(stack, ticket)):
            pass
        async with websockets.connect(ws_url(stack, ticket)):
            pass

    with pytest.raises(InvalidStatus):
        asyncio.run(connect_twice())


def test_tickets_and_tokens_never_reach_the_log(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def connect_once() -> None:
        async with websockets.connect(ws_url(stack, ticket)):
            pass

    asyncio.run(connect_once())
    stack.call("GET", "/api/me", token=admin_token)
    log = stack.log()
    assert '"GET /ws"' in log  # the request is logged, without its query string
    assert ticket not in log and admin_token not in log


def test_a_frame_over_128_kb_closes_the_socket_with_1009(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def send_too_much() -> tuple[dict[str, Any], int | None]:
        async with websockets.connect(ws_url(stack, ticket)) as socket:
            fits = await echo(socket, {"type": "big", "text": "x" * (100 * 1024)})
            await socket.send("x" * (MAX_FRAME + 1))
            return fits, await close_code(socket)

    fits, code = asyncio.run(send_too_much())
    assert len(fits["frame"]["text"]) == 100 * 1024
    assert code == 1009


def test_a_binary_frame_closes_the_socket_with_1003(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def send_binary() -> int | None:
        async with websockets.connect(ws_url(stack, ticket)) as socket:
            await socket.send(b"\x00\x01")
            return await close_code(socket)

    assert asyncio.run(send_binary()) == 1003


def test_connections_api_gets_posts_and_deletes(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)
    api = connections_api(stack)

    async def manage() -> tuple[str, dict[str, Any], Any, int | None]:
        async with websockets.connect(ws_url(stack, ticket), user_agent_header="ua/2") as socket:
            connection_id = (await echo(socket, {"type": "who"}))["request_context"]["connectionId"]
            info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(
                api.post_to_connection, ConnectionId=connection_id, Data=b'{"type":"pushed"}'
            )
            pushed = await asyncio.wait_for(socket.recv(), 10)
            await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
            return connection_id, info, pushed, await close_code(socket)

    connection_id, info, pushed, code = asyncio.run(manage())

    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "ua/2"}
    assert info["ConnectedAt"] <= info["LastActiveAt"]
    assert json.loads(pushed) == {"type": "pushed"}
    assert code == 1000
    assert disconnect_note(stack, connection_id)["status_code"] == 1000
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)


def test_management_apis_refuse_unsigned_requests(stack):
    assert stack.call("POST", "/ws/@connections/abc", {})[0] == 403
    assert stack.call("POST", "/2015-03-31/functions/echo_worker/invocations", {})[0] == 403


def test_an_idle_socket_is_closed_as_api_gateway_does(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)

    async def idle() -> tuple[str, float, int | None]:
        async with websockets.connect(ws_url(stack, ticket), ping_interval=None) as socket:
            connection_id = (await echo(socket, {"type": "who"}))["request_context"]["connectionId"]
            started = time.monotonic()
            code = await close_code(socket, IDLE_TIMEOUT_S + 10)
            return connection_id, time.monotonic() - started, code

    connection_id, waited, code = asyncio.run(idle())

    assert IDLE_TIMEOUT_S - 0.5 <= waited <= IDLE_TIMEOUT_S + 5
    assert code == 1001
    assert disconnect_note(stack, connection_id)["reason"] == "Idle timeout"


# --- Lambda -----------------------------------------------------------------------


def test_an_async_invocation_runs_the_function_in_the_background(stack, admin_token):
    ticket = stack.ws_ticket(admin_token)
    functions = aws_client("lambda", stack.base_url)

    async def invoke() -> tuple[int, dict[str, Any]]:
        async with websockets.connect(ws_url(stack, ticket)) as socket:
            connection_id = (await echo(socket, {"type": "who"}))["request_context"]["connectionId"]
            answer = await asyncio.to_thread(
                functions.invoke,
                FunctionName="helpdesk-chat-local-echo_worker",
                InvocationType="Event",
                Payload=json.dumps({"connection_id": connection_id, "text": "from the worker"}),
            )
            return answer["StatusCode"], json.loads(await asyncio.wait_for(socket.recv(), 10))

    status, frame = asyncio.run(invoke())

    assert status == 202
    assert frame == {
        "type": "worker",
        "text": "from the worker",
        "function_name": "helpdesk-chat-local-echo_worker",
    }


def test_invoking_an_unknown_function_is_not_found(stack):
    functions = aws_client("lambda", stack.base_url)

    with pytest.raises(functions.exceptions.ResourceNotFoundException):
        functions.invoke(FunctionName="no-such-function", InvocationType="Event", Payload=b"{}")
