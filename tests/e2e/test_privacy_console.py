"""Personal data in the operator console (R-PRIV-1, R-PRIV-2), in a real browser on
the local stack:

- Settings' "Data retention" card: an admin sets 90 days (only `retention_days` is
  sent; a reload shows 90); 20 is refused at the field before anything is sent; the
  server's own 400 (the console's check bypassed by a Playwright route) shows at the
  field too, and nothing is saved; full-width digits typed through an IME are read;
  in Japanese;
- the Privacy screen: an admin erases a customer by email whose chat carries a
  distinctive name and message; the confirmation says it cannot be undone (Cancel
  sends nothing); the counts in words; Chat History then finds no such name and the
  chat's transcript says "[erased]"; an erasure the server finishes later (202,
  played by a route) is followed every 2 s with its progress until done;
- errors at their field: nothing typed, an unknown customer ID (404), an email with
  markup (400, shown as text in the dialog and the error, never markup); in Japanese
  (an email nobody has: zeros); axe on each;
- from a chat's customer panel (the live chat and Chat History's detail), an admin
  erases that chat's customer and the panel reloads without their data;
- an operator has no Privacy screen, no erase action, and 403 from the API.

Screenshots: docs/screenshots/console-privacy-en.png, console-privacy-ja.png,
console-settings-retention.png."""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import (
    Consoles,
    expect_admin_only,
    go_online,
    open_chat,
    shoot,
)
from tests.e2e.operator_client import ADMIN_EMAIL, OPERATOR_EMAIL, ApiCallFailed, Operator
from tests.e2e.test_audit_console import open_audit
from tests.e2e.test_audit_console import rows as audit_rows

pytestmark = pytest.mark.e2e

MARKUP = "<img src=x onerror=alert(1)>"
ERASE = re.compile(r".*/api/privacy/erase$")
ERASURE = re.compile(r".*/api/privacy/erasures/[^/?]+$")
SETTINGS = re.compile(r".*/api/settings$")


@pytest.fixture
def consoles(consoles: Consoles, admin: Operator) -> Iterator[Consoles]:
    """The shared consoles (conftest.py); the service's retention is put back after."""
    before = admin.call("GET", "/settings")["retention_days"]
    yield consoles
    if admin.call("GET", "/settings")["retention_days"] != before:
        admin.call("PUT", "/settings", {"retention_days": before})


# --- helpers --------------------------------------------------------------------------------


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def open_privacy(page: Page, link: str = "Privacy", heading: str = "Erase personal data") -> None:
    page.locator(".sidebar").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1, exact=True)).to_be_visible()


def open_settings(page: Page, link: str = "Settings") -> Any:
    with page.expect_response(SETTINGS):
        page.locator(".sidebar").get_by_role("link", name=link, exact=True).click()
    days = page.get_by_test_id("settings-retention-days")
    expect(days).to_be_visible()
    return days


def save_settings(page: Page, label: str = "Save settings") -> Any:
    """Save; returns the PUT's response."""
    def put(response: Any) -> bool:
        return bool(SETTINGS.match(response.url)) and response.request.method == "PUT"

    with page.expect_response(put) as answer:
        page.get_by_role("button", name=label).click()
    return answer.value


def puts_to(page: Page, pattern: re.Pattern[str], method: str = "PUT") -> list[Request]:
    """Every `method` request of the page to `pattern`, from now on."""
    sent: list[Request] = []

    def keep(request: Request) -> None:
        if pattern.match(request.url) and request.method == method:
            sent.append(request)

    page.on("request", keep)
    return sent


def counts(page: Page, test_id: str = "erase-counts") -> dict[str, str]:
    rows = page.get_by_test_id(test_id).locator(".dl-row")
    return {rows.nth(i).get_attribute("data-count") or "": rows.nth(i).locator("dd").inner_text()
            for i in range(rows.count())}


def history_search(page: Page, text: str) -> None:
    filters = page.get_by_test_id("history-filters")
    filters.get_by_label("Customer", exact=True).fill(text)
    with page.expect_response(lambda r: "/api/history" in r.url):
        filters.get_by_role("button", name="Search").click()


# --- retention (R-PRIV-1) -------------------------------------------------------------------


def test_an_admin_sets_how_long_data_is_kept_in_settings(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    days = open_settings(page)
    card = page.get_by_test_id("settings-retention")
    expect(card.get_by_role("heading", name="Data retention", level=2)).to_be_visible()
    expect(card).to_contain_text("older than this are deleted automatically")
    expect(card).to_contain_text("A change applies to the data already kept too")
    expect(card.locator("label", has=days)).to_contain_text("Keep chats and tickets for")
    expect(days).to_have_value(str(admin.call("GET", "/settings")["retention_days"]))

    # 90 days: only the retention is sent, and a reload shows it.
    days.fill("90")
    answer = save_settings(page)
    assert answer.status == 200
    assert answer.request.post_data_json == {"retention_days": 90}
    expect(page.locator(".toast", has_text="Settings saved.")).to_be_visible()
    expect(page.locator(".toast", has_text="applied to the existing chats and tickets")
           ).to_be_visible()
    assert admin.call("GET", "/settings")["retention_days"] == 90
    page.reload()
    days = page.get_by_test_id("settings-retention-days")
    expect(days).to_have_value("90")
    page.get_by_test_id("settings-retention").scroll_into_view_if_needed()
    shoot(page, screenshots, "settings-retention")

    # 20 is refused at the field, before anything is sent.
    sent = puts_to(page, SETTINGS)
    days.fill("20")
    page.get_by_role("button", name="Save settings").click()
    error = card.locator(".field-error")
    expect(error).to_have_text("Enter a whole number of days from 30 to 3650.")
    expect(error).to_have_attribute("role", "alert")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_be_focused()
    expect(page.get_by_text("Not saved: check the marked fields.")).to_be_visible()
    page.wait_for_timeout(300)
    assert sent == []
    assert admin.call("GET", "/settings")["retention_days"] == 90
    axe.accessible(page, "Settings with the retention refused")

    # The server's own refusal (the console's check bypassed): at the field, nothing saved.
    def too_short(route: Route) -> None:
        route.continue_(post_data=json.dumps({"retention_days": 20}))

    page.route(SETTINGS, too_short)
    days.fill("100")
    answer = save_settings(page)
    assert answer.status == 400
    assert answer.json()["code"] == "bad_request"
    assert answer.json()["message"].startswith("retention_days")
    expect(error).to_have_text(
        "The value of “Keep chats and tickets for” is not valid. Check what you entered.")
    expect(days).to_have_attribute("aria-invalid", "true")
    assert admin.call("GET", "/settings")["retention_days"] == 90
    page.unroute(SETTINGS)

    # Full-width digits, as an IME types them, are read as the number.
    days.fill("\uff11\uff12\uff10")  # 120 in full-width digits
    answer = save_settings(page)
    assert answer.request.post_data_json == {"retention_days": 120}
    expect(page.get_by_test_id("settings-retention-days")).to_have_value("120")
    assert admin.call("GET", "/settings")["retention_days"] == 120
    days = page.get_by_test_id("settings-retention-days")
    days.fill("90")
    assert save_settings(page).status == 200

    # In Japanese.
    page.get_by_label("Language", exact=True).select_option("ja")
    card = page.get_by_test_id("settings-retention")
    expect(card.get_by_role("heading", name="データの保存期間", level=2)).to_be_visible()
    expect(card).to_contain_text("自動的に削除されます")
    days = page.get_by_test_id("settings-retention-days")
    expect(days).to_have_value("90")
    days.fill("20")
    page.get_by_role("button", name="設定を保存").click()
    expect(card.locator(".field-error")).to_have_text("日数は 30〜3650 の整数で入力してください。")
    assert admin.call("GET", "/settings")["retention_days"] == 90


# --- erasure (R-PRIV-2) ---------------------------------------------------------------------


def test_an_admin_erases_a_customer_by_email_and_chat_history_forgets_them(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, customers: Any,
    screenshots: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Erasable Hanako {tag}"
    email = f"Erase.Me-{tag}@Demo.test"  # the case differs from what is typed below
    secret = f"My card number is 4111 {tag}"
    customer = customers()
    chat_id = customer.start(name, email=email)["chat_id"]
    customer.say(secret)

    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    # Before: Chat History finds the customer by name.
    page.locator(".sidebar").get_by_role("link", name="Chat history").click()
    history_search(page, f"Erasable Hanako {tag}")
    table = page.get_by_test_id("history-table")
    expect(table.locator(f"tr[data-chat-id='{chat_id}']")).to_contain_text(name)

    link = page.locator(".sidebar").get_by_role("link", name="Privacy", exact=True)
    expect(link).to_have_attribute("href", "#/privacy")
    expect(link.locator("svg.icon")).to_have_count(1)
    open_privacy(page)
    expect(page).to_have_url(re.compile(r"#/privacy$"))
    expect(page.get_by_test_id("privacy-intro")).to_contain_text("cannot be undone")
    expect(page.get_by_test_id("privacy-warning")).to_have_text("This cannot be undone.")
    expect(page.get_by_role("radio", name="Email address", exact=True)).to_be_checked()
    expect(page.get_by_test_id("privacy-customer-id")).to_be_hidden()  # exactly one is sent
    field = page.get_by_test_id("privacy-email")
    field.fill(f"erase.me-{tag}@demo.test")

    # The confirmation says what goes and that it cannot be undone; Cancel sends nothing.
    posted = puts_to(page, ERASE, "POST")
    page.get_by_role("button", name="Erase…").click()
    dialog = page.get_by_role("dialog", name="Erase this customer's personal data?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("erase-who")).to_have_text(
        f"Every customer with the email address erase.me-{tag}@demo.test")
    expect(dialog).to_contain_text("replaced by “[erased]”")
    expect(dialog.get_by_test_id("erase-warning")).to_have_text("This cannot be undone.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    axe.accessible(page, "the erase confirmation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert posted == []
    expect(field).to_be_focused()

    page.get_by_role("button", name="Erase…").click()
    with page.expect_response(ERASE) as answer:
        dialog.get_by_role("button", name="Erase permanently").click()
    assert answer.value.status in (200, 202)
    assert answer.value.request.post_data_json == {"email": f"erase.me-{tag}@demo.test"}
    result = page.get_by_test_id("privacy-result")
    expect(result.get_by_role("heading", name="Erased", level=2)).to_be_visible(timeout=30000)
    expect(page.get_by_test_id("privacy-status")).to_have_text(
        "The customer's personal data has been erased.")
    expect(result).to_contain_text(
        f"Every customer with the email address erase.me-{tag}@demo.test")
    expect(result.locator("dt")).to_have_text(
        ["Customers", "Chats", "Messages", "Files", "Tickets"])
    assert counts(page) == {"customers": "1", "chats": "1", "messages": "1", "attachments": "0",
                            "tickets": "0"}
    expect(result).to_contain_text("Finished")
    expect(field).to_have_value("")
    page.mouse.move(0, 0)
    shoot(page, screenshots, "privacy-en")
    axe.accessible(page, "the Privacy screen with an erasure done")

    # The Audit log says so, by id only (never the email).
    logged = admin.call("GET", "/audit?action=privacy.erase")["entries"][0]
    assert email.lower() not in json.dumps(logged).lower()
    # The chat stays, without the customer: not found by name, its message text gone.
    messages = admin.call("GET", f"/chats/{chat_id}/messages?after_seq=0")["messages"]
    assert secret not in json.dumps(messages)
    assert "[erased]" in [m["text"] for m in messages]
    page.locator(".sidebar").get_by_role("link", name="Chat history").click()
    history_search(page, f"Erasable Hanako {tag}")
    expect(table.locator("tbody tr")).to_have_count(0)
    expect(page.get_by_text("No chats match these conditions.")).to_be_visible()
    page.get_by_test_id("history-filters").get_by_role("button", name="Reset").click()
    row = table.locator(f"tr[data-chat-id='{chat_id}']")
    expect(row).to_be_visible()
    expect(row).not_to_contain_text(name)
    row.click()
    detail = page.get_by_test_id("history-detail")
    expect(detail.locator(".msg-customer .msg-text")).to_have_text(["[erased]"])
    expect(detail).not_to_contain_text(secret)
    expect(detail).not_to_contain_text(name)
    expect(detail.get_by_label("Email", exact=True)).to_have_value("")

    # The Audit log's line says it in words, without the email.
    open_audit(page)
    erased = audit_rows(page, "privacy.erase").first
    expect(erased.get_by_test_id("audit-action-label")).to_have_text("Personal data erased")
    expect(erased.get_by_test_id("audit-detail").locator("li")).to_have_text(
        ["Found by email address (not recorded)", f"Erasure: {logged['detail']['erasure_id']}"])
    expect(erased).not_to_contain_text(email)


def test_a_long_erasure_is_followed_every_two_seconds_until_done(
    local_stack: LocalStack, consoles: Consoles,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    asked: list[float] = []
    started = {"erasure_id": "e2erun1", "status": "running", "started_at": "2026-03-01T09:00:00Z",
               "finished_at": None,
               "erased": {"customers": 1, "chats": 0, "messages": 0, "attachments": 0,
                          "tickets": 0}}
    answers = [
        {**started, "erased": {"customers": 1, "chats": 4, "messages": 37, "attachments": 1,
                               "tickets": 0}},
        {**started, "status": "done", "finished_at": "2026-03-01T09:00:07Z",
         "erased": {"customers": 1, "chats": 9, "messages": 120, "attachments": 3, "tickets": 2}},
    ]

    def begin(route: Route) -> None:
        asked.append(time.monotonic())
        route.fulfill(status=202, json=started)

    def follow(route: Route) -> None:
        assert route.request.url.endswith("/api/privacy/erasures/e2erun1")
        asked.append(time.monotonic())
        route.fulfill(json=answers[min(len(asked) - 2, len(answers) - 1)])

    page.route(ERASE, begin)
    page.route(ERASURE, follow)
    open_privacy(page)
    page.get_by_role("radio", name="Customer ID", exact=True).check()
    expect(page.get_by_test_id("privacy-email")).to_be_hidden()
    page.get_by_test_id("privacy-customer-id").fill("cus-long")
    page.get_by_role("button", name="Erase…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("erase-who")).to_have_text("The customer with the ID cus-long")
    dialog.get_by_role("button", name="Erase permanently").click()

    result = page.get_by_test_id("privacy-result")
    expect(result.get_by_role("heading", name="Erasing…", level=2)).to_be_visible()
    expect(page.get_by_test_id("privacy-progress")).to_be_visible()
    expect(page.get_by_test_id("privacy-status")).to_contain_text("checks it every 2 seconds")
    expect(result).to_contain_text("Erased so far:")
    expect(page.get_by_role("button", name="Erase…")).to_be_disabled()
    expect(result.locator("[data-count=messages] dd")).to_have_text("37", timeout=5000)
    expect(result.get_by_role("heading", name="Erased", level=2)).to_be_visible(timeout=5000)
    expect(page.get_by_test_id("privacy-progress")).to_have_count(0)
    assert counts(page) == {"customers": "1", "chats": "9", "messages": "120", "attachments": "3",
                            "tickets": "2"}
    expect(page.get_by_role("button", name="Erase…")).to_be_enabled()
    assert len(asked) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(asked)]
    assert all(gap >= 1.9 for gap in gaps), gaps
    page.wait_for_timeout(2500)
    assert len(asked) == 3  # done: not asked again


def test_errors_show_at_their_field_as_text_and_in_japanese(
    local_stack: LocalStack, consoles: Consoles, screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_privacy(page)
    posted = puts_to(page, ERASE, "POST")
    email = page.get_by_test_id("privacy-email")
    email_error = page.get_by_test_id("privacy-email-error")

    # Nothing typed: said at the field, nothing sent.
    page.get_by_role("button", name="Erase…").click()
    expect(email_error).to_have_text("Enter the customer's email address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert posted == []
    email.fill("a")
    expect(email_error).to_be_hidden()
    expect(email).not_to_have_attribute("aria-invalid", "true")

    # Markup in the email: text in the dialog and in the server's refusal at the field.
    typed = f"{MARKUP}@x.test"
    email.fill(typed)
    page.get_by_role("button", name="Erase…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("erase-who")).to_have_text(
        f"Every customer with the email address {typed}")
    with page.expect_response(ERASE) as answer:
        dialog.get_by_role("button", name="Erase permanently").click()
    assert answer.value.status == 400
    assert answer.value.json()["code"] == "bad_request"
    expect(email_error).to_contain_text(f"“{typed}” is not an email address.")
    expect(page.get_by_test_id("privacy-server-words")).to_have_text(
        "The server says: is not an email address")
    expect(email_error).to_have_attribute("role", "alert")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", re.compile(r"privacy-email-error"))
    expect(page.get_by_test_id("privacy-result")).to_be_hidden()
    expect(page.locator("main img")).to_have_count(0)
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    axe.accessible(page, "the Privacy screen with an error at the email")

    # An unknown customer ID: 404, at the ID field.
    page.get_by_role("radio", name="Customer ID", exact=True).check()
    customer_id = page.get_by_test_id("privacy-customer-id")
    expect(customer_id).to_be_focused()
    customer_id.fill("cus-nobody-e2e")
    page.get_by_role("button", name="Erase…").click()
    with page.expect_response(ERASE) as answer:
        page.get_by_role("dialog").get_by_role("button", name="Erase permanently").click()
    assert answer.value.status == 404
    expect(page.get_by_test_id("privacy-customer-id-error")).to_contain_text(
        "This service has no customer with the ID “cus-nobody-e2e”.")
    expect(customer_id).to_have_attribute("aria-invalid", "true")
    assert dialogs == []

    # In Japanese: the markup refused in Japanese words, then an email nobody has: zeros.
    page.get_by_label("Language", exact=True).select_option("ja")
    expect(page.get_by_role("heading", name="個人データの削除", level=1)).to_be_visible()
    expect(page.locator(".sidebar").get_by_role("link", name="個人データの削除")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_test_id("privacy-warning")).to_have_text("この操作は元に戻せません。")
    email = page.get_by_test_id("privacy-email")
    email.fill(typed)
    page.get_by_role("button", name="削除…").click()
    dialog = page.get_by_role("dialog", name="このお客様の個人データを削除しますか\uff1f")
    expect(dialog).to_contain_text("この操作は元に戻せません。")
    with page.expect_response(ERASE):
        dialog.get_by_role("button", name="完全に削除").click()
    expect(page.get_by_test_id("privacy-email-error")).to_contain_text(
        f"「{typed}」はメールアドレスではありません。")
    expect(page.get_by_test_id("privacy-server-words")).to_have_text(
        "サーバーからの説明: is not an email address")
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@demo.test"
    email.fill(nobody)
    page.get_by_role("button", name="削除…").click()
    with page.expect_response(ERASE) as answer:
        page.get_by_role("dialog").get_by_role("button", name="完全に削除").click()
    assert answer.value.status == 200
    result = page.get_by_test_id("privacy-result")
    expect(result.get_by_role("heading", name="削除しました", level=2)).to_be_visible()
    expect(page.get_by_test_id("privacy-status")).to_have_text(
        "削除するものは見つかりませんでした。このサービスには該当するお客様・チャット・チケットがありません。")
    expect(result.locator("dt")).to_have_text(
        ["顧客", "チャット", "メッセージ", "ファイル", "チケット"])
    assert set(counts(page).values()) == {"0"}
    page.mouse.move(0, 0)
    shoot(page, screenshots, "privacy-ja")
    axe.accessible(page, "the Privacy screen in Japanese")
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert dialogs == []


def test_an_admin_erases_a_chats_customer_from_its_panel_and_the_panel_reloads(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, customers: Any,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    go_online(page)
    live = customers()
    name = unique("Panel Taro")
    live.start(name, email=f"panel-{uuid.uuid4().hex[:8]}@demo.test")
    chat_id = open_chat(page, name)
    live.say("Please forget me")
    expect(page.locator(".msg-customer .msg-text", has_text="Please forget me")).to_be_visible()

    info = page.locator(".info-pane")
    erase = info.get_by_role("button", name="Erase this customer's data…")
    erase.click()
    dialog = page.get_by_role("dialog", name="Erase this customer's personal data?")
    expect(dialog.get_by_test_id("erase-who")).to_have_text(
        f"{name} (customer ID {live.customer_id})")
    dialog.get_by_role("button", name="Cancel").click()
    expect(erase).to_be_focused()
    erase.click()
    with page.expect_response(ERASE) as answer:
        dialog.get_by_role("button", name="Erase permanently").click()
    assert answer.value.request.post_data_json == {"customer_id": live.customer_id}
    expect(page.locator(".toast", has_text="Erased: customers 1, chats 1, messages 1, files 0, "
                                           "tickets 0.")).to_be_visible(timeout=30000)
    # The chat afresh: the panel without the customer's data, the transcript erased.
    expect(info.get_by_label("Name", exact=True)).to_have_value("")
    expect(info.get_by_label("Email", exact=True)).to_have_value("")
    expect(page.locator(".msg-customer .msg-text")).to_have_text(["[erased]"])
    expect(page.get_by_test_id("conversation-name")).not_to_have_text(name)
    expect(page.get_by_test_id("chat-list")).not_to_contain_text(name)
    expect(page).to_have_url(re.compile(rf"#/chats/{re.escape(chat_id)}$"))

    # From Chat History's detail panel: another customer's chat.
    later = customers()
    other = unique("History Jiro")
    later.start(other)
    later_id = open_chat(page, other)
    later.say("Erase me from history")
    page.locator(".sidebar").get_by_role("link", name="Chat history").click()
    row = page.get_by_test_id("history-table").locator(f"tr[data-chat-id='{later_id}']")
    row.click()
    detail = page.get_by_test_id("history-detail")
    expect(detail.locator(".msg-customer .msg-text")).to_have_text(["Erase me from history"])
    detail.get_by_role("button", name="Erase this customer's data…").click()
    with page.expect_response(ERASE):
        page.get_by_role("dialog").get_by_role("button", name="Erase permanently").click()
    expect(detail.locator(".msg-customer .msg-text")).to_have_text(["[erased]"], timeout=30000)
    expect(detail.get_by_label("Name", exact=True)).to_have_value("")
    expect(row).not_to_contain_text(other)
    expect(row).to_have_class(re.compile(r"selected"))
    axe.accessible(page, "Chat history's detail after an erasure")


def test_operators_have_no_privacy_screen_and_no_erase_action(
    local_stack: LocalStack, consoles: Consoles, operator_account: Operator, customers: Any,
) -> None:
    with pytest.raises(ApiCallFailed) as refused:
        operator_account.call("POST", "/privacy/erase", {"email": "someone@demo.test"})
    assert refused.value.status == 403
    customer = customers()
    name = unique("Operator View")
    customer.start(name)
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    expect(page.get_by_test_id("admin-nav")).to_have_count(0)
    go_online(page)
    open_chat(page, name)
    expect(page.locator(".info-pane [data-action=erase-customer]")).to_have_count(0)
    expect_admin_only(page, local_stack.base_url, "Privacy", "privacy")
    expect(page.get_by_test_id("privacy-form")).to_have_count(0)
