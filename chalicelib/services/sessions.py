"""Operator sign-in (R-CON-1): login with throttling of failed attempts, logout,
who am I, and WebSocket tickets for the console."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import auth, clock, config, token_keys, validate
from chalicelib.errors import NotAuthenticated, NotFound, TooManyRequests
from chalicelib.models import Operator, Token
from chalicelib.services import audit, operators, ratelimit, settings, tenants
from chalicelib.services.access import Caller

# Failed logins for one account from one address: the first FREE_FAILURES are
# free; after that each attempt from that address must wait 2, 4, 8 … seconds
# (capped at MAX_DELAY_S) after the last failure. Keyed by account AND address
# (R-SEC-3): an attacker's failures slow the attacker, never the owner signing in
# from elsewhere. Each address is also limited across accounts
# (ratelimit.failed_logins), so spraying many accounts is slowed too.
FREE_FAILURES = 5
MAX_DELAY_S = 300
FAILURE_WINDOW_S = 3600


def _failure_key(service_id: str, email: str, ip: str | None) -> str:
    return token_keys.login_failures(service_id, email, ip)


def _check_throttle(key: str) -> None:
    try:
        record = Token.get(key, consistent_read=True)
    except Token.DoesNotExist:
        return
    wait = int(record.until or 0) - clock.epoch()
    if wait > 0:
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} s", retry_after_s=wait
        )


def _record_failure(key: str) -> None:
    record = Token(token_key=key)
    record.update(
        actions=[
            Token.failures.add(1),
            Token.expires_at.set(clock.now() + timedelta(seconds=FAILURE_WINDOW_S)),
        ]
    )
    failures = int(record.failures or 0)
    if failures >= FREE_FAILURES:
        delay = min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY_S)
        record.update(actions=[Token.until.set(clock.epoch() + delay)])


@dataclass(frozen=True)
class Credentials:
    """`POST /auth/login`, checked (the email lower-cased)."""

    service_id: str
    email: str
    password: str

    @classmethod
    def checked(cls, body: Any) -> Credentials:
        validate.body_object(body)
        return cls(
            service_id=str(validate.text(body, "service_id", max_len=100, single_line=True)),
            email=str(validate.text(body, "email", max_len=254, single_line=True)).lower(),
            password=str(validate.text(body, "password", max_len=operators.MAX_PASSWORD)),
        )


def login(credentials: Credentials, ip: str | None = None) -> tuple[str, datetime, Operator]:
    service_id, email, password = credentials.service_id, credentials.email, credentials.password
    key = _failure_key(service_id, email, ip)
    _check_throttle(key)
    ratelimit.check(ratelimit.failed_logins(), ip, time.time())
    operator = None
    service_known = False
    try:
        tenants.get_service(service_id)
        service_known = True
        operator = operators.find_by_email(service_id, email)
    except NotFound:
        operator = None
    password_hash = operator.password_hash if operator else auth.dummy_password_hash()
    if not auth.verify_password(password_hash, password) or operator is None:
        _record_failure(key)
        ratelimit.take(ratelimit.failed_logins(), ip, time.time(), refuse=False)
        if service_known:
            audit.record(service_id, "auth.login_failed",
                         operator.operator_id if operator else None, {"email": email},
                         who=audit.Who(ip=ip))
        raise NotAuthenticated("wrong service, email or password", "bad_credentials")
    Token(token_key=key).delete()
    token, expires_at = auth.issue_operator_token(
        service_id, operator.operator_id, int(operator.token_version or 0)
    )
    audit.record(service_id, "auth.login", operator.operator_id,
                 who=audit.Who(operator_id=operator.operator_id, name=operator.name,
                               role=operator.role, ip=ip))
    return token, expires_at, operator


def authenticate(authorization: str | None) -> Caller:
    """The caller behind an `Authorization: Bearer …` header, checked against the
    current operator record (a deleted operator or changed role applies at once)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise NotAuthenticated("a bearer token is required", "missing_token")
    claims = auth.verify_operator_token(authorization[len("Bearer "):].strip())
    try:
        operator = Operator.get(claims.service_id, claims.operator_id)
    except Operator.DoesNotExist as exc:
        raise NotAuthenticated("the account no longer exists", "invalid_token") from exc
    if claims.version != int(operator.token_version or 0):
        raise NotAuthenticated("the password has changed; sign in again", "token_revoked")
    return Caller(
        service_id=operator.service_id,
        operator_id=operator.operator_id,
        role=operator.role,
        name=operator.name,
        session_id=claims.session_id,
    )


def logout(caller: Caller) -> None:
    """The token stops working at once (services/accounts.py ends the rest)."""
    auth.revoke_session(caller.session_id)
    forget_live_sessions(caller.operator_id)


# --- every operator frame checks its session (R-SEC-2) ---------------------------
# A frame costs no extra reads while its session was seen alive within LIVE_CACHE_S
# in this process: logout, deletion and role or password changes close the
# sockets at once anyway; this catches a socket that slipped past them (one
# opened in the same instant), within seconds.

LIVE_CACHE_S = 10.0
_live: dict[tuple[str, str, str], tuple[float, str]] = {}  # → (until, role)


def forget_live_sessions(operator_id: str) -> None:
    for key in list(_live):  # list(): a copy taken at once, whatever other threads do
        if key[1] == operator_id:
            _live.pop(key, None)


def _remember_live(key: tuple[str, str, str], role: str) -> None:
    now = time.monotonic()
    if len(_live) > 1000:  # a long-lived process: drop what has expired
        for stale in [k for k, (until, _) in list(_live.items()) if until <= now]:
            _live.pop(stale, None)
    _live[key] = (now + LIVE_CACHE_S, role)


def require_live_session(
    service_id: str, operator_id: str, session_id: str | None, role: str
) -> None:
    """An operator's frame: their session still stands and their role is the one
    the socket was opened with. NotAuthenticated (`session_ended`) otherwise."""
    key = (service_id, operator_id, session_id or "")
    cached = _live.get(key)
    if cached is not None and cached[0] > time.monotonic():
        role_now: str | None = cached[1]
    else:
        role_now = current_role(service_id, operator_id, session_id)
        if role_now is not None:
            _remember_live(key, role_now)
    if role_now != role:
        _live.pop(key, None)
        raise NotAuthenticated("this session has ended; sign in again", "session_ended")


def current_role(service_id: str, operator_id: str, session_id: str | None) -> str | None:
    """The operator's role now, if the session still stands and was signed in
    with their current password; else None."""
    session = auth.live_session(session_id, service_id, operator_id)
    if session is None:
        return None
    try:
        operator = Operator.get(service_id, operator_id, consistent_read=True)
    except Operator.DoesNotExist:
        return None
    if int((session.payload or {}).get("version", 0)) != int(operator.token_version or 0):
        return None
    return str(operator.role)


@dataclass(frozen=True)
class Me:
    """The signed-in operator, and what the console needs of their service: its
    time zone and languages (R-TZ-1, R-I18N-2), the files it takes (R-ATT-1)."""

    operator: Operator
    timezone: str
    languages: list[str]
    default_language: str
    service_name: str
    attachments: dict[str, Any]


def me(caller: Caller) -> Me:
    operator = operators.get_operator(caller.service_id, caller.operator_id)
    service = tenants.get_service(caller.service_id)
    found = settings.current(service)
    return Me(operator, found["timezone"], list(found["languages"]),
              found["default_language"], str(service.name), dict(found["attachments"]))


def ws_ticket(caller: Caller) -> dict[str, str]:
    """A single-use WebSocket ticket for this session: the socket it opens lives
    and dies with the session."""
    ticket = auth.issue_ticket(
        {
            "role": caller.role,
            "service_id": caller.service_id,
            "subject_id": caller.operator_id,
            "session_id": caller.session_id,
        }
    )
    return {"ticket": ticket, "ws_url": config.ws_url()}
