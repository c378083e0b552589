"""Statistics for a period (R-CH-5): chats, processed, unprocessed ("abandoned"),
average first-response and wait times, average rating, and per-day rows, by the
service's local days (R-TZ-1).

Counters are kept per service and UTC hour (the hour the chat was created), split
into the hour's four quarters, as chats change: each added in the same
transaction as the change it counts, so a report reads a few small items per
hour of the period and never the chats themselves. Every time zone in use today
is offset from UTC by a whole number of quarter hours (India +5:30, Nepal +5:45,
Chatham +12:45 included), so a local day, in any zone and however its DST moves
it, is exactly a set of whole quarters: a report is right for the zone the
service has now, also for the days before it changed its zone. An hour's
counters are spread over SHARDS items (by chat): transactions that touch one
item at once conflict, and every chat starting in the same hour would otherwise
meet every other in the same counter.

Counters of earlier versions are per UTC day; they are read as that day's noon
(in every zone from UTC-11 to UTC+11 that is the same date), and
`infra/upgrade.py` folds them into the hour items."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from chalicelib import clock
from chalicelib.errors import InvalidInput
from chalicelib.models import DailyStats
from chalicelib.services import history

MAX_DAYS = 366
DEFAULT_DAYS = 30
SHARDS = 8
QUARTERS = ("", "_15", "_30", "_45")  # attribute suffixes of minutes 0, 15, 30, 45
COUNTERS = (
    "chats",
    "processed",
    "first_response_sum_s",
    "first_response_n",
    "wait_sum_s",
    "wait_n",
    "rating_sum",
    "rating_n",
)
LEGACY_HOUR = 12  # the UTC hour a day counter of an earlier version is read at


def _shard(chat_id: str) -> int:
    return int(hashlib.sha256(chat_id.encode()).hexdigest()[:8], 16) % SHARDS


def hour_item_key(created_at: str, chat_id: str) -> str:
    """`YYYY-MM-DDTHH#<shard>`: the chat's UTC hour, and which of its items."""
    return f"{created_at[:13]}#{_shard(chat_id)}"


def quarter_suffix(created_at: str) -> str:
    """Which quarter of its hour the chat was created in (an attribute suffix)."""
    return QUARTERS[int(created_at[14:16]) // 15]


def _seconds_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return max(0, round((clock.parse_iso(end) - clock.parse_iso(start)).total_seconds()))


class Counts:
    """Counter increments for one chat event, added to a transaction as one update
    of the chat's hour item (a transaction may touch each item only once)."""

    def __init__(self, service_id: str, created_at: str, chat_id: str) -> None:
        self.service_id = service_id
        self.slot = hour_item_key(created_at, chat_id)
        self.suffix = quarter_suffix(created_at)
        self.created_at = created_at
        self.deltas: dict[str, int] = {}

    def add(self, counter: str, amount: int = 1) -> Counts:
        assert counter in COUNTERS
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
        item = DailyStats(service_id=self.service_id, day=self.slot)
        writes.update(item, actions=[
            getattr(DailyStats, name + self.suffix).add(amount)
            for name, amount in self.deltas.items()
        ])


@dataclass(frozen=True)
class Period:
    """`GET /stats?from=&to=`, checked: the first and last local days of the
    service's time zone (dates; a time counts as its local day), by default the
    last 30 days up to today."""

    first: date
    last: date

    @classmethod
    def checked(cls, params: dict[str, Any], zone: tzinfo = UTC,
                now: datetime | None = None) -> Period:
        today = (now or clock.now()).astimezone(zone).date()
        last = _local_day(params, "to", zone) or today
        first = _local_day(params, "from", zone) or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise InvalidInput("from", "must be before to")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidInput("from", f"the period may span at most {MAX_DAYS} days")
        return cls(first, last)


def _local_day(params: dict[str, Any], field: str, zone: tzinfo) -> date | None:
    if params.get(field) in (None, ""):
        return None
    return history.local_moment(params[field], field, zone).astimezone(zone).date()


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """When `day` begins in `zone`, in UTC (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _average(total: int, count: int, digits: int = 1) -> float | None:
    return round(total / count, digits) if count else None


def _quarters(row: DailyStats) -> list[tuple[datetime, str]]:
    """The moments an item's counters stand for, with their attribute suffix."""
    key = row.day.split("#")[0]
    if "T" not in key:  # a day counter of an earlier version
        return [(datetime.fromisoformat(key).replace(hour=LEGACY_HOUR, tzinfo=UTC), "")]
    hour = datetime.fromisoformat(key + ":00").replace(tzinfo=UTC)
    return [(hour + timedelta(minutes=15 * n), suffix) for n, suffix in enumerate(QUARTERS)]


def item_total(row: DailyStats, counter: str) -> int:
    """One counter of an item over its whole hour (or day)."""
    return sum(int(getattr(row, counter + suffix) or 0) for suffix in QUARTERS)


def report(service_id: str, period: Period, zone: tzinfo = UTC) -> dict[str, Any]:
    """The period's figures by the local days of `zone`."""
    start = local_midnight(period.first, zone)
    end = local_midnight(period.last + timedelta(days=1), zone)
    last_hour = (end - timedelta(microseconds=1)).strftime("%Y-%m-%dT%H")
    found: dict[date, dict[str, int]] = {}
    # From the first UTC date (its day counters of earlier versions sort before its
    # hours) to the last hour; `~` sorts after `#`, so the last hour's shards are in.
    rows = DailyStats.query(
        service_id, DailyStats.day.between(start.date().isoformat(), f"{last_hour}~"))
    for row in rows:
        for moment, suffix in _quarters(row):
            if not start <= moment < end:
                continue
            day_counts = found.setdefault(moment.astimezone(zone).date(),
                                          dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                day_counts[name] += int(getattr(row, name + suffix) or 0)
    totals = dict.fromkeys(COUNTERS, 0)
    by_day = []
    day = period.first
    while day <= period.last:
        counts = found.get(day) or dict.fromkeys(COUNTERS, 0)
        for name in COUNTERS:
            totals[name] += counts[name]
        by_day.append(_figures(counts, {"date": day.isoformat()}))
        day += timedelta(days=1)
    return _figures(totals, {"from": period.first.isoformat(), "to": period.last.isoformat(),
                             "timezone": str(zone), "by_day": by_day})


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


