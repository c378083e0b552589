"""Per-IP rate limits for the public doors: widget session creation and failed
logins (API.md: normal use is never limited; one IP may open at least 60 widget
sessions a minute; successful logins are never limited).

A generic cell-rate algorithm: each (limit, subject) keeps one number, the
theoretical arrival time of its next request, in a Token record. Spending is one
conditional UpdateItem that adds the interval on the server (`until = until + T`
while `until` is within the tolerance), so concurrent requests are applied one
after another by DynamoDB and never fight over a value they read: a burst of
simultaneous requests from one address is admitted up to exactly its allowance.
A limit of `per_minute` with `burst` admits `burst` requests at once and then one
every 60/per_minute seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import config, gcra, token_keys
from chalicelib.errors import TooManyRequests
from chalicelib.gcra import Limit
from chalicelib.models import Token

ATTEMPTS = 5
# A record outlives the last moment it could matter by this much (DynamoDB TTL).
KEEP = timedelta(minutes=5)


def widget_sessions() -> Limit:
    """Per IP: 60 at once, then 2 a second (sites behind one NAT stay well inside)."""
    per_minute, burst = config.widget_session_limit()
    return Limit("widget-session", per_minute, burst)


def failed_logins() -> Limit:
    """Per IP: 30 failures at once, then one every 6 s. Successes cost nothing."""
    per_minute, burst = config.failed_login_limit()
    return Limit("login-failure", per_minute, burst)


def _key(limit: Limit, subject: str) -> str:
    return token_keys.rate(limit.name, subject)


def _read(limit: Limit, subject: str) -> Token | None:
    try:
        return Token.get(_key(limit, subject), consistent_read=True)
    except Token.DoesNotExist:
        return None


def _refuse_if_over(limit: Limit, next_at: float, now: float) -> None:
    decided = gcra.decide(limit, "", next_at, now)
    if not decided.allowed:
        raise TooManyRequests(
            f"too many requests from this address; try again in {decided.retry_after_s} s",
            retry_after_s=decided.retry_after_s)


def check(limit: Limit, subject: str | None, now: float) -> None:
    """Refuse when the subject has no allowance left, without spending any."""
    if not subject:
        return
    record = _read(limit, subject)
    if record is not None:
        _refuse_if_over(limit, float(record.until or 0), now)


def take(limit: Limit, subject: str | None, now: float, *, refuse: bool = True) -> None:
    """Spend one request of the subject's allowance; over it, TooManyRequests
    (or, with refuse=False, just record the request)."""
    if not subject:
        return
    record = Token(token_key=_key(limit, subject))
    expires = datetime.fromtimestamp(now + limit.tolerance_s + limit.interval_s, UTC) + KEEP
    for _ in range(ATTEMPTS):
        # Busy: the next arrival time is ahead of now; add one interval to it.
        busy = Token.until > now
        if refuse:
            busy = busy & (Token.until <= now + limit.tolerance_s)
        if _spend(record, [Token.until.set(Token.until + limit.interval_s)], busy, expires):
            return
        # Idle (no record, or its time has passed): start again from now.
        idle = Token.until.does_not_exist() | (Token.until <= now)
        if _spend(record, [Token.until.set(now + limit.interval_s)], idle, expires):
            return
        if refuse:
            current = _read(limit, subject)
            if current is not None and current.until is not None:
                _refuse_if_over(limit, float(current.until), now)
        # Otherwise another request moved the record between the two: try again.
    raise TooManyRequests("too many requests from this address; try again", retry_after_s=1)


def _spend(record: Token, actions: list[Any], condition: Any, expires: datetime) -> bool:
    """One conditional update; False when its condition did not hold."""
    try:
        record.update(actions=[*actions, Token.expires_at.set(expires)], condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
