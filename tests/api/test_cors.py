"""R-SEC-5: operator and admin routes (and sign-in) answer CORS only for the
console's origin; the widget's public routes answer any site (the widget runs on
any shop's page). Every answer says `nosniff`; authenticated ones are never
cached."""

import pytest

from app import app
from tests.api.helpers import login

CONSOLE = "https://console.example.com"
SHOP = "https://shop.example.net"


@pytest.fixture(autouse=True)
def console_origin(monkeypatch):
    monkeypatch.setenv("CONSOLE_ORIGIN", CONSOLE + "/")  # a trailing slash is forgiven


def _paths(public: bool):
    """Paths whose routes answer any site (public) or only the console."""
    for path, methods in sorted(app.routes.items()):
        any_site = any(entry.cors for method, entry in methods.items() if method != "OPTIONS")
        if any_site == public:
            yield path


def test_only_the_widgets_routes_and_health_answer_any_site():
    assert {path for path in _paths(public=True) if not path.startswith("/widget/")} == {
        "/health"}
    assert "/auth/login" in set(_paths(public=False))


def _fill(path):
    for name in ("chat_id", "ticket_id", "export_id", "category_id", "operator_id", "key",
                 "customer_id"):
        path = path.replace("{" + name + "}", "x")
    return path


def _preflight(client, path, origin):
    return client.http.request("OPTIONS", _fill(path), headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


@pytest.mark.parametrize("path", list(_paths(public=False)))
def test_console_routes_preflight_only_for_the_console(client, path):
    mine = _preflight(client, path, CONSOLE)
    assert mine.status_code == 204
    assert mine.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "Authorization" in mine.headers["Access-Control-Allow-Headers"]
    methods = set(mine.headers["Access-Control-Allow-Methods"].split(", "))
    assert methods == set(app.routes[path]) - {"OPTIONS"}
    other = _preflight(client, path, SHOP)
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.headers.get("Vary") == "Origin"


@pytest.mark.parametrize("path", [p for p in _paths(public=True) if "OPTIONS" not in app.routes[p]
                                  and "GET" in app.routes[p]])
def test_widget_routes_answer_any_site(client, path):
    answer = client.http.request("GET", _fill(path), headers={"Origin": SHOP})
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"


def test_answers_to_the_console_carry_its_origin_and_others_none(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    headers = {"Authorization": f"Bearer {admin.token}"}
    mine = client.http.request("GET", "/settings", headers={**headers, "Origin": CONSOLE})
    assert mine.status_code == 200
    assert mine.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert mine.headers["Cache-Control"] == "no-store"
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    theirs = client.http.request("GET", "/settings", headers={**headers, "Origin": SHOP})
    assert theirs.status_code == 200  # the browser refuses it to the page: no permission
    assert "Access-Control-Allow-Origin" not in theirs.headers
    # An error answer to the console carries its origin too, so it can read why.
    refused = client.http.request("GET", "/settings", headers={"Origin": CONSOLE})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_without_a_console_origin_nothing_is_allowed_cross_origin(client, monkeypatch):
    monkeypatch.delenv("CONSOLE_ORIGIN")
    answer = _preflight(client, "/auth/login", CONSOLE)
    assert "Access-Control-Allow-Origin" not in answer.headers
