"""Small checks for input fields. Each raises InvalidInput naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, overload
from urllib.parse import SplitResult, urlsplit

from chalicelib.errors import InvalidInput

_MISSING = object()
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,255}\.[^@\s<>\"'.]{1,63}$")


def body_object(body: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput(field, "must be a JSON object")
    return body


def _control_chars(value: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogates(value: str) -> bool:
    """JSON's `\\ud800` escapes decode to halves of a pair that UTF-8 cannot hold:
    such a string could be neither stored nor sent back."""
    return _LONE_SURROGATE.search(value) is not None


def text(
    body: dict[str, Any],
    field: str,
    *,
    max_len: int,
    required: bool = True,
    allow_empty: bool = False,
    single_line: bool = False,
    default: Any = _MISSING,
) -> Any:
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        if required and default is _MISSING:
            raise InvalidInput(field, "is required")
        return None if default is _MISSING else default
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if single_line:
        value = value.strip()
    if not value and not allow_empty:
        raise InvalidInput(field, "must not be empty")
    if len(value) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    if _control_chars(value) or (single_line and ("\n" in value or "\r" in value)):
        raise InvalidInput(field, "contains control characters")
    if lone_surrogates(value):
        raise InvalidInput(field, "contains characters that are not valid Unicode")
    return value


def boolean(body: dict[str, Any], field: str, *, required: bool = True) -> bool | None:
    value = body.get(field, _MISSING)
    if value is _MISSING:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if not isinstance(value, bool):
        raise InvalidInput(field, "must be true or false")
    return value


@overload
def integer(
    body: dict[str, Any], field: str, *, low: int, high: int, required: Literal[True] = True
) -> int: ...


@overload
def integer(
    body: dict[str, Any], field: str, *, low: int, high: int, required: bool
) -> int | None: ...


def integer(
    body: dict[str, Any], field: str, *, low: int, high: int, required: bool = True
) -> int | None:
    value = body.get(field, _MISSING)
    if value is _MISSING or (value is None and not required):
        if required:
            raise InvalidInput(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "must be an integer")
    if not low <= value <= high:
        raise InvalidInput(field, f"must be between {low} and {high}")
    return value


def choice(
    body: dict[str, Any], field: str, options: Iterable[str], *, required: bool = True
) -> str | None:
    value = body.get(field, _MISSING)
    allowed = tuple(options)
    if value is _MISSING:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if value not in allowed:
        raise InvalidInput(field, "must be one of " + ", ".join(allowed))
    return str(value)


def is_email(value: str) -> bool:
    """Whether `value` is a whole email address (as `email` accepts one)."""
    return bool(_EMAIL.match(value))


def email(body: dict[str, Any], field: str = "email", *, required: bool = True) -> str | None:
    value = text(body, field, max_len=254, required=required, single_line=True)
    if value is None:
        return None
    if not _EMAIL.match(value):
        raise InvalidInput(field, "must be an email address")
    return value.lower()


def http_url(value: Any, field: str, *, max_len: int = 2048) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if len(value) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    parts = _url_parts(value)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or any(c.isspace() for c in value) or lone_surrogates(value):
        raise InvalidInput(field, "must be an http or https URL")
    return value


def _url_parts(value: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be one: a broken IPv6 literal
    ("http://[") or a port that is not a number from 1 to 65535."""
    try:
        parts = urlsplit(value)
        if parts.port == 0:
            return None
    except ValueError:
        return None
    return parts


def origin(value: Any, field: str) -> str:
    """`scheme://host[:port]`, as browsers send in the Origin header."""
    url = http_url(value, field, max_len=300)
    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise InvalidInput(field, "must be an origin such as https://example.com (no path)")
    return f"{parts.scheme}://{parts.netloc}".lower()


def id_string(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 100:
        raise InvalidInput(field, "must be an id")
    return value


def only_fields(body: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(prefix + str(unknown[0])[:100], "is not a known field")
