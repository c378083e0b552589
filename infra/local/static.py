"""The static parts of the product on the same origin as the API: the widget's
demo page at `/`, the widget's files under `/widget/`, the console at `/console/`."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from infra.local.settings import ROOT

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


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", _demo_page),
        web.get("/widget/{path:.*}", _widget_file),
        web.get("/console", _to_console),
        web.get("/console/{path:.*}", _console_file),
    ]


def _send(root: Path, relative: str) -> web.StreamResponse:
    """A file under `root`, never outside it; a folder serves its index.html."""
    base = root.resolve()
    wanted = (base / relative).resolve()
    if not wanted.is_relative_to(base):
        raise web.HTTPNotFound()
    if wanted.is_dir():
        wanted = wanted / "index.html"
    if not wanted.is_file():
        raise web.HTTPNotFound()
    content_type = CONTENT_TYPES.get(wanted.suffix.lower(), "application/octet-stream")
    # No caching while developing: an edit shows on the next reload.
    headers = {"Content-Type": content_type, "Cache-Control": "no-cache"}
    return web.FileResponse(wanted, headers=headers)


async def _demo_page(request: web.Request) -> web.StreamResponse:
    return _send(WIDGET_DIR, "demo.html")


async def _widget_file(request: web.Request) -> web.StreamResponse:
    return _send(WIDGET_DIR, request.match_info["path"])


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


async def _console_file(request: web.Request) -> web.StreamResponse:
    return _send(CONSOLE_DIR, request.match_info["path"])
