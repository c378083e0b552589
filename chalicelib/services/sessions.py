"""Operator sign-in (R-CON-1): login with throttling of failed attempts, logout,
who am I, and WebSocket tickets for the console."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import auth, clock, config, validate
from chalicelib.errors import NotAuthenticated, NotFound, TooManyRequests
from chalicelib.models import Operator, Token
from chalicelib.services import operators, ratelimit, tenants

# Failed logins for one account: the first FREE_FAILURES are free; after that each
# attempt must wait 2, 4, 8 … seconds (capped at MAX_DELAY_S) after the last
# failure. A correct password after the wait signs in and clears the count, so the
# real user is never locked out for long, while guessing slows to a crawl.
FREE_FAILURES = 5
MAX_DELAY_S = 300
FAILURE_WINDOW_S = 3600


@dataclass(frozen=True)
class Caller:
    """Who is calling the REST API: an operator or admin of one service."""

    service_id: str
    operator_id: str
    role: str
    name: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _failure_key(service_id: str, email: str) -> str:
    return f"loginfail#{service_id}#{email.lower()}"


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
            Token.count.add(1),
            Token.expires_at.set(clock.now() + timedelta(seconds=FAILURE_WINDOW_S)),
        ]
    )
    failures = int(record.count or 0)
    if failures >= FREE_FAILURES:
        delay = min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY_S)
        record.update(actions=[Token.until.set(clock.epoch() + delay)])


def login(body: Any, ip: str | None = None) -> tuple[str, datetime, Operator]:
    validate.body_object(body)
    service_id = validate.text(body, "service_id", max_len=100, single_line=True)
    email = validate.text(body, "email", max_len=254, single_line=True).lower()
    password = validate.text(body, "password", max_len=operators.MAX_PASSWORD)
    key = _failure_key(service_id, email)
    _check_throttle(key)
    ratelimit.check(ratelimit.failed_logins(), ip, time.time())
    operator = None
    try:
        tenants.get_service(service_id)
        operator = operators.find_by_email(service_id, email)
    except NotFound:
        operator = None
    password_hash = operator.password_hash if operator else auth.dummy_password_hash()
    if not auth.verify_password(password_hash, password) or operator is None:
        _record_failure(key)
        ratelimit.take(ratelimit.failed_logins(), ip, time.time(), refuse=False)
        raise NotAuthenticated("wrong service, email or password", "bad_credentials")
    Token(token_key=key).delete()
    token, expires_at = auth.issue_operator_token(service_id, operator.operator_id)
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
    return Caller(
        service_id=operator.service_id,
        operator_id=operator.operator_id,
        role=operator.role,
        name=operator.name,
        session_id=claims.session_id,
    )


def logout(caller: Caller) -> None:
    auth.revoke_session(caller.session_id)


def me(caller: Caller) -> Operator:
    return operators.get_operator(caller.service_id, caller.operator_id)


def ws_ticket(caller: Caller) -> dict[str, str]:
    ticket = auth.issue_ticket(
        {
            "role": caller.role,
            "service_id": caller.service_id,
            "subject_id": caller.operator_id,
        }
    )
    return {"ticket": ticket, "ws_url": config.ws_url()}
