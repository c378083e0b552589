"""Files in chat in the customer widget (R-ATT-1), in a real browser on the local
stack, the operator driven over the API: a pasted picture goes to the operator
and shows as a thumbnail; an operator's PDF shows as name, size and a download
whose answer is `Content-Disposition: attachment`; an HTML file renamed `.png` is
refused by the server with a clear message and nothing of it stays in the chat;
the widget's own checks (a type the service does not take, in Japanese too), a
dropped file, an upload's progress and cancel, a picture whose link fails asked
for afresh; the attachment code loads only when used. Screenshots:
docs/screenshots/widget-attachment-image.png, -file.png, -uploading.png."""

from __future__ import annotations

import contextlib
import queue
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import pdf_bytes, png_bytes, post_to_store
from tests.e2e.operator_client import Operator, settle
from tests.e2e.widget_page import HostSite, Widget, shop_page

pytestmark = pytest.mark.e2e

HTML_AS_PNG = b"<html><script>alert(document.domain)</script></html>\n"
XSS_NAME = "<img src=x onerror=alert(1)>.pdf"


@pytest.fixture
def operator(admin: Operator, operator_account: Operator) -> Iterator[Operator]:
    """The demo operator, online, with a console socket and no chats; files on,
    as by default."""
    settle(admin, operator_account, stay_online=True)
    before = admin.call("GET", "/settings").get("attachments")
    _drain(operator_account)
    yield operator_account
    operator_account.end_all_chats()
    _drain(operator_account)
    if before:
        admin.call("PUT", "/settings", {"attachments": before})


def _drain(account: Operator) -> None:
    account.seen.clear()
    with contextlib.suppress(queue.Empty):
        while True:
            account.frames.get_nowait()


def chatting(page: Page, url: str, operator: Operator, greeting: str = "Welcome") -> tuple[
        Widget, str]:
    """The widget on `url`, opened, consent given, the operator has the chat."""
    page.goto(url)
    widget = Widget(page)
    widget.open()
    widget.agree_and_start()
    chat = operator.take_chat()
    expect(widget.frame.locator(".log .msg.system").first).to_contain_text(greeting)
    return widget, chat["chat_id"]


def customer_messages(operator: Operator, chat_id: str) -> list[dict[str, Any]]:
    """What the server stored from the customer."""
    return [m for m in operator.messages(chat_id) if m["sender"]["role"] == "customer"]


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the local stack's file store is asked: {url}")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.read(), {k.lower(): v for k, v in response.headers.items()}



def natural_width(widget: Widget, image: Any) -> int:
    """The width of the picture the browser decoded (waits until it has)."""
    expect(image).to_be_visible()
    image.evaluate("""(img) => new Promise((done) => {
        if (img.complete && img.naturalWidth) return done();
        img.addEventListener('load', done, { once: true });
    })""")
    return int(image.evaluate("img => img.naturalWidth"))


# --- (b) a pasted picture -----------------------------------------------------------


def test_a_pasted_picture_is_sent_and_shows_as_a_thumbnail_and_the_operator_gets_it(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    widget, chat_id = chatting(page, local_stack.base_url + "/", operator)
    # The chat opens without the code for files (bench/widget_size.py): it comes
    # with the first file.
    assert not [url for url in loaded if re.search(r"/widget/(files|attach)\.(js|css)", url)]
    expect(widget.attach_button).to_have_attribute("aria-label", "Attach a file")

    widget.paste_file("image.png", "image/png", png_bytes())

    expect(widget.file_chip).to_have_attribute("data-state", "ready", timeout=15000)
    expect(widget.file_chip).to_contain_text("image.png")
    assert [url for url in loaded if url.endswith("/widget/files.js")]
    assert [url for url in loaded if url.endswith("/widget/attach.js")]
    widget.input.press("Enter")  # pasted, then Send: it goes, without any text

    received = operator.wait_for("message", lambda f: bool(f["message"].get("attachment")))
    message = received["message"]
    assert message["text"] == ""
    assert message["sender"]["role"] == "customer"
    attachment = message["attachment"]
    assert attachment["content_type"] == "image/png"
    assert attachment["filename"] == "image.png"
    body, headers = fetch(attachment["url"])
    assert body == png_bytes()
    assert headers["content-type"] == "image/png"

    widget.settled()
    expect(widget.file_chip).to_have_count(0)
    image = widget.frame.locator(f".log .msg[data-seq='{message['seq']}'] a.file.image img")
    assert natural_width(widget, image) == 240  # the picture itself, its link fetched afresh
    expect(image).to_have_attribute("alt", "image.png")
    expect(widget.frame.locator(f".log .msg[data-seq='{message['seq']}'] .bubble")).to_have_count(0)
    box = image.bounding_box()
    assert box and box["height"] <= 220
    link = widget.frame.locator(f".log .msg[data-seq='{message['seq']}'] a.file")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/"))

    # With a line typed: both go in one message.
    widget.paste_file("screenshot 2.png", "image/png", png_bytes(120, 80, (220, 38, 38)))
    expect(widget.file_chip).to_have_attribute("data-state", "ready", timeout=15000)
    widget.say("写真を送ります。箱の角が潰れていました。")
    received = operator.wait_for(
        "message", lambda f: f["message"]["text"] == "写真を送ります。箱の角が潰れていました。")
    assert received["message"]["attachment"]["filename"] == "screenshot 2.png"
    widget.settled()
    second = widget.frame.locator(f".log .msg[data-seq='{received['message']['seq']}']")
    assert natural_width(widget, second.locator("img")) == 120
    expect(second.locator(".bubble")).to_have_text("写真を送ります。箱の角が潰れていました。")
    operator.say(chat_id, "ありがとうございます。確認いたします。")
    widget.wait_for_text("ありがとうございます。確認いたします。")
    widget.assert_accessible("pictures in the conversation")
    widget.shot(screenshots, "attachment-image")
    assert page.js_errors == []  # type: ignore[attr-defined]


# --- (c) the operator's PDF -----------------------------------------------------------


def operator_sends(operator: Operator, chat_id: str, filename: str, content_type: str,
                   data: bytes, text: str = "") -> dict[str, Any]:
    """As the console does: POST /chats/{id}/attachments, the presigned POST, then
    message.send over the WebSocket with the attachment's id."""
    ticket = operator.call("POST", f"/chats/{chat_id}/attachments",
                           {"filename": filename, "content_type": content_type,
                            "size": len(data)})
    status = post_to_store(ticket["upload"], filename, content_type, data)
    assert status < 300, status
    client_msg_id = uuid.uuid4().hex
    frame = {"type": "message.send", "id": client_msg_id, "chat_id": chat_id,
             "client_msg_id": client_msg_id, "attachment_id": ticket["attachment_id"]}
    if text:
        frame["text"] = text
    operator.send(frame)
    operator.wait_for("message.ack", lambda f: f.get("client_msg_id") == client_msg_id)
    return dict(ticket)


def test_the_operators_pdf_shows_as_name_size_and_a_download(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget, chat_id = chatting(page, local_stack.base_url + "/", operator)
    widget.say("Could you send me the invoice?")
    operator.wait_for("message", lambda f: f["message"]["text"] == "Could you send me the invoice?")
    invoice = pdf_bytes("Invoice 2026-04", padding=20_000)
    operator_sends(operator, chat_id, "Invoice 2026-04.pdf", "application/pdf", invoice,
                   "Here is your invoice.")

    widget.wait_for_text("Here is your invoice.")
    files = widget.files_in_log()
    expect(files).to_have_count(1)
    invoice_link = files.first
    expect(invoice_link.locator(".name")).to_have_text("Invoice 2026-04.pdf")
    expect(invoice_link.locator(".size")).to_have_text("20.4 kB")
    expect(invoice_link).to_have_attribute("rel", "noopener")
    expect(invoice_link).to_have_attribute("target", "_blank")
    widget.assert_accessible("a file in the conversation")
    widget.shot(screenshots, "attachment-file")

    href = invoice_link.get_attribute("href")
    assert href and href.startswith("http://127.0.0.1:")
    answer = page.request.get(href)
    assert answer.status == 200
    assert answer.body() == invoice
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert "Invoice 2026-04.pdf" in answer.headers["content-disposition"]
    with page.expect_download() as download:
        invoice_link.click()
    assert download.value.suggested_filename == "Invoice 2026-04.pdf"

    # A name is text, never markup.
    operator_sends(operator, chat_id, XSS_NAME, "application/pdf", pdf_bytes("x"))
    expect(files).to_have_count(2)
    expect(files.nth(1).locator(".name")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(widget.frame.locator(".log img")).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]


# --- (a) an HTML file renamed .png ----------------------------------------------------


def test_an_html_file_renamed_png_is_refused_by_the_server_and_nothing_stays(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    widget, chat_id = chatting(page, local_stack.base_url + "/", operator)
    # The widget checks the declared type only (the bytes are the server's to
    # judge): this one goes up, and message.send is refused.
    widget.attach("receipt.png", "image/png", HTML_AS_PNG)
    expect(widget.file_chip).to_have_attribute("data-state", "ready", timeout=15000)
    widget.say("Here is my receipt")

    expect(widget.file_error).to_have_text(
        "receipt.png was not sent: it is not really a PNG file.", timeout=15000)
    expect(widget.file_error).to_have_attribute("role", "alert")
    # Nothing of it was sent: no message, its line is back in the box to send alone.
    expect(widget.frame.locator(".log .msg.customer")).to_have_count(0)
    expect(widget.input).to_have_value("Here is my receipt")
    assert customer_messages(operator, chat_id) == []
    widget.input.press("Enter")
    operator.wait_for("message", lambda f: f["message"]["text"] == "Here is my receipt")
    expect(widget.file_error).to_have_count(0)
    widget.settled()
    assert [m.get("attachment") for m in customer_messages(operator, chat_id)] == [None]
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_widget_refuses_what_the_service_does_not_take_in_the_customers_language(
    page: Page, local_stack: LocalStack, operator: Operator, admin: Operator, shop: HostSite
) -> None:
    admin.call("PUT", "/settings", {"attachments": {
        "enabled": True, "max_bytes": 50_000, "types": ["image/png", "application/pdf"]}})
    url = shop.page("/ja-files", shop_page(local_stack.base_url, lang="ja"))
    widget, _ = chatting(page, url, operator, greeting="")
    expect(widget.attach_button).to_have_attribute("aria-label", "ファイルを添付")
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on(
        "framesent", lambda payload: sent.append(str(payload))))

    widget.attach("setup.exe", "application/x-msdownload", b"MZ\x90\x00" * 10)
    expect(widget.file_error).to_have_text(
        "setup.exe: この形式のファイルは送信できません。送信できる形式: PNG, PDF")
    widget.drop_file("大きな写真.png", "image/png", png_bytes() + bytes(60_000))
    expect(widget.file_error).to_contain_text("大きな写真.png は大きすぎるため送信できません")
    expect(widget.file_error).to_contain_text(re.compile(r"48\.8\s?[kK]B まで"))
    widget.paste_file("空.png", "image/png", b"")
    expect(widget.file_error).to_have_text("空.png は空のファイルのため送信できません。")
    widget.assert_accessible("a file refused")
    assert not [frame for frame in sent if "attachment.request" in frame]  # none asked for

    # A dropped file the service takes goes up and is sent.
    widget.drop_file("請求書.pdf", "application/pdf", pdf_bytes())
    expect(widget.file_error).to_have_count(0)
    expect(widget.file_chip).to_have_attribute("data-state", "ready", timeout=15000)
    widget.frame.locator("button.send").click()
    received = operator.wait_for("message", lambda f: bool(f["message"].get("attachment")))
    assert received["message"]["attachment"]["filename"] == "請求書.pdf"
    widget.settled()
    expect(widget.files_in_log().locator(".name")).to_have_text(["請求書.pdf"])
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_upload_shows_its_progress_and_cancel_stops_it(
    page: Page, local_stack: LocalStack, operator: Operator, screenshots: Path
) -> None:
    widget, chat_id = chatting(page, local_stack.base_url + "/", operator)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 100_000})
    big = pdf_bytes("big", padding=800_000)
    widget.attach("manual.pdf", "application/pdf", big)
    expect(widget.file_chip).to_have_attribute("data-state", "uploading", timeout=15000)
    bar = widget.file_chip.locator("progress")
    expect(bar).to_have_attribute("aria-label", "Uploading manual.pdf")
    frame = widget.iframe.element_handle().content_frame()
    assert frame is not None
    frame.wait_for_function(
        "() => document.querySelector('#hdc-file progress')?.value > 0", timeout=15000)
    widget.input.fill("the manual")
    widget.input.press("Enter")  # Send waits for the upload…
    expect(widget.input).to_have_value("the manual")
    widget.assert_accessible("a file uploading")
    widget.shot(screenshots, "attachment-uploading")
    cancel = widget.frame.get_by_role("button", name="Cancel sending manual.pdf")
    cancel.click()  # …which is cancelled: nothing goes
    expect(widget.file_chip).to_have_count(0)
    expect(widget.input).to_be_focused()
    expect(widget.input).to_have_value("the manual")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.wait_for_timeout(500)
    assert customer_messages(operator, chat_id) == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_picture_that_fails_to_load_is_asked_for_afresh_once_and_shows_after_a_reload(
    page: Page, local_stack: LocalStack, operator: Operator
) -> None:
    asked: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: asked.append(
        str(payload)) if '"attachment.link"' in str(payload) else None))
    widget, chat_id = chatting(page, local_stack.base_url + "/", operator)
    ticket = operator_sends(operator, chat_id, "parcel.png", "image/png", png_bytes(200, 100))
    attachment_id = ticket["attachment_id"]
    # Its first link fails (as an expired one would): the widget asks for a fresh
    # one (attachment.link) and loads the picture from it.
    failed: list[str] = []

    def fail_once(route: Any) -> None:
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.fulfill(status=403, content_type="application/xml",
                          body="<Error><Code>AccessDenied</Code></Error>")

    page.route(lambda url: attachment_id in url and "/widget/" not in url, fail_once)
    image = widget.frame.locator("a.file.image img")
    assert natural_width(widget, image) == 200
    assert len(failed) == 1
    assert len(asked) == 1 and attachment_id in asked[0]
    expect(image).to_have_attribute("alt", "parcel.png")

    # The transcript after a reload (chat.history) shows it again.
    page.reload()
    widget = Widget(page)
    expect(widget.iframe).to_be_visible()
    assert natural_width(widget, widget.frame.locator("a.file.image img")) == 200
    assert page.js_errors == []  # type: ignore[attr-defined]
