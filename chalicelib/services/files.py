"""Files in chat (R-ATT-1), the parts that need no storage: which types may be
sent, what a file really is (read from its first bytes, never from its name or
the type its sender claimed), a name safe to show and to download under, and the
`Content-Disposition` a download is served with.

Nothing here is HTML or SVG, ever: those are the uploads help desks have been
broken into with (served inline from the product's origin they run script)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from chalicelib import validate
from chalicelib.errors import InvalidInput

DEFAULT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                 "text/plain")
# Shown inline (as an image) when sent; everything else downloads as an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
              "image/webp": "webp", "application/pdf": "pdf", "text/plain": "txt"}
MAX_NAME_CHARS = 100
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_BYTES = 25 * 1024 * 1024  # the most a service may allow
# How much of a file is read to tell what it is.
SNIFF_BYTES = 4096

# Bidirectional controls (a name ending "gnp.exe" shown as "exe.png") and other
# invisible format characters; control characters are category Cc.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What a text file must not start with: markup a browser would render.
_MARKUP = re.compile(rb"^\s*<", re.DOTALL)


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes: one of the types this product
    knows (DEFAULT_TYPES), or None (unknown, empty, or anything that is markup)."""
    if not head:
        return None
    import filetype  # its matchers load on first use

    found = filetype.guess_mime(head[:SNIFF_BYTES])
    if found is not None:
        return found if found in EXTENSIONS else None
    return "text/plain" if _is_plain_text(head[:SNIFF_BYTES]) else None


def _is_plain_text(head: bytes) -> bool:
    """UTF-8 text without NUL that does not start like HTML, SVG or XML."""
    body = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in body or _MARKUP.match(body):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(body) - 3:
            return False
    return True


def is_what_it_claims(claimed: str, head: bytes, allowed: tuple[str, ...] | list[str]) -> bool:
    """The sender's type is allowed, and the bytes are that type."""
    return claimed in allowed and claimed in EXTENSIONS and sniff(head) == claimed


def clean_filename(name: str, content_type: str) -> str:
    """A name safe to show and to save: no folders, no control or bidi
    characters, at most MAX_NAME_CHARS, and the extension of its real type."""
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))
    name = _BIDI.sub("", name)
    name = " ".join(name.split()).strip(". ")
    extension = EXTENSIONS.get(content_type, "bin")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(". ") or "file"
    stem = stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip(". ")
    return f"{stem or 'file'}.{extension}"


def content_disposition(filename: str, content_type: str) -> str:
    """RFC 6266: images may show inline, everything else is a download; the name
    as ASCII (for old clients) and as UTF-8 (`filename*`, RFC 8187)."""
    kind = "inline" if content_type in INLINE_TYPES else "attachment"
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                         for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def settings_of(found: dict[str, Any]) -> dict[str, Any]:
    """The `attachments` setting with defaults for what it lacks."""
    raw = found.get("attachments")
    value: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "enabled": bool(value.get("enabled", True)),
        "max_bytes": int(value.get("max_bytes", DEFAULT_MAX_BYTES)),
        "types": [t for t in value.get("types", DEFAULT_TYPES) if t in EXTENSIONS],
    }


def checked_settings(value: Any) -> dict[str, Any]:
    """`attachments` of PUT /settings: all three fields, checked (types only
    from DEFAULT_TYPES: SVG, HTML and anything unknown are refused)."""
    field = "attachments"
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object {enabled, max_bytes, types}")
    validate.only_fields(value, ("enabled", "max_bytes", "types"), prefix=f"{field}.")
    for name in ("enabled", "max_bytes", "types"):
        if name not in value:
            raise InvalidInput(f"{field}.{name}", "is required")
    enabled = value["enabled"]
    if not isinstance(enabled, bool):
        raise InvalidInput(f"{field}.enabled", "must be true or false")
    size = value["max_bytes"]
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BYTES:
        raise InvalidInput(f"{field}.max_bytes", f"must be a whole number from 1 to {MAX_BYTES}")
    types = value["types"]
    if not isinstance(types, list) or not types:
        raise InvalidInput(f"{field}.types", "must be a non-empty list")
    unknown = [t for t in types if t not in DEFAULT_TYPES]
    if unknown:
        raise InvalidInput(f"{field}.types", "may only hold " + ", ".join(DEFAULT_TYPES)
                           + f" (not {str(unknown[0])[:40]!r})")
    return {"enabled": enabled, "max_bytes": size,
            "types": [t for t in DEFAULT_TYPES if t in types]}
