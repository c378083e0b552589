"""The WebSocket side of API Gateway, in-process: `$connect`, `$default` and
`$disconnect` events shaped as AWS sends them, through the app's real Lambda
handlers; what the app posts to a connection is read back from moto's
`@connections` API (which records every post). `$default` is two-way, as
deployed: the body the handler answers with is sent to the sender, recorded
here in the same stream as the posts, in the order the client would see them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from moto.apigatewaymanagementapi.models import (
    ApiGatewayManagementApiBackend,
    apigatewaymanagementapi_backends,
)
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError

API_ID = "wsapi1"
STAGE = "ws"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
_ids = itertools.count(1)


def _backend() -> Any:
    return apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


# moto's @connections accepts posts to any id, forever. API Gateway's answers
# 410 Gone once a connection is deleted (`DELETE @connections`, which closes the
# socket): the backend is taught that here, keeping what a deleted connection
# had received so a test can still read it.
_deleted: dict[str, bytes] = {}


class _Gone(JsonRESTError):
    code = 410

    def __init__(self) -> None:
        super().__init__("GoneException", "Gone")


def _delete_connection(self: Any, connection_id: str) -> None:
    connection = self.connections.pop(connection_id, None)
    if connection_id not in _deleted:
        _deleted[connection_id] = connection.data if connection is not None else b""


def _post_to_connection(self: Any, data: bytes, connection_id: str) -> None:
    if connection_id in _deleted:
        raise _Gone()
    self.connections[connection_id].data += data


ApiGatewayManagementApiBackend.delete_connection = _delete_connection  # type: ignore[method-assign]
ApiGatewayManagementApiBackend.post_to_connection = _post_to_connection  # type: ignore[method-assign]


def deleted(connection_id: str) -> bool:
    """Whether the app closed the connection with `DELETE @connections`."""
    return connection_id in _deleted


def posted(connection_id: str) -> list[dict[str, Any]]:
    """Every frame sent to a connection (posts and route responses), in order."""
    backend = _backend()
    if connection_id in _deleted:
        data = _deleted[connection_id].decode()
    elif connection_id in backend.connections:
        data = backend.connections[connection_id].data.decode()
    else:
        return []
    decoder = json.JSONDecoder()
    frames, index = [], 0
    while index < len(data):
        frame, index = decoder.raw_decode(data, index)
        frames.append(frame)
    return frames


def _context(connection_id: str, route: str, event_type: str, ip: str) -> dict[str, Any]:
    return {
        "routeKey": route,
        "eventType": event_type,
        "messageDirection": "IN",
        "connectionId": connection_id,
        "domainName": DOMAIN,
        "stage": STAGE,
        "apiId": API_ID,
        "requestId": f"req-{next(_ids)}",
        "requestTimeEpoch": 1795590000000,
        "connectedAt": 1795590000000,
        "identity": {"sourceIp": ip, "userAgent": BROWSER_UA},
    }


class Socket:
    """One client connection to the WebSocket API."""

    def __init__(self, client: Any, connection_id: str, ip: str) -> None:
        self.client = client
        self.connection_id = connection_id
        self.ip = ip
        self._read = 0
        self._frame_ids = itertools.count(1)
        self.lost_replies: list[dict[str, Any]] = []

    @property
    def closed(self) -> bool:
        """The server closed this socket (`DELETE @connections`)."""
        return deleted(self.connection_id)

    def send_raw(self, body: str) -> None:
        event = {
            "requestContext": _context(self.connection_id, "$default", "MESSAGE", self.ip),
            "body": body,
            "isBase64Encoded": False,
        }
        answer = self.client.lambda_.invoke("ws_message", event).payload
        assert answer["statusCode"] == 200, answer
        reply = answer.get("body")
        if reply:  # the route response, after whatever the handler pushed
            if self.closed:
                # A frame that was in flight when the socket was closed: its
                # answer has nowhere to go; the test may still read it.
                self.lost_replies.append(json.loads(reply))
            else:
                _backend().post_to_connection(reply.encode(), self.connection_id)

    def send(self, frame: dict[str, Any]) -> None:
        self.send_raw(json.dumps(frame))

    def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame with a fresh `id` and return the reply that names it."""
        frame_id = f"f{next(self._frame_ids)}"
        before = len(posted(self.connection_id))
        self.send({**frame, "id": frame_id})
        replies = [f for f in posted(self.connection_id)[before:] + self.lost_replies
                   if f.get("re") == frame_id]
        assert len(replies) == 1, posted(self.connection_id)[before:]
        return replies[0]

    def frames(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [f for f in posted(self.connection_id) if kind is None or f["type"] == kind]

    def new_frames(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Frames posted since the last call (the ones a client has not read yet)."""
        every = posted(self.connection_id)
        fresh, self._read = every[self._read:], len(every)
        return [f for f in fresh if kind is None or f["type"] == kind]

    def close(self) -> None:
        event = {"requestContext": _context(self.connection_id, "$disconnect", "DISCONNECT",
                                            self.ip)}
        self.client.lambda_.invoke("ws_disconnect", event)


def connect(
    client: Any,
    ticket: str | None,
    *,
    origin: str | None = "https://shop.example.com",
    ip: str = "203.0.113.20",
    user_agent: str = BROWSER_UA,
) -> tuple[int, Socket]:
    """Open a connection; the `$connect` status (200 accepts) and the socket."""
    connection_id = f"wsconn{next(_ids)}"
    headers = {"Host": DOMAIN, "User-Agent": user_agent}
    if origin:
        headers["Origin"] = origin
    event = {
        "requestContext": _context(connection_id, "$connect", "CONNECT", ip),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {"ticket": ticket} if ticket is not None else None,
        "isBase64Encoded": False,
    }
    response = client.lambda_.invoke("ws_connect", event).payload
    return response["statusCode"], Socket(client, connection_id, ip)


class Desk:
    """A service's people over the real API: customers on the widget, operators
    on the console (REST + WebSocket)."""

    def __init__(self, client: Any, tenant: Any) -> None:
        from tests.api.helpers import Api, login

        self.client = client
        self.tenant = tenant
        self.public = Api(client)
        self.admin = login(client, tenant.service_id, tenant.admin_email)
        self._login = login
        self._n = itertools.count(1)

    def customer(self, *, ip: str = "203.0.113.20", **session: Any) -> Socket:
        """A customer's widget: a session, then a socket from `ip`."""
        status, body = self.public.post(f"/widget/{self.tenant.widget_key}/session", session)
        assert status == 200, body
        code, socket = connect(self.client, body["ticket"], ip=ip)
        assert code == 200
        socket.customer_id = body["customer_id"]  # type: ignore[attr-defined]
        socket.visitor_token = body["visitor_token"]  # type: ignore[attr-defined]
        return socket

    def operator(
        self, *, max_chats: int | None = None, online: bool = True, role: str = "operator"
    ) -> tuple[Any, Socket]:
        """A new operator (or admin) signed in, online, with a console socket."""
        from tests.conftest import OPERATOR_PASSWORD

        n = next(self._n)
        email = f"op{n}@{self.tenant.service_id}.test"
        body = {"email": email, "name": f"Operator {n}", "password": OPERATOR_PASSWORD,
                "role": role}
        if max_chats is not None:
            body["max_chats"] = max_chats
        status, created = self.admin.post("/operators", body)
        assert status == 201, created
        api = self._login(self.client, self.tenant.service_id, email, OPERATOR_PASSWORD)
        api.operator_id = created["operator_id"]
        code, socket = connect(self.client, api.post("/auth/ws-ticket")[1]["ticket"],
                               origin=None)
        assert code == 200
        if online:
            assert api.put("/me/status", {"status": "online"}) == (200, {"status": "online"})
        return api, socket
