"""The audit log (R-AUD-1): who did what, to what, when and from where.

An entry is written in the same transaction as the change it records where
the change is one (`add_to`), else right after it (`record`: a sign-in, a
failed one). Who acts is the request's (`acting`, set by the REST endpoint
for every signed-in call, and by the sign-in for its own): services name
only the action, its target and its detail — field names, never values that
are passwords, secrets, tokens or message text.

Entries are never changed or deleted by the app (no route, no service
function does; the API Lambdas' roles hold no DeleteItem on the table): they
go after two years by DynamoDB TTL. `GET /audit` pages them by time, newest
first, optionally of one action (an index per service and action).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import clock, cursors
from chalicelib.errors import InvalidInput
from chalicelib.models import AuditEntry
from chalicelib.services import history

ACTIONS = (
    "auth.login",
    "auth.login_failed",
    "settings.update",
    "operator.create",
    "operator.update",
    "operator.delete",
    "export.create",
    "privacy.erase",
    "block.create",
    "block.delete",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
)
KEEP = timedelta(days=730)
PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class Who:
    """Who acts, as the entry shows them (None: the system), and from where."""

    operator_id: str | None = None
    name: str | None = None
    role: str | None = None
    ip: str | None = None

    def actor_json(self) -> dict[str, Any] | None:
        if self.operator_id is None:
            return None
        return {"operator_id": self.operator_id, "name": self.name, "role": self.role}


_acting: ContextVar[Who | None] = ContextVar("audit_acting", default=None)


@contextlib.contextmanager
def acting(who: Who) -> Iterator[None]:
    """Entries written meanwhile (in this thread) name `who`."""
    token = _acting.set(who)
    try:
        yield
    finally:
        _acting.reset(token)


def current() -> Who:
    return _acting.get() or Who()


def entry(service_id: str, action: str, target: str | None, detail: dict[str, Any] | None = None,
          *, who: Who | None = None, now: datetime | None = None) -> AuditEntry:
    assert action in ACTIONS, action
    who = who or current()
    now = now or clock.now()
    at = clock.iso(now) or ""
    return AuditEntry(
        service_id=service_id, entry_id=f"{at}#{secrets.token_hex(6)}",
        service_action=f"{service_id}#{action}", at=at, action=action,
        actor=who.actor_json(), target=target, ip=who.ip, detail=detail or {},
        expires_at=now + KEEP,
    )


def add_to(writes: TransactWrite, service_id: str, action: str, target: str | None,
           detail: dict[str, Any] | None = None, *, who: Who | None = None) -> None:
    """The entry, in the change's own transaction."""
    writes.save(entry(service_id, action, target, detail, who=who),
                condition=AuditEntry.entry_id.does_not_exist())


def record(service_id: str, action: str, target: str | None,
           detail: dict[str, Any] | None = None, *, who: Who | None = None) -> None:
    """The entry of an action that is not one write (a sign-in)."""
    entry(service_id, action, target, detail, who=who).save(
        condition=AuditEntry.entry_id.does_not_exist())


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """`GET /audit?from=&to=&action=&limit=`, checked: a range of time (dates
    are local days of the service's zone; `to` a date includes that day)."""

    start: datetime | None
    end: datetime | None
    action: str | None
    limit: int

    @classmethod
    def checked(cls, params: dict[str, Any], zone: tzinfo = UTC) -> AuditQuery:
        unknown = sorted(set(params) - {"from", "to", "action", "cursor", "limit"})
        if unknown:
            raise InvalidInput(unknown[0][:100], "is not a known parameter")
        start = (history.local_moment(params["from"], "from", zone)
                 if params.get("from") else None)
        end = (history.local_moment(params["to"], "to", zone, end_of_day=True)
               if params.get("to") else None)
        if start is not None and end is not None and start >= end:
            raise InvalidInput("from", "must be before to")
        action = params.get("action") or None
        if action is not None and action not in ACTIONS:
            raise InvalidInput("action", "must be one of " + ", ".join(ACTIONS))
        limit = PAGE
        if params.get("limit"):
            text = str(params["limit"])
            if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
                raise InvalidInput("limit", f"must be a whole number from 1 to {MAX_PAGE}")
            limit = int(text)
        return cls(start, end, action, limit)

    def scope(self) -> str:
        return f"audit#{self.start}#{self.end}#{self.action}"


def page(service_id: str, query: AuditQuery, cursor: str | None
         ) -> tuple[list[AuditEntry], str | None]:
    """A page of entries, newest first."""
    low = clock.iso(query.start) if query.start else "0"
    # Entries before `end`: an id is `<time>#…`, so `<end>` itself sorts after
    # every entry of an earlier moment and before those of that moment.
    high = (clock.iso(query.end) or "") if query.end else "~"
    scope = f"{service_id}#{query.scope()}"
    last_key = cursors.decode(cursor, scope) if cursor else None
    condition = AuditEntry.entry_id.between(low, high)
    if query.action:
        found = AuditEntry.by_action.query(
            f"{service_id}#{query.action}", condition, scan_index_forward=False,
            limit=query.limit, last_evaluated_key=last_key)
    else:
        found = AuditEntry.query(service_id, condition, scan_index_forward=False,
                                 limit=query.limit, last_evaluated_key=last_key,
                                 consistent_read=True)
    entries = [e for e in found if query.end is None or e.at < (clock.iso(query.end) or "")]
    more = found.last_evaluated_key
    return entries, cursors.encode(more, scope) if more else None


def entry_json(found: AuditEntry) -> dict[str, Any]:
    return {
        "entry_id": found.entry_id,
        "at": found.at,
        "actor": found.actor or None,
        "action": found.action,
        "target": found.target,
        "ip": found.ip,
        "detail": found.detail or {},
    }
