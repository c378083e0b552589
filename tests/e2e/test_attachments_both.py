"""Files in chats end to end, both sides in a real browser (R-ATT-1): a customer
pastes a screenshot into the widget and the operator's console shows it as a
thumbnail, without a reload; the operator answers with a PDF from the console
and the customer's widget offers it as a download (`Content-Disposition:
attachment`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LocalStack
from tests.e2e.console_helpers import Consoles, go_online, pdf_bytes, png_bytes
from tests.e2e.operator_client import OPERATOR_EMAIL
from tests.e2e.widget_page import Widget

pytestmark = pytest.mark.e2e


@pytest.fixture
def console(consoles: Consoles, local_stack: LocalStack) -> Page:
    """The demo operator's console in a browser of its own, the only one online."""
    page = consoles.open(local_stack.base_url, OPERATOR_EMAIL)
    go_online(page)
    return page


def test_a_pasted_screenshot_reaches_the_console_and_the_operators_pdf_downloads(
    page: Page, console: Page, local_stack: LocalStack, screenshots: Path,
) -> None:
    page.goto(local_stack.base_url + "/")
    widget = Widget(page)
    widget.open()
    widget.agree_and_start()
    item = console.get_by_test_id("chat-list").locator(".chat-item").first
    expect(item).to_be_visible(timeout=20000)
    item.click()
    expect(console.locator(".composer-input")).to_be_enabled()

    # The customer pastes a screenshot and sends it with a line.
    widget.paste_file("screenshot.png", "image/png", png_bytes())
    expect(widget.file_chip).to_have_attribute("data-state", "ready", timeout=15000)
    widget.say("This is what I see")
    thumb = console.locator(".msg-customer img.att-thumb")
    expect(thumb).to_be_visible(timeout=20000)
    console.wait_for_function(
        "() => { const img = document.querySelector('.msg-customer img.att-thumb');"
        " return Boolean(img && img.complete && img.naturalWidth === 240); }", timeout=20000)
    expect(thumb).to_have_attribute("alt", "screenshot.png")

    # The operator answers with a PDF; the customer downloads it.
    console.get_by_test_id("attach-input").set_input_files(
        {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()})
    expect(console.get_by_test_id("attachment-chip")).to_have_attribute(
        "data-state", "ready", timeout=20000)
    console.locator(".composer-input").fill("Here is your invoice")
    console.locator(".composer-input").press("Enter")
    link = widget.frame.locator(".log .msg a.file", has_text="invoice.pdf")
    expect(link).to_be_visible(timeout=20000)
    response = page.request.get(str(link.get_attribute("href")))
    assert response.ok
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == pdf_bytes()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "invoice.pdf"
