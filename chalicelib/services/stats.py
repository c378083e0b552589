"""Statistics for a period (R-CH-5): chats, processed, unprocessed ("abandoned"),
average first-response and wait times, average rating, and per-day rows.

Counters are kept per service and day (the chat's creation day, UTC) as chats
change, each added in the same transaction as the change it counts, so a report
reads a few small items per day of the period and never the chats themselves.
A day's counters are spread over DAY_SHARDS items (by chat): transactions that
touch one item at once conflict, and every chat starting that day would
otherwise meet every other in the same counter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import InvalidInput
from chalicelib.models import DailyStats
from chalicelib.services import history

MAX_DAYS = 366
DAY_SHARDS = 8
_COUNTERS = (
    "chats",
    "processed",
    "first_response_sum_s",
    "first_response_n",
    "wait_sum_s",
    "wait_n",
    "rating_sum",
    "rating_n",
)


def day_of(created_at: str) -> str:
    return created_at[:10]


def day_item_key(created_at: str, chat_id: str) -> str:
    """`YYYY-MM-DD#<shard>`: the chat's day, and which of its counter items."""
    shard = int(hashlib.sha256(chat_id.encode()).hexdigest()[:8], 16) % DAY_SHARDS
    return f"{day_of(created_at)}#{shard}"


def _seconds_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return max(0, round((clock.parse_iso(end) - clock.parse_iso(start)).total_seconds()))


class Counts:
    """Counter increments for one chat event, added to a transaction as one update
    of the day's item (a transaction may touch each item only once)."""

    def __init__(self, service_id: str, created_at: str, chat_id: str) -> None:
        self.service_id = service_id
        self.day = day_item_key(created_at, chat_id)
        self.created_at = created_at
        self.deltas: dict[str, int] = {}

    def add(self, counter: str, amount: int = 1) -> Counts:
        assert counter in _COUNTERS
        self.deltas[counter] = self.deltas.get(counter, 0) + amount
        return self

    def chat_created(self) -> Counts:
        return self.add("chats")

    def processed(self, first_response_at: str | None, assigned_at: str | None) -> Counts:
        """The chat became processed (R-CH-1): counted once, with how long the
        customer waited for the operator who handled it and for the first reply."""
        self.add("processed")
        responded = _seconds_between(self.created_at, first_response_at)
        if responded is not None:
            self.add("first_response_sum_s", responded).add("first_response_n")
        waited = _seconds_between(self.created_at, assigned_at)
        if waited is not None:
            self.add("wait_sum_s", waited).add("wait_n")
        return self

    def rated(self, score: int, previous: int | None) -> Counts:
        self.add("rating_sum", score - (previous or 0))
        if previous is None:
            self.add("rating_n")
        return self

    def add_to(self, writes: Any) -> None:
        if not self.deltas:
            return
        item = DailyStats(service_id=self.service_id, day=self.day)
        writes.update(
            item,
            actions=[getattr(DailyStats, name).add(amount) for name, amount in self.deltas.items()],
        )


@dataclass(frozen=True)
class Period:
    """`GET /stats?from=&to=`, checked: whole UTC days, first and last."""

    first: str
    last: str

    @classmethod
    def checked(cls, params: dict[str, Any]) -> Period:
        search = history.parse_filter({k: params.get(k) for k in ("from", "to")})
        start = clock.parse_iso(search.start).date()
        last = (clock.parse_iso(search.end) - timedelta(milliseconds=1)).date()
        if (last - start).days + 1 > MAX_DAYS:
            raise InvalidInput("from", f"the period may span at most {MAX_DAYS} days")
        return cls(start.isoformat(), last.isoformat())


def _average(total: int, count: int, digits: int = 1) -> float | None:
    return round(total / count, digits) if count else None


def report(service_id: str, period: Period) -> dict[str, Any]:
    """The period's figures; `from`/`to` are whole UTC days (times are rounded to
    their day), defaulting to the last 30 days."""
    first, last = period.first, period.last
    found: dict[str, dict[str, int]] = {}
    # `~` sorts after `#`: the last day's shards are in the range.
    for row in DailyStats.query(service_id, DailyStats.day.between(first, f"{last}~")):
        day_counts = found.setdefault(day_of(row.day), dict.fromkeys(_COUNTERS, 0))
        for name in _COUNTERS:
            day_counts[name] += int(getattr(row, name) or 0)
    totals = dict.fromkeys(_COUNTERS, 0)
    by_day = []
    day = date.fromisoformat(first)
    while day <= date.fromisoformat(last):
        counts = found.get(day.isoformat()) or dict.fromkeys(_COUNTERS, 0)
        for name in _COUNTERS:
            totals[name] += counts[name]
        by_day.append(_figures(counts, {"date": day.isoformat()}))
        day += timedelta(days=1)
    return _figures(totals, {"from": first, "to": last, "by_day": by_day})


def _figures(counts: dict[str, int], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        **extra,
        "chats": counts["chats"],
        "processed": counts["processed"],
        "unprocessed": counts["chats"] - counts["processed"],
        "abandoned": counts["chats"] - counts["processed"],
        "avg_first_response_s": _average(counts["first_response_sum_s"],
                                         counts["first_response_n"]),
        "avg_wait_s": _average(counts["wait_sum_s"], counts["wait_n"]),
        "avg_rating": _average(counts["rating_sum"], counts["rating_n"], 2),
    }


