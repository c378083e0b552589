"""Public widget endpoints: config and customer sessions (R-SET-1, R-WID-2, R-WID-7)."""

import pytest

from chalicelib import auth
from chalicelib.models import Customer, Operator, Service
from chalicelib.services import devices, widget
from tests.api.helpers import Api, assert_error, login


@pytest.fixture
def public(client):
    return Api(client)


def _go_online(service_id, operator_id):
    Operator(service_id=service_id, operator_id=operator_id).update(
        actions=[Operator.status.set("online"), Operator.online_service_id.set(service_id)])


def test_config_reports_settings_and_no_one_online(public, tenant):
    status, body = public.get(f"/widget/{tenant.widget_key}/config")
    assert status == 200
    assert body["enabled"] is True and body["operators_online"] == 0
    assert body["languages"] == ["ja", "en"] and body["default_language"] == "ja"
    assert body["inquiry_form_url"] == "" and body["consent_text"]


def test_operators_online_counts_online_operators_only(client, public, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    ids = [admin.post("/operators", {"email": f"op{i}@acme.test", "name": f"Op {i}",
                                     "password": "operator-password-1",
                                     "role": "operator"})[1]["operator_id"] for i in range(3)]
    _go_online(tenant.service_id, ids[0])
    _go_online(tenant.service_id, ids[1])
    Operator(service_id=tenant.service_id, operator_id=ids[2]).update(
        actions=[Operator.status.set("break")])
    assert public.get(f"/widget/{tenant.widget_key}/config")[1]["operators_online"] == 2


def test_disabled_service_reports_disabled_and_refuses_sessions(client, public, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    admin.put("/settings", {"chat_enabled": False})
    body = public.get(f"/widget/{tenant.widget_key}/config")[1]
    assert body["enabled"] is False
    assert_error(public.post(f"/widget/{tenant.widget_key}/session", {}), 403, "chat_disabled")


def test_unknown_widget_key_is_404(public, tenant):
    assert_error(public.get("/widget/no-such-key/config"), 404)
    assert_error(public.post("/widget/no-such-key/session", {}), 404)
    assert_error(public.get("/widget/%3Cscript%3E/config"), 404)


def test_new_visitor_gets_a_customer_ticket_and_token(public, tenant):
    status, body = public.post(f"/widget/{tenant.widget_key}/session", {"language": "en"},
                               headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) "
                                        "AppleWebKit/537.36 Chrome/120.0 Safari/537.36"})
    assert status == 200
    assert body["open_chat"] is None and body["ws_url"] == "ws://127.0.0.1:8080/ws"
    assert body["verified"] is False
    assert auth.consume_ticket(body["ticket"]) == {
        "role": "customer", "service_id": tenant.service_id, "subject_id": body["customer_id"]}
    customer = Customer.get(tenant.service_id, body["customer_id"])
    assert customer.language == "en"
    assert customer.device == "Chrome 120 on Windows (desktop)"


def test_same_visitor_token_is_the_same_customer(public, tenant):
    first = public.post(f"/widget/{tenant.widget_key}/session", {})[1]
    again = public.post(f"/widget/{tenant.widget_key}/session",
                        {"visitor_token": first["visitor_token"]})[1]
    assert again["customer_id"] == first["customer_id"]
    assert again["ticket"] != first["ticket"]


def test_a_forged_or_foreign_visitor_token_starts_a_new_customer(public, tenant, aws):
    from tests.conftest import make_tenant

    other = make_tenant("globex")
    theirs = public.post(f"/widget/{other.widget_key}/session", {})[1]
    mine = public.post(f"/widget/{tenant.widget_key}/session",
                       {"visitor_token": theirs["visitor_token"]})[1]
    assert mine["customer_id"] != theirs["customer_id"]
    forged = public.post(f"/widget/{tenant.widget_key}/session",
                         {"visitor_token": "eyJhbGciOiJub25lIn0.e30."})[1]
    assert forged["customer_id"] not in (mine["customer_id"], theirs["customer_id"])


def test_signed_identity_is_verified_and_stable_across_browsers(public, tenant):
    secret = Service.get(tenant.service_id).identity_secret
    user = {"id": "user-42", "name": "Hanako", "email": "hanako@example.jp",
            "hash": auth.identity_hash(secret, "user-42")}
    first = public.post(f"/widget/{tenant.widget_key}/session", {"user": user})[1]
    second = public.post(f"/widget/{tenant.widget_key}/session", {"user": user})[1]
    assert first["verified"] is True and first["customer_id"] == second["customer_id"]
    customer = Customer.get(tenant.service_id, first["customer_id"])
    assert (customer.name, customer.email, customer.verified) == (
        "Hanako", "hanako@example.jp", True)


def test_wrong_identity_hash_is_401(public, tenant):
    user = {"id": "user-42", "name": "Mallory", "hash": "00" * 32}
    assert_error(public.post(f"/widget/{tenant.widget_key}/session", {"user": user}), 401,
                 "bad_identity_hash")


def test_hash_made_with_an_old_secret_is_refused_after_rotation(client, public, tenant):
    old = Service.get(tenant.service_id).identity_secret
    login(client, tenant.service_id, tenant.admin_email).post("/settings/identity-secret")
    user = {"id": "u1", "hash": auth.identity_hash(old, "u1")}
    assert_error(public.post(f"/widget/{tenant.widget_key}/session", {"user": user}), 401)


def test_unsigned_user_is_kept_but_unverified(public, tenant):
    user = {"id": "user-42", "name": "Maybe Hanako", "email": "maybe@example.jp"}
    body = public.post(f"/widget/{tenant.widget_key}/session", {"user": user})[1]
    assert body["verified"] is False
    customer = Customer.get(tenant.service_id, body["customer_id"])
    assert (customer.name, customer.verified, customer.external_id) == (
        "Maybe Hanako", False, None)


def test_unsigned_data_never_overwrites_a_verified_identity(public, tenant):
    secret = Service.get(tenant.service_id).identity_secret
    user = {"id": "u7", "name": "Real", "hash": auth.identity_hash(secret, "u7")}
    first = public.post(f"/widget/{tenant.widget_key}/session", {"user": user})[1]
    public.post(f"/widget/{tenant.widget_key}/session",
                {"visitor_token": first["visitor_token"], "user": {"name": "Impostor"}})
    assert Customer.get(tenant.service_id, first["customer_id"]).name == "Real"


@pytest.mark.parametrize(
    "body",
    [{"user": "me"}, {"user": {"id": ["x"]}}, {"user": {"hash": "ab"}},
     {"user": {"id": "u", "email": "bad"}}, {"user": {"email": 0}}, {"user": {"email": []}},
     {"language": "fr"}, {"visitor_token": 5}],
)
def test_bad_session_body_is_400(public, tenant, body):
    assert_error(public.post(f"/widget/{tenant.widget_key}/session", body), 400)


def test_describe_device_names_browser_system_and_kind():
    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
    assert widget.describe_device(iphone) == "Safari 17 on iOS 17 (mobile)"
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
    assert widget.describe_device(firefox) == "Firefox 120 on Linux (desktop)"
    # Windows and macOS froze their version in the User-Agent: not shown.
    edge = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")
    assert widget.describe_device(edge) == "Edge 120 on Windows (desktop)"
    tablet = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Safari/537.36")
    assert widget.describe_device(tablet) == "Chrome 120 on Android 13 (tablet)"
    assert widget.describe_device("curl/8.5") == "curl 8 on unknown OS (desktop)"
    assert widget.describe_device("\x00" * 5000).endswith("(desktop)")


def test_device_parts_are_given_for_the_readers_own_words():
    assert devices.info("Safari 17 on iOS 17 (mobile)") == {
        "browser": "Safari 17", "os": "iOS 17", "kind": "mobile"}
    assert devices.info("Other browser on unknown OS (desktop)") == {
        "browser": None, "os": None, "kind": "desktop"}
    assert devices.info("something else") is None
    assert devices.info(None) is None


def test_allowed_origins_are_checked_against_the_host_page(client, public, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    admin.put("/settings", {"allowed_origins": ["https://shop.acme.test"]})
    path = f"/widget/{tenant.widget_key}/session"
    assert public.post(path, {"page_origin": "https://shop.acme.test"})[0] == 200
    assert_error(public.post(path, {"page_origin": "https://evil.test"}), 403,
                 "origin_not_allowed")
    assert_error(public.post(path, {}), 403, "origin_not_allowed")
    assert_error(public.post(path, {"page_origin": 7}), 400)


def test_widget_frame_origin_is_admitted_at_connect_only(aws, tenant, monkeypatch):
    from chalicelib.services import settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://chat.example.net/")
    service = Service.get(tenant.service_id)
    service.update(actions=[Service.settings.set(
        {**settings.current(service), "allowed_origins": ["https://shop.acme.test"]})])
    assert settings.origin_allowed(service, "https://chat.example.net")
    assert not settings.origin_allowed(service, "https://chat.example.net", frame_ok=False)
    assert settings.origin_allowed(service, "https://SHOP.acme.test/")
    assert not settings.origin_allowed(service, "https://evil.test")
    assert not settings.origin_allowed(service, None)


def test_one_address_may_open_60_sessions_at_once_but_not_unlimited(public, tenant):
    path = f"/widget/{tenant.widget_key}/session"
    for _ in range(60):
        assert public.post(path, {})[0] == 200
    # The allowance refills at 2 a second, far slower than these requests arrive.
    answers = [public.post(path, {}) for _ in range(40)]
    refused = [body for status, body in answers if status == 429]
    assert refused and refused[0] == {"code": "rate_limited", "message": refused[0]["message"]}
