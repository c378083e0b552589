"""Files in chats in the operator console (R-ATT-1), in a real browser on the local
stack: a customer's picture shows as a thumbnail at once (and a link that fails is
asked for again); the operator attaches a PDF (progress, cancel, an IME-typed line
with it) and it shows as name, size and a download link whose response is
`Content-Disposition: attachment`; a pasted image and a dropped file are attached;
refusals say why; the Settings card saves the setting, and with files switched off
the console's attach says so. Screenshots: docs/screenshots/console-attachment-*.png,
console-settings-attachments.png."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, Route, expect

from tests.e2e import axe
from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import (
    Consoles,
    go_online,
    open_chat,
    pdf_bytes,
    png_bytes,
    shoot,
)
from tests.e2e.operator_client import ADMIN_EMAIL, OPERATOR_EMAIL, Operator

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
DEFAULT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                 "text/plain"]


@pytest.fixture
def consoles(consoles: Consoles, admin: Operator) -> Iterator[Consoles]:
    """The shared consoles (conftest.py); the files setting put back after."""
    before = admin.call("GET", "/settings").get("attachments")
    yield consoles
    if before:
        admin.call("PUT", "/settings", {"attachments": before})



def file_payload(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def natural_width(page: Page, selector: str) -> int:
    """The width of the picture the browser decoded (0 when it did not load)."""
    page.wait_for_function(
        """(selector) => { const img = document.querySelector(selector);
            return Boolean(img && img.complete && img.naturalWidth > 0); }""",
        arg=selector, timeout=20000)
    return int(page.eval_on_selector(selector, "img => img.naturalWidth"))


def operator_with_chat(consoles: Consoles, stack: LocalStack, customers: Any,
                       name: str) -> tuple[Page, Any, str]:
    """The demo operator's console, online, with `name`'s new chat open."""
    page = consoles.open(stack.base_url, OPERATOR_EMAIL)
    go_online(page)
    customer = customers()
    customer.start(name)
    chat_id = open_chat(page, name)
    return page, customer, chat_id


# --- a customer's picture -------------------------------------------------------------------


def test_a_customers_picture_shows_as_a_thumbnail_at_once_and_opens_full_size(
    local_stack: LocalStack, consoles: Consoles, customers: Any, screenshots: Path,
) -> None:
    page, customer, chat_id = operator_with_chat(consoles, local_stack, customers, "佐藤 美咲")
    customer.say("注文した商品が壊れていました。写真を送ります。")
    expect(page.locator(".msg-customer .msg-text").last).to_have_text(
        "注文した商品が壊れていました。写真を送ります。")

    # Its first thumbnail request fails (as an expired link would): the console asks
    # for a fresh link (GET /chats/{id}/attachments/{attachment_id}) and tries again.
    ticket = customer.upload("破損した箱.png", "image/png", png_bytes())
    attachment_id = ticket["attachment_id"]
    failed: list[str] = []

    def fail_once(route: Route) -> None:
        if not failed:
            failed.append(route.request.url)
            route.fulfill(status=403, body="<Error><Code>AccessDenied</Code></Error>",
                          content_type="application/xml")
        else:
            route.continue_()

    page.route(lambda url: attachment_id in url and "/api/" not in url, fail_once)
    with page.expect_request(
        lambda request: request.url.endswith(f"/api/chats/{chat_id}/attachments/{attachment_id}"),
        timeout=20000,
    ):
        seq = customer.send_attachment(ticket)
    image = page.locator(f".msg[data-seq='{seq}'] [data-testid=attachment-image]")
    expect(image).to_be_visible()
    thumb = f".msg[data-seq='{seq}'] img.att-thumb"
    assert natural_width(page, thumb) == 240
    assert failed, "the first load of the thumbnail was not refused"
    # A message with only a file shows only the file; the name is its alt text.
    expect(page.locator(f".msg[data-seq='{seq}'] .msg-text")).to_have_count(0)
    expect(page.locator(thumb)).to_have_attribute("alt", ticket["filename"])
    expect(image).to_have_attribute("target", "_blank")
    expect(image).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    href = image.get_attribute("href") or ""
    assert href.startswith("http") and attachment_id in href
    # The chat list's preview names the file.
    expect(page.get_by_test_id("chat-list").locator(".chat-item-preview").first).to_contain_text(
        ticket["filename"])
    # Scaled by CSS: the thumbnail is no bigger than its box.
    box = page.locator(thumb).bounding_box()
    assert box and box["width"] <= 260 and box["height"] <= 220
    shoot(page, screenshots, "attachment-image")
    axe.accessible(page, "a picture in a chat")

    # A click opens the picture full size in a new tab (served inline: it is a PNG).
    with page.context.expect_page() as opened:
        image.click()
    full = opened.value
    full.wait_for_load_state()
    assert attachment_id in full.url
    full.close()

    # Names are text: markup in a picture's or a file's name stays characters.
    xss_seq = customer.send_file(f"{XSS}.png", "image/png", png_bytes(16, 16))
    xss_thumb = f".msg[data-seq='{xss_seq}'] img.att-thumb"
    assert natural_width(page, xss_thumb) == 16
    expect(page.locator(xss_thumb)).to_have_attribute("alt", f"{XSS}.png")
    note_seq = customer.send_file(f"{XSS}.txt", "text/plain", b"hello\n")
    expect(page.locator(f".msg[data-seq='{note_seq}'] .att-file-name")).to_have_text(f"{XSS}.txt")
    expect(page.get_by_test_id("chat-list").locator(".chat-item-preview").first).to_have_text(
        f"{XSS}.txt")
    expect(page.locator("img[src=x]")).to_have_count(0)
    assert page.evaluate("document.body.dataset.pwned") is None


# --- the operator's PDF ---------------------------------------------------------------------


def test_the_operator_attaches_a_pdf_with_progress_and_it_is_a_download(
    local_stack: LocalStack, consoles: Consoles, customers: Any, screenshots: Path,
) -> None:
    page, customer, _ = operator_with_chat(consoles, local_stack, customers, "Hanako Tanaka")
    picker = page.get_by_test_id("attach-input")
    chip = page.get_by_test_id("attachment-chip")
    expect(page.get_by_role("button", name="Attach a file")).to_be_visible()
    invoice = pdf_bytes("Invoice 2026-04", padding=900_000)

    # A slow line: the upload shows its progress, and Cancel stops it.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 150_000})
    picker.set_input_files(file_payload("請求書 2026-04.pdf", "application/pdf", invoice))
    expect(chip).to_be_visible()
    expect(chip).to_have_attribute("data-state", "uploading")
    progress = page.get_by_test_id("attach-progress")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=attach-progress]')?.value) > 0",
        timeout=20000)
    page.get_by_role("button", name="Cancel upload").click()
    expect(chip).to_be_hidden()
    expect(page.get_by_test_id("attach-error")).to_have_text("Upload cancelled.")

    # Again, to the end: the bar fills, then the file waits for Send.
    picker.set_input_files(file_payload("請求書 2026-04.pdf", "application/pdf", invoice))
    expect(chip).to_have_attribute("data-state", "uploading")
    expect(page.get_by_test_id("attach-error")).to_be_hidden()
    expect(chip).to_have_attribute("data-state", "ready", timeout=60000)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(chip).to_contain_text("請求書 2026-04.pdf")
    expect(chip).to_contain_text("893 KB")

    # A line typed through an IME goes with it: the Enter that commits the
    # composition is the IME's (nothing is sent), the next Enter sends both.
    composer = page.locator(".composer-input")
    composer.focus()
    line = "請求書をお送りします"
    cdp.send("Input.imeSetComposition", {"text": line, "selectionStart": len(line),
                                         "selectionEnd": len(line)})
    taken = composer.evaluate("""(el) => !el.dispatchEvent(new KeyboardEvent('keydown',
        {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    assert taken is False
    expect(chip).to_be_visible()
    cdp.send("Input.insertText", {"text": line})
    expect(composer).to_have_value(line)
    page.keyboard.press("Enter")
    expect(chip).to_be_hidden()
    expect(composer).to_have_value("")

    sent = page.locator(".msg-operator").filter(has=page.get_by_test_id("attachment-file")).last
    link = sent.get_by_test_id("attachment-file")
    expect(link).to_be_visible(timeout=20000)
    expect(sent.locator(".msg-text")).to_have_text(line)
    expect(link).to_contain_text("請求書 2026-04.pdf")
    expect(link).to_contain_text(re.compile(r"\d(\.\d)? (KB|MB)"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    href = link.get_attribute("href") or ""
    assert href.startswith("http")

    # The customer gets it, and the file is a download, never shown inline.
    message = customer.wait_for(
        "message", lambda f: bool((f.get("message") or {}).get("attachment")))["message"]
    assert message["text"] == line
    assert message["attachment"]["content_type"] == "application/pdf"
    assert message["attachment"]["size"] == len(invoice)
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.body() == invoice
    shoot(page, screenshots, "attachment-file")
    axe.accessible(page, "a file sent in a chat")

    # Chat History's transcript shows the same file.
    page.get_by_role("link", name="Chat history").first.click()
    row = page.locator("tr", has_text="Hanako Tanaka").first
    expect(row).to_be_visible(timeout=20000)
    row.click()
    expect(page.locator(".side-panel [data-testid=attachment-file]")).to_contain_text(
        "請求書 2026-04.pdf")


# --- paste, drop and refusals ---------------------------------------------------------------


DATA_TRANSFER = """([kind, name, mime, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type: mime }));
    if (kind === 'paste') {
        const box = document.querySelector('.composer-input');
        box.focus();
        return !box.dispatchEvent(new ClipboardEvent('paste',
            { clipboardData: transfer, bubbles: true, cancelable: true }));
    }
    const pane = document.querySelector('.transcript');
    const drag = (type) => pane.dispatchEvent(new DragEvent(type,
        { dataTransfer: transfer, bubbles: true, cancelable: true }));
    drag('dragenter');
    drag('dragover');
    const shown = !document.querySelector('[data-testid=drop-overlay]').hidden;
    drag('drop');
    return shown;
}"""


def test_a_pasted_image_and_a_dropped_file_are_attached_and_refusals_say_why(
    local_stack: LocalStack, consoles: Consoles, customers: Any,
) -> None:
    page, customer, _ = operator_with_chat(consoles, local_stack, customers, "Ken Mori")
    chip = page.get_by_test_id("attachment-chip")
    problem = page.get_by_test_id("attach-error")
    png = base64.b64encode(png_bytes(64, 48)).decode()

    # A screenshot pasted into the reply box waits as the reply's file.
    assert page.evaluate(DATA_TRANSFER, ["paste", "image.png", "image/png", png]) is True
    expect(chip).to_have_attribute("data-state", "ready", timeout=20000)
    expect(chip).to_contain_text("image.png")
    # A file dropped on the conversation (the overlay shows while dragging) takes its place.
    text = base64.b64encode("注文番号: A-1234\n".encode()).decode()
    assert page.evaluate(DATA_TRANSFER, ["drop", "メモ.txt", "text/plain", text]) is True
    expect(chip).to_contain_text("メモ.txt")
    expect(chip).to_have_attribute("data-state", "ready", timeout=20000)
    expect(page.get_by_test_id("drop-overlay")).to_be_hidden()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg-operator [data-testid=attachment-file]").last).to_contain_text(
        "メモ.txt", timeout=20000)
    message = customer.wait_for(
        "message", lambda f: bool((f.get("message") or {}).get("attachment")))["message"]
    assert message["attachment"]["content_type"] == "text/plain"

    picker = page.get_by_test_id("attach-input")
    # Never an SVG (nor any type outside the six), an empty file, nor one too large.
    picker.set_input_files(file_payload("logo.svg", "image/svg+xml",
                                        b"<svg xmlns='http://www.w3.org/2000/svg'/>"))
    expect(problem).to_contain_text("logo.svg cannot be sent: this type of file is not accepted")
    expect(chip).to_be_hidden()
    picker.set_input_files(file_payload("empty.pdf", "application/pdf", b""))
    expect(problem).to_contain_text("empty.pdf is empty")
    big = pdf_bytes(padding=11 * 1024 * 1024)
    picker.set_input_files(file_payload("huge.pdf", "application/pdf", big))
    expect(problem).to_contain_text(re.compile(r"too large|larger than"))
    expect(chip).to_be_hidden()
    # A file that is not what it claims is refused when sent, and the reply says so
    html = b"<html><script>document.title='x'</script></html>"
    picker.set_input_files(file_payload("photo.png", "image/png", html))
    # (its bytes are read when it is sent, not before)
    expect(chip).to_have_attribute("data-state", "ready", timeout=20000)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg-failed")).to_be_visible(timeout=20000)
    expect(problem).to_have_text(
        "This file cannot be sent: its type is not accepted, or its content is not the type"
        " it claims.")
    axe.accessible(page, "a refused file")


# --- the Settings card ----------------------------------------------------------------------


def save_settings(page: Page) -> None:
    """Save settings, and see the server take them."""
    with page.expect_response(lambda response: response.url.endswith("/api/settings")
                              and response.request.method == "PUT") as answer:
        page.get_by_role("button", name="Save settings").click()
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator(".toast-success").last).to_contain_text("Settings saved.")


def test_the_settings_card_saves_files_and_switched_off_the_console_refuses_them(
    local_stack: LocalStack, consoles: Consoles, customers: Any, admin: Operator,
    screenshots: Path,
) -> None:
    page = consoles.open(local_stack.base_url, ADMIN_EMAIL)
    page.goto(local_stack.base_url + "/console/#/admin/settings")
    card = page.get_by_test_id("settings-attachments")
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", name="Files in chats")).to_be_visible()
    enabled = card.get_by_label("Customers and operators can send files")
    size = card.get_by_label("Largest file")
    expect(enabled).to_be_checked()
    expect(size).to_have_value("10")
    for mime in DEFAULT_TYPES:
        expect(card.locator(f"input[value='{mime}']")).to_be_checked()
    card.scroll_into_view_if_needed()
    shoot(page, screenshots, "settings-attachments")
    axe.accessible(page, "the Files in chats card")

    # Nothing ticked is refused here, at the field, and nothing is sent.
    for mime in DEFAULT_TYPES:
        card.locator(f"input[value='{mime}']").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(card.locator("#error-attachments-types")).to_have_text(
        "Choose at least one type of file.")
    assert admin.call("GET", "/settings")["attachments"]["types"] == DEFAULT_TYPES

    # 2.5 MB of PNG, JPEG and PDF: saved as bytes, the rest kept.
    for mime in ("image/png", "image/jpeg", "application/pdf"):
        card.locator(f"input[value='{mime}']").check()
    size.fill("2.5")
    save_settings(page)
    saved = admin.call("GET", "/settings")["attachments"]
    assert saved == {"enabled": True, "max_bytes": int(2.5 * 1024 * 1024),
                     "types": ["image/png", "image/jpeg", "application/pdf"]}
    # Every valid value is taken: the largest, and back to the defaults.
    size.fill("25")
    for mime in DEFAULT_TYPES:
        card.locator(f"input[value='{mime}']").check()
    save_settings(page)
    assert admin.call("GET", "/settings")["attachments"]["max_bytes"] == 25 * 1024 * 1024
    expect(card.get_by_label("Largest file")).to_have_value("25")

    # Switched off: the operator's attach is refused, and says so.
    card.get_by_label("Customers and operators can send files").uncheck()
    save_settings(page)
    assert admin.call("GET", "/settings")["attachments"]["enabled"] is False

    operator, _, _ = operator_with_chat(consoles, local_stack, customers, "Aoi Kato")
    operator.get_by_test_id("attach-input").set_input_files(
        file_payload("receipt.png", "image/png", png_bytes(32, 32)))
    expect(operator.get_by_test_id("attach-error")).to_have_text(
        "Files are turned off for this service. An administrator can turn them on in Settings.")
    expect(operator.get_by_test_id("attachment-chip")).to_be_hidden()

    # In Japanese too.
    operator.get_by_label("Language").select_option("ja")
    open_chat(operator, "Aoi Kato")
    operator.get_by_test_id("attach-input").set_input_files(
        file_payload("receipt.png", "image/png", png_bytes(32, 32)))
    expect(operator.get_by_test_id("attach-error")).to_have_text(
        "このサービスではファイルの送信が無効になっています。管理者が設定で有効にできます。")
