"""Per-IP rate limits for the public doors: widget session creation and failed
logins (API.md: normal use is never limited; one IP may open at least 60 widget
sessions a minute; successful logins are never limited).

A generic cell-rate algorithm: each (limit, subject) keeps one number, the
theoretical arrival time of its next request, in a Token record updated with a
condition on the value read, so concurrent requests cannot both spend the same
allowance. A limit of `per_minute` with `burst` admits `burst` requests at once and
then one every 60/per_minute seconds."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError

from chalicelib.errors import TooManyRequests
from chalicelib.models import Token

ATTEMPTS = 5


@dataclass(frozen=True)
class Limit:
    name: str
    per_minute: float
    burst: int

    @property
    def interval_s(self) -> float:
        return 60.0 / self.per_minute

    @property
    def tolerance_s(self) -> float:
        return self.interval_s * (self.burst - 1)


def widget_sessions() -> Limit:
    """Per IP: 60 at once, then 2 a second (sites behind one NAT stay well inside)."""
    return Limit("widget-session", float(os.environ.get("WIDGET_SESSIONS_PER_MINUTE", "120")),
                 int(os.environ.get("WIDGET_SESSIONS_BURST", "60")))


def failed_logins() -> Limit:
    """Per IP: 30 failures at once, then one every 6 s. Successes cost nothing."""
    return Limit("login-failure", float(os.environ.get("LOGIN_FAILURES_PER_MINUTE", "10")),
                 int(os.environ.get("LOGIN_FAILURES_BURST", "30")))


def _key(limit: Limit, subject: str) -> str:
    return f"rate#{limit.name}#{subject}"


def _read(limit: Limit, subject: str) -> Token | None:
    try:
        return Token.get(_key(limit, subject), consistent_read=True)
    except Token.DoesNotExist:
        return None


def _refuse_if_over(limit: Limit, next_at: float, now: float) -> None:
    if next_at - now > limit.tolerance_s:
        wait = math.ceil(next_at - limit.tolerance_s - now)
        raise TooManyRequests(f"too many requests from this address; try again in {wait} s",
                              retry_after_s=max(wait, 1))


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
    for _ in range(ATTEMPTS):
        record = _read(limit, subject)
        previous = float(record.until) if record and record.until is not None else None
        next_at = max(previous or 0.0, now)
        if refuse:
            _refuse_if_over(limit, next_at, now)
        spent = next_at + limit.interval_s
        fresh = Token(
            token_key=_key(limit, subject),
            until=spent,
            expires_at=datetime.fromtimestamp(spent, UTC) + timedelta(minutes=5),
        )
        same = Token.until.does_not_exist() if previous is None else Token.until == previous
        try:
            fresh.save(condition=same)
        except PutError:
            continue  # another request spent it meanwhile: read again
        return
    raise TooManyRequests("too many requests from this address; try again", retry_after_s=1)
