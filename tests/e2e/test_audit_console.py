"""The Audit log screen of the operator console (R-AUD-1), in a real browser on the
local stack:

- an admin changes settings and adds an operator over the API, and a sign-in with
  an unknown email fails; the Audit log lists them newest first: the operator.create
  row with the admin's name and role, the operator's id and its email, the time in
  the service's zone; the settings.update row with the changed field names; the
  failed sign-in as "Not signed in" with the email tried;
- the action filter ("Operator added") and a period of today's local day sent as
  YYYY-MM-DD show only those rows; "More" asks for the next page with the same
  filters; a from date after the to date shows the server's 400 at the filters;
  Reset; in Japanese;
- every detail renderer, and what the server sends (names, targets, details with
  markup) shown as text, never markup (an answer fulfilled by a Playwright route);
- an operator has no Audit log in the navigation, gets the admin-only page at
  #/audit and 403 from the API.

Screenshots: docs/screenshots/console-audit-en.png, console-audit-ja.png."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

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
from tests.e2e.operator_client import (
    ADMIN_EMAIL,
    DEMO_SERVICE,
    OPERATOR_EMAIL,
    ApiCallFailed,
    Operator,
    rest,
)

pytestmark = pytest.mark.e2e

AUDIT = re.compile(r".*/api/audit(\?.*)?$")
MARKUP = "<img src=x onerror=alert(1)>"


@pytest.fixture
def consoles(consoles: Consoles, admin: Operator) -> Iterator[Consoles]:
    """The shared consoles (conftest.py); every operator a test added is deleted after it."""
    with deleting_what_is_added(admin, "/operators", "operators", "operator_id"):
        yield consoles


# --- helpers --------------------------------------------------------------------------------



def open_audit(page: Page, link: str = "Audit log") -> None:
    with page.expect_response(lambda r: "/api/audit" in r.url):
        page.locator(".sidebar").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=link, level=1, exact=True)).to_be_visible()


def rows(page: Page, action: str | None = None) -> Any:
    where = "[data-testid='audit-row']"
    return page.locator(where if action is None else f"{where}[data-action='{action}']")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def service_now(admin: Operator) -> datetime:
    return datetime.now(ZoneInfo(admin.call("GET", "/settings")["timezone"]))


def service_time(admin: Operator, iso: str) -> str:
    """What the console shows for `iso` in English: the service's local time, to the second."""
    zone = ZoneInfo(admin.call("GET", "/settings")["timezone"])
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone).strftime(
        "%d/%m/%Y, %H:%M:%S")


def apply(page: Page) -> Any:
    """Apply the filters; returns the request's query."""
    with page.expect_response(lambda r: "/api/audit" in r.url) as answer:
        page.get_by_role("button", name="Apply").click()
    return answer.value


# --- the tests --------------------------------------------------------------------------------


def test_an_admin_reads_filters_and_pages_the_audit_log(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, screenshots: Path,
) -> None:
    me = admin.call("GET", "/me")
    # What the log records: a failed sign-in, a settings change, a new operator.
    nobody = f"nobody-{uuid.uuid4().hex[:6]}@demo.test"
    with pytest.raises(ApiCallFailed) as refused:
        rest(local_stack.api_url, "POST", "/auth/login",
             {"service_id": DEMO_SERVICE, "email": nobody, "password": "not-the-password"})
    assert refused.value.status == 401
    current = admin.call("GET", "/settings")
    # Only fields whose value changed are named: max_queue changes, chat_enabled not.
    admin.call("PUT", "/settings", {"max_queue": current["max_queue"] % 1000 + 1,
                                    "chat_enabled": current["chat_enabled"]})
    email = f"audit-{uuid.uuid4().hex[:6]}@demo.test"
    made = admin.call("POST", "/operators", {"email": email, "name": "Audit Probe",
                                             "role": "operator", "password": "probe-password-1"})
    operator_id = made["operator_id"]
    logged = admin.call("GET", "/audit?action=operator.create")["entries"][0]
    assert logged["target"] == operator_id

    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    link = page.locator(".sidebar").get_by_role("link", name="Audit log", exact=True)
    expect(link).to_have_attribute("href", "#/audit")
    expect(link.locator("svg.icon")).to_have_count(1)
    open_audit(page)
    expect(page).to_have_url(re.compile(r"#/audit$"))
    expect(page.get_by_test_id("audit-intro")).to_contain_text("cannot be changed or deleted")
    expect(page.get_by_test_id("audit-intro")).to_contain_text("two years")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["Time", "Who", "Action", "Target", "IP address", "Details"])

    # Newest first: this console's own sign-in, then the new operator, the settings, the failure.
    expect(rows(page).first).to_have_attribute("data-action", "auth.login")
    actions = [rows(page).nth(i).get_attribute("data-action") for i in range(4)]
    assert actions == ["auth.login", "operator.create", "settings.update", "auth.login_failed"]

    created = rows(page, "operator.create").first
    expect(created).to_have_attribute("data-entry-id", logged["entry_id"])
    expect(created.get_by_test_id("audit-actor")).to_have_text(me["name"])
    expect(created.get_by_test_id("audit-role")).to_have_text("Admin")
    expect(created.get_by_test_id("audit-action-label")).to_have_text("Operator added")
    expect(created.get_by_test_id("audit-target")).to_have_text(operator_id)
    expect(created.get_by_test_id("audit-ip")).to_have_text(logged["ip"] or "—")
    expect(created.get_by_test_id("audit-detail").locator("li")).to_have_text(
        ["Role: Operator", f"Email: {email}"])
    expect(created.locator("time")).to_have_text(service_time(admin, logged["at"]))

    settings = rows(page, "settings.update").first
    expect(settings.get_by_test_id("audit-action-label")).to_have_text("Settings changed")
    expect(settings.get_by_test_id("audit-detail")).to_have_text("Fields: max_queue")
    expect(settings.get_by_test_id("audit-actor")).to_have_text(me["name"])

    failed = rows(page, "auth.login_failed").first
    expect(failed.get_by_test_id("audit-actor")).to_have_text("Not signed in")
    expect(failed.get_by_test_id("audit-role")).to_have_count(0)
    expect(failed.get_by_test_id("audit-detail")).to_have_text(f"Email tried: {nobody}")
    page.mouse.move(0, 0)
    shoot(page, screenshots, "audit-en")
    axe.accessible(page, "the Audit log")

    # The filters are labelled: From, To, Action (All actions and the 13 in words).
    form = page.get_by_test_id("audit-filters")
    for label, test_id in (("From", "audit-from"), ("To", "audit-to"), ("Action", "audit-action")):
        expect(form.locator("label", has=page.get_by_test_id(test_id))).to_contain_text(label)
    options = page.get_by_test_id("audit-action").locator("option")
    expect(options).to_have_count(14)
    expect(options.nth(0)).to_have_text("All actions")
    expect(options.nth(4)).to_have_text("Operator added")

    # The action filter: only operator.create rows.
    page.get_by_test_id("audit-action").select_option("operator.create")
    answer = apply(page)
    assert query_of(answer.url) == {"action": "operator.create"}
    expect(rows(page, "operator.create").first).to_have_attribute("data-entry-id",
                                                                   logged["entry_id"])
    shown = rows(page).count()
    assert shown >= 1
    expect(rows(page, "operator.create")).to_have_count(shown)

    # Today's local day of the service, as YYYY-MM-DD, with the action.
    today = service_now(admin).date().isoformat()
    page.get_by_test_id("audit-from").fill(today)
    page.get_by_test_id("audit-to").fill(today)
    answer = apply(page)
    assert query_of(answer.url) == {"from": today, "to": today, "action": "operator.create"}
    expect(rows(page).first).to_have_attribute("data-entry-id", logged["entry_id"])
    expect(rows(page, "operator.create")).to_have_count(rows(page).count())

    # More: the next page, asked for with next_cursor and the same filters (the
    # first answer is given a cursor here; the page after it is the route's).
    asked: list[dict[str, str]] = []
    older = {"entry_id": "e2e-older", "at": "2026-01-05T01:02:03Z",
             "actor": {"operator_id": "op-e2e", "name": "Earlier Admin", "role": "admin"},
             "action": "operator.create", "target": "op-earlier", "ip": "198.51.100.7",
             "detail": {"role": "admin", "email": "earlier@demo.test"}}

    def paged(route: Route) -> None:
        query = query_of(route.request.url)
        asked.append(query)
        if query.get("cursor") == "e2e-next":
            route.fulfill(json={"entries": [older], "next_cursor": None})
            return
        first = route.fetch().json()
        route.fulfill(json={**first, "next_cursor": "e2e-next"})

    page.route(AUDIT, paged)
    apply(page)
    more = page.get_by_role("button", name="More", exact=True)
    expect(more).to_be_visible()
    before = rows(page).count()
    with page.expect_response(lambda r: "cursor=" in r.url):
        more.click()
    expect(rows(page)).to_have_count(before + 1)
    expect(rows(page).last).to_have_attribute("data-entry-id", "e2e-older")
    expect(more).to_be_hidden()
    assert asked[-1] == {"from": today, "to": today, "action": "operator.create",
                         "cursor": "e2e-next"}
    page.unroute(AUDIT)

    # A from date after the to date: the server's 400, its message as text, at the filters.
    with pytest.raises(ApiCallFailed) as bad:
        admin.call("GET", "/audit?from=2026-05-02&to=2026-05-01")
    server_message = json.loads(str(bad.value).split(": ", 1)[1])["message"]
    page.get_by_test_id("audit-from").fill("2026-05-02")
    page.get_by_test_id("audit-to").fill("2026-05-01")
    assert apply(page).status == 400
    error = page.get_by_test_id("audit-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("The value of “from” is not valid.")
    expect(page.get_by_test_id("audit-server-words")).to_have_text(
        f"The server says: {server_message}")
    expect(page.get_by_test_id("audit-from")).to_have_attribute("aria-invalid", "true")
    axe.accessible(page, "the Audit log with the server's error")

    # Reset: no filters, no error, every action again.
    with page.expect_response(lambda r: "/api/audit" in r.url) as answer:
        page.get_by_role("button", name="Reset").click()
    assert query_of(answer.value.url) == {}
    expect(error).to_be_hidden()
    expect(page.get_by_test_id("audit-from")).to_have_value("")
    expect(page.get_by_test_id("audit-action")).to_have_value("")
    expect(rows(page, "settings.update").first).to_be_visible()

    # In Japanese.
    page.get_by_label("Language").select_option("ja")
    expect(page.get_by_role("heading", name="監査ログ", level=1)).to_be_visible()
    expect(page.locator(".sidebar").get_by_role("link", name="監査ログ")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_test_id("audit-intro")).to_contain_text("2 年間保管")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["日時", "実行者", "操作", "対象", "IP アドレス", "詳細"])
    settings = rows(page, "settings.update").first
    expect(settings.get_by_test_id("audit-action-label")).to_have_text("基本設定の変更")
    expect(settings.get_by_test_id("audit-detail")).to_have_text("項目: max_queue")
    expect(settings.get_by_test_id("audit-role")).to_have_text("管理者")
    failed = rows(page, "auth.login_failed").first
    expect(failed.get_by_test_id("audit-actor")).to_have_text("未サインイン")
    expect(failed.get_by_test_id("audit-detail")).to_have_text(f"入力されたメール: {nobody}")
    expect(rows(page, "operator.create").first.get_by_test_id("audit-action-label")).to_have_text(
        "オペレーターの追加")
    options = page.get_by_test_id("audit-action").locator("option")
    expect(options).to_have_count(14)
    expect(options.first).to_have_text("すべての操作")
    page.mouse.move(0, 0)
    shoot(page, screenshots, "audit-ja")
    axe.accessible(page, "the Audit log in Japanese")


def test_what_the_server_sends_is_text_and_operators_have_no_audit_log(
    local_stack: LocalStack, consoles: Consoles, operator_account: Operator,
) -> None:
    # An operator: no navigation entry, the admin-only page, and 403 from the API.
    with pytest.raises(ApiCallFailed) as refused:
        operator_account.call("GET", "/audit")
    assert refused.value.status == 403
    assert "admin_only" in str(refused.value)
    operator_page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    expect(operator_page.get_by_test_id("admin-nav")).to_have_count(0)
    expect_admin_only(operator_page, local_stack.base_url, "Audit log", "audit")
    expect(operator_page.get_by_test_id("audit-table")).to_have_count(0)
    operator_page.context.close()

    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    entries = [
        {"entry_id": "x-1", "at": "2026-03-01T09:00:00Z",
         "actor": {"operator_id": "op-x", "name": f"<b>Mallory</b>{MARKUP}", "role": "admin"},
         "action": "webhook.create", "target": MARKUP, "ip": "203.0.113.9",
         "detail": {"url": f"https://example.com/{MARKUP}", "events": ["chat.started", MARKUP],
                    "note": MARKUP}},
        {"entry_id": "x-2", "at": "2026-03-01T08:00:00Z", "actor": None,
         "action": "auth.login_failed", "target": None, "ip": "203.0.113.10",
         "detail": {"email": MARKUP}},
        {"entry_id": "x-3", "at": "2026-03-01T07:00:00Z", "actor": None,
         "action": "settings.update", "target": "demo", "ip": None,
         "detail": {"fields": ["identity_secret"]}},
        {"entry_id": "x-4", "at": "2026-03-01T06:00:00Z",
         "actor": {"operator_id": "op-a", "name": "Ada", "role": "admin"},
         "action": "operator.update", "target": "op-b", "ip": "203.0.113.11",
         "detail": {"fields": ["name", "role"], "role": {"from": "operator", "to": "admin"}}},
        {"entry_id": "x-5", "at": "2026-03-01T05:00:00Z",
         "actor": {"operator_id": "op-c", "name": "Cy", "role": "operator"},
         "action": "block.create", "target": "blk-1", "ip": "203.0.113.12",
         "detail": {"customer_id": "cus-1", "chat_id": "chat-1", "days": 7, "ip": True}},
        {"entry_id": "x-6", "at": "2026-03-01T04:00:00Z",
         "actor": {"operator_id": "op-a", "name": "Ada", "role": "admin"},
         "action": "export.create", "target": "exp-1", "ip": "203.0.113.11",
         "detail": {"from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z",
                    "filters": ["operator_id", "status"]}},
        {"entry_id": "x-7", "at": "2026-03-01T03:00:00Z",
         "actor": {"operator_id": "op-a", "name": "Ada", "role": "admin"},
         "action": "privacy.erase", "target": "cus-2", "ip": "203.0.113.11",
         "detail": {"chats": 3, "messages": 41, "tags": {MARKUP: [MARKUP]}}},
    ]
    page.route(AUDIT, lambda route: route.fulfill(json={"entries": entries, "next_cursor": None}))
    open_audit(page)
    expect(rows(page)).to_have_count(len(entries))
    table = page.get_by_test_id("audit-table")

    hooked = rows(page).nth(0)
    expect(hooked.get_by_test_id("audit-actor")).to_have_text(f"<b>Mallory</b>{MARKUP}")
    expect(hooked.get_by_test_id("audit-target")).to_have_text(MARKUP)
    expect(hooked.get_by_test_id("audit-detail").locator("li")).to_have_text(
        [f"URL: https://example.com/{MARKUP}", f"Events: chat.started, {MARKUP}",
         f"note: {MARKUP}"])
    expect(rows(page).nth(1).get_by_test_id("audit-actor")).to_have_text("Not signed in")
    expect(rows(page).nth(1).get_by_test_id("audit-detail")).to_have_text(
        f"Email tried: {MARKUP}")
    expect(rows(page).nth(2).get_by_test_id("audit-actor")).to_have_text("System")
    expect(rows(page).nth(2).get_by_test_id("audit-ip")).to_have_text("—")
    expect(rows(page).nth(2).get_by_test_id("audit-detail")).to_have_text(
        "Fields: identity_secret")
    expect(rows(page).nth(3).get_by_test_id("audit-detail").locator("li")).to_have_text(
        ["Fields: name, role", "Role: Operator → Admin"])
    expect(rows(page).nth(4).get_by_test_id("audit-role")).to_have_text("Operator")
    expect(rows(page).nth(4).get_by_test_id("audit-detail").locator("li")).to_have_text(
        ["Blocked for 7 days", "IP address blocked too", "Customer: cus-1", "Chat: chat-1"])
    expect(rows(page).nth(5).get_by_test_id("audit-detail").locator("li")).to_have_text(
        [re.compile(r"^Period: \d\d/\d\d/2026, \d\d:\d\d – \d\d/\d\d/2026, \d\d:\d\d$"),  # noqa: RUF001
         "Filters: operator_id, status"])
    expect(rows(page).nth(6).get_by_test_id("audit-action-label")).to_have_text(
        "Personal data erased")
    expect(rows(page).nth(6).get_by_test_id("audit-detail").locator("li")).to_have_text(
        ["chats: 3", "messages: 41", f"tags: {MARKUP}: {MARKUP}"])
    # Nothing became markup, nothing ran.
    expect(table.locator("img, b")).to_have_count(0)
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    page.unroute(AUDIT)
