"""The Webhooks screen of the operator console (R-HOOK-1), in a real browser on the
local stack, with a tiny HTTP receiver on loopback (the local stack admits
http://127.0.0.1:… as a webhook URL and delivers through its local queue):

- an admin creates a webhook (the URL typed through an IME does not submit on the
  Enter that commits the conversion), sees its secret once (Copy, "will not be
  shown again", gone after a reload), presses Send test and the delivery log shows
  the ping delivered (the receiver got it, signed with that secret); Redeliver
  sends the same delivery again (the same X-Helpdesk-Delivery); the log keeps
  itself current and stops asking when the screen is left; in Japanese too;
- a URL the server refuses (http://169.254.169.254/) is refused at the field in the
  server's words; Edit, the on/off switch, Rotate secret (the new one shown once),
  the server's reason for turning a webhook off shown as text, Delete;
- an operator has no Webhooks screen.

Screenshots: docs/screenshots/console-webhooks-en.png, console-webhooks-ja.png."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import (
    Consoles,
    deleting_what_is_added,
    expect_admin_only,
    shoot,
)
from tests.e2e.operator_client import ADMIN_EMAIL, OPERATOR_EMAIL, ApiCallFailed, Operator

pytestmark = pytest.mark.e2e

DELIVERY_TIMEOUT_MS = 30000  # the local queue delivers within seconds; retries take 5 s
SECRET = re.compile(r"^whsec_[A-Za-z0-9_-]{43}$")
FIELD = re.compile(r"^([\w.[\]-]{1,60}): ")  # the field a 400's message names first


# --- a receiver on loopback -----------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers 200 to every POST and keeps it."""

    port: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def of(self, delivery_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.headers.get("x-helpdesk-delivery") == delivery_id]

    def wait_for(self, delivery_id: str, count: int = 1, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(delivery_id)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        with self.lock:
            seen = [r.headers.get("x-helpdesk-delivery") for r in self.requests]
        raise AssertionError(f"{count} request(s) of {delivery_id} not received in {timeout} s; "
                             f"got deliveries {seen}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received: list[Received] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                         body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(server.server_address[1], received, lock)
    server.shutdown()
    server.server_close()


@pytest.fixture
def consoles(consoles: Consoles, admin: Operator) -> Iterator[Consoles]:
    """The shared consoles (conftest.py); every webhook a test made is deleted after it."""
    with deleting_what_is_added(admin, "/webhooks", "webhooks", "webhook_id"):
        yield consoles


# --- helpers --------------------------------------------------------------------------------



def open_webhooks(page: Page, link: str = "Webhooks", heading: str = "Webhooks") -> None:
    page.locator(".sidebar").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1, exact=True)).to_be_visible()


def card_of(page: Page, webhook_id: str) -> Any:
    return page.locator(f"[data-testid='webhook'][data-webhook-id='{webhook_id}']")


def signed_with(secret: str, request: Received) -> bool:
    """X-Helpdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>."""
    parts = dict(part.split("=", 1) for part in request.headers["x-helpdesk-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def requests_to(page: Page, wanted: Callable[[str], bool]) -> list[str]:
    """Every URL `page` asks for from now on that `wanted` picks."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if wanted(request.url) else None)
    return seen


def create_webhook(page: Page, url: str, events: list[str]) -> dict[str, Any]:
    """New webhook, filled in and created; returns the API's answer (with the secret)."""
    page.get_by_role("button", name="New webhook").click()
    form = page.get_by_test_id("webhook-create")
    form.get_by_label("Endpoint URL").fill(url)
    for label in events:
        form.get_by_label(label).check()
    with page.expect_response(lambda r: r.url.endswith("/api/webhooks")
                              and r.request.method == "POST") as answer:
        form.get_by_role("button", name="Create webhook").click()
    assert answer.value.status == 201, answer.value.text()
    return dict(answer.value.json())


# --- the tests --------------------------------------------------------------------------------


def test_an_admin_creates_a_webhook_sees_the_secret_once_and_tests_and_redelivers_it(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, operator_account: Operator,
    receiver: Receiver, screenshots: Path,
) -> None:
    # An operator has no Webhooks screen (and the API refuses them).
    with pytest.raises(ApiCallFailed) as refused:
        operator_account.call("GET", "/webhooks")
    assert refused.value.status == 403
    operator_page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    expect_admin_only(operator_page, local_stack.base_url, "Webhooks", "webhooks")
    operator_page.context.close()

    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_webhooks(page)
    page.get_by_role("button", name="New webhook").click()
    form = page.get_by_test_id("webhook-create")
    expect(form.get_by_role("heading", name="New webhook")).to_be_visible()
    url = form.get_by_label("Endpoint URL")
    expect(url).to_be_focused()
    # The Enter that commits an IME conversion is the IME's, never the form's.
    url.fill(receiver.url)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "ふっく", "selectionStart": 3, "selectionEnd": 3})
    taken = url.evaluate("""(el) => !el.dispatchEvent(new KeyboardEvent('keydown',
        {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    assert taken is True
    cdp.send("Input.insertText", {"text": "フック"})
    url.fill(receiver.url)
    expect(form).to_be_visible()
    assert all(hook["url"] != receiver.url for hook in admin.call("GET", "/webhooks")["webhooks"])
    # No event chosen: said at the events, nothing sent.
    form.get_by_role("button", name="Create webhook").click()
    expect(form.get_by_test_id("webhook-events-error")).to_have_text("Choose at least one event.")
    for label in ("Chat started", "New message", "Ticket created"):
        form.get_by_label(label).check()
    with page.expect_response(lambda r: r.url.endswith("/api/webhooks")
                              and r.request.method == "POST") as answer:
        url.press("Enter")
    assert answer.value.status == 201, answer.value.text()
    made = answer.value.json()
    secret = made["secret"]
    assert SECRET.match(secret)
    assert sorted(made["events"]) == ["chat.started", "message.created", "ticket.created"]
    expect(form).to_be_hidden()

    # The secret, once: copy it, with the warning that it will not be shown again.
    card = card_of(page, made["webhook_id"])
    expect(card.get_by_role("heading", level=2)).to_have_text(receiver.url)
    expect(card.get_by_test_id("webhook-state")).to_have_text("Enabled")
    expect(card.locator(".webhook-events li")).to_have_text(
        ["Chat started", "New message (customer or operator; never notes)", "Ticket created"])
    panel = card.get_by_test_id("webhook-secret")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("webhook-secret-value")).to_have_text(secret)
    expect(panel).to_contain_text("it will not be shown again")
    panel.get_by_role("button", name="Copy").click()
    expect(page.locator(".toast", has_text="copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert all("secret" not in hook for hook in admin.call("GET", "/webhooks")["webhooks"])
    panel.get_by_role("button", name="I have stored it").click()
    expect(card.get_by_test_id("webhook-secret")).to_have_count(0)
    page.reload()
    expect(card).to_be_visible()
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    # Send test: the log opens and shows the ping delivered (the local queue sends it).
    hook_id = made["webhook_id"]
    with page.expect_response(lambda r: r.url.endswith(f"/webhooks/{hook_id}/test")) as sent:
        card.get_by_role("button", name=re.compile("^Send test")).click()
    assert sent.value.status == 202
    ping_id = sent.value.json()["delivery_id"]
    log = card.get_by_test_id("webhook-log")
    expect(log).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("^Delivery log"))).to_have_attribute(
        "aria-expanded", "true")
    row = log.locator(f"tr[data-delivery-id='{ping_id}']")
    expect(row).to_have_attribute("data-status", "delivered", timeout=DELIVERY_TIMEOUT_MS)
    expect(row.get_by_test_id("delivery-status")).to_have_text("Delivered")
    expect(row).to_contain_text("Test (ping)")
    expect(row.get_by_test_id("delivery-code")).to_have_text("200")
    first = receiver.wait_for(ping_id)[0]
    assert first.path == "/hook"
    assert first.payload["event"] == "ping" and first.payload["delivery_id"] == ping_id
    assert signed_with(secret, first)

    # Redeliver: the same delivery again, and the log follows by itself.
    redeliver_path = f"/deliveries/{ping_id}/redeliver"
    with page.expect_response(lambda r: r.url.endswith(redeliver_path)) as again:
        row.get_by_role("button", name=re.compile("^Redeliver")).click()
    assert again.value.status == 202
    assert again.value.json().get("delivery_id", ping_id) == ping_id
    twice = receiver.wait_for(ping_id, count=2)
    assert [r.headers["x-helpdesk-delivery"] for r in twice] == [ping_id, ping_id]
    assert signed_with(secret, twice[1])
    expect(row).to_have_attribute("data-status", "delivered", timeout=DELIVERY_TIMEOUT_MS)
    expect(log.get_by_test_id("delivery-row")).to_have_count(1)

    # Another test: the log lists it first (newest first).
    with page.expect_response(lambda r: r.url.endswith(f"/webhooks/{hook_id}/test")) as sent:
        card.get_by_role("button", name=re.compile("^Send test")).click()
    second_id = sent.value.json()["delivery_id"]
    expect(log.get_by_test_id("delivery-row").first).to_have_attribute(
        "data-delivery-id", second_id)
    expect(log.get_by_test_id("delivery-row").first).to_have_attribute(
        "data-status", "delivered", timeout=DELIVERY_TIMEOUT_MS)
    expect(log.get_by_test_id("delivery-row")).to_have_count(2)
    page.mouse.move(0, 0)
    shoot(page, screenshots, "webhooks-en")
    axe.accessible(page, "the Webhooks screen with its delivery log")

    # The log asks every 10 seconds while it is open, and never after the screen is left.
    asked = requests_to(page, lambda u: "/deliveries" in u)
    expect(log.get_by_test_id("webhook-log-updated")).to_contain_text("Updated")
    page.wait_for_timeout(11000)
    assert asked, "the open log did not refresh itself"
    page.locator(".sidebar").get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", name="Live monitor", level=1)).to_be_visible()
    asked.clear()
    page.wait_for_timeout(11000)
    assert asked == [], f"the log kept asking after the screen was left: {asked}"

    # In Japanese.
    page.get_by_label("Language").select_option("ja")
    open_webhooks(page, "Webhook", "Webhook")
    card = card_of(page, made["webhook_id"])
    expect(card.get_by_test_id("webhook-state")).to_have_text("有効")
    card.get_by_role("button", name=re.compile("^配信ログ")).click()
    row = card.get_by_test_id("webhook-log").locator(f"tr[data-delivery-id='{ping_id}']")
    expect(row.get_by_test_id("delivery-status")).to_have_text("配信済み")
    expect(row).to_contain_text("テスト（ping）")  # noqa: RUF001 - Japanese parentheses
    expect(card.get_by_role("columnheader", name="最後の HTTP ステータス")).to_be_visible()
    expect(card.get_by_test_id("delivery-row")).to_have_count(2)
    page.mouse.move(0, 0)
    shoot(page, screenshots, "webhooks-ja")


def test_a_refused_url_is_said_at_the_field_and_each_control_of_a_webhook_works(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, receiver: Receiver,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    open_webhooks(page)

    # The metadata address: the server's 400 `bad_url`, in its own words, at the field.
    page.get_by_role("button", name="New webhook").click()
    form = page.get_by_test_id("webhook-create")
    url = form.get_by_label("Endpoint URL")
    url.fill("http://169.254.169.254/")
    form.get_by_label("Chat ended").check()
    with page.expect_response(lambda r: r.url.endswith("/api/webhooks")
                              and r.request.method == "POST") as answer:
        form.get_by_role("button", name="Create webhook").click()
    assert answer.value.status == 400
    refusal = answer.value.json()
    assert refusal["code"] == "bad_url"
    words = FIELD.sub("", refusal["message"]).strip()
    error = form.get_by_test_id("webhook-url-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This URL cannot receive webhooks.")
    expect(error.get_by_test_id("server-words")).to_have_text(f"The server says: {words}")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(url).to_be_focused()
    axe.accessible(page, "the New webhook form with a refused URL")
    url.fill(receiver.url)
    expect(error).to_be_hidden()
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()

    made = create_webhook(page, receiver.url, ["Chat ended"])
    hook_id = made["webhook_id"]
    card = card_of(page, hook_id)
    card.get_by_role("button", name="I have stored it").click()

    # Edit: the URL and events, in a dialog.
    card.get_by_role("button", name=re.compile("^Edit")).click()
    dialog = page.get_by_role("dialog", name="Edit webhook")
    expect(dialog.get_by_label("Endpoint URL")).to_have_value(receiver.url)
    expect(dialog.get_by_label("Chat ended")).to_be_checked()
    dialog.get_by_label("Ticket updated").check()
    dialog.get_by_label("Endpoint URL").fill(receiver.url + "?edited=1")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(card.get_by_role("heading", level=2)).to_have_text(receiver.url + "?edited=1")
    expect(card.locator(".webhook-events li")).to_have_text(["Chat ended", "Ticket updated"])
    saved = next(h for h in admin.call("GET", "/webhooks")["webhooks"]
                 if h["webhook_id"] == hook_id)
    assert sorted(saved["events"]) == ["chat.ended", "ticket.updated"]
    assert saved["url"] == receiver.url + "?edited=1"

    # Off and on again.
    switch = card.get_by_role("switch", name="Enabled")
    switch.uncheck()
    expect(card.get_by_test_id("webhook-state")).to_have_text("Disabled")
    assert admin.call("GET", "/webhooks")["webhooks"][0]["enabled"] is False
    card.get_by_role("switch", name="Enabled").check()
    expect(card.get_by_test_id("webhook-state")).to_have_text("Enabled")
    assert next(h for h in admin.call("GET", "/webhooks")["webhooks"]
                if h["webhook_id"] == hook_id)["enabled"] is True

    # Rotate secret: asked first, then the new secret once.
    card.get_by_role("button", name=re.compile("^Rotate secret")).click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text("Rotate the signing secret?")
    with page.expect_response(lambda r: r.url.endswith(f"/webhooks/{hook_id}/secret")) as rotated:
        confirm.get_by_role("button", name="Rotate secret").click()
    new_secret = rotated.value.json()["secret"]
    assert SECRET.match(new_secret) and new_secret != made["secret"]
    panel = card.get_by_test_id("webhook-secret")
    expect(panel.get_by_role("heading")).to_have_text("New signing secret")
    expect(panel.get_by_test_id("webhook-secret-value")).to_have_text(new_secret)
    panel.get_by_role("button", name="I have stored it").click()

    # Why the server turned a webhook off, and since when it fails: shown as text.
    reason = "<b>HTTP 500</b> for 24 hours <img src=x onerror=\"document.body.dataset.pwned=1\">"

    def turned_off(route: Route) -> None:
        listed = route.fetch().json()
        for hook in listed["webhooks"]:
            if hook["webhook_id"] == hook_id:
                hook.update(enabled=False, disabled_reason=reason,
                            failing_since="2026-11-24T07:00:00Z")
        route.fulfill(json=listed)

    page.route(re.compile(r".*/api/webhooks$"), turned_off)
    page.get_by_role("button", name="Refresh").first.click()
    expect(card.get_by_test_id("webhook-disabled-reason")).to_have_text(reason)
    expect(card.get_by_test_id("webhook-failing")).to_contain_text("failing since")
    expect(card.locator(".webhook-notice b, .webhook-notice img")).to_have_count(0)
    assert page.evaluate("document.body.dataset.pwned") is None
    page.unroute(re.compile(r".*/api/webhooks$"))

    # Delete: asked first.
    card.get_by_role("button", name=re.compile("^Delete")).click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text(receiver.url)
    confirm.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    assert all(h["webhook_id"] != hook_id for h in admin.call("GET", "/webhooks")["webhooks"])
