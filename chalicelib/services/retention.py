"""Retention (R-PRIV-1): a service keeps its chats `retention_days` (30 to 3650,
default 365) from when they were made, and its tickets that long from their last
activity; then they go by themselves.

- DynamoDB: every item a chat makes — the chat, its head, messages, notes,
  visit, files' records, partial-search pieces — carries the chat's
  `expires_at` (created_at + retention_days), set when it is written: the chat
  and head at the start, the others copy it from the chat or head they are
  written with (no extra read). A ticket and its thread, filters and search
  pieces carry the ticket's, counted from its last change or reply and rounded
  up to the end of that UTC day (`ticket_until`): the first change of a day
  moves the whole thread on, later ones that day find it there. A customer
  carries their last chat's (DynamoDB TTL deletes each within a few days of
  the time). Statistics counters have none: they keep their counts.
- S3: a chat's files are under `files/<service>/<chat day>/…`; once a day the
  sweep starts a `files` job for each service with files (the bucket's
  `files/` folders) that deletes the days older than the retention; the
  bucket's lifecycle rule removes whatever is left after the longest one.
- A change of `retention_days` starts a `retention` job (services/jobs.py)
  that sets the new time on every item of the service, page by page,
  resumably: Queries of the service's chats, tickets and customers, never a
  read of whole tables. Items older than the new retention get a time already passed and go.
  The jobs themselves are in services/retention_jobs.py. `python -m infra.manage
  retention` runs them for every service (the upgrade of
  items written before retention).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock

DEFAULT_DAYS = 365
MIN_DAYS = 30
MAX_DAYS = 3650
RETENTION = "retention"
FILES = "files"


def days_of(found_settings: dict[str, Any]) -> int:
    return int(found_settings.get("retention_days") or DEFAULT_DAYS)


def until(created_at: str | datetime | None, days: int) -> datetime:
    """When an item made at `created_at` goes."""
    if isinstance(created_at, datetime):
        made = created_at
    else:
        made = clock.parse_iso(created_at) if created_at else clock.now()
    return made + timedelta(days=days)


def ticket_until(last_activity: str | datetime | None, days: int) -> datetime:
    """When a ticket whose last change or reply was at `last_activity` goes:
    `days` later, at the end of that UTC day (every change on one day gives
    the same time, so the thread is moved on at most once a day)."""
    at = until(last_activity, days)
    start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1)


def job_id(service_id: str, kind: str = RETENTION) -> str:
    return f"{kind}#{service_id}"
