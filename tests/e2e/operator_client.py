"""An operator (or admin) driven over the API, as the console would: REST with a
bearer token, and a WebSocket whose frames are collected in the background."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection, connect

Frame = dict[str, Any]
DEMO_SERVICE = "demo"
OPERATOR_EMAIL = "operator@demo.test"
ADMIN_EMAIL = "admin@demo.test"
DEMO_PASSWORD = "demo-password"


class ApiCallFailed(AssertionError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status


def rest(
    api_url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> Any:
    url = api_url + path
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the local stack is called: {url}")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback only
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise ApiCallFailed(error.code, error.read().decode(errors="replace")) from error
    return json.loads(raw) if raw else None


class FrameInbox:
    """The frames a WebSocket client receives, collected by a background reader."""

    def __init__(self) -> None:
        self.frames: queue.Queue[Frame] = queue.Queue()
        self.seen: list[Frame] = []

    def listen(self, socket: ClientConnection) -> None:
        def read() -> None:
            with contextlib.suppress(Exception):
                for raw in socket:
                    self.frames.put(json.loads(raw))

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, kind: str, where: Callable[[Frame], bool] = lambda f: True,
                 timeout: float = 20.0) -> Frame:
        """The first frame of this type (seen before or arriving) that matches."""
        for frame in self.seen:
            if frame.get("type") == kind and where(frame):
                self.seen.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self.frames.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if frame.get("type") == kind and where(frame):
                return frame
            self.seen.append(frame)
        raise AssertionError(f"no {kind!r} frame within {timeout} s; saw {self.seen[-10:]}")


class Operator(FrameInbox):
    """One signed-in account of the demo service."""

    def __init__(self, api_url: str, email: str = OPERATOR_EMAIL,
                 password: str = DEMO_PASSWORD) -> None:
        self.api_url = api_url
        login = rest(api_url, "POST", "/auth/login",
                     {"service_id": DEMO_SERVICE, "email": email, "password": password})
        self.token: str = login["token"]
        self.operator_id: str = login["operator"]["operator_id"]
        self.name: str = login["operator"]["name"]
        super().__init__()
        self.socket: ClientConnection | None = None
        self._closing = contextlib.ExitStack()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return rest(self.api_url, method, path, body, self.token)

    def set_status(self, status: str) -> None:
        self.call("PUT", "/me/status", {"status": status})

    def connect(self) -> None:
        ticket = self.call("POST", "/auth/ws-ticket")
        self.socket = self._closing.enter_context(
            connect(f"{ticket['ws_url']}?ticket={ticket['ticket']}", open_timeout=15))
        self.listen(self.socket)


    def send(self, frame: Frame) -> None:
        assert self.socket is not None, "connect() first"
        self.socket.send(json.dumps(frame))


    def say(self, chat_id: str, text: str) -> int:
        """Send a message over the WebSocket; returns its seq."""
        client_msg_id = uuid.uuid4().hex
        self.send({"type": "message.send", "id": client_msg_id, "chat_id": chat_id,
                   "client_msg_id": client_msg_id, "text": text})
        ack = self.wait_for("message.ack", lambda f: f.get("client_msg_id") == client_msg_id)
        return int(ack["seq"])

    def typing(self, chat_id: str) -> None:
        self.send({"type": "typing", "chat_id": chat_id})

    def take_chat(self, timeout: float = 20.0) -> dict[str, Any]:
        """The next chat assigned to this operator, opened and listened to."""
        assigned = self.wait_for("chat.assigned", timeout=timeout)
        chat = assigned["chat"]
        self.call("POST", f"/chats/{chat['chat_id']}/open")
        self.send({"type": "chat.resume", "id": "resume", "chat_id": chat["chat_id"],
                   "after_seq": 0})
        self.wait_for("chat.history", lambda f: f.get("re") == "resume")
        return chat

    def messages(self, chat_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/chats/{chat_id}/messages?after_seq=0")["messages"]

    def end_all_chats(self) -> None:
        for chat in self.call("GET", "/chats")["chats"]:
            with contextlib.suppress(ApiCallFailed):
                self.call("POST", f"/chats/{chat['chat_id']}/end")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._closing.close()
        with contextlib.suppress(Exception):
            self.call("POST", "/auth/logout")


def settle(admin: Operator, operator: Operator, *, stay_online: bool = False) -> None:
    """Nobody open or queued (earlier tests may leave some): the admin offline,
    and the demo operator takes whatever waits and ends it; then offline too,
    unless `stay_online` (the only operator who may take the next chat)."""
    admin.set_status("offline")
    admin.end_all_chats()
    for _ in range(20):
        operator.set_status("online")  # takes whatever waits in the queue…
        operator.end_all_chats()  # …and ends it
        if operator.call("GET", "/chats")["waiting"] == 0:
            break
    if not stay_online:
        operator.set_status("offline")
        operator.end_all_chats()
