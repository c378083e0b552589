"""Customers and operators as the widget and the console behave, over real
WebSockets: each keeps a socket open, reconnects with a fresh ticket when it
dies, resumes its chats after the last message it has without a gap, and
resends an unacknowledged message with the same client_msg_id. Everything they
send and see is written into the shared Ledger."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from tests.reliability.ledger import CUSTOMER, Ledger, Sent

Frame = dict[str, Any]
REPLY_TIMEOUT_S = 30.0  # a reply slower than this is treated as lost, and the frame resent
RETRY_PAUSE_S = (0.2, 2.0)  # backoff between reconnect attempts while the stack is down
RETRYABLE = {"rate_limited", "busy", "internal_error"}  # send the same message again
UNREACHABLE_FOR_S = 120.0  # how long a REST call keeps trying while the stack is down


class SocketDied(Exception):
    """The WebSocket closed before the reply came."""


class StackUnreachable(Exception):
    """The stack did not answer (it is restarting)."""


class Api:
    """REST calls to the stack. A 5xx is a server error for the tally unless the
    stack was being restarted on purpose at the time."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, ledger: Ledger) -> None:
        self.http = http
        self.base_url = base_url
        self.ledger = ledger
        self.restarting = False

    async def call(self, method: str, path: str, body: Any = None,
                   token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is None and method != "GET":
            body = {}  # the API wants JSON on every write
        try:
            async with self.http.request(method, f"{self.base_url}/api{path}", json=body,
                                         headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise StackUnreachable(f"{method} {path}: {error!r}") from error
        if status >= 500 and not self.restarting:
            self.ledger.server_errors.append(f"{method} {path}: {status} {text[:200]}")
        return status, json.loads(text) if text else None

    async def answer(self, method: str, path: str, body: Any = None,
                     token: str | None = None) -> tuple[int, Any]:
        """The first answer that is not "down", "busy" or "too many": a client
        retries those (the stack may be restarting)."""
        deadline = time.monotonic() + UNREACHABLE_FOR_S
        while True:
            try:
                status, answer = await self.call(method, path, body, token)
            except StackUnreachable:
                status, answer = 0, None
            if status == 429:
                self.ledger.throttled.append(f"{method} {path}: {answer}")
            if status not in (0, 429, 502, 503, 504) or time.monotonic() > deadline:
                return status, answer
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))

    async def ok(self, method: str, path: str, body: Any = None,
                 token: str | None = None) -> Any:
        """The body of a call that must succeed."""
        status, answer = await self.answer(method, path, body, token)
        assert 200 <= status < 300, f"{method} {path} -> {status} {answer}"
        return answer


class Socket:
    """One WebSocket: pushes go to `on_push`, replies (frames with `re`) to the
    request waiting for them."""

    def __init__(self, ws: ClientConnection, on_push: Callable[[Frame], None]) -> None:
        self.ws = ws
        self.on_push = on_push
        self.pending: dict[str, asyncio.Future[Frame]] = {}
        self.closed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_url: str, ticket: str, on_push: Callable[[Frame], None]) -> Socket:
        ws = await connect(f"{ws_url}?ticket={ticket}", open_timeout=30, proxy=None)
        return cls(ws, on_push)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                waiting = self.pending.pop(str(frame.get("re")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(frame)
                else:
                    self.on_push(frame)
        except WebSocketException:
            pass
        finally:
            self.closed.set()
            for waiting in self.pending.values():
                if not waiting.done():
                    waiting.set_exception(SocketDied())

    async def request(self, frame: Frame, *, kill_after_send: bool = False) -> Frame:
        """Send a frame with a fresh id and wait for its reply. With
        `kill_after_send` the socket is cut the moment the frame is written,
        as a phone losing its network does: no close handshake."""
        if self.closed.is_set():
            raise SocketDied()
        frame_id = uuid.uuid4().hex
        reply = asyncio.get_running_loop().create_future()
        self.pending[frame_id] = reply
        try:
            await self.ws.send(json.dumps({**frame, "id": frame_id}))
        except WebSocketException as error:
            raise SocketDied() from error
        if kill_after_send:
            self.kill()
        try:
            return await asyncio.wait_for(reply, REPLY_TIMEOUT_S)
        finally:
            self.pending.pop(frame_id, None)

    def kill(self) -> None:
        self.ws.transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        await self.reader


class Party:
    """What customers and operators share: one live socket at a time, a watcher
    that reconnects when it dies, and sending with retries."""

    party: str

    def __init__(self, api: Api, ledger: Ledger, deadline_s: float) -> None:
        self.api = api
        self.ledger = ledger
        self.deadline_s = deadline_s
        self.socket: Socket | None = None
        self.ready = asyncio.Event()
        self.stopping = False
        self.kill_next_send = False
        self.dark_since = 0.0
        self.watcher: asyncio.Task[None] | None = None

    async def ticket(self) -> tuple[str, str]:
        """A fresh single-use ticket and the WebSocket URL."""
        raise NotImplementedError

    async def after_connect(self) -> None:
        """Re-attach to the chats and catch up on what was missed."""
        raise NotImplementedError

    def on_push(self, frame: Frame) -> None:
        raise NotImplementedError

    async def connect(self) -> None:
        """Open a socket (retrying while the stack is down) and catch up."""
        deadline = time.monotonic() + self.deadline_s
        while True:
            try:
                ws_url, ticket = await self.ticket()
                self.socket = await Socket.open(ws_url, ticket, self.on_push)
                await self.after_connect()
                break
            except (StackUnreachable, SocketDied, OSError, WebSocketException, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))
        self.ready.set()
        if self.watcher is None:
            self.watcher = asyncio.create_task(self._keep_connected())

    async def _keep_connected(self) -> None:
        while not self.stopping:
            assert self.socket is not None
            await self.socket.closed.wait()
            if self.stopping:
                return
            self.ready.clear()
            self.dark_since = time.monotonic()
            self.went_dark()
            self.ledger.reconnects += 1
            await self.connect()

    def went_dark(self) -> None:
        """The socket died; nothing pushed reaches this party until it is back."""

    async def live_socket(self) -> Socket:
        await asyncio.wait_for(self.ready.wait(), self.deadline_s)
        assert self.socket is not None
        return self.socket

    async def request(self, frame: Frame) -> Frame:
        """A request answered on a live socket, however often the socket dies."""
        deadline = time.monotonic() + self.deadline_s
        while True:
            socket = await self.live_socket()
            try:
                reply = await socket.request(frame)
            except (SocketDied, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await self.replaced(socket)
                continue
            if reply.get("code") != "rate_limited":
                assert reply.get("type") != "error", f"{frame} -> {reply}"
                return reply
            self.ledger.rate_limited += 1
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))

    async def replaced(self, socket: Socket) -> None:
        """Give the watcher its turn to notice a dead socket and connect again."""
        while self.socket is socket and socket.closed.is_set() and self.ready.is_set():
            await asyncio.sleep(0.05)

    async def send_message(self, chat_id: str, text: str) -> Sent:
        """Send until the server acks or declines it; resends keep the client_msg_id."""
        client_msg_id = uuid.uuid4().hex
        frame = {"type": "message.send", "chat_id": chat_id, "client_msg_id": client_msg_id,
                 "text": text}
        deadline = time.monotonic() + self.deadline_s
        sent = self.ledger.send_attempted(client_msg_id, chat_id, self.party, text)
        while time.monotonic() < deadline:
            socket = await self.live_socket()
            kill, self.kill_next_send = self.kill_next_send, False
            self.ledger.kills += kill
            try:
                reply = await socket.request(frame, kill_after_send=kill)
            except (SocketDied, TimeoutError):
                await self.replaced(socket)
                sent = self.ledger.send_attempted(client_msg_id, chat_id, self.party, text)
                continue
            if reply.get("type") == "message.ack":
                sent.seq = int(reply["seq"])
                return sent
            if reply.get("code") == "internal_error":
                self.ledger.server_errors.append(f"message.send: {reply}")
            self.ledger.rate_limited += reply.get("code") == "rate_limited"
            if reply.get("code") not in RETRYABLE:
                sent.refused = str(reply.get("code"))
                return sent
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))
        return sent

    async def stop(self) -> None:
        self.stopping = True
        if self.socket is not None:
            await self.socket.close()
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher


def operator_messages(ledger: Ledger, chat_id: str, party: str) -> int:
    """Operator messages of a chat this party knows of: seen, or (for an
    operator) its own acked ones."""
    seen = {m.get("client_msg_id") for m in ledger.seen_by(chat_id, party).values()
            if (m.get("sender") or {}).get("role") == "operator"}
    if party != CUSTOMER:
        seen |= {s.client_msg_id for s in ledger.sent_in_chat.get(chat_id, ())
                 if s.party == party and s.seq is not None}
    return len(seen)


class Customer(Party):
    """A visitor with the widget open: starts one chat, talks, resumes after drops."""

    party = CUSTOMER

    def __init__(self, api: Api, ledger: Ledger, widget_key: str, number: int,
                 deadline_s: float) -> None:
        super().__init__(api, ledger, deadline_s)
        self.widget_key = widget_key
        self.number = number
        self.visitor_token: str | None = None
        self.chat_id: str | None = None
        self.ended = False

    async def ticket(self) -> tuple[str, str]:
        body = {"visitor_token": self.visitor_token} if self.visitor_token else {}
        session = await self.api.ok("POST", f"/widget/{self.widget_key}/session", body)
        self.visitor_token = session["visitor_token"]
        open_chat = session.get("open_chat") or {}
        if self.chat_id and open_chat.get("chat_id") != self.chat_id and not self.ended:
            self.ledger.server_errors.append(
                f"customer {self.number}: session names open chat {open_chat}, "
                f"not {self.chat_id}")
        return session["ws_url"], session["ticket"]

    async def after_connect(self) -> None:
        assert self.socket is not None
        if self.chat_id is None:
            return
        history = await self.socket.request(
            {"type": "chat.resume", "chat_id": self.chat_id,
             "after_seq": self.ledger.watermark(self.chat_id, CUSTOMER)})
        assert history.get("type") == "chat.history", history
        for message in history.get("messages", []):
            self.ledger.message_seen(self.chat_id, CUSTOMER, message)

    def on_push(self, frame: Frame) -> None:
        if frame.get("type") == "message":
            message = frame["message"]
            self.ledger.message_seen(message["chat_id"], CUSTOMER, message)
        elif frame.get("type") == "chat.ended":
            self.ended = True

    async def start_chat(self, after_s: float = 0.0) -> dict[str, Any]:
        await asyncio.sleep(after_s)
        await self.connect()
        started = await self.request({"type": "chat.start", "consent": True,
                                      "name": f"Customer {self.number}"})
        assert started.get("type") == "chat.started", started
        self.chat_id = started["chat"]["chat_id"]
        return dict(started["chat"])

    async def converse(self, messages: int, replies: int, pause: Callable[[], float]) -> None:
        """Say `messages - 1` things, wait for the operator's `replies`, say goodbye."""
        assert self.chat_id is not None
        for n in range(1, messages):
            await asyncio.sleep(pause())
            await self.send_message(self.chat_id, f"customer {self.number} says {n}")
        deadline = time.monotonic() + self.deadline_s
        while operator_messages(self.ledger, self.chat_id, CUSTOMER) < replies:
            if time.monotonic() > deadline:
                return  # the tally shows what went missing
            await asyncio.sleep(0.1)
        await self.send_message(self.chat_id, f"customer {self.number} says thanks, bye")


class Console(Party):
    """An operator's console: takes what it is assigned, opens it, replies until
    the chat has its operator messages, and drops what is taken away."""

    def __init__(self, api: Api, ledger: Ledger, email: str, password: str, max_chats: int,
                 replies: int, reply_pause: Callable[[], float], deadline_s: float) -> None:
        super().__init__(api, ledger, deadline_s)
        self.email = email
        self.password = password
        self.max_chats = max_chats
        self.replies = replies
        self.reply_pause = reply_pause
        self.token = ""
        self.party = ""
        self.held: set[str] = set()
        self.work: set[asyncio.Task[None]] = set()

    async def sign_in(self, service_id: str) -> None:
        login = await self.api.ok("POST", "/auth/login", {
            "service_id": service_id, "email": self.email, "password": self.password})
        self.token = login["token"]
        self.party = login["operator"]["operator_id"]

    async def come_online(self) -> None:
        await self.set_status("online")
        await self.connect()

    async def set_status(self, status: str) -> None:
        await self.api.ok("PUT", "/me/status", {"status": status}, self.token)

    async def ticket(self) -> tuple[str, str]:
        ticket = await self.api.ok("POST", "/auth/ws-ticket", {}, self.token)
        return ticket["ws_url"], ticket["ticket"]

    async def after_connect(self) -> None:
        """As the console does on every (re)connect: GET /chats, then resume each."""
        self.ledger.live_operators.add(self.party)
        listed = await self.api.ok("GET", "/chats", token=self.token)
        mine = set()
        for chat in listed["chats"]:
            current = await self.api.ok("GET", f"/chats/{chat['chat_id']}", token=self.token)
            if current["operator_id"] == self.party and current["status"] != "ended":
                mine.add(current["chat_id"])
        for chat_id in self.held - mine:  # taken away while the socket was dead
            self.release(chat_id, at=self.dark_since)
        for chat_id in mine & self.held:
            await self._resume_on(self.socket, chat_id)
        for chat_id in mine:
            self.take(chat_id)

    def went_dark(self) -> None:
        self.ledger.live_operators.discard(self.party)

    def on_push(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "message":
            message = frame["message"]
            self.ledger.message_seen(message["chat_id"], self.party, message)
        elif kind == "chat.assigned" and frame["chat"].get("operator_id") == self.party:
            self.take(frame["chat"]["chat_id"])
        elif kind == "chat.unassigned":
            self.release(frame["chat_id"])

    def take(self, chat_id: str) -> None:
        if chat_id in self.held:
            return
        self.held.add(chat_id)
        self.ledger.hold_started(self.party, chat_id, self.max_chats)
        task = asyncio.create_task(self._handle(chat_id))
        self.work.add(task)
        task.add_done_callback(self.work.discard)

    def release(self, chat_id: str, at: float | None = None) -> None:
        if chat_id in self.held:
            self.held.discard(chat_id)
            self.ledger.hold_ended(self.party, chat_id, at)

    def _resume_frame(self, chat_id: str) -> Frame:
        return {"type": "chat.resume", "chat_id": chat_id,
                "after_seq": self.ledger.watermark(chat_id, self.party)}

    def _record_history(self, chat_id: str, history: Frame) -> None:
        for message in history.get("messages", []):
            self.ledger.message_seen(chat_id, self.party, message)

    async def _resume_on(self, socket: Socket | None, chat_id: str) -> None:
        """Resume on a socket not yet handed out (during connect)."""
        assert socket is not None
        history = await socket.request(self._resume_frame(chat_id))
        assert history.get("type") == "chat.history", history
        self._record_history(chat_id, history)

    async def _handle(self, chat_id: str) -> None:
        """Open the chat, read it from the start, then reply while it is ours."""
        status, _ = await self.api.answer("POST", f"/chats/{chat_id}/open", token=self.token)
        if status != 200:  # no longer ours; its chat.unassigned says so too
            return
        self._record_history(chat_id, await self.request(self._resume_frame(chat_id)))
        while chat_id in self.held and \
                operator_messages(self.ledger, chat_id, self.party) < self.replies:
            await asyncio.sleep(self.reply_pause())
            if chat_id not in self.held:
                return
            sent = await self.send_message(chat_id, f"{self.email} answers")
            if sent.refused:
                # Requeued or ended while this console was dark (its chat.unassigned
                # went to a dead socket): the server says it is not ours any more.
                self.release(chat_id)
                return
            if sent.seq is None:
                return  # gave up at the deadline; the tally shows what is missing

    async def settled(self) -> None:
        """Every chat handled as far as it goes."""
        while self.work:
            await asyncio.gather(*self.work)

    async def go_offline(self) -> None:
        """Leave mid-chat: status offline (the chats go back to the queue), wait
        for sends in flight, then close the console."""
        await self.set_status("offline")
        await self.settled()
        await self.stop()
        self.ledger.live_operators.discard(self.party)
        for chat_id in list(self.held):
            self.release(chat_id)

    async def end_chats(self) -> None:
        """End every chat the server lists as ours (what the console shows)."""
        listed = await self.api.ok("GET", "/chats", token=self.token)
        for chat in listed["chats"]:
            await self.api.ok("POST", f"/chats/{chat['chat_id']}/end", token=self.token)
            self.release(chat["chat_id"])
