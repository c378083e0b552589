"""The static parts of the product on the same origin as the API: the widget's
demo page at `/`, the widget's files under `/widget/`, the console at `/console/`.

Every answer carries `X-Content-Type-Options: nosniff` and a referrer policy;
the console and the demo page carry a Content-Security-Policy with no inline
script or style (R-SEC-H), the console also refuses to be framed. On AWS a
CloudFront response-headers policy adds the same headers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from infra.local.settings import ROOT, LocalSettings

WIDGET_DIR = ROOT / "widget"
CONSOLE_DIR = ROOT / "console"

# Set explicitly: the platform's mimetypes table differs between machines.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}

# What every static answer says, whatever it is.
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def console_headers(settings: LocalSettings) -> dict[str, str]:
    """The console talks to the API and its WebSocket on this origin, downloads
    exports from the S3 endpoint (in a hidden frame), uploads files sent in chats
    to it and shows images from it, and is framed by nobody."""
    s3 = settings.s3_endpoint
    policy = "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {s3}",
        f"connect-src 'self' {_origin(settings.ws_url)} {s3}",
        f"frame-src {settings.s3_endpoint}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ))
    return {
        **BASE_HEADERS,
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def demo_headers(settings: LocalSettings) -> dict[str, str]:
    """The demo page: its own script and CSS, the widget's loader, the config
    fetch and the chat frame from the local API; nothing inline."""
    api = settings.base_url  # the REST API's origin (its path is /api)
    policy = "; ".join((
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src {api}",
        f"frame-src {api}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
    ))
    return {**BASE_HEADERS, "Content-Security-Policy": policy}


def routes(settings: LocalSettings) -> list[web.RouteDef]:
    console = console_headers(settings)
    demo = demo_headers(settings)

    async def demo_page(request: web.Request) -> web.StreamResponse:
        return _send(WIDGET_DIR, "demo.html", demo)

    async def widget_file(request: web.Request) -> web.StreamResponse:
        return _send(WIDGET_DIR, request.match_info["path"], BASE_HEADERS)

    async def to_console(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/console/", headers=console)

    async def console_file(request: web.Request) -> web.StreamResponse:
        return _send(CONSOLE_DIR, request.match_info["path"], console)

    return [
        web.get("/", demo_page),
        web.get("/widget/{path:.*}", widget_file),
        web.get("/console", to_console),
        web.get("/console/{path:.*}", console_file),
    ]


def _send(root: Path, relative: str, headers: dict[str, str]) -> web.StreamResponse:
    """A file under `root`, never outside it; a folder serves its index.html."""
    base = root.resolve()
    wanted = (base / relative).resolve()
    if wanted.is_dir():
        wanted = wanted / "index.html"
    if not wanted.is_relative_to(base) or not wanted.is_file():
        raise web.HTTPNotFound(headers=headers)
    content_type = CONTENT_TYPES.get(wanted.suffix.lower(), "application/octet-stream")
    # No caching while developing: an edit shows on the next reload.
    return web.FileResponse(
        wanted, headers={**headers, "Content-Type": content_type, "Cache-Control": "no-cache"}
    )
