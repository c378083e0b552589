"""Forged and replayed credentials, forged identities, bad origins and another
service's ids, over REST and the WebSocket connect: each is a clean 4xx in API.md's
error shape (or a refused connect), never a 5xx, and nothing is stored.

test_auth_api.py, test_ws_connect.py, test_widget_api.py and
test_tenant_isolation.py hold the first case of each (another key, expiry,
logout, one replay, one wrong hash, one bad origin, categories and operators of
another service); this file is the rest of the attacker's list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

import jwt
import pytest

from chalicelib import auth, keys
from chalicelib.models import (
    Category,
    Chat,
    ChatHead,
    Connection,
    Customer,
    Message,
    Operator,
    Service,
)
from chalicelib.models import Ticket as SupportTicket
from tests.api.helpers import Api, assert_error, login
from tests.api.ws_gateway import Desk, connect
from tests.conftest import OPERATOR_PASSWORD, make_tenant

SHOP = "https://shop.example.com"


def _b64(part: dict[str, Any] | bytes) -> str:
    raw = part if isinstance(part, bytes) else json.dumps(part).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _hand_made(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT built by hand, signed HMAC-SHA256 with `key` whatever the header says."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(),
                                                 hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _forged_tokens(real: str, other_service_operator: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = _claims(real)
    head, body, signature = real.split(".")
    secret = keys.current().signing_key.encode()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def tampered(**changes: Any) -> str:
        return f"{head}.{_b64({**claims, **changes})}.{signature}"

    return {
        "wrong key": jwt.encode(claims, "another-secret-of-the-same-length-0123456",
                                algorithm="HS256"),
        "alg none, no signature": _hand_made({"alg": "none", "typ": "JWT"}, claims, None),
        "alg none, signature kept": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{body}.{signature}",
        "alg None spelled oddly": _hand_made({"alg": "nOnE"}, claims, None),
        "HS512 (an algorithm not accepted)": jwt.encode(claims, keys.current().signing_key,
                                                        algorithm="HS512"),
        "RS256 with the attacker's key": jwt.encode(claims, rsa_key, algorithm="RS256"),
        "RS256 header, HMAC signature (confusion)": _hand_made({"alg": "RS256"}, claims,
                                                               secret),
        "HS256 with an empty key": _hand_made({"alg": "HS256"}, claims, b""),
        "another service": tampered(svc="globex"),
        "another operator": tampered(sub=other_service_operator),
        "role admin added": tampered(role="admin", admin=True),
        "longer expiry": tampered(exp=claims["exp"] + 10**6),
        "visitor type": tampered(typ="visitor"),
        "signature stripped": f"{head}.{body}.",
        "signature of another token": f"{head}.{_b64({**claims, 'sid': 'x'})}.{signature}",
        "two tokens": f"{real} {real}",
        "garbage": "a.b.c",
        "non-ascii": "é.é.é",
        "huge": "a" * 10_000,
    }


def _stored(service_id: str) -> Any:
    service = Service.get(service_id, consistent_read=True)
    return (
        service.settings, service.identity_secret,
        sorted((o.operator_id, o.role, o.name, o.password_hash)
               for o in Operator.query(service_id, consistent_read=True)),
        sorted((c.category_id, c.name) for c in Category.query(service_id, consistent_read=True)),
        sorted(c.customer_id for c in Customer.query(service_id, consistent_read=True)),
        sum(1 for _ in SupportTicket.by_service.query(service_id)),
    )


# A request of each kind a token opens: reading, minting a WS ticket, admin writes.
GUARDED = [
    ("GET", "/me", None),
    ("POST", "/auth/ws-ticket", None),
    ("GET", "/chats", None),
    ("PUT", "/settings", {"greeting": "pwned"}),
    ("POST", "/settings/identity-secret", None),
    ("POST", "/operators", {"email": "evil@x.test", "name": "Evil", "password": "p" * 12,
                            "role": "admin"}),
    ("POST", "/categories", {"name": "pwned"}),
]


def _refused(client: Any, authorization: str, label: str) -> None:
    for method, path, body in GUARDED:
        status, payload = Api(client).call(method, path, body,
                                           headers={"Authorization": authorization})
        assert status == 401, (label, method, path, status, payload)
        assert set(payload) == {"code", "message"}, (label, payload)


# --- operator tokens ------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The HMAC key")  # the HS512 forgery's key length
def test_forged_and_tampered_operator_tokens_open_nothing(client, tenant):
    other = make_tenant("globex")
    admin = login(client, tenant.service_id, tenant.admin_email)
    before = _stored(tenant.service_id)
    forged = _forged_tokens(admin.token, other.admin_id)
    for label, token in forged.items():
        _refused(client, f"Bearer {token}", label)
    assert _stored(tenant.service_id) == before
    assert admin.get("/me")[0] == 200  # the real token still works: the forgeries were wrong


def test_malformed_authorization_headers_are_401(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    before = _stored(tenant.service_id)
    for header in ("", "Bearer", "Bearer ", f"Basic {_b64(b'admin:admin-password-1')}",
                   f"Token {admin.token}", f"Bearer{admin.token}", f"Bearer  \t {'x' * 50}",
                   "Bearer null", "Bearer undefined", "Bearer {\"$ne\": null}"):
        _refused(client, header, header[:20])
    assert _stored(tenant.service_id) == before


def test_tickets_and_visitor_tokens_are_not_bearer_tokens(desk):
    session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session", {})[1]
    console_ticket = desk.admin.post("/auth/ws-ticket")[1]["ticket"]
    for label, token in (("customer ticket", session["ticket"]),
                         ("console ticket", console_ticket),
                         ("visitor token", session["visitor_token"])):
        _refused(desk.client, f"Bearer {token}", label)
    # Refusing them did not use them up: the console ticket still connects once.
    assert connect(desk.client, console_ticket, origin=None)[0] == 200


def test_a_token_whose_claims_disagree_with_its_session_is_refused(client, tenant):
    """Defence in depth, even for a token signed with the real key: its service
    and operator must be the ones its session was issued to, and every claim
    must be there (a missing one is a 401, not a crash)."""
    other = make_tenant("globex")
    admin = login(client, tenant.service_id, tenant.admin_email)
    claims = _claims(admin.token)
    secret = keys.current().signing_key
    for label, changed in (("service of another tenant", {**claims, "svc": "globex",
                                                         "sub": other.admin_id}),
                           ("no service", {k: v for k, v in claims.items() if k != "svc"}),
                           ("no subject", {k: v for k, v in claims.items() if k != "sub"}),
                           ("no session", {k: v for k, v in claims.items() if k != "sid"}),
                           ("numeric subject", {**claims, "sub": 7})):
        token = jwt.encode(changed, secret, algorithm="HS256")
        assert_error(Api(client, token).get("/me"), 401)
        assert Api(client, token).get("/settings")[0] == 401, label


def test_a_logged_out_token_cannot_mint_tickets_or_change_anything(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    assert admin.post("/auth/logout")[0] == 204
    before = _stored(tenant.service_id)
    for method, path, body in GUARDED:
        assert_error(admin.call(method, path, body), 401, "token_revoked")
    assert _stored(tenant.service_id) == before


def test_an_operator_cannot_make_itself_admin(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    operator = admin.post("/operators", {"email": "op@acme.test", "name": "Op",
                                         "password": OPERATOR_PASSWORD, "role": "operator"})[1]
    api = login(client, tenant.service_id, "op@acme.test", OPERATOR_PASSWORD)
    before = _stored(tenant.service_id)
    for method, path, body in (
        ("PUT", f"/operators/{operator['operator_id']}", {"role": "admin"}),
        ("POST", "/operators", {"email": "x@acme.test", "name": "X", "password": "p" * 12,
                                "role": "admin"}),
        ("DELETE", f"/operators/{tenant.admin_id}", None),
        ("PUT", "/settings", {"allowed_origins": ["*"]}),
        ("POST", "/settings/identity-secret", None),
        ("GET", "/settings", None),
    ):
        assert_error(api.call(method, path, body), 403, "admin_only")
    assert _stored(tenant.service_id) == before
    assert api.get("/me")[1]["role"] == "operator"


# --- WebSocket tickets ------------------------------------------------------------------


def _refused_at_connect(client: Any, ticket: Any, label: str, origin: str | None = None) -> None:
    status, socket = connect(client, ticket, origin=origin)
    assert status in (401, 403), (label, status)
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(socket.connection_id)


def test_forged_replayed_and_expired_tickets_are_refused_at_connect(desk):
    real = desk.admin.post("/auth/ws-ticket")[1]["ticket"]
    forged = {
        "random": secrets.token_urlsafe(32),
        "one character changed": real[:-1] + ("A" if real[-1] != "A" else "B"),
        "truncated": real[:-1],
        "extended": real + "x",
        "upper-cased": real.upper() if real.upper() != real else real + "X",
        "its stored digest": auth._ticket_key(real),
        "too long": "x" * 201,
        "operator token": desk.admin.token,
        "injection": "' OR '1'='1",
        "wildcard": "*",
        "unicode": "tïcket\u202e\u200b",
        "nul": "\x00",
    }
    for label, ticket in forged.items():
        _refused_at_connect(desk.client, ticket, label)
    assert connect(desk.client, real, origin=None)[0] == 200  # the real one was untouched
    _refused_at_connect(desk.client, real, "replayed console ticket")


def test_a_ticket_is_single_use_even_after_its_connection_closed(desk):
    session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session", {})[1]
    status, socket = connect(desk.client, session["ticket"])
    assert status == 200
    socket.close()
    _refused_at_connect(desk.client, session["ticket"], "replay after close")
    _refused_at_connect(desk.client, session["visitor_token"], "visitor token as ticket")


def test_an_expired_ticket_or_one_of_a_deleted_operator_is_refused(desk):
    from chalicelib import clock
    from chalicelib.models import Token

    expired = desk.admin.post("/auth/ws-ticket")[1]["ticket"]
    Token(token_key=auth._ticket_key(expired)).update(
        actions=[Token.until.set(clock.epoch() - 1)])
    _refused_at_connect(desk.client, expired, "expired")
    operator = desk.admin.post("/operators", {"email": "gone@acme.test", "name": "Gone",
                                              "password": OPERATOR_PASSWORD,
                                              "role": "operator"})[1]
    api = login(desk.client, desk.tenant.service_id, "gone@acme.test", OPERATOR_PASSWORD)
    ticket = api.post("/auth/ws-ticket")[1]["ticket"]
    assert desk.admin.delete(f"/operators/{operator['operator_id']}")[0] == 204
    _refused_at_connect(desk.client, ticket, "deleted operator")
    assert not list(Operator.online.query(desk.tenant.service_id))


# --- forged identities on the widget session -------------------------------------------


def test_forged_identity_hashes_are_refused_and_store_nothing(client, tenant):
    other = make_tenant("globex")
    secret = Service.get(tenant.service_id).identity_secret
    foreign_secret = Service.get(other.service_id).identity_secret
    public = Api(client)
    path = f"/widget/{tenant.widget_key}/session"
    good = auth.identity_hash(secret, "user-42")
    forged = {
        "random hex": secrets.token_hex(32),
        "for another user id": auth.identity_hash(secret, "user-43"),
        "for the id with a space": auth.identity_hash(secret, "user-42 "),
        "with another service's secret": auth.identity_hash(foreign_secret, "user-42"),
        "key and message swapped": hmac.new(b"user-42", secret.encode(),
                                            hashlib.sha256).hexdigest(),
        "plain sha256 of the id": hashlib.sha256(b"user-42").hexdigest(),
        "truncated": good[:-1],
        "one digit more": good + "0",
        "base64 of the right digest": base64.b64encode(bytes.fromhex(good)).decode(),
        "non-ascii": "é" * 64,
        "fullwidth digits": "".join(chr(ord(c) + 0xFEE0) for c in good),
        "empty": "",
        "injection": "' OR '1'='1",
    }
    before = _stored(tenant.service_id)
    for label, given in forged.items():
        user = {"id": "user-42", "name": "Mallory", "email": "m@evil.test", "hash": given}
        result = public.post(path, {"user": user})
        assert result[0] == 401, (label, result)
        assert_error(result, 401, "bad_identity_hash")
    for user in ({"id": "user-42", "hash": 42}, {"id": "user-42", "hash": [good]},
                 {"hash": good}, {"id": "\ud800", "hash": good}, {"id": ["user-42"], "hash": good},
                 {"id": True, "hash": good}):
        assert_error(public.post(path, {"user": user}), 400)
    assert _stored(tenant.service_id) == before
    # The right hash, in upper case, is accepted: the refusals above were for the forgery.
    status, body = public.post(path, {"user": {"id": "user-42", "hash": good.upper()}})
    assert status == 200 and body["verified"] is True


# --- origins ------------------------------------------------------------------------------

LOOK_ALIKES = [
    "null",
    "",
    "https://shop.example.com.evil.com",
    "https://evil.com/https://shop.example.com",
    "https://shop.example.com@evil.com",
    "https://evil.com#https://shop.example.com",
    "https://evil.com?https://shop.example.com",
    "https://user:pass@shop.example.com",
    "http://shop.example.com",
    "https://shop.example.com:8443",
    "https://shop.example.co",
    "https://xshop.example.com",
    "https://shop.example.com.",
    "https://sh\u043ep.example.com",  # a Cyrillic o
    "https://xn--shp-nrd.example.com",
    "https://shop.example.com\x00",
    "https://shop.example.com\u200b",
    "https://shop%2eexample.com",
    "file://shop.example.com",
    "*",
]


def test_a_session_from_a_page_not_allowed_is_refused(desk):
    assert desk.admin.put("/settings", {"allowed_origins": [SHOP]})[0] == 200
    path = f"/widget/{desk.tenant.widget_key}/session"
    before = _stored(desk.tenant.service_id)
    for page_origin in LOOK_ALIKES:
        result = desk.public.post(path, {"page_origin": page_origin})
        assert result[0] == 403, (page_origin, result)
        assert_error(result, 403, "origin_not_allowed")
    for page_origin in (["https://shop.example.com"], {"origin": SHOP}, 7, "x" * 301):
        assert_error(desk.public.post(path, {"page_origin": page_origin}), 400)
    assert _stored(desk.tenant.service_id) == before
    for allowed in (SHOP, "HTTPS://SHOP.EXAMPLE.COM", SHOP + "/"):  # browsers send lower case
        assert desk.public.post(path, {"page_origin": allowed})[0] == 200


def test_the_widget_config_reveals_no_secret_to_any_origin(desk):
    assert desk.admin.put("/settings", {"allowed_origins": [SHOP]})[0] == 200
    for origin in ("https://evil.com", "null"):
        status, config_body = desk.public.get(f"/widget/{desk.tenant.widget_key}/config",
                                              headers={"Origin": origin})
        assert status == 200
        assert set(config_body) == {"enabled", "operators_online", "languages",
                                    "default_language", "inquiry_form_url", "consent_text",
                                    "consent_version", "texts", "timezone", "open",
                                    "next_open_at", "away_message", "business_hours",
                                    "offline_form", "categories", "attachments"}
        assert set(config_body["attachments"]) == {"enabled", "max_bytes", "types"}
        assert set(config_body["business_hours"]) == {
            "enabled", "timezone", "weekly", "holiday_country", "holiday_country_name",
            "closed_dates"}
        assert all(set(c) == {"category_id", "name"} for c in config_body["categories"])
        for texts in config_body["texts"].values():
            assert set(texts) == {"greeting", "consent_text", "rating_message",
                                  "away_message", "lang"}


def test_a_connect_from_an_origin_not_allowed_is_refused(desk, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://chat.example.net")
    assert desk.admin.put("/settings", {"allowed_origins": [SHOP]})[0] == 200
    path = f"/widget/{desk.tenant.widget_key}/session"
    frame_look_alikes = ["https://chat.example.net.evil.com", "http://chat.example.net",
                         "https://chat.example.net:444", "https://evil.chat.example.net"]
    for origin in [*LOOK_ALIKES, *frame_look_alikes]:
        ticket = desk.public.post(path, {"page_origin": SHOP})[1]["ticket"]
        _refused_at_connect(desk.client, ticket, origin, origin=origin)
    for origin in (SHOP, "HTTPS://Shop.Example.com", "https://chat.example.net"):
        ticket = desk.public.post(path, {"page_origin": SHOP})[1]["ticket"]
        assert connect(desk.client, ticket, origin=origin)[0] == 200, origin


# --- another service's ids with a valid token ------------------------------------------


def test_another_services_chats_tickets_and_exports_are_404_and_untouched(desk, monkeypatch):
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "hostile-exports")
    from chalicelib import aws

    aws.client("s3").create_bucket(Bucket="hostile-exports")
    a_api, _console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True, "name": "Kim"})[
        "chat"]["chat_id"]
    assert a_api.post(f"/chats/{chat_id}/open")[0] == 200
    category = desk.admin.post("/categories", {"name": "A only"})[1]["category_id"]
    ticket_id = a_api.post(f"/chats/{chat_id}/tickets", {"subject": "A's"})[1]["ticket_id"]
    export_id = desk.admin.post("/history/exports", {})[1]["export_id"]
    other = make_tenant("globex")
    b = login(desk.client, other.service_id, other.admin_email)
    b_chat = Desk(desk.client, other).customer().request(
        {"type": "chat.start", "consent": True})["chat"]["chat_id"]

    def snapshot() -> Any:
        chat = Chat.get(chat_id, consistent_read=True)
        last_seq = int(ChatHead.get(chat_id, consistent_read=True).last_seq)
        return (chat.status, chat.customer, chat.category_id, last_seq, chat.rating,
                [m.text for m in Message.query(chat_id)], _stored("acme"), _stored("globex"),
                Chat.get(b_chat, consistent_read=True).category_id)

    before = snapshot()
    for method, path, body in (
        ("GET", f"/chats/{chat_id}", None),
        ("GET", f"/chats/{chat_id}/messages?after_seq=0", None),
        ("POST", f"/chats/{chat_id}/open", None),
        ("PUT", f"/chats/{chat_id}/info", {"customer": {"notes": "stolen"}}),
        ("POST", f"/chats/{chat_id}/rating-request", None),
        ("POST", f"/chats/{chat_id}/end", None),
        ("POST", f"/chats/{chat_id}/tickets", {"subject": "stolen"}),
        ("GET", f"/tickets/{ticket_id}", None),
        ("GET", f"/tickets/{ticket_id}/chat-history", None),
        ("GET", f"/history/exports/{export_id}", None),
    ):
        result = b.call(method, path, body)
        assert result[0] == 404, (method, path, result)
        assert_error(result, 404)
    assert_error(b.put(f"/chats/{b_chat}/info", {"inquiry": {"category_id": category}}), 400)
    # Filters naming A's ids find nothing in B; they do not reach A's chats.
    for query in (f"operator_id={a_api.operator_id}", f"category_id={category}", "q=Kim"):
        status, page = b.get(f"/history?{query}")
        assert (status, page["chats"]) == (200, []), query
    assert b.get("/tickets")[1]["tickets"] == []
    assert snapshot() == before
