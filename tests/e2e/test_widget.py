"""The customer widget in a real browser on the local stack (R-WID-1…8, R-SET-5):
a demo page with the pasted snippet, an operator driven over the API."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LocalStack, running_stack
from tests.e2e.operator_client import Operator
from tests.e2e.operator_client import settle as settle_floor
from tests.e2e.widget_page import (
    HostSite,
    SocketSwitch,
    Widget,
    refuse,
    shop_page,
)

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def settle(admin: Operator, operator: Operator) -> None:
    """Only the demo operator may take chats, and none is open or queued."""
    settle_floor(admin, operator, stay_online=True)


@pytest.fixture
def operator(admin: Operator, operator_account: Operator) -> Iterator[Operator]:
    """The demo operator, online, with a console socket and no chats."""
    settle(admin, operator_account)
    operator_account.seen.clear()
    with contextlib.suppress(queue.Empty):
        while True:
            operator_account.frames.get_nowait()
    yield operator_account
    operator_account.end_all_chats()
    operator_account.seen.clear()
    with contextlib.suppress(queue.Empty):
        while True:
            operator_account.frames.get_nowait()


@pytest.fixture
def settings(admin: Operator) -> Iterator[Any]:
    """Change the demo service's settings for one test; they are put back after."""
    before = admin.call("GET", "/settings")

    def change(**fields: Any) -> None:
        admin.call("PUT", "/settings", fields)

    yield change
    keep = ("chat_enabled", "inquiry_form_url", "languages", "default_language")
    admin.call("PUT", "/settings", {k: before[k] for k in keep})


def demo(page: Page, stack: LocalStack) -> Widget:
    page.goto(stack.base_url + "/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    return widget


def started_chat(page: Page, stack: LocalStack, operator: Operator) -> tuple[Widget, str]:
    """Demo page → consent → a chat the operator has taken and opened."""
    widget = demo(page, stack)
    widget.open()
    widget.agree_and_start()
    chat = operator.take_chat()
    widget.wait_for_text("Welcome to the demo help desk")
    return widget, chat["chat_id"]


# --- R-WID-1, R-WID-2: the icon, isolation, the absent popup -----------------------


def test_no_operator_online_shows_the_absent_popup_with_the_inquiry_link(
    page: Page, local_stack: LocalStack, admin: Operator, operator_account: Operator,
    settings: Any, screenshots: Path,
) -> None:
    settings(inquiry_form_url="https://shop.example/contact")
    settle(admin, operator_account)
    operator_account.set_status("offline")
    widget = demo(page, local_stack)
    expect(widget.launcher).to_have_attribute("aria-label", "Chat with us")
    expect(widget.iframe).to_have_count(0)  # the chat UI loads only when opened

    widget.open()

    expect(widget.title).to_have_text("No operator available")
    link = widget.action("inquiry")
    expect(link).to_have_attribute("href", "https://shop.example/contact")
    expect(link).to_be_focused()
    expect(widget.action("consent")).to_have_count(0)
    # The demo page's `iframe {border: dashed !important}` does not reach it.
    assert widget.iframe.evaluate("f => getComputedStyle(f).borderTopWidth") == "0px"
    widget.shot(screenshots, "absent")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_disabled_chat_shows_no_icon_at_all(
    page: Page, local_stack: LocalStack, settings: Any
) -> None:
    settings(chat_enabled=False)
    page.goto(local_stack.base_url + "/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("helpdesk-chat")).to_have_count(0)


# --- R-WID-3, R-WID-4: consent, then a live conversation ----------------------------


def test_consent_starts_the_chat_and_messages_flow_both_ways(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget = demo(page, local_stack)
    widget.open()
    expect(widget.title).to_have_text("Chat with us")
    consent = widget.action("consent")
    expect(consent).to_have_text("Agree to the collection of personal information and start")
    expect(consent).to_be_focused()
    expect(widget.frame.locator(".consent-text")).to_contain_text("personal information")
    expect(widget.input).to_have_count(0)  # no chat before consent
    widget.shot(screenshots, "consent")

    widget.frame.locator("#hdc-name").fill("Taro Test")
    consent.click()
    chat = operator.take_chat()
    assert chat["customer"]["name"] == "Taro Test"

    widget.wait_for_text("Welcome to the demo help desk")
    assert widget.texts()[0].startswith("Welcome to the demo help desk")  # greeting first
    expect(widget.notice("Demo Operator joined the chat")).to_be_visible()
    expect(widget.status).to_have_text("Chatting with Demo Operator")

    operator.typing(chat["chat_id"])
    expect(widget.frame.locator(".typing")).to_have_text("Demo Operator is typing…")
    operator.say(chat["chat_id"], "Hello Taro, how can I help?")
    widget.wait_for_text("Hello Taro, how can I help?")
    expect(widget.frame.locator(".typing")).to_have_text("")

    widget.say("My order has not arrived.")
    received = operator.wait_for(
        "message", lambda f: f["message"]["text"] == "My order has not arrived.")
    assert received["message"]["sender"]["role"] == "customer"
    widget.settled()
    expect(widget.input).to_be_focused()
    assert widget.texts() == [
        widget.texts()[0],
        "Hello Taro, how can I help?",
        "My order has not arrived.",
    ]
    widget.shot(screenshots, "conversation")


def test_a_queued_customer_sees_the_position_then_the_operator_joining(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget = demo(page, local_stack)
    widget.open()
    expect(widget.action("consent")).to_be_visible()
    operator.set_status("break")  # nobody can take it now: it waits in the queue

    widget.agree_and_start()

    expect(widget.status).to_have_text(
        "Waiting for an operator. You are number 1 in the queue.")
    widget.wait_for_text("Welcome to the demo help desk")
    widget.shot(screenshots, "queued")

    operator.set_status("online")
    chat = operator.take_chat()
    expect(widget.notice("Demo Operator joined the chat")).to_be_visible()
    expect(widget.status).to_have_text("Chatting with Demo Operator")
    operator.say(chat["chat_id"], "Thanks for waiting!")
    widget.wait_for_text("Thanks for waiting!")
    widget.shot(screenshots, "operator-joined")


# --- R-WID-6: nothing lost, nothing doubled -----------------------------------------


def test_reload_mid_chat_resumes_every_message_once_in_order(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    widget, chat_id = started_chat(page, local_stack, operator)
    for n in range(3):
        widget.say(f"customer {n}")
        operator.wait_for("message", lambda f, n=n: f["message"]["text"] == f"customer {n}")
        operator.say(chat_id, f"operator {n}")
        widget.wait_for_text(f"operator {n}")
    widget.settled()
    before = widget.texts()

    page.reload()

    widget = Widget(page)
    expect(widget.iframe).to_be_visible()  # it was open: it opens again
    widget.wait_for_text("operator 2")
    operator.say(chat_id, "after the reload")
    widget.wait_for_text("after the reload")
    stored = [m["text"] for m in operator.messages(chat_id)]
    assert widget.texts() == stored == [*before, "after the reload"]
    seqs = widget.frame.locator(".log .msg").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == list(range(1, len(stored) + 1))


def test_messages_typed_while_offline_are_sent_once_when_the_socket_returns(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    network = SocketSwitch(page.context, local_stack.ws_url)
    widget, chat_id = started_chat(page, local_stack, operator)
    widget.say("before the drop")
    widget.settled()

    network.cut()
    expect(widget.status).to_have_text(re.compile("Reconnecting"))
    operator.say(chat_id, "while you were away")
    widget.say("typed offline 1")
    widget.say("typed offline 2")
    expect(widget.frame.locator(".msg.pending")).to_have_count(2)
    page.wait_for_timeout(1500)  # a few refused reconnects
    network.restore()

    widget.settled()
    widget.wait_for_text("while you were away")
    stored = [m["text"] for m in operator.messages(chat_id)]
    assert stored[1:] == [
        "before the drop", "while you were away", "typed offline 1", "typed offline 2"]
    assert widget.texts() == stored
    expect(widget.status).to_have_text("Chatting with Demo Operator")


@pytest.fixture(scope="module")
def cutting_stack() -> Iterator[LocalStack]:
    """Another stack whose gateway cuts every WebSocket after 4 seconds, as API
    Gateway does after 2 hours."""
    with running_stack({"LOCAL_WS_MAX_DURATION_S": "4"}) as stack:
        yield stack


def test_the_chat_goes_on_while_the_gateway_cuts_every_socket(
    browser: Any, cutting_stack: LocalStack
) -> None:
    operator = Operator(cutting_stack.api_url)
    operator.set_status("online")
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        page = context.new_page()
        sockets: list[Any] = []
        page.on("websocket", lambda socket: sockets.append(socket))
        widget = demo(page, cutting_stack)
        widget.open()
        widget.agree_and_start()
        widget.wait_for_text("Welcome to the demo help desk")
        chat_id = operator.call("GET", "/chats")["chats"][0]["chat_id"]
        operator.call("POST", f"/chats/{chat_id}/open")
        widget.say("one")
        widget.settled()

        for _ in range(100):  # the gateway cuts the socket (4 s old, checked every 5 s)
            if len(sockets) >= 2:
                break
            page.wait_for_timeout(200)
        assert len(sockets) >= 2, "the widget did not reconnect after the cut"
        operator.connect()  # a fresh console socket: the old one was cut too
        operator.say(chat_id, "two")
        widget.wait_for_text("two")
        widget.say("three")
        widget.settled()

        stored = [m["text"] for m in operator.messages(chat_id)]
        assert stored[1:] == ["one", "two", "three"]
        assert widget.texts() == stored
    finally:
        context.close()
        operator.end_all_chats()
        operator.set_status("offline")
        operator.close()


# --- R-WID-5, R-WID-6: rating and leaving -------------------------------------------


def test_the_operators_rating_request_opens_the_rating_screen_and_the_rating_is_sent(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget, chat_id = started_chat(page, local_stack, operator)
    operator.call("POST", f"/chats/{chat_id}/rating-request")

    expect(widget.frame.locator("#hdc-rating-title")).to_have_text("How was your chat?")
    expect(widget.frame.locator(".rating .muted")).to_contain_text("Please rate")
    widget.frame.locator("label[for=hdc-score-4]").click()
    widget.frame.locator("#hdc-comment").fill("Quick and kind.")
    widget.shot(screenshots, "rating")
    widget.action("submit-rating").click()

    rated = operator.wait_for("chat.rated")
    assert (rated["chat_id"], rated["score"], rated["comment"]) == (chat_id, 4, "Quick and kind.")
    expect(widget.frame.get_by_text("Thank you for your rating!")).to_be_visible()
    assert operator.call("GET", f"/chats/{chat_id}")["rating"]["score"] == 4


def test_rate_and_end_from_the_header(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget, chat_id = started_chat(page, local_stack, operator)
    widget.action("rate").click()
    expect(widget.frame.locator("#hdc-rating-title")).to_be_visible()
    widget.frame.get_by_role("button", name="Back to chat").click()
    expect(widget.input).to_be_visible()

    widget.action("end").click()
    widget.action("confirm-end").click()

    operator.wait_for("chat.customer_left", lambda f: f["chat_id"] == chat_id)
    expect(widget.frame.get_by_text("This chat has ended.")).to_be_visible()
    widget.shot(screenshots, "ended")
    assert operator.call("GET", f"/chats/{chat_id}")["customer_left_at"]

    widget.frame.get_by_role("button", name="Rate").click()  # still possible after leaving
    widget.frame.locator("label[for=hdc-score-5]").click()
    widget.action("submit-rating").click()
    rated = operator.wait_for("chat.rated")
    assert (rated["chat_id"], rated["score"]) == (chat_id, 5)
    expect(widget.frame.get_by_text("Thank you for your rating!")).to_be_visible()


# --- R-WID-9: the conversation stays readable after the end ---------------------------


def assert_readable(widget: Widget, texts: list[str]) -> None:
    """Every message is still there, in order, and each one can be scrolled to and
    read inside the transcript, which sits above the ended actions."""
    assert widget.texts() == texts
    log = widget.log
    assert log.evaluate("el => getComputedStyle(el).overflowY") in ("auto", "scroll")
    log_box = log.bounding_box()
    actions_box = widget.frame.locator(".ended-actions").bounding_box()
    assert log_box and actions_box and log_box["y"] + log_box["height"] <= actions_box["y"] + 1
    bubbles = widget.frame.locator(".log .msg .bubble")
    for n in range(bubbles.count()):
        bubble = bubbles.nth(n)
        bubble.scroll_into_view_if_needed()
        expect(bubble).to_be_visible()
        box = bubble.bounding_box()
        log_box = log.bounding_box()
        assert box and log_box and log_box["y"] - 1 <= box["y"] and (
            box["y"] + box["height"] <= log_box["y"] + log_box["height"] + 1), (
            f"message {n + 1} ({texts[n]!r}) cannot be brought into view: {box} in {log_box}")


def test_after_the_operator_ends_the_chat_the_customer_can_still_read_it(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    widget, chat_id = started_chat(page, local_stack, operator)
    for n in range(6):  # more than the window shows at once: the transcript scrolls
        widget.say(f"customer line {n}")
        operator.wait_for("message", lambda f, n=n: f["message"]["text"] == f"customer line {n}")
        operator.say(chat_id, f"operator line {n}")
        widget.wait_for_text(f"operator line {n}")
    widget.settled()
    before = widget.texts()

    operator.call("POST", f"/chats/{chat_id}/end")

    expect(widget.frame.get_by_text("This chat has ended.")).to_be_visible()
    expect(widget.action("restart")).to_be_visible()
    expect(widget.input).to_have_count(0)  # nothing more to send
    assert widget.log.evaluate("el => el.scrollHeight > el.clientHeight")
    assert_readable(widget, before)

    widget.action("rate-ended").click()
    # There is no chat to go back to: the way out goes back to the ended view.
    expect(widget.frame.get_by_role("button", name="Back", exact=True)).to_be_visible()
    expect(widget.frame.get_by_role("button", name="Back to chat")).to_have_count(0)
    widget.frame.locator("label[for=hdc-score-4]").click()
    widget.action("submit-rating").click()
    rated = operator.wait_for("chat.rated")
    assert (rated["chat_id"], rated["score"]) == (chat_id, 4)
    expect(widget.frame.get_by_text("Thank you for your rating!")).to_be_visible()
    expect(widget.action("rate-ended")).to_have_count(0)  # rated once
    assert_readable(widget, before)

    # Another language redraws the screen: the transcript is still all there.
    widget.frame.get_by_label("Language").select_option("ja")
    expect(widget.frame.get_by_text("チャットは終了しました。")).to_be_visible()
    assert_readable(widget, before)


# --- R-WID-8: languages --------------------------------------------------------------


def test_the_language_switch_changes_the_ui_and_is_remembered(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget = demo(page, local_stack)  # the demo page says lang="en"
    widget.open()
    expect(widget.action("consent")).to_have_text(
        "Agree to the collection of personal information and start")

    widget.frame.get_by_label("Language").select_option("ja")

    expect(widget.title).to_have_text("チャット相談")
    expect(widget.action("consent")).to_have_text("個人情報収集に同意してお問い合わせ")
    expect(widget.launcher).to_have_attribute("aria-label", "チャットで問い合わせる")
    widget.agree_and_start()
    operator.take_chat()
    expect(widget.status).to_have_text("Demo Operatorが対応しています")
    expect(widget.action("rate")).to_have_text("評価")
    expect(widget.action("end")).to_have_text("チャット終了")
    widget.wait_for_text("デモ用ヘルプデスクへようこそ")  # the chat's language is the one shown
    widget.shot(screenshots, "ja")

    page.reload()
    widget = Widget(page)
    expect(widget.title).to_have_text("チャット相談")


def test_the_host_pages_language_is_used_when_the_service_offers_it(
    page: Page, local_stack: LocalStack, operator: Operator, settings: Any, shop: HostSite
) -> None:
    settings(languages=["ja", "en", "ko"])
    page.goto(shop.page("/ko.html", shop_page(local_stack.base_url, lang="ko")))
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-label", "채팅 문의")
    widget.open()
    expect(widget.title).to_have_text("채팅 상담")
    expect(widget.action("consent")).to_have_text("개인정보 수집에 동의하고 문의하기")


# --- text is text --------------------------------------------------------------------


def test_markup_in_messages_is_shown_as_text(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    widget, chat_id = started_chat(page, local_stack, operator)

    widget.say(XSS)
    operator.wait_for("message", lambda f: f["message"]["text"] == XSS)
    operator.say(chat_id, XSS + " <b>bold?</b>")
    widget.wait_for_text("<b>bold?</b>")

    assert widget.texts()[-2:] == [XSS, XSS + " <b>bold?</b>"]
    expect(widget.log.locator("img")).to_have_count(0)
    expect(widget.log.locator("b")).to_have_count(0)
    page.wait_for_timeout(500)
    assert dialogs == []


# --- R-WID-1, R-WID-7: one tag, idempotent, isolated, the command queue ------------


def test_the_snippet_on_another_origin_is_idempotent_and_takes_queued_commands(
    page: Page, local_stack: LocalStack, operator: Operator, shop: HostSite
) -> None:
    before = ("window.HelpdeskChat = window.HelpdeskChat || [];"
              "HelpdeskChat.push(['identify', {id: 'u-42', name: 'Queued Name',"
              " email: 'queued@example.com'}]);"
              "HelpdeskChat.push(['open']);")
    page.goto(shop.page("/queued.html",
                        shop_page(local_stack.base_url, before=before, copies=2)))
    widget = Widget(page)

    expect(widget.iframe).to_be_visible()  # opened by the queued command
    expect(widget.host).to_have_count(1)  # the second copy of the tag did nothing
    assert widget.iframe.evaluate("f => getComputedStyle(f).borderTopWidth") == "0px"
    expect(widget.frame.locator("#hdc-name")).to_have_count(0)  # identified: no name field
    widget.agree_and_start()
    chat = operator.take_chat()
    assert chat["customer"]["name"] == "Queued Name"
    assert chat["customer"]["verified"] is False  # unsigned: shown as unverified

    page.evaluate("HelpdeskChat.push(['close'])")
    expect(widget.iframe).to_be_hidden()
    operator.say(chat["chat_id"], "are you there?")
    expect(widget.launcher.locator(".badge")).to_have_text("1")
    page.evaluate("HelpdeskChat.push(['open'])")
    widget.wait_for_text("are you there?")
    expect(widget.launcher.locator(".badge")).to_be_hidden()


def test_everything_is_reachable_by_keyboard(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    widget = demo(page, local_stack)
    widget.launcher.focus()
    page.keyboard.press("Enter")
    expect(widget.action("consent")).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    assert widget.frame.locator("[role=dialog]").get_attribute("aria-labelledby") == "hdc-title"
    page.keyboard.press("Enter")
    operator.take_chat()
    expect(widget.input).to_be_focused()
    expect(widget.log).to_have_attribute("aria-live", "polite")

    page.keyboard.press("Escape")
    expect(widget.iframe).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")


def test_on_a_phone_the_chat_fills_the_screen(
    browser: Any, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 760}, is_mobile=True,
                                  has_touch=True)
    try:
        page = context.new_page()
        widget = demo(page, local_stack)
        widget.open()
        expect(widget.action("consent")).to_be_visible()
        box = widget.iframe.bounding_box()
        assert box is not None and (box["x"], box["width"]) == (0, 390)
        expect(widget.launcher).to_be_hidden()  # the window's own close button closes it
        widget.frame.get_by_role("button", name="Minimize chat").click()
        expect(widget.launcher).to_be_visible()
        widget.open()
        widget.shot(screenshots, "mobile")
    finally:
        context.close()


def test_a_signed_identity_is_verified_and_a_wrong_signature_is_not(
    browser: Any, local_stack: LocalStack, admin: Operator, operator: Operator, shop: HostSite
) -> None:
    secret = admin.call("POST", "/settings/identity-secret")["identity_secret"]
    good = hmac.new(secret.encode(), b"member-7", hashlib.sha256).hexdigest()
    for user_hash, verified in ((good, True), ("0" * 64, False)):
        user = {"id": "member-7", "name": "Signed Member", "email": "member7@example.com",
                "hash": user_hash}
        before = f"window.HelpdeskChat=[['identify', {json.dumps(user)}]];"
        context = browser.new_context(viewport={"width": 1100, "height": 760})
        try:
            page = context.new_page()
            page.goto(shop.page(f"/member-{verified}.html",
                                shop_page(local_stack.base_url, before=before)))
            widget = Widget(page)
            widget.open()
            widget.agree_and_start()
            chat = operator.take_chat()
            assert chat["customer"]["verified"] is verified
            assert chat["customer"]["name"] == "Signed Member"
            widget.wait_for_text("Welcome to the demo help desk")
        finally:
            context.close()
            operator.end_all_chats()


# --- the server says no: a full queue, too many chats, a chat nobody served ----------


def test_a_full_queue_shows_the_offline_view_with_the_form_and_keeps_what_was_typed(
    page: Page, local_stack: LocalStack, operator: Operator, settings: Any, screenshots: Path
) -> None:
    settings(inquiry_form_url="https://shop.example/contact")
    refuse(page.context, local_stack.ws_url, {"chat.start": "queue_full"})
    widget = demo(page, local_stack)
    widget.open()
    widget.frame.locator("#hdc-name").fill("Patient Pat")
    widget.frame.locator("#hdc-email").fill("pat@example.com")
    widget.action("consent").click()

    expect(widget.title).to_have_text("All our operators are busy")
    expect(widget.frame.locator(".absent [role=alert]")).to_contain_text(
        "Too many customers are waiting")
    expect(widget.action("inquiry")).to_have_attribute("href", "https://shop.example/contact")
    widget.shot(screenshots, "queue-full")
    widget.frame.get_by_label("Language").select_option("ja")
    expect(widget.title).to_have_text("ただいま大変混み合っています")
    widget.frame.get_by_label("言語").select_option("en")

    widget.frame.get_by_role("button", name="Check again").click()
    expect(widget.frame.locator("#hdc-name")).to_have_value("Patient Pat")
    expect(widget.frame.locator("#hdc-email")).to_have_value("pat@example.com")
    assert operator.call("GET", "/chats")["chats"] == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_too_many_open_chats_says_so_and_offers_no_link_without_a_form(
    page: Page, local_stack: LocalStack, operator: Operator, settings: Any
) -> None:
    settings(inquiry_form_url="", languages=["ja", "en", "ko"])
    refuse(page.context, local_stack.ws_url, {"chat.start": "too_many_chats"})
    widget = demo(page, local_stack)
    widget.open()
    widget.action("consent").click()

    expect(widget.title).to_have_text("Chat could not start")
    expect(widget.frame.locator(".absent [role=alert]")).to_contain_text(
        "Too many chats are already open")
    expect(widget.action("inquiry")).to_have_count(0)
    widget.frame.get_by_label("Language").select_option("ko")
    expect(widget.title).to_have_text("채팅을 시작할 수 없습니다")


def test_rate_is_offered_only_once_an_operator_joined_and_a_refusal_says_why(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    refuse(page.context, local_stack.ws_url, {"rating.submit": "not_served"})
    widget = demo(page, local_stack)
    widget.open()
    operator.set_status("break")  # nobody can take it: it waits, unserved
    widget.agree_and_start()
    expect(widget.status).to_have_text(re.compile("number 1 in the queue"))
    expect(widget.action("end")).to_be_visible()
    expect(widget.action("rate")).to_be_hidden()

    operator.set_status("online")
    operator.take_chat()
    expect(widget.action("rate")).to_be_visible()
    widget.action("rate").click()
    widget.frame.locator("label[for=hdc-score-3]").click()
    widget.frame.locator("#hdc-comment").fill("kept after a refusal")
    widget.action("submit-rating").click()

    expect(widget.frame.locator(".rating [role=alert]")).to_have_text(
        "You can rate the chat once an operator has joined it.")
    expect(widget.frame.locator("#hdc-comment")).to_have_value("kept after a refusal")
    expect(widget.frame.locator("#hdc-score-3")).to_be_checked()
    expect(widget.action("submit-rating")).to_be_enabled()


def test_a_chat_nobody_served_is_not_offered_for_rating_after_it_ends(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    widget = demo(page, local_stack)
    widget.open()
    operator.set_status("break")
    widget.agree_and_start()
    expect(widget.status).to_have_text(re.compile("number 1 in the queue"))
    widget.action("end").click()
    widget.action("confirm-end").click()
    expect(widget.frame.get_by_text("This chat has ended.")).to_be_visible()
    expect(widget.action("restart")).to_be_visible()
    expect(widget.frame.get_by_role("button", name="Rate")).to_have_count(0)


# --- the frame's API is the deployment's --------------------------------------------


def test_the_frame_ignores_an_api_named_in_its_url(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(local_stack.api_url + "/widget/demo/frame?lang=en&api="
              "http%3A%2F%2F127.0.0.1%3A9%2Fapi&key=someone-else")
    expect(page.locator("#hdc-title")).to_be_visible()  # opened directly, not framed
    expect(page.locator("[data-action=consent]")).to_be_visible()
    assert any(url.startswith(local_stack.api_url + "/widget/demo/config") for url in requested)
    after = [url for url in requested if "/widget/demo/frame?" not in url]
    assert not [url for url in after if "127.0.0.1:9/" in url or "someone-else" in url]
