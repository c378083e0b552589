"""The WebSocket API at `/ws` and its `@connections` management API, behaving as
API Gateway's: the handshake runs `$connect` (anything but 200 refuses it), each
text frame runs `$default`, the end of the connection runs `$disconnect`, and the
app pushes frames with boto3's `apigatewaymanagementapi` pointed here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from infra.local import events
from infra.local.runtime import LambdaRuntime
from infra.local.settings import WS_STAGE, LocalSettings

log = logging.getLogger("local.websocket")

# API Gateway's WebSocket limits.
MAX_MESSAGE_BYTES = 128 * 1024
INTEGRATION_TIMEOUT_S = 29.0
IDLE_CHECK_EVERY_S = 5.0


@dataclass
class Connection:
    """One open WebSocket, as API Gateway tracks it."""

    peer: events.WebSocketPeer
    socket: web.WebSocketResponse
    opened: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # How and why the gateway closed it, for `$disconnect`; None when the client did.
    closed_with: int | None = None
    closed_because: str | None = None

    def touch(self) -> None:
        self.last_active = time.monotonic()
        self.last_active_at = datetime.now(UTC)

    def info(self) -> dict[str, Any]:
        """GetConnection's answer, in the API's wire names."""
        connected_at = datetime.fromtimestamp(self.peer.connected_at_ms / 1000, UTC)
        return {
            "connectedAt": _iso(connected_at),
            "identity": {"sourceIp": self.peer.source_ip, "userAgent": self.peer.user_agent},
            "lastActiveAt": _iso(self.last_active_at),
        }

    async def close(self, code: int, reason: str) -> None:
        if self.closed_because is None:
            self.closed_with, self.closed_because = code, reason
        await self.socket.close(code=code, message=reason.encode()[:120])


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def aws_error(status: int, error_type: str, message: str) -> web.Response:
    """An AWS API error as boto3 parses it (the type in `x-amzn-ErrorType`)."""
    return web.json_response(
        {"message": message}, status=status, headers={"x-amzn-ErrorType": error_type}
    )


def unsigned(request: web.Request) -> web.Response | None:
    """AWS APIs answer unsigned requests with 403. Requiring a SigV4 header also
    keeps web pages in a browser (which cannot send one cross-origin without a
    preflight this gateway never grants) from driving the management APIs."""
    if request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
        return None
    return aws_error(403, "ForbiddenException", "Missing Authentication Token")


class WebSocketApi:
    """Connections by id, the `/ws` endpoint and `@connections`."""

    def __init__(self, runtime: LambdaRuntime, settings: LocalSettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.connections: dict[str, Connection] = {}
        # One task per open socket, running it until its `$disconnect` is done.
        self._sessions: set[asyncio.Task[Any]] = set()

    def routes(self) -> list[web.RouteDef]:
        routes = [web.get(f"/{WS_STAGE}", self.connect)]
        # boto3 posts to `{endpoint}/@connections/{id}`; the endpoint may name the
        # stage (`http://127.0.0.1:8080/ws`, as on AWS) or not.
        for prefix in (f"/{WS_STAGE}/@connections", "/@connections"):
            routes += [
                web.post(prefix + "/{connection_id}", self.post_to_connection),
                web.get(prefix + "/{connection_id}", self.get_connection),
                web.delete(prefix + "/{connection_id}", self.delete_connection),
            ]
        return routes

    # --- the client side --------------------------------------------------------

    async def connect(self, request: web.Request) -> web.StreamResponse:
        probe = web.WebSocketResponse()
        if not probe.can_prepare(request).ok:
            return web.json_response({"message": "Upgrade Required"}, status=426)
        peer = events.WebSocketPeer(
            domain_name=self.settings.domain_name,
            stage=WS_STAGE,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
        )
        event = events.connect_event(
            peer, request.headers.items(), request.query.items(), self.settings.port
        )
        answer = await self._run_connect(event)
        if isinstance(answer, web.Response):
            return answer
        socket = web.WebSocketResponse(
            protocols=_chosen_protocol(answer),
            autoping=False,  # pings count as activity, so they are seen here
            max_msg_size=MAX_MESSAGE_BYTES + 1,  # aiohttp refuses sizes >= the limit
            compress=False,  # API Gateway negotiates no compression
        )
        await socket.prepare(request)
        connection = Connection(peer, socket)
        self.connections[peer.connection_id] = connection
        session = asyncio.current_task()
        assert session is not None  # aiohttp serves each request in a task
        self._sessions.add(session)
        try:
            await self._receive_frames(connection)
        finally:
            # Gone from @connections before $disconnect runs, as on AWS.
            self.connections.pop(peer.connection_id, None)
            await self._run_disconnect(connection)
            self._sessions.discard(session)
        return socket

    async def _run_connect(self, event: dict[str, Any]) -> dict[str, Any] | web.Response:
        """The handler's answer when it accepts; the HTTP refusal when not."""
        function = self.runtime.websocket_function("$connect")
        if function is None:
            return {}
        try:
            answer = await asyncio.wait_for(
                self.runtime.invoke(function, event), INTEGRATION_TIMEOUT_S
            )
        except TimeoutError:
            return web.json_response({"message": "Endpoint request timed out"}, status=504)
        except Exception:
            log.exception("$connect failed")
            return web.json_response({"message": "Internal server error"}, status=502)
        answer = answer if isinstance(answer, dict) else {}
        status = int(answer.get("statusCode", 200))
        if status == 200:
            return answer
        refusal = status if 400 <= status < 600 else 403
        body = answer.get("body") or json.dumps({"message": "Forbidden"})
        return web.Response(status=refusal, text=str(body), content_type="application/json")

    async def _receive_frames(self, connection: Connection) -> None:
        socket = connection.socket
        while True:
            message = await socket.receive()
            if message.type is WSMsgType.TEXT:
                connection.touch()
                await self._run_default(connection, message.data)
            elif message.type is WSMsgType.BINARY:
                # API Gateway takes no binary frames from clients.
                await connection.close(WSCloseCode.UNSUPPORTED_DATA, "Binary frames unsupported")
            elif message.type is WSMsgType.PING:
                connection.touch()
                # The client may be gone already; its close arrives next.
                with contextlib.suppress(ConnectionResetError):
                    await socket.pong(message.data)
            elif message.type is WSMsgType.PONG:
                connection.touch()
            else:  # CLOSE, CLOSING, CLOSED, ERROR (too big: aiohttp closed it with 1009)
                if message.type is WSMsgType.ERROR and connection.closed_because is None:
                    connection.closed_because = str(message.data)
                with contextlib.suppress(Exception):
                    await socket.close()
                return

    async def _run_default(self, connection: Connection, body: str) -> None:
        """Run `$default`. The route is two-way (it has a `$default` route response,
        as infra/package.py deploys it), so the body the handler answers with is
        sent back to the client."""
        function = self.runtime.websocket_function("$default")
        if function is None:
            await self._send_gateway_error(connection, "Forbidden")
            return
        event = events.message_event(connection.peer, body)
        try:
            answer = await asyncio.wait_for(
                self.runtime.invoke(function, event), INTEGRATION_TIMEOUT_S
            )
        except TimeoutError:
            await self._send_gateway_error(connection, "Endpoint request timed out")
            return
        except Exception:
            log.exception("$default failed on %s", connection.peer.connection_id)
            await self._send_gateway_error(connection, "Internal server error")
            return
        reply = answer.get("body") if isinstance(answer, dict) else None
        if isinstance(reply, str) and reply:
            await self._send_route_response(connection, reply)

    async def _send_route_response(self, connection: Connection, reply: str) -> None:
        if len(reply.encode()) > MAX_MESSAGE_BYTES:
            log.warning("route response to %s over %d bytes dropped",
                        connection.peer.connection_id, MAX_MESSAGE_BYTES)
            await self._send_gateway_error(connection, "Internal server error")
            return
        # The client may have gone meanwhile; its close arrives next.
        with contextlib.suppress(ConnectionError, RuntimeError):
            await connection.socket.send_str(reply)

    async def _send_gateway_error(self, connection: Connection, message: str) -> None:
        """What API Gateway sends the client when the route fails."""
        frame = {
            "message": message,
            "connectionId": connection.peer.connection_id,
            "requestId": events.new_connection_id(),
        }
        with contextlib.suppress(ConnectionError, RuntimeError):
            await connection.socket.send_str(json.dumps(frame))

    async def _run_disconnect(self, connection: Connection) -> None:
        function = self.runtime.websocket_function("$disconnect")
        if function is None:
            return
        code = (
            connection.closed_with
            or connection.socket.close_code
            or WSCloseCode.ABNORMAL_CLOSURE
        )
        reason = connection.closed_because or f"Client-side close frame status code '{code}'"
        event = events.disconnect_event(connection.peer, int(code), reason)
        try:
            await self.runtime.invoke(function, event)
        except Exception:
            log.exception("$disconnect failed on %s", connection.peer.connection_id)

    # --- @connections -----------------------------------------------------------

    def _connection(self, request: web.Request) -> Connection | None:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return None
        return connection

    async def post_to_connection(self, request: web.Request) -> web.Response:
        if refusal := unsigned(request):
            return refusal
        data = await request.read()
        if len(data) > MAX_MESSAGE_BYTES:
            return aws_error(413, "PayloadTooLargeException", "Message too long")
        connection = self._connection(request)
        if connection is None:
            return aws_error(410, "GoneException", "Gone")
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = None
        try:
            if text is not None:
                await connection.socket.send_str(text)
            else:
                await connection.socket.send_bytes(data)
        except (ConnectionError, RuntimeError):
            return aws_error(410, "GoneException", "Gone")
        connection.touch()
        return web.Response(status=200)

    async def get_connection(self, request: web.Request) -> web.Response:
        if refusal := unsigned(request):
            return refusal
        connection = self._connection(request)
        if connection is None:
            return aws_error(410, "GoneException", "Gone")
        return web.json_response(connection.info())

    async def delete_connection(self, request: web.Request) -> web.Response:
        if refusal := unsigned(request):
            return refusal
        connection = self._connection(request)
        if connection is None:
            return aws_error(410, "GoneException", "Gone")
        # Not awaited: closing waits for the client's close frame, the caller need not.
        asyncio.get_running_loop().create_task(
            connection.close(WSCloseCode.OK, "Connection deleted by the server")
        )
        return web.Response(status=204)

    # --- API Gateway's timeouts and shutdown ------------------------------------

    async def close_idle_connections(self) -> None:
        """Close sockets idle for 10 minutes or open for 2 hours, as API Gateway does."""
        every = min(IDLE_CHECK_EVERY_S, self.settings.ws_idle_timeout_s / 4)
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            closing = []
            for connection in list(self.connections.values()):
                if now - connection.last_active >= self.settings.ws_idle_timeout_s:
                    closing.append(connection.close(WSCloseCode.GOING_AWAY, "Idle timeout"))
                elif now - connection.opened >= self.settings.ws_max_duration_s:
                    closing.append(
                        connection.close(WSCloseCode.GOING_AWAY, "Connection duration limit")
                    )
            await asyncio.gather(*closing, return_exceptions=True)

    async def close_all(self, grace_s: float) -> None:
        """Close every socket and wait (up to `grace_s`) for their `$disconnect`s."""
        closing = [
            connection.close(WSCloseCode.GOING_AWAY, "Server shutting down")
            for connection in list(self.connections.values())
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), grace_s)
        if self._sessions:
            await asyncio.wait(set(self._sessions), timeout=grace_s)


def _chosen_protocol(answer: dict[str, Any]) -> tuple[str, ...]:
    """The subprotocol `$connect` chose, by its Sec-WebSocket-Protocol header."""
    headers = {name.lower(): value for name, value in (answer.get("headers") or {}).items()}
    chosen = headers.get("sec-websocket-protocol")
    return (chosen,) if chosen else ()

