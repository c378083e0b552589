"""What a file really is and what it may be called (R-ATT-1, issue 19's hostile
corpus): types read from the bytes, never the name or the claim; names without
paths, controls or bidi tricks; downloads never rendered by the browser."""

from __future__ import annotations

import pytest

from chalicelib.services import files

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n" * 4
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(("head", "expected"), [
    (PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp"),
    (PDF, "application/pdf"), ("注文番号 A-1234\nありがとう".encode(), "text/plain"),
    (b"\xef\xbb\xbfplain text with a BOM", "text/plain"),
    (SVG, None), (HTML, None), (b"   \n <html>", None), (b"<svg onload=alert(1)>", None),
    (EXE, None), (b"", None), (b"\x00\x01\x02binary", None), (b"\xff\xfe\xfdnot utf-8 " * 9, None),
])
def test_the_type_comes_from_the_bytes(head: bytes, expected: str | None) -> None:
    assert files.sniff(head) == expected


def test_a_multibyte_character_cut_at_the_end_of_the_sample_is_still_text() -> None:
    text = ("あ" * 2000).encode()  # 6,000 bytes: the sample ends inside a character
    assert files.sniff(text) == "text/plain"


@pytest.mark.parametrize(("claimed", "head", "ok"), [
    ("image/png", PNG, True),
    ("image/png", HTML, False),  # an HTML file renamed .png
    ("image/png", PDF, False),  # a PDF claimed as an image
    ("application/pdf", EXE, False),  # an EXE renamed .pdf
    ("image/png", b"", False),  # a zero-byte file
    ("image/svg+xml", SVG, False),  # never allowed, whatever the settings say
    ("text/html", HTML, False),
    ("text/plain", HTML, False),  # markup is not plain text
    ("image/png", PNG + HTML, True),  # a PNG/HTML polyglot is served as a PNG, never as HTML
    ("image/jpeg", PNG, False),
])
def test_a_file_is_what_it_claims_only_when_its_bytes_say_so(
    claimed: str, head: bytes, ok: bool
) -> None:
    allowed = [*files.DEFAULT_TYPES, "image/svg+xml", "text/html"]
    assert files.is_what_it_claims(claimed, head, allowed) is ok


def test_a_type_the_service_does_not_allow_is_refused() -> None:
    assert not files.is_what_it_claims("application/pdf", PDF, ["image/png"])


@pytest.mark.parametrize(("name", "content_type", "cleaned"), [
    ("invoice.pdf", "application/pdf", "invoice.pdf"),
    ("../../etc/passwd", "text/plain", "passwd.txt"),
    ("..\\..\\windows\\system.ini", "text/plain", "system.txt"),
    ("photo\u202egnp.exe", "image/png", "photognp.png"),
    ("<script>alert(1)</script>.png", "image/png", "script>.png"),  # "/" is a folder
    ("<img src=x onerror=alert(1)>.png", "image/png", "<img src=x onerror=alert(1)>.png"),
    ("tab\there\x00nul\x1b[31m.png", "image/png", "tabherenul[31m.png"),
    ("領収書 2026年12月.pdf", "application/pdf", "領収書 2026年12月.pdf"),
    ("no-extension", "image/jpeg", "no-extension.jpg"),
    ("page.html", "image/png", "page.png"),
    ("...", "image/png", "file.png"),
    ("", "application/pdf", "file.pdf"),
    ("\u200e\u2066.hidden", "text/plain", "hidden.txt"),
])
def test_file_names_are_cleaned(name: str, content_type: str, cleaned: str) -> None:
    assert files.clean_filename(name, content_type) == cleaned


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    cleaned = files.clean_filename("x" * 300 + ".pdf", "application/pdf")
    assert len(cleaned) == files.MAX_NAME_CHARS and cleaned.endswith(".pdf")


def test_downloads_are_attachments_and_only_images_show_inline() -> None:
    pdf = files.content_disposition("領収書 \"12月\";.pdf", "application/pdf")
    assert pdf.startswith("attachment; filename=\"")
    assert "filename*=UTF-8''%E9%A0%98%E5%8F%8E%E6%9B%B8%20%2212%E6%9C%88%22%3B.pdf" in pdf
    assert pdf.count('"') == 2  # the quote in the name cannot end the ASCII one
    text = files.content_disposition("notes.txt", "text/plain")
    assert text.startswith("attachment;")
    assert files.content_disposition("a.png", "image/png").startswith("inline;")
    assert files.content_disposition("a.svg", "image/svg+xml").startswith("attachment;")
