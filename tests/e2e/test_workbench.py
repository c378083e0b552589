"""The operator's workbench in a real browser on the local stack: canned responses
and the `/` picker (R-CAN-1), internal notes that never reach the customer
(R-NOTE-1), and transfers between two consoles (R-TR-1). Screenshots go to
docs/screenshots/console-*.png."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import Consoles, shoot
from tests.e2e.operator_client import ADMIN_EMAIL, OPERATOR_EMAIL, Operator
from tests.e2e.widget_page import Widget

pytestmark = pytest.mark.e2e



def go_online(page: Page) -> None:
    page.get_by_test_id("status").select_option("online")
    expect(page.locator(".status-dot.status-online")).to_be_visible()


def open_first_chat(page: Page, name: str | None = None) -> str:
    """Open the (only, or named) chat of the list; returns its id."""
    items = page.get_by_test_id("chat-list").locator(".chat-item")
    item = items.filter(has_text=name) if name else items.first
    expect(item).to_be_visible(timeout=20000)
    item.click()
    expect(page.locator(".composer-input")).to_be_enabled()
    return str(item.get_attribute("data-chat-id"))


def composer_state(page: Page) -> dict[str, Any]:
    return page.locator(".composer-input").evaluate(
        "el => ({value: el.value, start: el.selectionStart, end: el.selectionEnd})")


def put_caret(page: Page, at: int) -> None:
    page.locator(".composer-input").evaluate(
        "(el, at) => { el.focus(); el.setSelectionRange(at, at); }", at)


# --- R-CAN-1: canned responses ---------------------------------------------------------------


@pytest.fixture
def canned(admin: Operator) -> Iterator[dict[str, Any]]:
    """A service response found by `へんぴん` in its title (a title of kanji alone,
    返品について, cannot match a kana query by folding), deleted after the test."""
    suffix = uuid.uuid4().hex[:6]
    created = admin.call("POST", "/canned-responses", {
        "scope": "service",
        "shortcut": f"henpin{suffix}",
        "title": "返品について (へんぴん)",
        "text": ("{{customer.name}}様、{{service.name}}の{{operator.name}}です。"
                 "返品はマイページから承ります。"),
    })
    assert created["scope"] == "service" and created["canned_id"]
    yield created
    admin.call("DELETE", f"/canned-responses/{created['canned_id']}")


def test_the_slash_picker_finds_a_response_by_kana_and_width_and_inserts_it_at_the_caret(
    local_stack: LocalStack, consoles: Consoles, customers: Any, operator_account: Operator,
    canned: dict[str, Any], screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    # The console folds as the server does: half-width, katakana and hiragana are one.
    folded = page.evaluate("""async () => {
        const { fold } = await import('./js/fold.js');
        const wide = ' \uff28\uff25\uff2e\u3000\uff50\uff49\uff4e ';
        return ['ﾍﾝﾋﾟﾝ', 'ヘンピン', 'へんぴん', wide].map(fold);
    }""")
    assert folded == ["へんぴん", "へんぴん", "へんぴん", "hen pin"]

    go_online(page)
    customer = customers()
    customer.start("田中 太郎")
    open_first_chat(page, "田中 太郎")
    me = operator_account.call("GET", "/me")
    expanded = (f"田中 太郎様、{me.get('service_name', '')}の{operator_account.name}です。"
                "返品はマイページから承ります。")

    # A draft with text before and after the caret; `/ﾍﾝﾋﾟﾝ` typed in between.
    composer = page.locator(".composer-input")
    composer.fill("Hello!  Best regards.")
    put_caret(page, len("Hello! "))
    page.keyboard.type("/ﾍﾝﾋﾟﾝ")
    picker = page.get_by_test_id("canned-picker")
    expect(picker).to_be_visible()
    option = picker.get_by_role("option").filter(has_text="返品について (へんぴん)")
    expect(option).to_have_count(1)
    expect(option).to_have_attribute("aria-selected", "true")
    expect(option).to_contain_text(f"/{canned['shortcut']}")
    # A combobox whose active option is its aria-activedescendant; the focus stays in the box.
    expect(composer).to_have_attribute("aria-expanded", "true")
    expect(composer).to_have_attribute("aria-activedescendant", str(option.get_attribute("id")))
    expect(composer).to_be_focused()
    page.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
    page.screenshot(path=str(screenshots / "console-canned-picker.png"))
    axe.accessible(page, "the picker")
    expect(picker).to_be_visible()

    # Enter inserts (and sends nothing): the `/ﾍﾝﾋﾟﾝ` token becomes the expanded text,
    # the rest of the draft stays, and the caret is after the insertion.
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(composer).to_have_attribute("aria-expanded", "false")
    state = composer_state(page)
    assert state["value"] == f"Hello! {expanded} Best regards."
    assert state["start"] == state["end"] == len(f"Hello! {expanded}")
    assert [m for m in operator_account.messages(customer.chat_id)
            if m["sender"]["role"] == "operator"] == []

    # Esc closes and keeps what was typed; the same `/` stays closed while typed on.
    page.keyboard.type(" /へんぴ")
    expect(picker).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    page.keyboard.type("ん")
    expect(picker).to_be_hidden()
    assert composer_state(page)["value"] == f"Hello! {expanded} /へんぴん Best regards."

    # A click inserts too; the shortcut is found whatever its case.
    composer.fill("")
    page.keyboard.type(f"/{canned['shortcut'][:6].upper()}")
    expect(option).to_be_visible()
    option.click()
    assert composer_state(page)["value"] == expanded
    expect(composer).to_be_focused()

    # Nothing matches: the picker says so, and Enter sends what was typed.
    composer.fill("")
    page.keyboard.type("/zzzz-nothing")
    expect(picker).to_contain_text("No canned response matches")
    expect(picker.get_by_role("option")).to_have_count(0)
    composer.fill(expanded)
    composer.press("Enter")
    assert customer.wait_for_message(expanded)["sender"]["role"] == "operator"


def test_the_canned_responses_screen_manages_my_set_and_says_what_is_wrong(
    local_stack: LocalStack, consoles: Consoles, operator_account: Operator, canned: dict[str, Any],
    screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    page.get_by_role("link", name="Canned responses").click()
    expect(page).to_have_url(re.compile(r"#/canned$"))
    expect(page.get_by_role("heading", name="Canned responses", level=1)).to_be_visible()
    variables = page.get_by_test_id("canned-variables")
    for variable in ("{{customer.name}}", "{{operator.name}}", "{{service.name}}"):
        expect(variables).to_contain_text(variable)

    # The service's set: listed, but an operator cannot change it.
    service = page.get_by_test_id("canned-service")
    expect(service.locator("tr", has_text=canned["shortcut"])).to_be_visible()
    expect(service.get_by_role("button")).to_have_count(0)
    expect(page.locator("[data-action=add-service]")).to_have_count(0)

    # My own: create, with the dialog saying what is missing or taken.
    shortcut = f"thanks{uuid.uuid4().hex[:5]}"
    page.locator("[data-action=add-personal]").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Shortcut").fill(f"/{shortcut}")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#canned-title-error")).to_have_text("“Title” is required.")
    expect(dialog.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Title")).to_be_focused()
    axe.accessible(page, "the canned response dialog with an error")
    dialog.get_by_label("Title").fill("お礼 <b>thanks</b>")
    dialog.get_by_label("Text").fill("Thanks for contacting {{service.name}}, {{customer.name}}.")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    mine = page.get_by_test_id("canned-personal")
    row = mine.locator("tr", has_text=shortcut)
    expect(row).to_contain_text("お礼 <b>thanks</b>")  # markup is text
    assert mine.locator("b").count() == 0
    listed = operator_account.call("GET", "/canned-responses")["canned_responses"]
    saved = next(c for c in listed if c["shortcut"] == shortcut)
    assert saved["scope"] == "personal" and saved["owner_id"] == operator_account.operator_id

    # A second one with the same shortcut: 409 duplicate_shortcut, said at the shortcut.
    page.locator("[data-action=add-personal]").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Shortcut").fill(shortcut)
    dialog.get_by_label("Title").fill("Again")
    dialog.get_by_label("Text").fill("Again")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#canned-shortcut-error")).to_contain_text("already uses this shortcut")
    expect(dialog.get_by_label("Shortcut")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_role("button", name="Cancel").click()

    # The search folds width and kana like the picker.
    page.get_by_test_id("canned-search").fill("ﾍﾝﾋﾟﾝ")
    expect(service.locator("tr", has_text=canned["shortcut"])).to_be_visible()
    expect(row).to_have_count(0)
    page.get_by_test_id("canned-search").fill("")
    shoot(page, screenshots, "canned")
    axe.accessible(page, "canned responses")

    # Edit, then delete.
    row.get_by_role("button", name="Edit “お礼 <b>thanks</b>”").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Title").fill("お礼")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(row.locator("td").nth(1)).to_have_text("お礼")
    row.get_by_role("button", name="Delete “お礼”").click()
    page.locator("dialog[open] [data-confirm]").click()
    expect(row).to_have_count(0)
    listed = operator_account.call("GET", "/canned-responses")["canned_responses"]
    assert shortcut not in [c["shortcut"] for c in listed]


def test_an_admin_edits_the_service_set(
    local_stack: LocalStack, consoles: Consoles, admin: Operator,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    page.goto(local_stack.base_url + "/console/#/canned")
    shortcut = f"hours{uuid.uuid4().hex[:5]}"
    page.locator("[data-action=add-service]").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Shortcut").fill(f"{shortcut} x")
    dialog.get_by_label("Title").fill("営業時間")
    dialog.get_by_label("Text").fill("平日 9:00-17:30 です。")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#canned-shortcut-error")).to_have_text("A shortcut has no spaces.")
    dialog.get_by_label("Shortcut").fill(shortcut)
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id("canned-service").locator("tr", has_text=shortcut)
    expect(row).to_be_visible()
    created = next(c for c in admin.call("GET", "/canned-responses")["canned_responses"]
                   if c["shortcut"] == shortcut)
    assert created["scope"] == "service"
    row.get_by_role("button", name="Delete “営業時間”").click()
    page.locator("dialog[open] [data-confirm]").click()
    expect(row).to_have_count(0)


# --- R-NOTE-1: internal notes ----------------------------------------------------------------


def test_a_note_shows_as_a_note_in_the_console_and_never_in_the_widget(
    local_stack: LocalStack, consoles: Consoles, operator_account: Operator, screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(page)
    widget = consoles.widget(local_stack.base_url)
    chat_id = open_first_chat(page)
    composer = page.locator(".composer-input")
    transcript = page.locator(".conversation-pane .transcript")

    composer.fill("Hello, how can I help?")
    composer.press("Enter")
    widget.wait_for_text("Hello, how can I help?")

    # Note mode: pressed, yellow, and saying in words who sees it.
    reply_mode = page.locator(".composer-mode[data-mode=reply]")
    note_mode = page.locator(".composer-mode[data-mode=note]")
    expect(reply_mode).to_have_attribute("aria-pressed", "true")
    note_mode.click()
    expect(note_mode).to_have_attribute("aria-pressed", "true")
    expect(reply_mode).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".composer")).to_have_class(re.compile("composer-note"))
    expect(page.locator(".composer-note-hint")).to_have_text(
        "Internal note: only operators see this. The customer never does.")
    expect(composer).to_have_attribute("aria-label", "Internal note")
    note = f"VIP customer, handle with care <b>{uuid.uuid4().hex[:6]}</b>"
    composer.fill(note)
    composer.press("Enter")

    shown = transcript.locator(".msg-note")
    expect(shown).to_have_count(1)
    expect(shown.locator(".msg-text")).to_have_text(note)  # as text
    expect(shown.locator(".note-label")).to_have_text("Internal note")
    expect(shown.locator(".msg-who")).to_have_text("Demo Operator")
    assert transcript.locator("b").count() == 0
    expect(composer).to_have_value("")
    # Stored as a note, not a message.
    stored = operator_account.call("GET", f"/chats/{chat_id}/notes")["notes"]
    assert [n["text"] for n in stored] == [note]
    assert note not in [m["text"] for m in operator_account.messages(chat_id)]

    # Back to replies: the reply draft is its own; the customer gets the next reply.
    reply_mode.click()
    expect(page.locator(".composer")).not_to_have_class(re.compile("composer-note"))
    composer.fill("Anything else?")
    composer.press("Enter")
    widget.wait_for_text("Anything else?")
    expect(transcript.locator(".msg-operator:not(.msg-pending) .msg-text").last).to_have_text(
        "Anything else?")
    # In time order: the reply, the note, the next reply.
    roles = transcript.locator(".msg[data-role]").evaluate_all(
        "els => els.map((el) => el.dataset.role)")
    assert roles[-3:] == ["operator", "note", "operator"]
    page.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
    shoot(page, screenshots, "note")
    note_mode.click()
    axe.accessible(page, "the chat with a note, in note mode")
    reply_mode.click()

    # The customer's widget never shows it, also after a reload (chat.history).
    def widget_text() -> str:
        return str(widget.frame.locator("body").inner_text())

    assert note not in widget_text() and "Internal note" not in widget_text()
    widget.page.reload()
    widget = Widget(widget.page)
    expect(widget.iframe).to_be_visible()  # it was open: it opens again
    widget.wait_for_text("Anything else?")
    assert note not in widget_text()

    # Chat History's detail and a ticket's chat history show it, marked as a note.
    ticket = operator_account.call("POST", f"/chats/{chat_id}/tickets", {"subject": "VIP"})
    page.goto(local_stack.base_url + "/console/#/history")
    page.locator(f"tr[data-chat-id='{chat_id}']").click()
    detail = page.get_by_test_id("history-detail")
    expect(detail.locator(".msg-note .msg-text")).to_have_text(note)
    expect(detail.locator(".msg-note .note-label")).to_have_text("Internal note")
    page.goto(local_stack.base_url + f"/console/#/tickets/{ticket['ticket_id']}")
    page.get_by_role("tab", name="Chat history").click()
    expect(page.locator(".tab-body .msg-note .msg-text")).to_have_text(note)


# --- R-TR-1: transfer ------------------------------------------------------------------------


def test_a_transfer_between_two_consoles_moves_the_chat_live_and_the_customer_sees_who_joined(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, operator_account: Operator,
    screenshots: Path,
) -> None:
    giver = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(giver)
    widget = consoles.widget(local_stack.base_url)  # goes to the only operator online
    chat_id = open_first_chat(giver)
    giver.locator(".composer-input").fill("Let me pass you to a colleague.")
    giver.locator(".composer-input").press("Enter")
    widget.wait_for_text("Let me pass you to a colleague.")
    taker = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    go_online(taker)

    # The dialog: the online operators but me, with their load in figures and words.
    giver.locator("[data-action=transfer]").click()
    dialog = giver.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Transfer this chat")).to_be_visible()
    choice = dialog.get_by_test_id("transfer-operator").filter(has_text=admin.name)
    expect(choice).to_be_visible()
    expect(choice).to_contain_text(re.compile(r"0 / \d+"))
    expect(choice.locator(".sr-only")).to_have_text(re.compile(r"0 of \d+ chats open"))
    expect(dialog.get_by_test_id("transfer-operator").filter(has_text=operator_account.name)).to_have_count(0)
    expect(dialog.get_by_test_id("transfer-queue")).to_be_visible()
    # Nothing chosen yet: it says so.
    dialog.locator("[data-action=transfer-submit]").click()
    expect(dialog.locator(".form-error")).to_have_text("Choose an operator or the queue.")
    choice.click()
    expect(choice.locator("input")).to_be_checked()
    handover = "Asked about a refund for order #1042; prefers email."
    dialog.get_by_label("Handover note (optional)").fill(handover)
    shoot(giver, screenshots, "transfer")
    axe.accessible(giver, "the Transfer dialog")
    dialog.locator("[data-action=transfer-submit]").click()

    # The giver loses it at once.
    expect(dialog).to_have_count(0)
    expect(giver).to_have_url(re.compile(r"#/chats$"))
    expect(giver.locator(f".chat-item[data-chat-id='{chat_id}']")).to_have_count(0)
    expect(giver.locator(".toast", has_text="was transferred to Demo Admin")).to_be_visible()

    # The taker gets it live, with who handed it over and the handover note.
    item = taker.locator(f".chat-item[data-chat-id='{chat_id}']")
    expect(item).to_be_visible(timeout=20000)
    item.click()
    banner = taker.get_by_test_id("transferred-from")
    expect(banner).to_contain_text(f"Transferred to you from {operator_account.name}")
    expect(banner.get_by_test_id("handover-note")).to_contain_text(handover)
    # Stored as a note too, shown among the messages.
    expect(taker.locator(".transcript .msg-note .msg-text")).to_have_text(handover)
    taker.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
    shoot(taker, screenshots, "transferred")
    taker.locator(".composer-input").fill("Hi, I'm taking over.")
    taker.locator(".composer-input").press("Enter")

    # The customer sees who joined, and never the handover note.
    expect(widget.log).to_contain_text(f"{admin.name} joined the chat")
    widget.wait_for_text("Hi, I'm taking over.")
    assert handover not in str(widget.frame.locator("body").inner_text())
    assert admin.call("GET", f"/chats/{chat_id}")["operator_id"] == admin.operator_id


def test_a_chat_moved_away_while_open_becomes_read_only_and_back_to_the_queue_goes_to_another(
    local_stack: LocalStack, consoles: Consoles, admin: Operator, operator_account: Operator,
    customers: Any,
) -> None:
    holder = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(holder)
    customer = customers()
    customer.start("Kenji Moved")
    chat_id = open_first_chat(holder, "Kenji Moved")
    holder.locator(".info-pane input[name=name]").fill("Kenji (edited)")  # unsaved

    # An admin hands it to the queue from elsewhere: the holder's screen says so and
    # takes no more replies; notes can still be written; leaving does not ask.
    admin.set_status("online")
    admin.call("POST", f"/chats/{chat_id}/transfer", {})
    moved = holder.get_by_test_id("chat-moved")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("You can no longer reply to it.")
    expect(holder.locator(".composer-input")).to_be_disabled()
    expect(holder.locator("[data-action=transfer]")).to_be_hidden()
    expect(holder.locator("[data-action=end]")).to_be_disabled()
    expect(holder.locator(".info-pane input[name=name]")).to_be_disabled()
    expect(holder.locator(f".chat-item[data-chat-id='{chat_id}']")).to_have_count(0)
    holder.locator(".composer-mode[data-mode=note]").click()
    expect(holder.locator(".composer-input")).to_be_enabled()
    axe.accessible(holder, "a chat moved away")

    # Back in the queue, at its front, not offered to the one who gave it: the admin gets it.
    deadline = time.monotonic() + 20
    while admin.call("GET", f"/chats/{chat_id}").get("operator_id") != admin.operator_id:
        assert time.monotonic() < deadline, "the chat did not go to the admin"
        time.sleep(0.3)
    moved.get_by_role("link", name="Back to my chats").click()
    expect(holder).to_have_url(re.compile(r"#/chats$"))


def test_the_workbench_speaks_japanese_and_minds_the_ime(
    local_stack: LocalStack, consoles: Consoles, customers: Any, operator_account: Operator,
    canned: dict[str, Any], screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("link", name="定型文").click()
    expect(page.get_by_role("heading", name="定型文", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="サービス共通の定型文")).to_be_visible()
    shoot(page, screenshots, "canned-ja")
    axe.accessible(page, "定型文")

    page.get_by_role("link", name="チャット").first.click()
    go_online(page)
    customer = customers()
    customer.start("山田 花子")
    open_first_chat(page, "山田 花子")
    composer = page.locator(".composer-input")
    picker = page.get_by_test_id("canned-picker")
    # Typed through an IME, as Japanese is: the full-width slash it types opens the
    # picker once committed, the query filters while composed, and the Enter that
    # commits the composition is the IME's (it neither inserts nor sends).
    slash, query = "\uff0f", "へんぴ"
    cdp = page.context.new_cdp_session(page)
    composer.focus()
    cdp.send("Input.imeSetComposition", {"text": slash, "selectionStart": 1, "selectionEnd": 1})
    expect(picker).to_be_hidden()
    cdp.send("Input.insertText", {"text": slash})
    expect(picker).to_be_visible()
    cdp.send("Input.imeSetComposition",
             {"text": query, "selectionStart": len(query), "selectionEnd": len(query)})
    option = picker.get_by_role("option").filter(has_text="返品について (へんぴん)")
    expect(option).to_be_visible()
    # The IME's own Enter (a keydown while composing) is left to the IME.
    taken = composer.evaluate("""(el) => !el.dispatchEvent(new KeyboardEvent('keydown',
        {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    assert taken is False
    expect(option).to_be_visible()
    cdp.send("Input.insertText", {"text": query})
    expect(composer).to_have_value(slash + query)
    expect(option).to_be_visible()
    page.keyboard.press("Enter")
    expect(composer).to_have_value(re.compile(r"^山田 花子様、"))
    assert [m for m in operator_account.messages(customer.chat_id)
            if m["sender"]["role"] == "operator"] == []
    page.locator(".composer-mode[data-mode=note]").click()
    expect(page.locator(".composer-note-hint")).to_have_text(
        "社内メモ\uff1aオペレーターだけが見られます。お客様には表示されません。")
    expect(page.locator("[data-action=send]")).to_have_text("メモを追加")
    axe.accessible(page, "社内メモ")
