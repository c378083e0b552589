"""When nobody can answer, in a real browser on the local stack: outside business
hours the widget shows the hours and the offline form, a customer sends it and
sees the ticket's number (R-BH-1, R-OFF-1); the ticket is in the console's queue,
an operator replies from its thread and the reply lands in the local outbox
(R-TK-2, R-MAIL-1); after a chat the customer has the transcript mailed, without
the operators' notes. Screenshots: docs/screenshots/widget-closed*.png,
widget-offline-*.png, console-tickets*.png."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LocalStack, get_json
from tests.e2e.console_helpers import VIEWPORT, shoot, sign_in
from tests.e2e.operator_client import OPERATOR_EMAIL, Operator, settle
from tests.e2e.widget_page import Widget

pytestmark = pytest.mark.e2e

TOKYO = ZoneInfo("Asia/Tokyo")
LUNCH_BREAK = [["09:00", "12:00"], ["13:00", "17:30"]]


def outbox(stack: LocalStack) -> list[dict[str, Any]]:
    return get_json(stack.base_url + "/api/local/outbox")["messages"]


def wait_for_mail(stack: LocalStack, to: str, subject: str, timeout: float = 30) -> dict:
    """The newest mail to `to` whose subject has `subject` (the worker sends it
    in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in outbox(stack):
            if to in message["to"] and subject in message["subject"]:
                return message
        time.sleep(0.3)
    raise AssertionError(f"no mail to {to} about {subject!r}: {outbox(stack)[:3]}")


@pytest.fixture
def closed_today(admin: Operator) -> Iterator[datetime]:
    """Business hours on (weekdays with a lunch break, the year end closed), and
    today and tomorrow (Tokyo) closed too: the service is closed now."""
    today = datetime.now(TOKYO).date()
    closed = [str(today), str(today + timedelta(days=1)),
              "12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]
    before = admin.call("GET", "/settings")
    admin.call("PUT", "/settings", {
        "timezone": "Asia/Tokyo", "offline_form": True,
        "business_hours": {"enabled": True, "holiday_country": "JP", "closed_dates": closed,
                           "weekly": {**{day: LUNCH_BREAK for day in
                                         ("mon", "tue", "wed", "thu", "fri")},
                                      "sat": [], "sun": []}},
    })
    yield datetime.combine(today + timedelta(days=2), datetime.min.time(), TOKYO)
    admin.call("PUT", "/settings", {"business_hours": before["business_hours"],
                                    "timezone": before["timezone"]})


def widget_page(browser: Any, stack: LocalStack, locale: str = "en-US") -> tuple[Any, Widget]:
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(stack.base_url + "/")
    widget = Widget(page)
    widget.open()
    context.errors = errors  # type: ignore[attr-defined]
    return context, widget


def test_outside_hours_a_customer_leaves_a_message_and_an_operator_answers_by_mail(
    browser: Any, local_stack: LocalStack, admin: Operator, operator_account: Operator,
    closed_today: datetime, screenshots: Any,
) -> None:
    settle(admin, operator_account)
    context, widget = widget_page(browser, local_stack)
    frame = widget.frame
    # Closed: the hours, when it opens, the away message and the form; no chat.
    expect(frame.locator("#hdc-closed")).to_be_visible()
    expect(frame.locator("#hdc-hours")).to_be_visible()
    expect(frame.locator("#hdc-hours tr[data-day=mon]")).to_contain_text("13:00")
    expect(frame.locator("#hdc-next-open")).to_be_visible()
    expect(frame.locator("[data-action=consent]")).to_have_count(0)
    widget.shot(screenshots, "closed")

    email = f"hanako.{uuid.uuid4().hex[:8]}@example.test"
    form = frame.locator("#hdc-offline")
    # A failed check keeps what was typed and says why.
    form.locator("[name=name]").fill("山田 花子")
    form.locator("[name=email]").fill("not-an-email")
    form.locator("[name=text]").fill("注文した商品がまだ届きません。\n注文番号は A-1234 です。")
    frame.locator("#hdc-off-consent").check()
    frame.locator("[data-action=offline-send]").click()
    expect(frame.locator("#hdc-offline-status")).to_have_class(re.compile("error"))
    expect(form.locator("[name=text]")).to_have_value(re.compile("A-1234"))
    form.locator("[name=email]").fill(email)
    widget.shot(screenshots, "offline-form")
    frame.locator("[data-action=offline-send]").click()
    received = frame.locator("#hdc-offline-received")
    expect(received).to_contain_text(re.compile(r"#\d+"))
    number = int(re.search(r"#(\d+)", received.inner_text()).group(1))
    widget.shot(screenshots, "offline-received")
    assert context.errors == []  # type: ignore[attr-defined]
    context.close()

    confirmation = wait_for_mail(local_stack, email, f"#{number}")
    assert "A-1234" in confirmation["text"]

    # The console's queue has it; its thread takes a reply, which is mailed.
    console = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page: Page = console.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    sign_in(page, local_stack.base_url, OPERATOR_EMAIL)
    page.goto(local_stack.base_url + "/console/#/tickets?status=open")
    row = page.locator("[data-testid=tickets-table] tbody tr[data-ticket-id]",
                       has_text=re.compile(rf"#{number}\b"))
    expect(row).to_be_visible()
    expect(row).to_contain_text(email)
    shoot(page, screenshots, "tickets-queue")
    row.locator("a").first.click()
    expect(page.get_by_test_id("ticket-title")).to_contain_text(f"#{number}")
    thread = page.locator("[data-testid=ticket-thread] [data-testid=thread-entry]")
    expect(thread.first).to_contain_text("A-1234")
    page.get_by_test_id("ticket-reply-input").fill(
        "ご連絡ありがとうございます。明日お届けの予定です。")
    page.locator("[data-action=send-reply]").click()
    expect(thread).to_have_count(2)
    page.get_by_test_id("ticket-status").select_option("pending")
    expect(page.get_by_test_id("ticket-status")).to_have_value("pending")
    reply = wait_for_mail(local_stack, email, "Re:")
    assert "明日お届けの予定です。" in reply["text"] and f"#{number}" in reply["subject"]
    expect(thread.nth(1).locator("[data-email-status=sent]")).to_be_visible(timeout=20000)
    shoot(page, screenshots, "ticket-thread")
    # The local outbox screen lists both mails.
    page.goto(local_stack.base_url + "/console/#/outbox")
    expect(page.locator("[data-testid=outbox-list] [data-testid=outbox-message]",
                        has_text=email).first).to_be_visible()
    shoot(page, screenshots, "outbox")
    assert page_errors == []
    console.close()


def test_the_closed_view_speaks_japanese(browser: Any, local_stack: LocalStack, shop: Any,
                                         closed_today: datetime, screenshots: Any) -> None:
    """A Japanese browser on a page that names no language."""
    from tests.e2e.widget_page import shop_page

    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(shop.page("/closed-ja.html", shop_page(local_stack.base_url, lang="")))
    widget = Widget(page)
    widget.open()
    expect(widget.frame.locator("#hdc-title")).to_have_text("営業時間外")
    expect(widget.frame.locator("#hdc-hours")).to_contain_text("月")
    widget.shot(screenshots, "closed-ja")
    context.close()


def test_the_transcript_mail_arrives_after_a_chat_without_the_notes(
    browser: Any, local_stack: LocalStack, admin: Operator, operator_account: Operator,
) -> None:
    settle(admin, operator_account, stay_online=True)
    context, widget = widget_page(browser, local_stack)
    widget.agree_and_start()
    chat = operator_account.take_chat()
    widget.say("Where is my parcel?")
    widget.wait_for_text("Where is my parcel?")
    operator_account.say(chat["chat_id"], "It left the warehouse today.")
    widget.wait_for_text("It left the warehouse today.")
    operator_account.call("POST", f"/chats/{chat['chat_id']}/notes",
                          {"text": "INTERNAL: customer was rude last time"})
    operator_account.call("POST", f"/chats/{chat['chat_id']}/end")
    email = f"kim.{uuid.uuid4().hex[:8]}@example.test"
    mail_input = widget.frame.locator("#hdc-transcript-email")
    expect(mail_input).to_be_visible(timeout=15000)
    mail_input.fill(email)
    widget.frame.locator("[data-action=transcript]").click()
    expect(widget.frame.locator("#hdc-transcript-status")).to_contain_text(email)
    transcript = wait_for_mail(local_stack, email, "")
    assert "Where is my parcel?" in transcript["text"]
    assert "It left the warehouse today." in transcript["text"]
    assert "INTERNAL" not in transcript["text"] and "rude" not in transcript["text"]
    assert context.errors == []  # type: ignore[attr-defined]
    context.close()
    settle(admin, operator_account)


def test_the_settings_screen_edits_business_hours_and_says_what_is_wrong(
    browser: Any, local_stack: LocalStack, admin: Operator, closed_today: datetime,
    screenshots: Any,
) -> None:
    from tests.e2e.operator_client import ADMIN_EMAIL

    before = admin.call("GET", "/settings")["business_hours"]
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, local_stack.base_url, ADMIN_EMAIL)
    page.get_by_role("link", name="Settings", exact=True).click()
    hours = page.get_by_test_id("settings-hours")
    expect(page.get_by_test_id("hours-enabled")).to_be_checked()
    monday = hours.get_by_test_id("hours-day-mon")
    expect(monday.get_by_test_id("hours-slot")).to_have_count(2)
    hours.scroll_into_view_if_needed()
    shoot(page, screenshots, "settings-hours")
    # A third slot overlapping lunch: said at Monday, nothing saved.
    monday.locator("[data-action=add-slot]").click()
    last = monday.get_by_test_id("hours-slot").last
    last.locator("input[data-edge=start]").fill("11:30")
    last.locator("input[data-edge=end]").fill("12:30")
    last.locator("input[data-edge=end]").press("Tab")
    page.locator("[data-action=save]").first.click()
    expect(page.locator("#error-business_hours-weekly-mon")).to_be_visible()
    assert admin.call("GET", "/settings")["business_hours"] == before
    assert errors == []
    context.close()
