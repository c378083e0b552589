"""Issue 20 in the customer widget, in a real browser on the local stack, the
operator driven over the API.

- Blocking (R-BLK-1): a visitor the operator blocks from their chat sees the chat
  end with a neutral line; after a reload the widget says only "Chat is not
  available." (「現在チャットはご利用いただけません。」): no word about blocking, no
  form, no button to retry and nothing retried by itself. The same view when
  `chat.start` is refused `blocked`, and when the offline message form is
  refused `blocked` (a block of the address).
- Visitor context (R-VIS-1): while a chat is open, the loader reports the host
  page's views to the frame, which sends `page.view`: the page the chat starts
  on (with its referrer), a single-page app's pushState (without the fragment;
  the server drops the query by default), a full navigation to another page; at
  most one a second; nothing for a fragment alone, nothing once the chat has
  ended, nothing forged by another window; an `error` answer shows nothing.
- The strings away.js and offline.js load with themselves have every key and
  hole in every language.

Screenshots: docs/screenshots/widget-blocked.png, widget-blocked-ja.png.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import Customer
from tests.e2e.operator_client import Frame, Operator, settle
from tests.e2e.widget_page import HostSite, SocketLog, Widget, shop_page

pytestmark = pytest.mark.e2e

UNAVAILABLE = {"en": "Chat is not available.", "ja": "現在チャットはご利用いただけません。"}
BLOCK_WORDS = re.compile(r"block|ban|abus|ブロック|禁止|차단", re.I)


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture
def operator(admin: Operator, operator_account: Operator) -> Iterator[Operator]:
    """The demo operator, online, with a console socket and no chats."""
    settle(admin, operator_account, stay_online=True)
    _drain(operator_account)
    yield operator_account
    operator_account.end_all_chats()
    _drain(operator_account)


def _drain(account: Operator) -> None:
    account.seen.clear()
    with contextlib.suppress(queue.Empty):
        while True:
            account.frames.get_nowait()


def frame_for(page: Page, account: Operator, kind: str,
              where: Callable[[Frame], bool] = lambda f: True, timeout: float = 20.0) -> Frame:
    """The operator's next frame of this type, waiting while the browser runs (a
    test's WebSocket route passes the widget's frames on only while Playwright
    is called)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError):
            return account.wait_for(kind, where, timeout=0.2)
        page.wait_for_timeout(100)
    raise AssertionError(f"no {kind!r} frame within {timeout} s; saw {account.seen[-10:]}")


def frames_during(page: Page, account: Operator, kind: str, seconds: float) -> list[Frame]:
    """Every frame of this type the operator gets in the next `seconds`."""
    found: list[Frame] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError):
            found.append(account.wait_for(kind, timeout=0.1))
            continue
        page.wait_for_timeout(100)
    return found


def start_chat(page: Page, url: str | None, operator: Operator) -> tuple[Widget, str]:
    """The widget on `url` (None: the page already open), opened, consent given,
    the operator has the chat (and listens to it)."""
    if url:
        page.goto(url)
    widget = Widget(page)
    widget.open()
    widget.action("consent").click()
    expect(widget.input).to_be_visible()
    chat = frame_for(page, operator, "chat.assigned")["chat"]
    operator.call("POST", f"/chats/{chat['chat_id']}/open")
    operator.send({"type": "chat.resume", "id": "resume", "chat_id": chat["chat_id"],
                   "after_seq": 0})
    frame_for(page, operator, "chat.history", lambda f: f.get("re") == "resume")
    expect(widget.frame.locator(".log .msg.system").first).to_be_visible()
    return widget, chat["chat_id"]



def neutral(widget: Widget, lang: str = "en") -> None:
    """The neutral view: the one line, focused, and nothing else to do (no form,
    no link, no button but the header's), and not a word about a block."""
    expect(widget.unavailable).to_have_text(UNAVAILABLE[lang])
    expect(widget.unavailable).to_have_attribute("role", "status")
    for control in ("main button", "main a", "main input", "main textarea", "main form"):
        expect(widget.frame.locator(control)).to_have_count(0)
    assert not BLOCK_WORDS.search(widget.frame.locator("body").inner_text())


def session_calls(page: Page) -> list[str]:
    """The widget's `POST …/session` requests from now on."""
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url)
            if request.method == "POST" and request.url.endswith("/session") else None)
    return calls


# --- blocking (R-BLK-1) -----------------------------------------------------------------------


def test_a_blocked_visitor_sees_only_that_chat_is_not_available(
    page: Page, local_stack: LocalStack, shop: HostSite, operator: Operator, admin: Operator,
    screenshots: Path,
) -> None:
    url = shop.page("/blocked", shop_page(local_stack.base_url))
    widget, chat_id = start_chat(page, url, operator)
    widget.say("you are all useless")
    widget.settled()

    block = operator.call("POST", f"/chats/{chat_id}/block",
                          {"reason": "abusive language", "days": 1})
    try:
        assert block["chat_id"] == chat_id and block["ip"] is None
        # The chat ends with a neutral line; nothing says why.
        widget.wait_for_text("This chat has ended.")
        expect(widget.action("restart")).to_be_visible()
        assert not BLOCK_WORDS.search(widget.frame.locator("body").inner_text())

        # Back on the page: the session is refused (403 blocked), the neutral view.
        log = SocketLog(page.context, local_stack.ws_url)
        calls = session_calls(page)
        page.reload()
        expect(widget.iframe).to_be_visible()  # it was open: it opens again
        neutral(widget)
        expect(widget.unavailable).to_be_focused()
        expect(widget.title).to_have_text("Chat with us")
        widget.shot(screenshots, "blocked")
        widget.assert_accessible("blocked")
        # Nothing retried by itself: one session request, no socket.
        page.wait_for_timeout(4000)
        assert len(calls) == 1, calls
        assert log.opened == 0
        expect(widget.unavailable).to_be_visible()

        # In Japanese too.
        page.evaluate("window.HelpdeskChat.push(['language', 'ja'])")
        neutral(widget, "ja")
        widget.shot(screenshots, "blocked-ja")
        widget.assert_accessible("blocked (ja)")
        assert page.js_errors == []  # type: ignore[attr-defined]
    finally:
        admin.call("DELETE", f"/blocks/{block['block_id']}")

    # Lifted: the same visitor may chat again.
    page.reload()
    expect(widget.action("consent")).to_be_visible()


def test_a_chat_start_refused_as_blocked_shows_the_same_neutral_view(
    page: Page, local_stack: LocalStack, shop: HostSite, operator: Operator,
) -> None:
    log = SocketLog(page.context, local_stack.ws_url, {"chat.start": "blocked"})
    page.goto(shop.page("/start-refused", shop_page(local_stack.base_url)))
    widget = Widget(page)
    widget.open()
    widget.frame.locator("#hdc-name").fill("Someone")
    widget.action("consent").click()

    neutral(widget)
    expect(widget.action("consent")).to_have_count(0)
    opened = log.opened
    page.wait_for_timeout(3000)
    assert log.opened == opened == 1  # the socket is closed and not opened again
    assert len(log.of("chat.start")) == 1
    assert operator.call("GET", "/chats")["chats"] == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_blocked_address_gets_the_neutral_view_from_the_offline_form(
    page: Page, local_stack: LocalStack, shop: HostSite, operator: Operator, admin: Operator,
    operator_account: Operator,
) -> None:
    """Blocked with its IP address (every visitor here comes from loopback), a new
    visitor still sees the offline form when nobody is online (the config is
    public), but sending it is refused `blocked`: the neutral view, no form."""
    customer = Customer(local_stack.api_url)
    try:
        customer.start("Abusive Al")
        chat = operator.take_chat()
        block = operator.call("POST", f"/chats/{chat['chat_id']}/block",
                              {"reason": "spam", "days": 1, "include_ip": True})
    finally:
        customer.close()
    try:
        assert block["ip"]
        settle(admin, operator_account)  # nobody online: the absent popup and its form
        page.goto(shop.page("/offline-refused", shop_page(local_stack.base_url)))
        widget = Widget(page)
        widget.open()
        form = widget.frame.locator("#hdc-offline")
        form.locator("[name=name]").fill("Abusive Al")
        form.locator("[name=email]").fill(f"al.{uuid.uuid4().hex[:6]}@example.test")
        form.locator("[name=text]").fill("Let me in.")
        widget.frame.locator("#hdc-off-consent").check()
        with page.expect_response(lambda r: r.url.endswith("/offline-message")) as answer:
            widget.action("offline-send").click()
        assert answer.value.status == 403
        assert answer.value.json()["code"] == "blocked"
        neutral(widget)
        expect(widget.frame.locator("#hdc-offline")).to_have_count(0)
        assert page.js_errors == []  # type: ignore[attr-defined]
    finally:
        admin.call("DELETE", f"/blocks/{block['block_id']}")


# --- visitor context (R-VIS-1) ----------------------------------------------------------------


def test_the_operator_follows_the_pages_the_customer_visits(
    page: Page, local_stack: LocalStack, shop: HostSite, operator: Operator,
) -> None:
    base = shop.base_url
    api = local_stack.base_url
    shop.page("/from", shop_page(api, title="Search results",
                                 body='<a id="go" href="/landing?utm=mail">the shop</a>'))
    shop.page("/landing", shop_page(api, title="Welcome to the shop"))
    shop.page("/other", shop_page(api, title="Other page"))
    log = SocketLog(page.context, local_stack.ws_url)

    # The chat starts on /landing, reached by a link from /from (its referrer).
    page.goto(base + "/from")
    page.click("#go")
    page.wait_for_url(base + "/landing?utm=mail")
    widget, chat_id = start_chat(page, None, operator)

    def visitor() -> dict[str, Any]:
        return operator.call("GET", f"/chats/{chat_id}")["visitor"]

    def kept(url: str) -> Callable[[Frame], bool]:
        return lambda f: f["chat_id"] == chat_id and f["page"]["url"] == url

    # On load: the page the chat is on, its title and, this once, the referrer.
    first = wait_until(page, lambda: log.of("page.view"))[0][1]
    assert first == {"type": "page.view", "id": "page", "chat_id": chat_id,
                     "url": base + "/landing?utm=mail", "title": "Welcome to the shop",
                     "referrer": base + "/from"}
    found = wait_until(page, lambda: visitor()["current_page"])
    assert found["url"] == base + "/landing"  # the query dropped by default
    assert found["title"] == "Welcome to the shop"
    assert visitor()["referrer"] == base + "/from"

    # A single-page app's navigation: the address without its fragment (and,
    # kept by the server, without its query).
    widget.navigate_in_page("/products/42?x=1#frag", "Product 42")
    live = frame_for(page, operator, "visitor.page", kept(base + "/products/42"))
    assert live["page"]["title"] == "Product 42"
    sent = log.of("page.view")[-1][1]
    assert sent["url"] == base + "/products/42?x=1"
    assert "referrer" not in sent

    # Three more within a second: at most one report a second, the latest wins.
    before = len(log.of("page.view"))
    page.evaluate("""async () => {
        const wait = (ms) => new Promise((done) => setTimeout(done, ms));
        for (const path of ['/a', '/b', '/c']) {
            history.pushState({}, '', path);
            await wait(300);
        }
    }""")
    frame_for(page, operator, "visitor.page", kept(base + "/c"))
    burst = log.of("page.view")[before - 1:]
    assert [frame["url"] for _, frame in burst][-1] == base + "/c"
    assert len(burst) - 1 < 3, burst  # fewer reports than navigations
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(burst)]
    assert all(gap >= 0.95 for gap in gaps), gaps

    # Back (popstate) reports too; a fragment alone is no new page. (/b may have
    # been reported during the burst already: this is a new report.)
    _drain(operator)
    reported = len(log.of("page.view"))
    page.go_back()
    wait_until(page, lambda: len(log.of("page.view")) > reported)
    assert log.of("page.view")[-1][1]["url"] == base + "/b"
    frame_for(page, operator, "visitor.page", kept(base + "/b"))
    reported = len(log.of("page.view"))
    page.evaluate("location.hash = 'reviews'")
    page.wait_for_timeout(1800)
    assert len(log.of("page.view")) == reported

    # Another page of the site, loaded in full: the chat goes on there and reports it.
    page.goto(base + "/other")
    frame_for(page, operator, "visitor.page", kept(base + "/other"))
    last = log.of("page.view")[-1][1]
    assert last["title"] == "Other page" and "referrer" not in last
    pages = [p["url"] for p in visitor()["pages"]]
    assert pages[0] == base + "/landing" and pages[-1] == base + "/other"
    assert base + "/products/42" in pages
    assert visitor()["referrer"] == base + "/from"

    # Only the host page's own window may report: a frame of the same origin
    # inside it, a `javascript:` address, another site's address are ignored.
    reported = len(log.of("page.view"))
    page.evaluate("""() => {
        const widget = document.querySelector('helpdesk-chat').shadowRoot.querySelector('iframe');
        const origin = new URL(widget.src).origin;
        for (const url of ['javascript:alert(1)', 'https://evil.example/']) {
            widget.contentWindow.postMessage({ helpdesk: 1, type: 'page', url }, origin);
        }
        const inner = document.createElement('iframe');
        inner.srcdoc = '<script>parent.document.querySelector("helpdesk-chat").shadowRoot' +
          '.querySelector("iframe").contentWindow.postMessage({ helpdesk: 1, type: "page", ' +
          'url: parent.location.origin + "/forged" }, "*")<' +
          '/script>';
        document.body.append(inner);
    }""")
    page.wait_for_timeout(2000)
    assert len(log.of("page.view")) == reported
    assert not [p for p in visitor()["pages"] if "forged" in p["url"] or "evil" in p["url"]]

    # Once the chat has ended, nothing more is reported.
    operator.call("POST", f"/chats/{chat_id}/end")
    expect(widget.action("restart")).to_be_visible()
    widget.navigate_in_page("/after-the-end", "After")
    page.wait_for_timeout(2000)
    assert len(log.of("page.view")) == reported
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_refused_page_view_shows_the_customer_nothing(
    page: Page, local_stack: LocalStack, shop: HostSite, operator: Operator,
) -> None:
    log = SocketLog(page.context, local_stack.ws_url, {"page.view": "rate_limited"})
    widget, _ = start_chat(page, shop.page("/refused", shop_page(local_stack.base_url)), operator)
    wait_until(page, lambda: log.of("page.view"))
    widget.navigate_in_page("/products/7#top", "Product 7")
    wait_until(page, lambda: len(log.of("page.view")) >= 2)
    page.wait_for_timeout(500)
    expect(widget.status).to_have_text(re.compile(f"Chatting with {operator.name}"))
    expect(widget.frame.locator("[role=alert], .error")).to_have_count(0)
    widget.say("still here")
    widget.settled()
    assert widget.texts()[-1] == "still here"
    assert log.of("page.view")[-1][1]["url"] == shop.base_url + "/products/7"
    assert page.js_errors == []  # type: ignore[attr-defined]


def wait_until(page: Page, found: Callable[[], Any], timeout: float = 20.0) -> Any:
    """What `found()` returns once it is truthy, the browser running meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        page.wait_for_timeout(200)
    raise AssertionError(f"not within {timeout} s")
