"""Sign-in: login, logout, /me, WebSocket tickets, throttled failures (R-CON-1)."""

import pytest

from chalicelib import auth, clock
from chalicelib.errors import NotAuthenticated
from chalicelib.models import Token
from tests.api.helpers import Api, assert_error, login
from tests.conftest import ADMIN_PASSWORD


def _login_body(tenant, password=ADMIN_PASSWORD, email=None):
    return {"service_id": tenant.service_id, "email": email or tenant.admin_email,
            "password": password}


def test_login_returns_token_expiry_and_operator(client, tenant):
    status, body = Api(client).post("/auth/login", _login_body(tenant))
    assert status == 200
    assert body["operator"] == {
        "operator_id": tenant.admin_id, "name": "Admin",
        "email": tenant.admin_email, "role": "admin",
    }
    assert body["expires_at"].endswith("Z") and body["token"]


def test_login_email_is_case_insensitive(client, tenant):
    status, _ = Api(client).post("/auth/login", _login_body(tenant, email="ADMIN@Acme.Test"))
    assert status == 200


def test_wrong_password_unknown_email_and_unknown_service_are_all_401(client, tenant):
    api = Api(client)
    assert_error(api.post("/auth/login", _login_body(tenant, "wrong-password")), 401,
                 "bad_credentials")
    assert_error(api.post("/auth/login", _login_body(tenant, email="nobody@acme.test")), 401,
                 "bad_credentials")
    body = {**_login_body(tenant), "service_id": "no-such-service"}
    assert_error(api.post("/auth/login", body), 401, "bad_credentials")


def test_login_names_the_missing_or_bad_field(client, tenant):
    api = Api(client)
    body = assert_error(api.post("/auth/login", {"service_id": "acme", "email": "a@b.c"}), 400)
    assert "password" in body["message"]
    body = assert_error(api.post("/auth/login", {**_login_body(tenant), "email": 5}), 400)
    assert "email" in body["message"]
    assert_error(api.post("/auth/login", "{not json"), 400, "bad_request")
    assert_error(api.post("/auth/login", "[1, 2]"), 400, "bad_request")


def test_me_needs_a_token(client, tenant):
    assert_error(Api(client).get("/me"), 401, "missing_token")
    assert_error(Api(client, "not-a-token").get("/me"), 401, "invalid_token")


def test_logout_revokes_the_token_at_once(client, tenant):
    api = login(client, tenant.service_id, tenant.admin_email)
    assert api.get("/me")[0] == 200
    status, _ = api.post("/auth/logout")
    assert status == 204
    assert_error(api.get("/me"), 401, "token_revoked")
    # Another session of the same admin is untouched.
    other = login(client, tenant.service_id, tenant.admin_email)
    assert other.get("/me")[0] == 200


def test_expired_token_is_refused(client, tenant, monkeypatch):
    monkeypatch.setenv("TOKEN_TTL_S", "-30")
    api = login(client, tenant.service_id, tenant.admin_email)
    assert_error(api.get("/me"), 401, "token_expired")


def test_token_signed_with_another_secret_is_refused(client, tenant, monkeypatch):
    api = login(client, tenant.service_id, tenant.admin_email)
    monkeypatch.setenv("TOKEN_SECRET", "a-different-secret-entirely-and-long-enough")
    assert_error(api.get("/me"), 401, "invalid_token")


def test_visitor_token_is_not_an_operator_token(client, tenant):
    visitor = auth.issue_visitor_token(tenant.service_id, "cu_x")
    assert_error(Api(client, visitor).get("/me"), 401, "invalid_token")


def test_ws_ticket_works_once(client, tenant):
    api = login(client, tenant.service_id, tenant.admin_email)
    status, body = api.post("/auth/ws-ticket")
    assert status == 200
    assert body["ws_url"] == "ws://127.0.0.1:8080/ws"
    payload = auth.consume_ticket(body["ticket"])
    assert payload == {"role": "admin", "service_id": "acme", "subject_id": tenant.admin_id,
                       "session_id": payload["session_id"]}
    assert payload["session_id"]
    with pytest.raises(NotAuthenticated) as refused:
        auth.consume_ticket(body["ticket"])
    assert refused.value.code == "invalid_ticket"


def test_expired_ticket_is_refused(aws):
    ticket = auth.issue_ticket({"role": "customer", "service_id": "s", "subject_id": "c"})
    key = auth._ticket_key(ticket)
    Token(token_key=key).update(actions=[Token.until.set(clock.epoch() - 1)])
    with pytest.raises(NotAuthenticated) as refused:
        auth.consume_ticket(ticket)
    assert refused.value.code == "invalid_ticket"


def test_repeated_failed_logins_are_slowed_not_locked_forever(client, tenant):
    api = Api(client)
    for _ in range(5):
        assert_error(api.post("/auth/login", _login_body(tenant, "wrong-password")), 401)
    # The fifth failure starts a delay: even the right password waits.
    body = assert_error(api.post("/auth/login", _login_body(tenant)), 429, "rate_limited")
    assert "try again" in body["message"]
    # Once the delay has passed, the real user signs in and the count is cleared.
    key = f"loginfail#{tenant.service_id}#{tenant.admin_email}#127.0.0.1"
    Token(token_key=key).update(actions=[Token.until.set(clock.epoch() - 1)])
    assert api.post("/auth/login", _login_body(tenant))[0] == 200
    assert_error(api.post("/auth/login", _login_body(tenant, "wrong-password")), 401)
    assert api.post("/auth/login", _login_body(tenant))[0] == 200


def test_throttle_is_per_account(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    status, _ = admin.post("/operators", {"email": "op@acme.test", "name": "Op",
                                          "password": "operator-password-1", "role": "operator"})
    assert status == 201
    api = Api(client)
    for _ in range(7):
        api.post("/auth/login", _login_body(tenant, "wrong-password"))
    assert_error(api.post("/auth/login", _login_body(tenant)), 429)
    other = _login_body(tenant, "operator-password-1", email="op@acme.test")
    assert api.post("/auth/login", other)[0] == 200


def test_an_attackers_failures_do_not_lock_the_owner_out_from_elsewhere(
    client, tenant, monkeypatch
):
    """R-SEC-3: failures slow the address they come from, not the account."""
    from chalice.local import LambdaEventConverter

    api = Api(client)
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.66")
    for _ in range(7):
        assert api.post("/auth/login", _login_body(tenant, "wrong-password"))[0] in (401, 429)
    assert_error(api.post("/auth/login", _login_body(tenant)), 429, "rate_limited")
    # The owner, from their own address, is not slowed at all.
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.5")
    assert api.post("/auth/login", _login_body(tenant))[0] == 200
    # The attacker's address is still slowed: guessing goes on at a crawl.
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.66")
    assert_error(api.post("/auth/login", _login_body(tenant)), 429, "rate_limited")


def test_throttled_response_says_when_to_retry(client, tenant):
    api = Api(client)
    for _ in range(6):
        api.post("/auth/login", _login_body(tenant, "wrong-password"))
    response = client.http.post(
        "/auth/login",
        headers={"Content-Type": "application/json"},
        body=__import__("json").dumps(_login_body(tenant)),
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_passwords_are_stored_as_argon2id(aws, tenant):
    from chalicelib.models import Operator

    stored = Operator.get(tenant.service_id, tenant.admin_id).password_hash
    assert stored.startswith("$argon2id$") and "m=19456,t=2,p=1" in stored
    assert ADMIN_PASSWORD not in stored


def test_many_failures_from_one_address_are_slowed_but_successes_cost_nothing(
    client, tenant, monkeypatch
):
    monkeypatch.setenv("LOGIN_FAILURES_BURST", "3")
    api = Api(client)
    for _ in range(5):
        assert api.post("/auth/login", _login_body(tenant))[0] == 200
    for n in range(3):
        body = _login_body(tenant, email=f"nobody{n}@acme.test", password="wrong-password")
        assert_error(api.post("/auth/login", body), 401)
    # The address has used its failures: any further attempt waits.
    assert_error(api.post("/auth/login", _login_body(tenant)), 429, "rate_limited")
