"""The widget's chat frame: the HTML page the loader puts in its iframe, served
by the API so that its Content-Security-Policy follows the service (R-SEC-5,
R-SEC-H). The page names the API it talks to in a <meta> tag fixed at deploy
time, never taken from its URL, and only pages on the service's
`allowed_origins` may frame it."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from chalicelib import config
from chalicelib.services import attachments, settings, tenants

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "widget-frame.html"
# What may stand for an origin in a policy: scheme, host, port, nothing else
# (no space, `;` or `,` that would end the source list or the directive).
_SOURCE = re.compile(r"^(https?|wss?)://[A-Za-z0-9.\-\[\]:]+$")


@dataclass(frozen=True)
class FramePage:
    html: str
    headers: dict[str, str]


@functools.cache
def _template() -> Template:
    return Template(TEMPLATE.read_text(encoding="utf-8"))


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _sources(origins: list[str]) -> list[str]:
    return [origin for origin in origins if _SOURCE.match(origin)]


def frame_ancestors(allowed_origins: list[str]) -> str:
    """The pages that may frame the chat: the service's allowed origins when it
    has a list, any page otherwise (an empty list or ["*"] admits every site)."""
    if not allowed_origins or allowed_origins == ["*"]:
        return "*"
    return " ".join(_sources(allowed_origins)) or "'none'"


def content_security_policy(allowed_origins: list[str]) -> str:
    """No inline script or style: code and CSS come only from the widget's static
    origin, requests go only to this API, its WebSocket and the files bucket
    (uploads, R-ATT-1), images only from the widget and the files bucket."""
    widget = " ".join(_sources([origin_of(config.public_base_url())])) or "'none'"
    files = " ".join(_sources([attachments.bucket_origin()]))
    connect = " ".join(
        _sources([origin_of(config.api_base_url()), origin_of(config.ws_url())])
        + ([files] if files else [])
    ) or "'none'"
    images = " ".join(part for part in (widget, files, "data:") if part)
    return "; ".join((
        "default-src 'none'",
        f"script-src {widget}",
        f"style-src {widget}",
        f"img-src {images}",
        f"connect-src {connect}",
        "base-uri 'none'",
        "form-action 'none'",
        f"frame-ancestors {frame_ancestors(allowed_origins)}",
    ))


def frame_page(widget_key: str) -> FramePage:
    """The chat frame of the service with this widget key (NotFound otherwise)."""
    service = tenants.service_for_widget_key(widget_key)
    current = settings.current(service)
    allowed = [str(origin) for origin in current.get("allowed_origins") or []]
    language = current.get("default_language") or "en"
    values = {
        "lang": language,
        "api": config.api_base_url(),
        "key": service.widget_key,
        "static": config.public_base_url() + "/widget",
    }
    page = _template().substitute({name: html.escape(str(value), quote=True)
                                   for name, value in values.items()})
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(allowed),
        "X-Content-Type-Options": "nosniff",
        # The frame's URL names the host page: it is never sent on from here.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return FramePage(page, headers)
