"""R-ALERT-1 in a real browser: a new chat and a customer's message alert the
operator with the console in the background (sound, desktop notification, the
count in the tab title, a dot on the favicon); an unopened chat alerts again after
30 s; reading the chat clears it all; the chat list keeps the last message and the
unread count across a reload (GET /chats), and the read is stored (POST /read)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import VIEWPORT, shoot, sign_in
from tests.e2e.operator_client import OPERATOR_EMAIL, Operator

pytestmark = pytest.mark.e2e

BASE_TITLE = "Operator console · Help desk"

# Before any of the console's code runs:
# - window.Notification is wrapped so every notification made is recorded
#   (title, body, tag, closed) in window.__notifications, the objects themselves in
#   window.__shown (a test clicks one as the desktop would), and permission
#   requests are counted in window.__permissionRequests;
# - every oscillator started (the alert blip) is counted in window.__blips;
# - the tab can be sent to the background with window.__setBackground(true).
#   Headless Chromium cannot really do that: a second tab brought to the front
#   leaves this one "visible", and Playwright emulates focus for every page, so
#   document.hasFocus() stays true. So the override makes visibilityState
#   "hidden", document.hidden true and hasFocus() false, and fires the
#   visibilitychange and blur events a real switch of tabs fires.
INIT_SCRIPT = """
(() => {
  window.__notifications = [];
  window.__shown = [];
  window.__permissionRequests = 0;
  const Real = window.Notification;
  if (Real) {
    class Recorded extends Real {
      constructor(title, options = {}) {
        const record = { title, body: options.body || "", tag: options.tag || "", closed: false };
        window.__notifications.push(record);
        super(title, options);
        const close = this.close.bind(this);
        this.close = () => { record.closed = true; close(); };
        window.__shown.push(this);
      }
      static get permission() { return Real.permission; }
      static requestPermission(...args) {
        window.__permissionRequests += 1;
        return Real.requestPermission(...args);
      }
    }
    window.Notification = Recorded;
  }

  window.__blips = 0;
  if (window.AudioContext) {
    const createOscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      const oscillator = createOscillator.call(this);
      const start = oscillator.start;
      oscillator.start = function (...args) {
        window.__blips += 1;
        return start.apply(this, args);
      };
      return oscillator;
    };
  }

  let background = false;
  const visibility = Object.getOwnPropertyDescriptor(Document.prototype, "visibilityState");
  const hidden = Object.getOwnPropertyDescriptor(Document.prototype, "hidden");
  const hasFocus = Document.prototype.hasFocus;
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (background ? "hidden" : visibility.get.call(document)),
  });
  Object.defineProperty(document, "hidden", {
    configurable: true, get: () => background || hidden.get.call(document),
  });
  document.hasFocus = () => !background && hasFocus.call(document);
  window.__setBackground = (value) => {
    background = value;
    document.dispatchEvent(new Event("visibilitychange"));
    window.dispatchEvent(new Event(value ? "blur" : "focus"));
  };
})();
"""


@pytest.fixture
def alert_console(
    browser: Browser, local_stack: LocalStack, nobody_online: None
) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A console profile allowed to show notifications, with the recorders above."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.add_init_script(INIT_SCRIPT)
    errors: list[str] = []
    yield context, errors
    context.close()
    assert errors == [], f"JavaScript errors in the console: {errors}"


def open_console(context: BrowserContext, errors: list[str], base_url: str, *,
                 fake_clock: bool = False) -> Page:
    """The demo operator's console, online; with `fake_clock` the page's clock
    (Date, timers) is Playwright's, which runs on its own and can jump ahead."""
    page = context.new_page()
    if fake_clock:
        page.clock.install()
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base_url, OPERATOR_EMAIL)  # the click that allows sound
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()
    return page


def notifications(page: Page, tag: str) -> list[dict[str, str]]:
    return [n for n in page.evaluate("window.__notifications") if n["tag"] == tag]


def wait_for_notifications(page: Page, tag: str, count: int, timeout_ms: float = 15000) -> None:
    page.wait_for_function(
        "([tag, count]) => window.__notifications.filter((n) => n.tag === tag).length >= count",
        arg=[tag, count], timeout=timeout_ms,
    )


def blips(page: Page) -> int:
    return int(page.evaluate("window.__blips"))


def favicon(page: Page) -> Any:
    return page.locator("link[rel~='icon']")


def chat_item(page: Page, name: str) -> Any:
    return page.get_by_test_id("chat-list").locator(".chat-item", has_text=name)


def test_a_background_console_alerts_until_the_chat_is_read(
    local_stack: LocalStack, alert_console: tuple[BrowserContext, list[str]], customers: Any,
    screenshots: Path,
) -> None:
    context, errors = alert_console
    context.grant_permissions(["notifications"], origin=local_stack.base_url)
    page = open_console(context, errors, local_stack.base_url, fake_clock=True)
    # Allowed already: no button to ask, and nothing was asked on load.
    expect(page.get_by_test_id("enable-notifications")).to_be_hidden()
    assert page.evaluate("window.__permissionRequests") == 0
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_title(BASE_TITLE)
    plain_icon = favicon(page).get_attribute("href")
    read_marks: list[str] = []
    page.on("request", lambda r: read_marks.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/read") else None)

    page.evaluate("window.__setBackground(true)")
    customer = customers()
    customer.start("Aiko Alert")
    tag = f"chat-{customer.chat_id}"

    # A new chat: the title counts it, the favicon has its dot, a notification and a sound.
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    expect(favicon(page)).to_have_attribute("href", re.compile("circle"))
    wait_for_notifications(page, tag, 1)
    first = notifications(page, tag)[0]
    assert (first["title"], first["body"]) == ("Aiko Alert", "New chat request")
    assert blips(page) >= 1

    # Not opened: it alerts again after 30 s of the page's clock (moved on, not
    # waited for), the same chat's tag; not before.
    page.clock.fast_forward(25_000)
    page.wait_for_timeout(300)
    assert len(notifications(page, tag)) == 1
    page.clock.fast_forward(6_000)
    wait_for_notifications(page, tag, 2)
    assert notifications(page, tag)[1]["body"].startswith("Still waiting")
    assert blips(page) >= 2

    # Customer messages in a chat not on screen: alerted, and counted. The first
    # message takes the place of "a new chat" in the count, the second adds one.
    customer.say("Where is my parcel? " + "x" * 300)
    page.wait_for_function(
        "(tag) => window.__notifications.some((n) => n.tag === tag && n.body.startsWith('Where'))",
        arg=tag,
    )
    message_alert = next(n for n in notifications(page, tag) if n["body"].startswith("Where"))
    assert message_alert["title"] == "Aiko Alert"
    assert message_alert["body"].startswith("Where is my parcel? xxx")
    assert len(message_alert["body"]) <= 120  # truncated
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    customer.say("Hello?")
    expect(page).to_have_title(f"(2) {BASE_TITLE}")
    item = chat_item(page, "Aiko Alert")
    expect(item.get_by_test_id("unread-badge")).to_have_attribute("data-count", "2")
    expect(item).to_contain_text("2 unread")
    expect(item.locator(".chat-item-preview")).to_have_text("Hello?")

    # Back to the tab: the list alone reads nothing. Clicking the notification (as
    # the desktop would) opens the chat and closes it: read, so the count and the dot go.
    page.evaluate("window.__setBackground(false)")
    expect(page).to_have_title(f"(2) {BASE_TITLE}")
    page.evaluate("(tag) => window.__shown.filter((n) => n.tag === tag).at(-1).onclick()", tag)
    expect(page).to_have_url(re.compile(rf"#/chats/{re.escape(customer.chat_id)}$"))
    assert notifications(page, tag)[-1]["closed"] is True
    expect(page.get_by_test_id("conversation-name")).to_have_text("Aiko Alert")
    expect(page).to_have_title(BASE_TITLE)
    expect(favicon(page)).to_have_attribute("href", plain_icon or "")
    expect(item.get_by_test_id("unread-badge")).to_have_count(0)
    deadline = time.monotonic() + 5  # the read is sent once, shortly after
    while not read_marks and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert read_marks and '"seq"' in read_marks[-1]

    # The chat on screen, the tab in front: its messages alert nothing.
    notified = len(page.evaluate("window.__notifications"))
    sounded = blips(page)
    customer.say("Found the tracking number")
    expect(page.locator(".conversation-pane .msg-customer .msg-text").last).to_have_text(
        "Found the tracking number")
    page.wait_for_timeout(500)
    expect(page).to_have_title(BASE_TITLE)
    assert len(page.evaluate("window.__notifications")) == notified
    assert blips(page) == sounded

    # My answer is "You: …" in the list.
    composer = page.locator(".composer-input")
    composer.fill("Thanks, checking now")
    composer.press("Enter")
    expect(item.locator(".chat-item-preview")).to_have_text("You: Thanks, checking now")

    # Another screen: the chat is not on screen any more, its next message counts.
    page.locator("[data-nav=chats]").click()
    expect(page).to_have_url(re.compile(r"#/chats$"))
    customer.say("Are you there?")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    expect(favicon(page)).to_have_attribute("href", re.compile("circle"))
    expect(item.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    assert len(page.evaluate("window.__notifications")) == notified  # the tab is in front

    # After a reload the list has it all from GET /chats: the last message and
    # 1 unread (the earlier ones were stored as read).
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    item = chat_item(page, "Aiko Alert")
    expect(item.locator(".chat-item-preview")).to_have_text("Are you there?")
    expect(item.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    expect(item).to_contain_text("1 unread")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    expect(favicon(page)).to_have_attribute("href", re.compile("circle"))
    shoot(page, screenshots, "alerts")
    item.click()
    expect(page).to_have_title(BASE_TITLE)


def test_sound_is_per_operator_and_notifications_are_asked_for_only_on_a_click(
    local_stack: LocalStack, alert_console: tuple[BrowserContext, list[str]], customers: Any,
) -> None:
    context, errors = alert_console  # no permission granted: the browser has not been asked
    page = open_console(context, errors, local_stack.base_url)
    operator_id = page.evaluate(
        "JSON.parse(sessionStorage.getItem('console.session')).operator.operator_id")

    # Nothing asked on load; the header offers to.
    assert page.evaluate("Notification.permission") == "default"
    enable = page.get_by_test_id("enable-notifications")
    expect(enable).to_be_visible()
    expect(enable).to_have_text("Enable desktop notifications")
    assert page.evaluate("window.__permissionRequests") == 0

    # Sound off: remembered for this operator, across a reload; no blip for a new chat.
    toggle = page.get_by_test_id("sound-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text("Sound")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(f"localStorage.getItem('console.alerts.sound.{operator_id}')") == "off"
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "false")
    page.locator("body").click()  # a click: sound would be allowed now
    customers().start("Quiet Customer")
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    page.wait_for_timeout(500)
    assert blips(page) == 0

    # On again: the next alert sounds.
    page.get_by_test_id("sound-toggle").click()
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "true")
    customers().start("Loud Customer")
    expect(page).to_have_title(f"(2) {BASE_TITLE}")
    page.wait_for_function("window.__blips >= 1")

    # The button asks the browser (from the click, not before). Playwright answers
    # a prompt it did not expect with "denied": the console says where to allow them.
    assert page.evaluate("window.__permissionRequests") == 0
    page.get_by_test_id("enable-notifications").click()
    page.wait_for_function("window.__permissionRequests === 1")
    expect(page.get_by_test_id("enable-notifications")).to_be_hidden()
    expect(page.locator(".toast", has_text="blocked")).to_be_visible()


def test_an_offline_ticket_alerts_and_opens_the_ticket(
    local_stack: LocalStack, alert_console: tuple[BrowserContext, list[str]],
) -> None:
    """`ticket.created` (offline messages, R-OFF-1) alerts with its subject; the
    notification's click opens the ticket. The frame is played into the page's
    socket as the server sends it."""
    context, errors = alert_console
    context.grant_permissions(["notifications"], origin=local_stack.base_url)
    pages: list[Any] = []

    def route(page_side: Any) -> None:
        server_side = page_side.connect_to_server()
        pages.append((page_side, server_side))

    context.route_web_socket(lambda url: url.startswith(local_stack.ws_url), route)
    page = open_console(context, errors, local_stack.base_url)
    page.evaluate("window.__setBackground(true)")
    assert pages, "the console's socket did not go through the route"
    page_side = pages[-1][0]
    page_side.send('{"type": "ticket.created", "ticket": {"ticket_id": "t-123", "number": 42,'
                   ' "subject": "Refund for order 1042", "channel": "offline_form"}}')
    wait_for_notifications(page, "ticket-t-123", 1)
    found = notifications(page, "ticket-t-123")[0]
    assert found["title"] == "New ticket #42"
    assert found["body"] == "Refund for order 1042"
    assert blips(page) >= 1
    assert page.title() == BASE_TITLE  # tickets are not chats: no count

    page.evaluate("window.__setBackground(false)")
    page.evaluate("window.__shown.at(-1).onclick()")
    expect(page).to_have_url(re.compile(r"#/tickets/t-123$"))
    assert notifications(page, "ticket-t-123")[0]["closed"] is True


def test_a_chat_transferred_to_me_alerts_with_who_sent_it_and_the_note(
    local_stack: LocalStack,
    alert_console: tuple[BrowserContext, list[str]],
    customers: Any,
    admin: Operator,
) -> None:
    context, errors = alert_console
    context.grant_permissions(["notifications"], origin=local_stack.base_url)
    page = open_console(context, errors, local_stack.base_url)
    operator_id = page.evaluate(
        "JSON.parse(sessionStorage.getItem('console.session')).operator.operator_id"
    )
    # The admin holds a chat (the console's operator on a break meanwhile)...
    page.get_by_test_id("status").select_option("break")
    expect(page.locator(".status-dot.status-break")).to_be_visible()
    admin.set_status("online")
    customer = customers()
    customer.start("Taro Transfer")
    chat_id = customer.chat_id
    admin.call("POST", f"/chats/{chat_id}/open")
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()
    page.evaluate("window.__setBackground(true)")

    # ...and hands it over with a note: alerted as a chat new to me.
    admin.call("POST", f"/chats/{chat_id}/transfer",
               {"operator_id": operator_id, "note": "Wants a refund for order 1042"})
    tag = f"chat-{chat_id}"
    wait_for_notifications(page, tag, 1)
    found = notifications(page, tag)[0]
    assert found["title"] == "Taro Transfer"
    assert found["body"] == f"Transferred to you by {admin.name}: Wants a refund for order 1042"
    expect(page).to_have_title(f"(1) {BASE_TITLE}")
    expect(favicon(page)).to_have_attribute("href", re.compile("circle"))
    admin.set_status("offline")
