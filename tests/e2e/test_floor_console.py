"""Seeing and steering the floor in the operator console (issue 20), in a real
browser on the local stack, with customers driven over the WebSocket API:

- blocking (R-BLK-1): the operator blocks a visitor from the chat (the dialog: days,
  a reason typed through an IME, the IP address) and the chat ends; the visitor's
  new sessions are refused; the admin's Blocks screen lists the block and Lift
  removes it (and the visitor is let in again);
- visitor context (R-VIS-1): the customer panel shows the page the customer is on,
  where they came from and the pages of this chat, following `page.view` live, and
  "2 earlier chats" opens Chat History filtered to the customer;
- the live monitor (R-SUP-1): a new waiting chat shows up, then its assignment,
  without a reload; the timers tick; Watch (read-only, live, with notes), Add note
  and Transfer.

Screenshots: docs/screenshots/console-blocks.png, console-block-dialog.png,
console-visitor-panel.png, console-monitor.png, console-monitor-watch.png."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import (
    Consoles,
    Customer,
    deleting_what_is_added,
    expect_admin_only,
    go_online,
    open_chat,
    shoot,
)
from tests.e2e.operator_client import (
    ADMIN_EMAIL,
    OPERATOR_EMAIL,
    ApiCallFailed,
    Operator,
    rest,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def consoles(consoles: Consoles, admin: Operator) -> Iterator[Consoles]:
    """The shared consoles (conftest.py); every block a test made is lifted
    afterwards (an IP block of 127.0.0.1 would refuse every later customer)."""
    with deleting_what_is_added(admin, "/blocks", "blocks", "block_id"):
        yield consoles


@pytest.fixture
def returning(local_stack: LocalStack) -> Iterator[Any]:
    """A visitor coming back (a new session with the same visitor token)."""
    made: list[Customer] = []

    def new(visitor_token: str) -> Customer:
        customer = Customer(local_stack.api_url, visitor_token=visitor_token)
        made.append(customer)
        return customer

    yield new
    for customer in made:
        customer.close()



def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def service_time(admin: Operator, iso: str) -> str:
    """What the console shows for `iso` in English: the service's local time."""
    zone = ZoneInfo(admin.call("GET", "/settings")["timezone"])
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone)
    return moment.strftime("%d/%m/%Y, %H:%M")


def session_for(stack: LocalStack, visitor_token: str) -> Any:
    return rest(stack.api_url, "POST", "/widget/demo/session", {"visitor_token": visitor_token})


def listen_as(operator: Operator, chat_id: str) -> None:
    """The operator's API client opens the chat and listens to it (as its console would)."""
    operator.call("POST", f"/chats/{chat_id}/open")
    request_id = f"resume-{uuid.uuid4().hex[:6]}"
    operator.send({"type": "chat.resume", "id": request_id, "chat_id": chat_id, "after_seq": 0})
    operator.wait_for("chat.history", lambda f: f.get("re") == request_id)


def mark_page(page: Page) -> None:
    """A mark a reload would wipe out."""
    page.evaluate("window.__noReload = 'still here'")


def not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"


# --- blocking (R-BLK-1) ------------------------------------------------------------------


def test_an_operator_blocks_a_visitor_from_the_chat_and_an_admin_lifts_the_block(
    local_stack: LocalStack, consoles: Consoles, customers: Any, admin: Operator,
    screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(page)
    customer = customers()
    name = unique("<b>迷惑</b> 太郎")
    customer.start(name)
    chat_id = open_chat(page, name)
    customer.say("ふざけた書き込み")

    page.get_by_role("button", name="Block visitor").click()
    dialog = page.get_by_role("dialog", name="Block this visitor")
    expect(dialog).to_be_visible()
    days = dialog.get_by_label("Block for")
    expect(days).to_have_value("30")
    expect(days).to_be_focused()
    expect(dialog).to_contain_text("The customer is not told about the block")
    # Days out of range are refused at the field, before anything is sent.
    days.fill("0")
    submit = dialog.get_by_role("button", name="Block and end chat")
    submit.click()
    expect(dialog.get_by_text("Enter a whole number of days from 1 to 365.")).to_be_visible()
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_be_focused()
    days.fill("\uff17")  # a full-width 7, as an IME types it
    expect(days).not_to_have_attribute("aria-invalid", "true")

    # The reason typed through an IME: the Enter that commits the conversion is the
    # IME's, never the form's.
    reason = dialog.get_by_label("Reason (optional)")
    reason.focus()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition",
             {"text": "ぼうげん", "selectionStart": 4, "selectionEnd": 4})
    taken = reason.evaluate("""(el) => !el.dispatchEvent(new KeyboardEvent('keydown',
        {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    assert taken is True
    cdp.send("Input.insertText", {"text": "暴言"})
    reason.press("End")
    reason.type("を繰り返す <script>x</script>")
    expect(reason).to_have_value("暴言を繰り返す <script>x</script>")
    expect(dialog).to_be_visible()
    ip_box = dialog.get_by_label(re.compile(r"Also block this IP address \(.+\)"))
    expect(ip_box).to_be_enabled()
    ip_box.check()
    shoot(page, screenshots, "block-dialog")
    axe.accessible(page, "the Block visitor dialog")

    with page.expect_response(lambda r: r.url.endswith(f"/api/chats/{chat_id}/block")) as answer:
        submit.click()
    assert answer.value.status == 201
    made = answer.value.json()
    assert made["reason"] == "暴言を繰り返す <script>x</script>" and made["ip"]
    lasts = (datetime.fromisoformat(made["until"].replace("Z", "+00:00"))
             - datetime.fromisoformat(made["created_at"].replace("Z", "+00:00")))
    assert round(lasts.total_seconds() / 86400) == 7
    # The chat ends as on End: it leaves the list and the screen.
    expect(page).to_have_url(re.compile(r"#/chats$"))
    expect(page.locator(".toast", has_text="is blocked until")).to_be_visible()
    expect(page.get_by_test_id("chat-list").locator(".chat-item", has_text=name)).to_have_count(0)
    # The customer reads only that the chat has ended, and cannot come back.
    ended_texts = ("This chat has ended.", "このチャットは終了しました。")  # the chat's language
    customer.wait_for("message", lambda f: (f.get("message") or {}).get("text") in ended_texts)
    customer.wait_for("chat.ended", lambda f: f.get("chat_id") == chat_id)
    with pytest.raises(ApiCallFailed) as refused:
        session_for(local_stack, customer.visitor_token)
    assert refused.value.status == 403 and "blocked" in str(refused.value)

    # An operator has no Blocks screen.
    expect_admin_only(page, local_stack.base_url, "Blocks", "blocks")

    # The admin's Blocks screen lists it: customer, IP, reason (as text), until, by whom.
    admin_page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    admin_page.locator(".sidebar").get_by_role("link", name="Blocks").click()
    expect(admin_page.get_by_role("heading", name="Blocked visitors", level=1)).to_be_visible()
    row = admin_page.locator(f"[data-block-id='{made['block_id']}']")
    expect(row).to_be_visible()
    expect(row.locator(".block-customer a")).to_have_text(name)
    expect(row.locator(".block-customer a")).to_have_attribute(
        "href", f"#/history?customer_id={made['customer_id']}")
    expect(row).to_contain_text(made["ip"])
    expect(row.locator(".block-reason")).to_have_text("暴言を繰り返す <script>x</script>")
    expect(row).to_contain_text(service_time(admin, made["until"]))
    expect(row).to_contain_text("Demo Operator")
    expect(row.locator("b, script")).to_have_count(0)
    shoot(admin_page, screenshots, "blocks")
    axe.accessible(admin_page, "the Blocks screen")

    # Lift asks first; then the row goes and the visitor is let in again.
    row.get_by_role("button", name=f"Lift the block on {name}").click()
    confirm = admin_page.get_by_role("dialog")
    expect(confirm).to_contain_text("Lift this block?")
    expect(confirm).to_contain_text(made["ip"])
    confirm.get_by_role("button", name="Lift").click()
    expect(row).to_have_count(0)
    expect(admin_page.locator(".toast", has_text="was lifted")).to_be_visible()
    assert made["block_id"] not in {b["block_id"] for b in admin.call("GET", "/blocks")["blocks"]}
    assert session_for(local_stack, customer.visitor_token)["visitor_token"]


# --- visitor context (R-VIS-1) ------------------------------------------------------------


def test_the_visitor_panel_follows_the_customers_pages_live_and_links_earlier_chats(
    local_stack: LocalStack, consoles: Consoles, customers: Any, returning: Any,
    operator_account: Operator, screenshots: Path,
) -> None:
    name = unique("Ada <i>Visitor</i>")
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(page)

    # Two earlier chats of the same visitor, ended.
    first = customers()
    token = first.visitor_token
    for earlier in (first, returning(token)):
        earlier_id = earlier.start(name)["chat_id"]

        def assigned(frame: dict[str, Any], chat_id: str = earlier_id) -> bool:
            return bool((frame.get("chat") or {}).get("chat_id") == chat_id)

        operator_account.wait_for("chat.assigned", assigned)
        operator_account.call("POST", f"/chats/{earlier_id}/end")
        earlier.wait_for("chat.ended", lambda f, chat_id=earlier_id: f.get("chat_id") == chat_id)

    # The third: the customer is on a product page, having come from a search.
    customer = returning(token)
    customer.start(name)
    customer.page_view("https://shop.example/kettles/blue?utm_source=mail",
                       "<b>Blue kettle</b> | Demo shop", referrer="https://search.example/results")
    open_chat(page, name)
    mark_page(page)
    panel = page.get_by_test_id("visitor-panel")
    current = panel.get_by_test_id("visitor-current-link")
    expect(current).to_contain_text("<b>Blue kettle</b> | Demo shop")
    # The query string is dropped (the service keeps none by default); a link opens a
    # new tab, telling the site nothing.
    expect(current).to_have_attribute("href", "https://shop.example/kettles/blue")
    expect(current).to_have_attribute("target", "_blank")
    expect(current).to_have_attribute("rel", "noopener noreferrer")
    expect(panel.get_by_test_id("visitor-current")).to_contain_text("https://shop.example/kettles/blue")
    referrer = panel.get_by_test_id("visitor-referrer-link")
    expect(referrer).to_have_attribute("href", "https://search.example/results")
    expect(panel.get_by_test_id("visitor-earlier-link")).to_have_text("2 earlier chats")
    expect(panel.locator("b, i")).to_have_count(0)

    # The customer moves on: the panel follows at once, without a reload.
    time.sleep(1.2)  # the server keeps at most one page a second
    customer.page_view("https://shop.example/cart", "カート - Demo shop")
    expect(current).to_contain_text("カート - Demo shop")
    expect(current).to_have_attribute("href", "https://shop.example/cart")
    rows = panel.get_by_test_id("visitor-pages").locator("li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("カート - Demo shop")
    expect(rows.nth(1)).to_contain_text("<b>Blue kettle</b> | Demo shop")
    not_reloaded(page)

    # A javascript: URL is refused, and nothing changes here.
    time.sleep(1.2)
    customer.page_view("javascript:alert(document.domain)", "evil")
    refused = customer.wait_for("error", lambda f: f.get("code") == "bad_request")
    assert refused["code"] == "bad_request"
    page.wait_for_timeout(500)
    expect(current).to_contain_text("カート - Demo shop")
    expect(rows).to_have_count(2)
    expect(page.locator("a[href^='javascript:']")).to_have_count(0)
    panel.scroll_into_view_if_needed()
    shoot(page, screenshots, "visitor-panel")
    axe.accessible(page, "the visitor panel")

    # "2 earlier chats" opens Chat History filtered to this customer.
    with page.expect_request(lambda r: "/api/history?" in r.url
                             and f"customer_id={customer.customer_id}" in r.url):
        panel.get_by_test_id("visitor-earlier-link").click()
    expect(page).to_have_url(re.compile(rf"#/history\?customer_id={customer.customer_id}$"))
    chip = page.get_by_test_id("customer-chip")
    expect(chip).to_contain_text(f"Customer: {name}")
    table_rows = page.get_by_test_id("history-table").locator("tbody tr")
    expect(table_rows.first).to_contain_text(name)
    assert table_rows.count() >= 2
    for index in range(table_rows.count()):
        expect(table_rows.nth(index)).to_contain_text(name)
    axe.accessible(page, "Chat History filtered to a customer")
    # A reload keeps the filter; its remove button takes it off.
    page.reload()
    expect(chip).to_contain_text(f"Customer: {name}")
    chip.get_by_role("button", name=re.compile("Remove the filter")).click()
    expect(chip).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#/history$"))


# --- the live monitor (R-SUP-1) ----------------------------------------------------------


def test_the_monitor_shows_a_new_waiting_chat_then_its_assignment_without_a_reload(
    local_stack: LocalStack, consoles: Consoles, customers: Any, operator_account: Operator,
    screenshots: Path,
) -> None:
    # An operator has no monitor.
    operator_page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    expect_admin_only(operator_page, local_stack.base_url, "Monitor", "monitor")
    operator_page.context.close()

    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    page.locator(".sidebar").get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", name="Live monitor", level=1)).to_be_visible()
    expect(page.get_by_test_id("monitor-updated")).to_contain_text("Updated")
    expect(page.get_by_test_id("monitor-queue-length")).to_have_text("0")
    mark_page(page)

    # Nobody online: a new chat waits, and the monitor shows it (no reload).
    first = customers()
    name = unique("Monitor <b>待ち</b>")
    first.start(name)
    queue = page.get_by_test_id("monitor-queue")
    waiting = queue.locator("tr", has_text=name)
    expect(waiting).to_be_visible(timeout=15000)
    expect(waiting.locator("td").first).to_have_text("#1")
    expect(page.get_by_test_id("monitor-queue-length")).to_have_text("1")
    wait = waiting.get_by_test_id("monitor-wait")
    expect(wait).to_have_text(re.compile(r"^\d+:\d\d$"))
    before = wait.inner_text()
    expect(wait).not_to_have_text(before, timeout=3000)  # ticking here, every second

    # The operator comes online and gets it: it moves to the chats in progress.
    operator_account.set_status("online")
    chats = page.get_by_test_id("monitor-chats")
    going = chats.locator("tr", has_text=name)
    expect(going).to_be_visible(timeout=15000)
    expect(going.get_by_test_id("monitor-chat-operator")).to_have_text(operator_account.name)
    expect(waiting).to_have_count(0)
    expect(page.get_by_test_id("monitor-queue-length")).to_have_text("0")
    operators = page.get_by_test_id("monitor-operators")
    expect(operators.locator("tr", has_text=operator_account.name)).to_contain_text("Online")
    not_reloaded(page)

    # The customer writes: the wait for a reply counts here.
    first.say("誰かいますか")
    unanswered = going.get_by_test_id("monitor-unanswered")
    expect(unanswered).to_have_text(re.compile(r"^\d+:\d\d"), timeout=15000)

    # The operator goes on a break: the next customer waits.
    operator_account.set_status("break")
    second = customers()
    second_name = unique("Second <i>customer</i>")
    second.start(second_name)
    expect(queue.locator("tr", has_text=second_name)).to_be_visible(timeout=15000)
    expect(operators.locator("tr", has_text=operator_account.name)).to_contain_text("Break",
                                                                                      timeout=15000)
    expect(page.locator(".monitor-page b, .monitor-page i")).to_have_count(0)
    shoot(page, screenshots, "monitor")
    axe.accessible(page, "the monitor")

    # Watch: the transcript, read only, live, with notes.
    going.get_by_role("button", name=re.compile("^Watch")).click()
    watch = page.get_by_test_id("monitor-watch")
    expect(watch).to_be_visible()
    expect(watch.get_by_role("heading", level=2)).to_have_text(name)
    expect(watch.locator(".msg-customer .msg-text")).to_have_text(["誰かいますか"])
    expect(watch.locator("textarea")).to_have_count(0)
    expect(watch).to_contain_text("Read only")
    listen_as(operator_account, first.chat_id)
    operator_account.say(first.chat_id, "お待たせしました。")
    expect(watch.locator(".msg-operator .msg-text")).to_have_text(["お待たせしました。"])
    expect(unanswered).to_have_text(re.compile("Answered"), timeout=15000)
    first.say("ありがとう")
    expect(watch.locator(".msg-customer .msg-text").last).to_have_text("ありがとう")

    # Add note, from the watch panel: it shows as a note there.
    watch.get_by_role("button", name="Add note").click()
    note_dialog = page.get_by_role("dialog")
    expect(note_dialog).to_contain_text("Internal note on the chat with")
    note_dialog.get_by_label("Internal note").fill("監視中: 返信が遅れています <u>")
    note_dialog.get_by_role("button", name="Add note").click()
    expect(watch.locator(".msg-note .msg-text")).to_have_text(["監視中: 返信が遅れています <u>"])
    assert any(n["text"] == "監視中: 返信が遅れています <u>"
               for n in operator_account.call("GET", f"/chats/{first.chat_id}/notes")["notes"])
    shoot(page, screenshots, "monitor-watch")

    # Transfer: the usual dialog, with the operators and the queue.
    watch.get_by_role("button", name="Transfer").click()
    transfer = page.get_by_role("dialog", name="Transfer this chat")
    expect(transfer).to_be_visible()
    expect(transfer.get_by_test_id("transfer-queue")).to_be_visible()
    axe.accessible(page, "the monitor's transfer dialog")
    transfer.get_by_role("button", name="Cancel").click()
    expect(transfer).to_be_hidden()

    axe.accessible(page, "the monitor, watching a chat")
    watch.get_by_role("button", name="Stop watching").click()
    expect(watch).to_be_hidden()
    not_reloaded(page)

    # In Japanese too.
    page.get_by_label("Language").select_option("ja")
    expect(page.get_by_role("heading", name="ライブモニター", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="お客様の返信待ち")).to_be_visible()
    expect(page.get_by_test_id("monitor-chats").locator("tr", has_text=name)).to_contain_text(
        operator_account.name)
