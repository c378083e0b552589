"""The customer widget as a test sees it: the launcher in the host page's
Shadow DOM and the chat UI in its iframe."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, FrameLocator, Locator, Page, WebSocketRoute, expect

SNIPPET = ('<script async src="{base}/widget/loader.js" data-widget-key="demo" '
           'data-api="{base}/api"></script>')


def shop_page(base_url: str, *, lang: str = "en", before: str = "", copies: int = 1,
              title: str = "Shop", body: str = "") -> str:
    """A host page on another origin with the snippet pasted as a site would
    (absolute URLs, as GET /api/settings/widget-snippet gives them); `title` and
    `body` (markup after the heading, e.g. a link) as a test needs them."""
    snippet = SNIPPET.format(base=base_url)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,"><title>{title}</title>'
        "<style>*{font-family:serif!important} button{background:red!important}"
        "iframe{border:9px solid lime!important}</style></head>"
        f"<body><h1>Another shop</h1>{body}<script>{before}</script>"
        + snippet * copies + "</body></html>"
    )


class HostSite:
    """Another site on loopback (its own port, so its own origin) whose pages a
    test writes: the widget is embedded there as on a customer's site."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.pages: dict[str, str] = {}
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"

    def page(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.base_url + path


@contextmanager
def host_site() -> Iterator[HostSite]:
    site: HostSite

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.pages.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    site = HostSite(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


class Widget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.host: Locator = page.locator("helpdesk-chat")
        self.launcher: Locator = page.locator("helpdesk-chat button.launch")
        self.iframe: Locator = page.locator("helpdesk-chat iframe")
        self.frame: FrameLocator = page.frame_locator("helpdesk-chat iframe")

    def assert_accessible(self, where: str) -> None:
        """axe in the chat frame: no serious or critical violation."""
        from tests.e2e import axe

        frame = self.iframe.element_handle().content_frame()
        assert frame is not None
        axe.accessible(frame, where)

    # --- the parts of the UI ---------------------------------------------------

    @property
    def title(self) -> Locator:
        return self.frame.locator("#hdc-title")

    @property
    def status(self) -> Locator:
        return self.frame.locator("#hdc-status")

    @property
    def log(self) -> Locator:
        return self.frame.locator(".log")

    @property
    def messages(self) -> Locator:
        return self.frame.locator(".log .msg")

    @property
    def input(self) -> Locator:
        return self.frame.locator("#hdc-input")

    def notice(self, text: str) -> Locator:
        return self.frame.locator(".log .notice", has_text=text)

    def action(self, name: str) -> Locator:
        return self.frame.locator(f"[data-action={name}]")

    @property
    def unavailable(self) -> Locator:
        """The neutral "chat is not available" view's line (a blocked visitor)."""
        return self.frame.locator("#hdc-unavailable")

    # --- what a customer does --------------------------------------------------

    def open(self) -> None:
        self.launcher.click()
        expect(self.iframe).to_be_visible()
        expect(self.title).to_be_visible()

    def agree_and_start(self) -> None:
        self.action("consent").click()
        expect(self.input).to_be_visible()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def texts(self) -> list[str]:
        return [t.strip() for t in self.frame.locator(".log .msg .bubble").all_inner_texts()]

    def wait_for_text(self, text: str, timeout: float = 15000) -> None:
        expect(self.frame.locator(".log .msg .bubble", has_text=text).first).to_be_visible(
            timeout=timeout)

    def settled(self) -> None:
        """Nothing left in the outbox."""
        expect(self.frame.locator(".msg.pending")).to_have_count(0, timeout=15000)

    # --- files (R-ATT-1) -----------------------------------------------------------

    @property
    def attach_button(self) -> Locator:
        return self.action("attach")

    @property
    def file_chip(self) -> Locator:
        """The file waiting above the message box (`data-state`: asking,
        uploading, ready)."""
        return self.frame.locator("#hdc-file")

    @property
    def file_error(self) -> Locator:
        """Why the last file was refused."""
        return self.frame.locator("#hdc-file-error")

    def files_in_log(self) -> Locator:
        """The files shown in messages (drawn: a link, an image in it or not)."""
        return self.frame.locator(".log .msg a.file")

    def attach(self, name: str, mime: str, data: bytes) -> None:
        """Choose a file with the attach button's file chooser."""
        with self.page.expect_file_chooser() as chooser:
            self.attach_button.click()
        chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})

    def paste_file(self, name: str, mime: str, data: bytes) -> None:
        """Paste a file (a screenshot) into the message box, as the clipboard
        gives one: a `paste` event whose DataTransfer holds the File."""
        self.input.evaluate(
            """(input, [name, type, b64]) => {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], name, { type }));
                input.focus();
                input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data,
                  bubbles: true, cancelable: true }));
            }""",
            [name, mime, base64.b64encode(data).decode()],
        )

    def drop_file(self, name: str, mime: str, data: bytes) -> None:
        """Drag a file over the chat and drop it there."""
        self.frame.locator(".conversation").evaluate(
            """(chat, [name, type, b64]) => {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], name, { type }));
                const log = chat.querySelector('.log');
                for (const kind of ['dragenter', 'dragover', 'drop']) {
                  log.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true,
                    cancelable: true }));
                }
            }""",
            [name, mime, base64.b64encode(data).decode()],
        )

    # --- the host page (R-VIS-1) --------------------------------------------------

    def navigate_in_page(self, path: str, title: str | None = None) -> None:
        """A single-page app's navigation on the host page: the title set, then
        history.pushState to `path`."""
        self.page.evaluate(
            """([path, title]) => {
                if (title !== null) document.title = title;
                history.pushState({}, '', path);
            }""",
            [path, title],
        )

    def shot(self, folder: Path, name: str, **options: Any) -> None:
        self.page.wait_for_timeout(300)  # let transitions finish
        self.page.screenshot(path=str(folder / f"widget-{name}.png"), **options)


class SocketSwitch:
    """Every WebSocket of the context goes through here, so a test can cut them
    (as a network drop or API Gateway's limits would) and refuse new ones."""

    def __init__(self, context: BrowserContext, ws_url: str) -> None:
        self.down = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        context.route_web_socket(lambda url: url.startswith(ws_url), self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        if self.down:
            page_side.close(code=1011, reason="network down")
            return
        self.open.append((page_side, page_side.connect_to_server()))

    def cut(self) -> None:
        """Drop every open socket; new ones are refused until `restore()`."""
        self.down = True
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=1011, reason="network down")
        self.open.clear()

    def restore(self) -> None:
        self.down = False


def refuse(context: Any, ws_url: str, refusals: dict[str, str]) -> SocketLog:
    """The widget's WebSocket through a route that answers some frame types with the
    `error` the server sends when it refuses them (codes of API.md), and passes
    everything else on: the widget's side of those answers, whatever the server's
    limits are set to."""
    return SocketLog(context, ws_url, refusals)


class SocketLog:
    """Every WebSocket of the context through a route that keeps the frames the
    widget sends (with the time each was sent, `time.monotonic()`) and passes
    everything on; frame types in `refusals` are answered with the server's
    `error` (as `refuse` does) instead of being passed on."""

    def __init__(self, context: BrowserContext, ws_url: str,
                 refusals: dict[str, str] | None = None) -> None:
        self.sent: list[tuple[float, dict[str, Any]]] = []
        self.opened = 0
        self.refusals = refusals or {}
        context.route_web_socket(lambda url: url.startswith(ws_url), self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        self.opened += 1
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else {}
            self.sent.append((time.monotonic(), frame))
            code = self.refusals.get(frame.get("type"))
            if code:
                page_side.send(json.dumps({"type": "error", "re": frame.get("id"), "code": code,
                                           "message": "refused by the test"}))
            else:
                server_side.send(message)

        page_side.on_message(from_page)

    def of(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        """The frames of this type the widget sent, oldest first, with when."""
        return [(at, frame) for at, frame in self.sent if frame.get("type") == kind]
