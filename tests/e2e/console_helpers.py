"""What the console's browser tests share: a customer driven over the WebSocket API
(as the widget would be), the console's sign-in and screenshots."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.operator_client import (
    DEMO_PASSWORD,
    DEMO_SERVICE,
    FrameInbox,
    rest,
)

Frame = dict[str, Any]
VIEWPORT = {"width": 1440, "height": 900}


class Customer(FrameInbox):
    """A widget customer of the demo service, over `POST /widget/demo/session` and
    the WebSocket; every frame it receives is collected in the background."""

    def __init__(self, api_url: str, widget_key: str = DEMO_SERVICE) -> None:
        session = rest(api_url, "POST", f"/widget/{widget_key}/session", {})
        super().__init__()
        self.visitor_token: str = session["visitor_token"]
        self.chat: dict[str, Any] = {}
        self.socket: ClientConnection = connect(
            f"{session['ws_url']}?ticket={session['ticket']}", open_timeout=15, legacy=True
        )
        self.listen(self.socket)


    @property
    def chat_id(self) -> str:
        return str(self.chat["chat_id"])

    def send(self, frame: Frame) -> None:
        self.socket.send(json.dumps(frame))


    def start(self, name: str, email: str | None = None) -> dict[str, Any]:
        frame: Frame = {"type": "chat.start", "id": "start", "consent": True, "name": name}
        if email:
            frame["email"] = email
        self.send(frame)
        self.chat = self.wait_for("chat.started", lambda f: f.get("re") == "start")["chat"]
        return self.chat

    def say(self, text: str) -> int:
        client_msg_id = uuid.uuid4().hex
        self.send({"type": "message.send", "id": client_msg_id, "chat_id": self.chat_id,
                   "client_msg_id": client_msg_id, "text": text})
        ack = self.wait_for("message.ack", lambda f: f.get("client_msg_id") == client_msg_id)
        return int(ack["seq"])

    def typing(self) -> None:
        self.send({"type": "typing", "chat_id": self.chat_id})

    def wait_for_message(self, text: str, timeout: float = 20.0) -> Frame:
        return self.wait_for(
            "message", lambda f: (f.get("message") or {}).get("text") == text, timeout
        )["message"]

    def rate(self, score: int, comment: str = "") -> None:
        self.send({"type": "rating.submit", "id": "rate", "chat_id": self.chat_id,
                   "score": score, "comment": comment})
        self.wait_for("rating.saved", lambda f: f.get("re") == "rate")

    def leave(self) -> None:
        self.send({"type": "chat.leave", "id": "leave", "chat_id": self.chat_id})
        self.wait_for("chat.left", lambda f: f.get("re") == "leave")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.socket.close()


def sign_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """The console's login screen, as an operator would fill it in."""
    page.goto(base_url + "/console/")
    page.get_by_label("Service ID").fill(DEMO_SERVICE)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("operator-name")).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")


def shoot(page: Page, folder: Path, name: str) -> None:
    """docs/screenshots/console-<name>.png: the screen itself, without the caret and
    the passing notices (toasts) of the steps before."""
    page.evaluate(
        """() => {
            document.activeElement && document.activeElement.blur();
            document.querySelectorAll('.toast').forEach((toast) => toast.remove());
        }"""
    )
    page.wait_for_timeout(150)
    page.screenshot(path=str(folder / f"console-{name}.png"))
