"""What the console's browser tests share: a customer driven over the WebSocket API
(as the widget would be), the console's sign-in and screenshots."""

from __future__ import annotations

import contextlib
import json
import struct
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.operator_client import (
    DEMO_PASSWORD,
    DEMO_SERVICE,
    ApiCallFailed,
    FrameInbox,
    Operator,
    rest,
)

Frame = dict[str, Any]
VIEWPORT = {"width": 1440, "height": 900}


class Customer(FrameInbox):
    """A widget customer of the demo service, over `POST /widget/demo/session` and
    the WebSocket; every frame it receives is collected in the background."""

    def __init__(self, api_url: str, widget_key: str = DEMO_SERVICE,
                 visitor_token: str | None = None) -> None:
        """A new visitor, or the one `visitor_token` names coming back (its earlier
        chats are its own)."""
        body = {"visitor_token": visitor_token} if visitor_token else {}
        session = rest(api_url, "POST", f"/widget/{widget_key}/session", body)
        super().__init__()
        self.customer_id: str | None = session.get("customer_id")
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

    def page_view(self, url: str, title: str | None = None,
                  referrer: str | None = None) -> None:
        """The host page the customer is on, as the widget reports it (R-VIS-1):
        `page.view`, no reply (the server keeps at most one a second)."""
        frame: Frame = {"type": "page.view", "chat_id": self.chat_id, "url": url}
        if title is not None:
            frame["title"] = title
        if referrer is not None:
            frame["referrer"] = referrer
        self.send(frame)

    def upload(self, filename: str, content_type: str, data: bytes) -> Frame:
        """A file as the widget sends one (R-ATT-1): `attachment.request`, then the
        presigned POST straight to the file store; returns the `attachment.upload`
        frame (its `attachment_id` and the cleaned `filename`)."""
        request_id = f"att-{uuid.uuid4().hex[:8]}"
        self.send({"type": "attachment.request", "id": request_id, "chat_id": self.chat_id,
                   "filename": filename, "content_type": content_type, "size": len(data)})
        ticket = self.wait_for("attachment.upload", lambda f: f.get("re") == request_id)
        status = post_to_store(ticket["upload"], filename, content_type, data)
        assert status < 300, f"the file store refused the upload: HTTP {status}"
        return ticket

    def send_attachment(self, ticket: Frame, text: str = "") -> int:
        """Send an uploaded file (its `attachment.upload` frame) in a message, with
        `text` (maybe empty); returns the message's seq."""
        client_msg_id = uuid.uuid4().hex
        frame: Frame = {"type": "message.send", "id": client_msg_id, "chat_id": self.chat_id,
                        "client_msg_id": client_msg_id, "attachment_id": ticket["attachment_id"]}
        if text:
            frame["text"] = text
        self.send(frame)
        ack = self.wait_for("message.ack", lambda f: f.get("client_msg_id") == client_msg_id)
        return int(ack["seq"])

    def send_file(self, filename: str, content_type: str, data: bytes, text: str = "") -> int:
        """Upload a file and send it in a message; returns the message's seq."""
        return self.send_attachment(self.upload(filename, content_type, data), text)

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


# --- files (R-ATT-1) ----------------------------------------------------------------------


def post_to_store(upload: dict[str, Any], filename: str, content_type: str, data: bytes) -> int:
    """The presigned POST a browser makes: every field in order, then the file as
    `file` (last), as multipart/form-data; returns the HTTP status."""
    url = upload["url"]
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the local stack's file store is called: {url}")
    boundary = f"----helpdesk{uuid.uuid4().hex}"
    parts: list[bytes] = []
    fields = upload["fields"].items() if isinstance(upload["fields"], dict) else upload["fields"]
    for key, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f"{value}\r\n".encode())
    quoted = filename.replace('"', "%22")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{quoted}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                 + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def png_bytes(width: int = 240, height: int = 160,
              rgb: tuple[int, int, int] = (37, 99, 235)) -> bytes:
    """A real PNG (a coloured picture with a white band), made without an imaging
    library."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        colour = (255, 255, 255) if height // 3 <= y < height // 3 + height // 6 else rgb
        rows.extend(bytes(colour) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def pdf_bytes(text: str = "Invoice 2026-04", padding: int = 0) -> bytes:
    """A small valid PDF of one page saying `text` (ASCII), `padding` bytes of
    comment added to make it as large as a test needs."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    for start in range(0, padding, 64):
        out += b"%" + b"x" * (min(64, padding - start) - 1) + b"\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


# --- the console ----------------------------------------------------------------------------


class Consoles:
    """Consoles (and customers' widgets) in browser profiles of their own (1440 by
    900, downloads accepted); `errors` collects every JavaScript error of their
    pages, for the `consoles` fixture to assert there were none."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def _page(self, locale: str, label: str = "") -> Page:
        context = self.browser.new_context(viewport=VIEWPORT, locale=locale,
                                           accept_downloads=True)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{label}{error}"))
        return page

    def open(self, base_url: str, email: str, locale: str = "en-US") -> Page:
        """A console signed in as `email`."""
        page = self._page(locale)
        sign_in(page, base_url, email)
        return page

    def widget(self, base_url: str) -> Any:
        """A customer on the demo page, the chat window open and the chat started."""
        from tests.e2e.widget_page import Widget

        page = self._page("en-US", "widget: ")
        page.goto(base_url + "/")
        widget = Widget(page)
        widget.open()
        widget.agree_and_start()
        return widget

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


def go_online(page: Page) -> None:
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()


def open_chat(page: Page, name: str) -> str:
    """Open the chat of the list with this customer's name; returns its id."""
    item = page.get_by_test_id("chat-list").locator(".chat-item", has_text=name)
    expect(item).to_be_visible(timeout=20000)
    item.click()
    expect(page.locator(".composer-input")).to_be_enabled()
    return str(item.get_attribute("data-chat-id"))


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


def expect_admin_only(page: Page, base_url: str, nav: str, route: str) -> None:
    """A signed-in operator (not an admin) has no `nav` entry, and at `#/<route>`
    gets the admin-only page."""
    expect(page.locator(".sidebar").get_by_role("link", name=nav)).to_have_count(0)
    page.goto(f"{base_url}/console/#/{route}")
    expect(page.get_by_test_id("admin-only")).to_be_visible()


@contextlib.contextmanager
def deleting_what_is_added(admin: Operator, listing: str, key: str,
                           id_field: str) -> Iterator[None]:
    """Delete (`DELETE <listing>/<id>`) every item of `GET <listing>` that was
    not there before: a module's clean-up on the shared local stack."""
    before = {item[id_field] for item in admin.call("GET", listing)[key]}
    yield
    for item in admin.call("GET", listing)[key]:
        if item[id_field] not in before:
            with contextlib.suppress(ApiCallFailed):
                admin.call("DELETE", f"{listing}/{item[id_field]}")
