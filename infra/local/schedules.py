"""When EventBridge would fire a schedule: `rate(...)` and `cron(...)` expressions
(or chalice's Rate and Cron objects) to the next time after a moment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # EventBridge: SUN is 1
# (low, high, names) for minutes, hours, day of month, month, day of week, year.
_FIELDS = (
    (0, 59, ()),
    (0, 23, ()),
    (1, 31, ()),
    (1, 12, _MONTHS),
    (1, 7, _WEEKDAYS),
    (1970, 2199, ()),
)


def expression_text(expression: Any) -> str:
    """The EventBridge string for a chalice Rate/Cron or a string."""
    text = expression.to_string() if hasattr(expression, "to_string") else str(expression)
    return " ".join(text.split())


def next_fire(expression: Any, after: datetime) -> datetime:
    """The first time after `after` the schedule fires. A rate fires every period
    from `after` (EventBridge counts from when the rule was created)."""
    text = expression_text(expression)
    rate = _RATE.match(text)
    if rate:
        unit = rate.group(2).rstrip("s")
        return after + timedelta(seconds=int(rate.group(1)) * _UNIT_S[unit])
    cron = _CRON.match(text)
    if cron:
        return _next_cron(_parse_cron(cron.group(1)), after)
    raise ValueError(f"not a schedule expression: {text!r}")


def _parse_cron(body: str) -> list[set[int] | None]:
    """Each field's allowed values; None for `?` (no constraint from this field)."""
    parts = body.split()
    if len(parts) != 6:
        raise ValueError(f"cron needs 6 fields, got {len(parts)}: {body!r}")
    return [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]


def _value(token: str, names: tuple[str, ...]) -> int:
    upper = token.upper()
    if upper in names:
        return names.index(upper) + 1
    if not token.isdigit():
        raise ValueError(f"unsupported cron value {token!r} (L, W and # are not supported)")
    return int(token)


def _parse_field(part: str, low: int, high: int, names: tuple[str, ...]) -> set[int] | None:
    if part == "?":
        return None
    allowed: set[int] = set()
    for item in part.split(","):
        spread, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if spread == "*":
            first, last = low, high
        elif "-" in spread:
            start, end = spread.split("-", 1)
            first, last = _value(start, names), _value(end, names)
        else:
            first = _value(spread, names)
            last = high if step_text else first
        allowed.update(range(first, last + 1, step))
    return allowed


def _next_cron(fields: list[set[int] | None], after: datetime) -> datetime:
    minutes, hours, days, months, weekdays, years = fields
    moment = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = moment + timedelta(days=366 * 5)
    while moment < limit:
        if years is not None and moment.year not in years:
            moment = datetime(moment.year + 1, 1, 1, tzinfo=UTC)
        elif months is not None and moment.month not in months:
            moment = (moment.replace(day=1) + timedelta(days=32)).replace(
                day=1, hour=0, minute=0
            )
        elif not _day_matches(moment, days, weekdays):
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
        elif hours is not None and moment.hour not in hours:
            moment = (moment + timedelta(hours=1)).replace(minute=0)
        elif minutes is not None and moment.minute not in minutes:
            moment += timedelta(minutes=1)
        else:
            return moment
    raise ValueError("the cron expression never fires")


def _day_matches(moment: datetime, days: set[int] | None, weekdays: set[int] | None) -> bool:
    weekday = (moment.isoweekday() % 7) + 1  # SUN=1 … SAT=7
    return (days is None or moment.day in days) and (weekdays is None or weekday in weekdays)
