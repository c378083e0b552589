"""A customer's device, from their browser's User-Agent (R-I18N-2): described by
ua-parser (the maintained uap-core rules), stored as one English line ("Chrome 120
on Windows 10 (desktop)"), and given to readers as parts (`info`) that the console
shows in its own language. ua-parser is imported when first needed: its rules
take a few hundred milliseconds to load, once per process, on the first widget
session or customer connect."""

from __future__ import annotations

import functools
import re
from typing import Any

UNKNOWN_BROWSER = "Other browser"
UNKNOWN_OS = "unknown OS"
KINDS = ("desktop", "mobile", "tablet")
MAX_UA = 500
_LINE = re.compile(r"^(?P<browser>.+) on (?P<os>.+) \((?P<kind>desktop|mobile|tablet)\)$")
# ua-parser's family names that are the same product as a plainer name.
_BROWSER_NAMES = {"Mobile Safari": "Safari", "Chrome Mobile": "Chrome",
                  "Chrome Mobile iOS": "Chrome", "Firefox Mobile": "Firefox",
                  "Firefox iOS": "Firefox", "Edge Mobile": "Edge", "Opera Mobile": "Opera",
                  "Mobile Safari UI/WKWebView": "Safari (in an app)"}
_OS_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Systems whose User-Agent tells their real version (Windows and macOS froze theirs
# at 10: a Windows 11 or macOS 14 machine says so too).
_OS_VERSIONED = ("iOS", "Android")


@functools.cache
def _parser() -> Any:
    import ua_parser

    return ua_parser


def _named(family: str | None, major: str | None, names: dict[str, str]) -> str | None:
    if not family or family == "Other":
        return None
    name = names.get(family, family)
    return f"{name} {major}" if major else name


def describe(user_agent: str) -> str:
    """One English line: "<browser> on <OS> (<kind>)"."""
    ua = user_agent[:MAX_UA]
    parsed = _parser().parse(ua)
    browser = parsed.user_agent and _named(parsed.user_agent.family, parsed.user_agent.major,
                                           _BROWSER_NAMES)
    system = parsed.os and _named(
        parsed.os.family, parsed.os.major if parsed.os.family in _OS_VERSIONED else None,
        _OS_NAMES)
    return f"{browser or UNKNOWN_BROWSER} on {system or UNKNOWN_OS} ({_kind(ua, parsed)})"


def _kind(ua: str, parsed: Any) -> str:
    device = (parsed.device.family if parsed.device else "") or ""
    if "iPad" in ua or "Tablet" in ua or "Tablet" in device or (
            "Android" in ua and "Mobi" not in ua):
        return "tablet"
    if "Mobi" in ua or "iPhone" in ua:
        return "mobile"
    return "desktop"


def info(description: Any) -> dict[str, str | None] | None:
    """The parts of a stored description, for a reader's own words: browser and
    OS (None when unknown) and kind; None when there is no description (or one
    of another shape, kept from before: shown as it is)."""
    if not isinstance(description, str):
        return None
    found = _LINE.match(description)
    if found is None:
        return None
    browser, system = found["browser"], found["os"]
    return {
        "browser": None if browser == UNKNOWN_BROWSER else browser,
        "os": None if system == UNKNOWN_OS else system,
        "kind": found["kind"],
    }
