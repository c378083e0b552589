"""The widget's chat frame served by the API (R-SEC-5, R-SEC-H): its API base is
the deployment's, whatever its URL says; only the service's allowed origins may
frame it; no inline script; everything interpolated is escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from chalicelib.models import Service
from chalicelib.services import frame
from tests.api.helpers import Api, assert_error, login

API_BASE = "https://api.example.com/api"
WIDGET_BASE = "https://widget.example.com"
WS_URL = "wss://ws.example.com/ws"


@pytest.fixture(autouse=True)
def deployed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment whose widget, REST API and WebSocket are on three origins."""
    monkeypatch.setenv("PUBLIC_BASE_URL", WIDGET_BASE)
    monkeypatch.setenv("API_BASE_URL", API_BASE)
    monkeypatch.setenv("WS_URL", WS_URL)


class Page(HTMLParser):
    """What a browser would make of the frame's HTML: its tags and attributes,
    and any text inside <script> or <style>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open in ("script", "style") and data.strip():
            self.inline.append(data)

    def meta(self, name: str) -> str | None:
        for tag, attrs in self.tags:
            if tag == "meta" and attrs.get("name") == name:
                return attrs.get("content")
        return None

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def get_frame(client: Any, path: str) -> Any:
    return client.http.get(path)


def policy(response: Any) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in directives}


def set_allowed_origins(client: Any, tenant: Any, origins: list[str]) -> None:
    admin = login(client, tenant.service_id, tenant.admin_email)
    status, body = admin.put("/settings", {"allowed_origins": origins})
    assert status == 200, body


def test_the_frame_is_html_with_its_security_headers(client, tenant):
    response = get_frame(client, f"/widget/{tenant.widget_key}/frame")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in response.headers  # frame-ancestors decides


def test_the_policy_allows_only_the_widget_origin_the_api_and_its_websocket(client, tenant):
    csp = policy(get_frame(client, f"/widget/{tenant.widget_key}/frame"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == WIDGET_BASE
    assert csp["style-src"] == WIDGET_BASE
    # Files sent in chats (R-ATT-1): uploads to and images from the files bucket.
    files = "https://helpdesk-local-files.s3.amazonaws.com"
    assert csp["img-src"] == f"{WIDGET_BASE} {files} data:"
    assert csp["connect-src"] == f"https://api.example.com wss://ws.example.com {files}"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'none'"
    assert "unsafe-inline" not in str(csp) and "unsafe-eval" not in str(csp)


def test_without_allowed_origins_any_page_may_frame_the_chat(client, tenant):
    assert policy(get_frame(client, f"/widget/{tenant.widget_key}/frame"))[
        "frame-ancestors"] == "*"
    set_allowed_origins(client, tenant, ["*"])
    assert policy(get_frame(client, f"/widget/{tenant.widget_key}/frame"))[
        "frame-ancestors"] == "*"


def test_with_allowed_origins_only_those_pages_may_frame_the_chat(client, tenant):
    set_allowed_origins(client, tenant, ["https://shop.example.com", "https://www.shop.example"])
    csp = policy(get_frame(client, f"/widget/{tenant.widget_key}/frame"))
    assert csp["frame-ancestors"] == "https://shop.example.com https://www.shop.example"


def test_an_origin_that_could_break_the_policy_never_reaches_it(client, tenant):
    # Settings validation keeps such values out; the policy does not rely on it.
    Service(service_id=tenant.service_id).update(actions=[Service.settings.set({
        "allowed_origins": ["https://ok.example", "https://x.example; script-src *",
                            "https://y.example\r\nSet-Cookie: a=b"],
    })])
    response = get_frame(client, f"/widget/{tenant.widget_key}/frame")
    assert policy(response)["frame-ancestors"] == "https://ok.example"
    assert "\n" not in response.headers["Content-Security-Policy"]
    Service(service_id=tenant.service_id).update(actions=[Service.settings.set({
        "allowed_origins": ["javascript:alert(1)"]})])
    assert policy(get_frame(client, f"/widget/{tenant.widget_key}/frame"))[
        "frame-ancestors"] == "'none'"


def test_the_html_has_no_inline_script_or_style_and_loads_from_the_widget_origin(client, tenant):
    page = Page(get_frame(client, f"/widget/{tenant.widget_key}/frame").body.decode())
    assert page.inline == []
    scripts = page.all("script")
    assert scripts == [{"type": "module", "src": f"{WIDGET_BASE}/widget/app.js"}]
    sheets = [attrs["href"] for attrs in page.all("link") if attrs.get("rel") == "stylesheet"]
    assert sheets == [f"{WIDGET_BASE}/widget/frame.css"]
    for _, attrs in page.tags:
        assert "style" not in attrs
        assert not any(name.startswith("on") for name in attrs)


def test_the_page_names_the_deployments_api_and_the_widget_key(client, tenant):
    page = Page(get_frame(client, f"/widget/{tenant.widget_key}/frame").body.decode())
    assert page.meta("helpdesk-api") == API_BASE
    assert page.meta("helpdesk-widget-key") == tenant.widget_key


def test_the_api_parameter_of_the_url_has_no_effect(client, tenant):
    plain = get_frame(client, f"/widget/{tenant.widget_key}/frame").body
    hostile = get_frame(
        client, f"/widget/{tenant.widget_key}/frame?api=https%3A%2F%2Fevil.example%2Fapi"
        "&key=other&lang=en&host=https%3A%2F%2Fshop.example&page=https%3A%2F%2Fshop.example%2F")
    assert hostile.status_code == 200
    assert hostile.body == plain
    assert b"evil.example" not in hostile.body
    assert "evil.example" not in hostile.headers["Content-Security-Policy"]


def test_an_unknown_widget_key_is_404_in_the_error_shape(client, tenant):
    public = Api(client)
    assert_error(public.get("/widget/no-such-key/frame"), 404, "not_found")
    assert_error(public.get("/widget/%3Cscript%3E/frame"), 404, "not_found")
    assert_error(public.get("/widget/x/frame"), 404, "not_found")


def test_everything_interpolated_is_html_escaped(monkeypatch, aws):
    from tests.conftest import make_tenant

    tenant = make_tenant("quotes", widget_key="key-with_odd-chars")
    monkeypatch.setenv("API_BASE_URL", 'https://api.example.com/a"><script>alert(1)</script>')
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://widget.example.com/p'&<b>")
    Service(service_id=tenant.service_id).update(actions=[Service.settings.set({
        "default_language": '"><script>alert(2)</script>'})])
    page = frame.frame_page(tenant.widget_key)
    assert "<script>alert" not in page.html
    assert "<b>" not in page.html
    parsed = Page(page.html)
    assert parsed.inline == []
    assert len(parsed.all("script")) == 1
    assert parsed.meta("helpdesk-api") == 'https://api.example.com/a"><script>alert(1)</script>'
    assert parsed.all("script")[0]["src"] == "https://widget.example.com/p'&<b>/widget/app.js"
    assert re.search(r'<html lang="&quot;&gt;&lt;script&gt;', page.html)
