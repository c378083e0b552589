"""Made for the people who use it (R-I18N-2, R-TZ-1), in a real browser on the local
stack: the widget speaks the customer's language (the page's, then the browser's,
then the service's default) and marks each text the service wrote with the
language it is in; the console says errors and devices in its reader's language,
edits the service's texts per language and its time zone, and shows every time
in the service's zone, saying so when the operator's computer is elsewhere."""

from __future__ import annotations

import contextlib
import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from websockets.sync.client import connect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import VIEWPORT, Customer
from tests.e2e.operator_client import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_SERVICE,
    OPERATOR_EMAIL,
    FrameInbox,
    Operator,
    rest,
)
from tests.e2e.operator_client import settle as settle_floor
from tests.e2e.widget_page import HostSite, Widget, shop_page

pytestmark = pytest.mark.e2e

TOKYO = ZoneInfo("Asia/Tokyo")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
TEXTS = ("greeting", "consent_text", "rating_message", "away_message")


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def operator(operator_account: Operator) -> Operator:
    return operator_account


@pytest.fixture
def demo_settings(admin: Operator) -> Iterator[dict[str, Any]]:
    """The demo service's settings; its texts, languages and zone are put back after."""
    before = admin.call("GET", "/settings")
    yield before
    keep = (*TEXTS, "languages", "default_language", "timezone")
    admin.call("PUT", "/settings", {key: before[key] for key in keep})


@contextlib.contextmanager
def opened(browser: Browser, locale: str, timezone_id: str,
           **options: Any) -> Iterator[Page]:
    """A page of a fresh browser profile in that language and time zone; no
    JavaScript error may happen in it."""
    context: BrowserContext = browser.new_context(locale=locale, timezone_id=timezone_id,
                                                  **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
        assert errors == [], f"JavaScript errors: {errors}"
    finally:
        context.close()


def widget_texts(stack: LocalStack) -> dict[str, Any]:
    return rest(stack.api_url, "GET", "/widget/demo/config")["texts"]


# --- the widget -------------------------------------------------------------------------


@pytest.mark.parametrize("page_lang", ["", "fr"], ids=["no-lang", "unsupported-lang"])
def test_a_japanese_browser_on_a_page_without_a_language_gets_a_japanese_widget(
    page_lang: str, browser: Browser, local_stack: LocalStack, admin: Operator,
    operator: Operator, shop: HostSite,
) -> None:
    """The page names no language the service offers: the browser's (ja-JP) wins,
    and every text the service wrote is the Japanese one, marked lang="ja"."""
    texts = widget_texts(local_stack)["ja"]
    settle_floor(admin, operator)  # nobody online: the away message first
    with opened(browser, "ja-JP", "Asia/Tokyo") as page:
        page.goto(shop.page(f"/plain-{page_lang or 'none'}.html",
                            shop_page(local_stack.base_url, lang=page_lang)))
        widget = Widget(page)
        expect(widget.launcher).to_have_attribute("aria-label", "チャットで問い合わせる")
        widget.open()
        frame = widget.frame
        expect(frame.locator("html")).to_have_attribute("lang", "ja")
        away = frame.locator(".absent .away")
        expect(away).to_have_text(texts["away_message"])
        expect(away).to_have_attribute("lang", texts["lang"]["away_message"])
        assert texts["lang"]["away_message"] == "ja"

        settle_floor(admin, operator, stay_online=True)
        frame.get_by_role("button", name="もう一度確認").click()
        consent = frame.locator(".consent-text")
        expect(consent).to_have_text(texts["consent_text"])
        expect(consent).to_have_attribute("lang", "ja")
        expect(widget.action("consent")).to_have_text("個人情報収集に同意してお問い合わせ")

        widget.agree_and_start()
        chat = operator.take_chat()
        assert chat["language"] == "ja"  # what the widget showed, sent with chat.start
        greeting = frame.locator(".log .msg.system .bubble").first
        expect(greeting).to_have_text(texts["greeting"])
        expect(greeting).to_have_attribute("lang", "ja")
        # What people write carries no language of its own.
        operator.say(chat["chat_id"], "ご用件を伺います。")
        widget.wait_for_text("ご用件を伺います。")
        expect(frame.locator(".log .msg.operator .bubble").last).not_to_have_attribute("lang", "ja")

        # The rating guidance: in the transcript and on the rating screen, in Japanese.
        operator.call("POST", f"/chats/{chat['chat_id']}/rating-request")
        prompt = frame.locator(".rating p.muted")
        expect(prompt).to_have_text(texts["rating_message"])
        expect(prompt).to_have_attribute("lang", "ja")
        operator.call("POST", f"/chats/{chat['chat_id']}/end")
    settle_floor(admin, operator)


def test_the_pages_language_wins_over_the_browsers(
    browser: Browser, local_stack: LocalStack, admin: Operator, operator: Operator,
    shop: HostSite, demo_settings: dict[str, Any],
) -> None:
    """`<html lang="en">` in a Japanese browser: an English widget, the English texts,
    and a text the service wrote only in Japanese shown as it is, marked lang="ja"."""
    admin.call("PUT", "/settings", {"greeting": {"ja": "ようこそ。日本語のみのご挨拶です。"}})
    texts = widget_texts(local_stack)["en"]
    assert texts["lang"]["greeting"] == "ja"
    settle_floor(admin, operator, stay_online=True)
    with opened(browser, "ja-JP", "Asia/Tokyo") as page:
        page.goto(shop.page("/english.html", shop_page(local_stack.base_url, lang="en")))
        widget = Widget(page)
        expect(widget.launcher).to_have_attribute("aria-label", "Chat with us")
        widget.open()
        frame = widget.frame
        expect(frame.locator("html")).to_have_attribute("lang", "en")
        expect(widget.title).to_have_text("Chat with us")
        consent = frame.locator(".consent-text")
        expect(consent).to_have_text(texts["consent_text"])
        expect(consent).to_have_attribute("lang", "en")

        widget.agree_and_start()
        chat = operator.take_chat()
        greeting = frame.locator(".log .msg.system .bubble").first
        expect(greeting).to_have_text("ようこそ。日本語のみのご挨拶です。")
        expect(greeting).to_have_attribute("lang", "ja")  # read in a Japanese voice
        operator.call("POST", f"/chats/{chat['chat_id']}/end")
    settle_floor(admin, operator)


# --- the console ------------------------------------------------------------------------


def sign_in_ja(page: Page, stack: LocalStack, email: str,
               password: str = DEMO_PASSWORD) -> None:
    page.goto(stack.base_url + "/console/")
    page.get_by_label("サービスID").fill(DEMO_SERVICE)
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


class PhoneCustomer(Customer):
    """A widget customer on an iPhone: its session and its socket say so."""

    def __init__(self, api_url: str) -> None:
        url = f"{api_url}/widget/{DEMO_SERVICE}/session"
        assert url.startswith("http://127.0.0.1:"), "only the local stack is called"
        request = urllib.request.Request(  # noqa: S310 - the local stack on loopback
            url, data=b"{}", method="POST",
            headers={"Content-Type": "application/json", "User-Agent": IPHONE})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            session = json.loads(response.read())
        FrameInbox.__init__(self)
        self.visitor_token = session["visitor_token"]
        self.chat = {}
        self.socket = connect(f"{session['ws_url']}?ticket={session['ticket']}",
                              open_timeout=15, user_agent_header=IPHONE, legacy=True)
        self.listen(self.socket)


def test_a_wrong_password_is_said_in_japanese(browser: Browser, local_stack: LocalStack) -> None:
    with opened(browser, "ja-JP", "Asia/Tokyo", viewport=VIEWPORT) as page:
        sign_in_ja(page, local_stack, OPERATOR_EMAIL, password="not-the-password")
        error = page.locator(".form-error")
        expect(error).to_have_text("ログインできませんでした: "
                                   "サービスID、メールアドレスまたはパスワードが正しくありません。")
        assert "wrong" not in error.inner_text()


def test_an_admin_edits_the_texts_per_language_and_the_time_zone(
    browser: Browser, local_stack: LocalStack, admin: Operator, demo_settings: dict[str, Any],
) -> None:
    mark = uuid.uuid4().hex[:6]
    japanese, english = f"いらっしゃいませ・{mark}", f"Welcome ({mark})"
    with opened(browser, "ja-JP", "Asia/Tokyo", viewport=VIEWPORT) as page:
        sign_in_ja(page, local_stack, ADMIN_EMAIL)
        expect(page.get_by_test_id("connection")).to_have_text("接続中")
        page.goto(local_stack.base_url + "/console/#/admin/settings")
        ja_box = page.locator("textarea[name='greeting.ja']")
        en_box = page.locator("textarea[name='greeting.en']")
        expect(ja_box).to_have_value(demo_settings["greeting"]["ja"])
        expect(en_box).to_have_value(demo_settings["greeting"]["en"])
        expect(page.locator("textarea[name='greeting.ko']")).to_be_hidden()  # not offered
        expect(page.locator("input[name=timezone]")).to_have_value("Asia/Tokyo")

        # Japanese typed through an IME: the composition, then its conversion.
        ja_box.fill("")
        ja_box.focus()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Input.imeSetComposition",
                 {"text": "いらっしゃいませ", "selectionStart": 8, "selectionEnd": 8})
        cdp.send("Input.insertText", {"text": "いらっしゃいませ"})
        expect(ja_box).to_have_value("いらっしゃいませ")
        ja_box.fill(japanese)
        en_box.fill(english)

        saved: list[Any] = []
        page.on("request", lambda request: saved.append(request.post_data_json)
                if request.method == "PUT" and request.url.endswith("/api/settings") else None)
        page.locator("[data-action=save]").click()
        expect(page.locator(".toast", has_text="設定を保存しました")).to_be_visible()
        # Only what changed, in the per-language form.
        assert saved == [{"greeting": {"ja": japanese, "en": english}}]
        assert admin.call("GET", "/settings")["greeting"] == {"ja": japanese, "en": english}
        page.reload()
        expect(page.locator("textarea[name='greeting.ja']")).to_have_value(japanese)
        expect(page.locator("textarea[name='greeting.en']")).to_have_value(english)

        # A zone picked from the list: the console follows it at once.
        zone = page.locator("input[name=timezone]")
        zone.fill("America/New_York")
        page.locator("[data-action=save]").click()
        expect(page.get_by_test_id("zone-note")).to_have_text("時刻は America/New_York")
        assert admin.call("GET", "/settings")["timezone"] == "America/New_York"


def test_times_show_in_the_services_zone_and_the_device_in_japanese(
    browser: Browser, local_stack: LocalStack, admin: Operator, operator: Operator,
    nobody_online: None,
) -> None:
    """A browser in UTC, the service in Tokyo: every time is Tokyo's and the header
    says so; the customer's iPhone is described in Japanese."""
    assert admin.call("GET", "/settings")["timezone"] == "Asia/Tokyo"
    customer = PhoneCustomer(local_stack.api_url)
    try:
        with opened(browser, "ja-JP", "UTC", viewport=VIEWPORT, accept_downloads=True) as page:
            sign_in_ja(page, local_stack, OPERATOR_EMAIL)
            expect(page.get_by_test_id("connection")).to_have_text("接続中")
            expect(page.get_by_test_id("zone-note")).to_have_text("時刻は Asia/Tokyo")
            page.get_by_test_id("status").select_option("online")
            customer.start("佐藤 一郎")
            page.get_by_test_id("chat-list").locator(".chat-item", has_text="佐藤 一郎").click()
            seq = customer.say("配送状況を教えてください。")
            said = next(m for m in operator_messages(operator, customer.chat_id) if m["seq"] == seq)
            expect(page.locator(".msg-customer .msg-time").last).to_have_text(
                tokyo(said["created_at"], "%H:%M"))
            chat = operator.call("GET", f"/chats/{customer.chat_id}")
            expect(page.locator(".conv-sub")).to_contain_text(
                tokyo(chat["created_at"], "%Y/%m/%d %H:%M"))
            expect(page.locator(".info-pane")).to_contain_text(
                "Safari 17 · iOS 17 · スマートフォン")

            # Chat History: the same times, local dates of the service in the filters,
            # and the export asked for in Japanese.
            page.locator("[data-action=end]").click()
            page.locator("dialog.dialog [data-confirm]").click()
            expect(page.get_by_test_id("chat-list").locator(".chat-item")).to_have_count(0)
            page.get_by_role("link", name="チャット履歴").click()
            filters = page.get_by_test_id("history-filters")
            today = datetime.now(TOKYO).strftime("%Y-%m-%d")
            expect(filters.locator("input[name=to]")).to_have_value(today)
            row = page.get_by_test_id("history-table").locator("tbody tr", has_text="佐藤 一郎")
            expect(row.first).to_contain_text(tokyo(chat["created_at"], "%Y/%m/%d %H:%M"))
            with page.expect_request(lambda r: r.url.endswith("/api/history/exports")
                                     and r.method == "POST") as asked:
                filters.locator("[data-action=export]").click()
            body = asked.value.post_data_json
            assert body["language"] == "ja"
            assert body["to"] == today
    finally:
        customer.close()


def operator_messages(account: Operator, chat_id: str) -> list[dict[str, Any]]:
    return account.call("GET", f"/chats/{chat_id}/messages?after_seq=0")["messages"]


def tokyo(iso: str, pattern: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(TOKYO).strftime(pattern)
