"""Every screen of the console and of the widget runs with its Content-Security-
Policy on and breaks none of it (R-SEC-H); the headers are there; a page that is
not among a service's allowed origins cannot frame the chat (R-SEC-5).

Violations are collected from every frame of the browser context: the
`securitypolicyviolation` events (an init script reports them to the test) and
any console message about the Content Security Policy. The demo page has a
strict policy of its own (no 'unsafe-inline'), so the widget's loader is
checked as it runs on a host page that allows nothing inline."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import VIEWPORT, Customer, sign_in
from tests.e2e.operator_client import ADMIN_EMAIL, Operator
from tests.e2e.operator_client import settle as settle_floor
from tests.e2e.widget_page import Widget, host_site, shop_page

pytestmark = pytest.mark.e2e

REPORT = "__helpdeskCspViolation"
SPY = """
window.addEventListener('securitypolicyviolation', (event) => {
  window.REPORT({
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
}, true);
""".replace("REPORT", REPORT)


class CspSpy:
    """What broke a policy anywhere in one browser context."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[dict[str, Any]] = []
        context.expose_binding(REPORT, self._reported)
        context.add_init_script(SPY)

    def _reported(self, source: dict[str, Any], violation: dict[str, Any]) -> None:
        self.violations.append({**violation, "frame": source["frame"].url})

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.I):
            self.violations.append({"console": message.text})

    def assert_clean(self) -> None:
        assert self.violations == [], "CSP violations:\n" + "\n".join(map(str, self.violations))


def response_headers(url: str) -> dict[str, str]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the local stack is asked: {url}")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return {name.lower(): value for name, value in response.headers.items()}


def directives(policy: str) -> dict[str, str]:
    found = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            found[name] = value.strip()
    return found


@pytest.fixture(scope="module")
def accounts(local_stack: LocalStack) -> Iterator[dict[str, Operator]]:
    admin = Operator(local_stack.api_url, email=ADMIN_EMAIL)
    operator = Operator(local_stack.api_url)
    operator.connect()
    yield {"admin": admin, "operator": operator}
    for account in (operator, admin):
        account.set_status("offline")
        account.end_all_chats()
        account.close()


@pytest.fixture
def quiet(accounts: dict[str, Operator]) -> Iterator[dict[str, Operator]]:
    """Nobody online, nothing open, nobody queued, before and after."""

    def settle() -> None:
        settle_floor(accounts["admin"], accounts["operator"])
        accounts["operator"].seen.clear()

    settle()
    yield accounts
    settle()


@pytest.fixture
def spied(browser: Browser) -> Iterator[tuple[BrowserContext, CspSpy]]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
    spy = CspSpy(context)
    yield context, spy
    context.close()


# --- the headers ----------------------------------------------------------------------


def test_the_console_demo_page_and_chat_frame_carry_their_security_headers(
    local_stack: LocalStack,
) -> None:
    base = local_stack.base_url
    console = response_headers(base + "/console/")
    policy = directives(console["content-security-policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in console["content-security-policy"]
    assert console["x-frame-options"] == "DENY"

    demo = response_headers(base + "/")
    assert "unsafe-inline" not in demo["content-security-policy"]
    assert directives(demo["content-security-policy"])["frame-src"] == base

    frame = response_headers(local_stack.api_url + "/widget/demo/frame")
    assert frame["content-type"].startswith("text/html")
    frame_policy = directives(frame["content-security-policy"])
    assert frame_policy["default-src"] == "'none'" and frame_policy["script-src"] == base
    assert frame_policy["frame-ancestors"] == "*"  # the demo service has no allowed_origins
    assert frame["cache-control"] == "no-store"

    for answer in (console, demo, frame, response_headers(base + "/widget/loader.js"),
                   response_headers(base + "/widget/app.js"),
                   response_headers(base + "/console/js/app.js")):
        assert answer["x-content-type-options"] == "nosniff"
        assert answer["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin",
                                             "same-origin")


# --- the console ------------------------------------------------------------------------


def test_every_console_screen_keeps_to_its_policy(
    local_stack: LocalStack, quiet: dict[str, Operator],
    spied: tuple[BrowserContext, CspSpy],
) -> None:
    context, spy = spied
    page = spy.watch(context.new_page())
    page.goto(local_stack.base_url + "/console/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    sign_in(page, local_stack.base_url, ADMIN_EMAIL)
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()
    customer = Customer(local_stack.api_url)
    try:
        # Chats, with an open chat: conversation, customer info, a ticket from it.
        customer.start("Policy Customer", email="policy@example.com")
        item = page.get_by_test_id("chat-list").locator(".chat-item", has_text="Policy Customer")
        item.click()
        expect(page.get_by_test_id("conversation-name")).to_have_text("Policy Customer")
        customer.say("Is this page strict?")
        expect(page.locator(".msg-customer .msg-text").last).to_have_text("Is this page strict?")
        page.locator(".composer-input").fill("Very strict.")
        page.locator(".composer-input").press("Enter")
        customer.wait_for_message("Very strict.")
        page.locator("[data-action=ticket]").click()
        page.locator("dialog").get_by_role("button", name="Create").click()
        page.locator(".toast", has_text="Ticket created.").get_by_role(
            "button", name="Open ticket").click()
        expect(page).to_have_url(re.compile(r"#/tickets/"))
        page.get_by_role("tab", name="Chat history").click()
        expect(page.get_by_test_id("ticket-chat-history")).to_contain_text("Policy Customer")

        page.goto(f"{local_stack.base_url}/console/#/chats/{customer.chat_id}")
        page.locator("[data-action=end]").click()
        page.locator("dialog.dialog [data-confirm]").click()
        expect(page).to_have_url(re.compile(r"#/chats$"))
    finally:
        customer.close()

    # Chat History with its detail, and the export download (a frame on S3's origin).
    page.get_by_role("link", name="Chat history").click()
    table = page.get_by_test_id("history-table")
    table.locator("tbody tr", has_text="Policy Customer").first.click()
    expect(page.get_by_test_id("history-detail").locator(".msg-operator .msg-text")).to_have_text(
        "Very strict.")
    with page.expect_download(timeout=60000) as downloading:
        page.get_by_test_id("history-filters").locator("[data-action=export]").click()
    assert downloading.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name="Tickets", exact=True).click()
    expect(page.get_by_test_id("tickets-table")).to_contain_text("Policy Customer")
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_test_id("stats-chart").locator("svg .chart-day").first).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_test_id("widget-snippet")).to_contain_text("<script")
    page.get_by_role("link", name="Categories").click()
    expect(page.get_by_test_id("category-tree")).to_contain_text("Refunds")
    page.get_by_role("link", name="Operators").click()
    expect(page.get_by_test_id("operators-table")).to_contain_text("operator@demo.test")
    page.get_by_role("link", name="Monitor").click()
    expect(page.get_by_test_id("monitor-queue-length")).not_to_have_text("—")
    page.get_by_role("link", name="Blocks").click()
    expect(page.get_by_test_id("blocks-table")).to_be_attached()
    expect(page.get_by_test_id("blocks-message")).not_to_have_text("Loading…")
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_test_id("privacy-form")).to_be_visible()
    page.wait_for_timeout(300)  # reports are delivered asynchronously
    spy.assert_clean()


def test_nobody_can_frame_the_console(
    local_stack: LocalStack, spied: tuple[BrowserContext, CspSpy]
) -> None:
    context, spy = spied
    with host_site() as site:
        page = spy.watch(context.new_page())
        page.goto(site.page("/frames-console.html", (
            '<!doctype html><title>Framing</title>'
            f'<iframe id="console" src="{local_stack.base_url}/console/"></iframe>')))
        page.wait_for_timeout(1500)
        framed = page.frame_locator("#console")
        expect(framed.get_by_role("button", name="Sign in")).to_have_count(0)
        assert _blocked(page)
        assert any("frame-ancestors 'none'" in v.get("console", "")
                   for v in spy.violations), spy.violations


def _blocked(page: Page) -> bool:
    """Chromium shows its own error page in a frame it refused to load."""
    return any(frame.url.startswith("chrome-error:") for frame in page.frames[1:])


# --- the widget -------------------------------------------------------------------------


def test_every_widget_screen_keeps_to_the_frame_and_demo_policies(
    local_stack: LocalStack, quiet: dict[str, Operator],
    spied: tuple[BrowserContext, CspSpy],
) -> None:
    context, spy = spied
    operator = quiet["operator"]
    page = spy.watch(context.new_page())
    page.goto(local_stack.base_url + "/")  # the demo page: a host page that allows nothing inline
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()

    widget.open()  # nobody online: the absent popup
    expect(widget.title).to_have_text("No operator available")

    operator.set_status("online")
    widget.frame.get_by_role("button", name="Check again").click()
    expect(widget.action("consent")).to_be_visible()  # consent
    widget.frame.locator("#hdc-name").fill("Strict Sam")
    operator.set_status("break")  # nobody can take it: queued
    widget.agree_and_start()
    expect(widget.status).to_have_text(re.compile("number 1 in the queue"))
    expect(widget.action("rate")).to_be_hidden()  # nobody served it yet

    operator.set_status("online")
    chat = operator.take_chat()  # the conversation
    expect(widget.notice("Demo Operator joined the chat")).to_be_visible()
    operator.say(chat["chat_id"], "Hello Sam")
    widget.wait_for_text("Hello Sam")
    widget.say("Hi!")
    widget.settled()
    expect(widget.action("rate")).to_be_visible()

    operator.call("POST", f"/chats/{chat['chat_id']}/rating-request")  # rating
    expect(widget.frame.locator("#hdc-rating-title")).to_be_visible()
    widget.frame.locator("label[for=hdc-score-5]").click()
    widget.action("submit-rating").click()
    expect(widget.frame.get_by_text("Thank you for your rating!")).to_be_visible()
    widget.frame.get_by_role("button", name="Back to chat").click()

    widget.action("end").click()  # ended
    widget.action("confirm-end").click()
    expect(widget.frame.get_by_text("This chat has ended.")).to_be_visible()
    page.wait_for_timeout(300)
    spy.assert_clean()


def test_a_page_off_the_allowed_origins_cannot_frame_the_chat(
    local_stack: LocalStack, quiet: dict[str, Operator], browser: Browser
) -> None:
    admin = quiet["admin"]
    with host_site() as shop:
        try:
            admin.call("PUT", "/settings", {"allowed_origins": ["https://shop.example.com"]})
            csp = response_headers(local_stack.api_url + "/widget/demo/frame")[
                "content-security-policy"]
            assert directives(csp)["frame-ancestors"] == "https://shop.example.com"

            for allowed in (False, True):
                if allowed:
                    admin.call("PUT", "/settings", {"allowed_origins": [shop.base_url]})
                context = browser.new_context(viewport=VIEWPORT)
                try:
                    spy = CspSpy(context)
                    page = spy.watch(context.new_page())
                    host = shop.page(f"/framing-{allowed}.html", shop_page(local_stack.base_url))
                    page.goto(host)
                    widget = Widget(page)
                    widget.launcher.click()
                    expect(widget.iframe).to_be_visible()
                    if allowed:
                        expect(widget.title).to_be_visible()
                        spy.assert_clean()
                        continue
                    page.wait_for_timeout(2000)
                    expect(widget.title).to_have_count(0)
                    assert _blocked(page)
                    assert any("frame-ancestors https://shop.example.com" in v.get("console", "")
                               for v in spy.violations), spy.violations
                finally:
                    context.close()
        finally:
            admin.call("PUT", "/settings", {"allowed_origins": []})
