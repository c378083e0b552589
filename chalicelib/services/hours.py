"""Business hours (R-BH-1): the weekly slots a service answers chats in, the
public holidays and dates it is closed on, and whether it is open at a moment.

Pure: nothing here reads the clock or a table. Slots are wall-clock times in the
service's time zone, turned into instants day by day, so a slot keeps its local
hours across daylight-saving changes."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from chalicelib.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SLOTS_PER_DAY = 10
MAX_CLOSED_DATES = 400
# How far ahead `next_open_at` looks: a year of closed dates plus some.
HORIZON_DAYS = 400

_DAY = 24 * 60
_WEEK = 7 * _DAY
_FIELDS = ("enabled", "weekly", "holiday_country", "closed_dates")
# ASCII digits only: `\d` would also take full-width and other scripts' digits.
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_FULL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YEARLY_DATE = re.compile(r"([0-9]{2})-([0-9]{2})")
_TIME_RULE = '"HH:MM" from 00:00 to 23:59 (an end may be 24:00)'
_DASH = "–"  # noqa: RUF001 (an en dash on purpose, as people write a range of hours)


def defaults() -> dict[str, Any]:
    """Off until an admin turns it on: weekdays 09:00 to 18:00 and Japan's holidays."""
    return {
        "enabled": False,
        "weekly": {day: [["09:00", "18:00"]] if day not in ("sat", "sun") else []
                   for day in DAYS},
        "holiday_country": "JP",
        "closed_dates": [],
    }


# --- validation ----------------------------------------------------------------


def checked(value: Any, field: str = "business_hours") -> dict[str, Any]:
    """A whole business-hours object, normalised: fields left out take the
    defaults, slots sorted by start, closed dates deduplicated and sorted."""
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object")
    unknown = sorted(set(value) - set(_FIELDS))
    if unknown:
        raise InvalidInput(f"{field}.{unknown[0]}", "is not a known field")
    found = {**defaults(), **value}
    if not isinstance(found["enabled"], bool):
        raise InvalidInput(f"{field}.enabled", "must be true or false")
    return {
        "enabled": found["enabled"],
        "weekly": _weekly(found["weekly"], f"{field}.weekly"),
        "holiday_country": _holiday_country(found["holiday_country"], f"{field}.holiday_country"),
        "closed_dates": _closed_dates(found["closed_dates"], f"{field}.closed_dates"),
    }


class _Span(NamedTuple):
    """A slot placed in the week: minutes from Monday 00:00 (`finish` may pass
    the week's end when Sunday's slot crosses midnight)."""

    begin: int
    finish: int
    day: str
    text: str


def _weekly(value: Any, field: str) -> dict[str, list[list[str]]]:
    """Every day's slots (a day left out has none), none overlapping another
    anywhere in the week, Sunday night into Monday morning included."""
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object of days (" + ", ".join(DAYS) + ")")
    unknown = sorted(set(value) - set(DAYS))
    if unknown:
        raise InvalidInput(f"{field}.{unknown[0]}", "is not a day (" + ", ".join(DAYS) + ")")
    weekly: dict[str, list[list[str]]] = {}
    spans: list[_Span] = []
    for index, day in enumerate(DAYS):
        weekly[day] = _day_slots(value.get(day, []), f"{field}.{day}")
        for start, end in weekly[day]:
            begin, finish = _slot_minutes(start, end)
            spans.append(_Span(index * _DAY + begin, index * _DAY + finish, day,
                               start + _DASH + end))
    _check_no_overlap(spans, field)
    return weekly


def _day_slots(value: Any, field: str) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > MAX_SLOTS_PER_DAY:
        raise InvalidInput(field, f"must be a list of at most {MAX_SLOTS_PER_DAY} slots")
    return sorted((_slot(item, field) for item in value), key=lambda slot: slot[0])


def _slot(value: Any, field: str) -> list[str]:
    """["HH:MM", "HH:MM"]: an end before the start is on the next day."""
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidInput(field, f'a slot is ["HH:MM", "HH:MM"] (start, end), not {_shown(value)}')
    start, end = value
    for time_text, ok in ((start, _is_clock(start)), (end, end == "24:00" or _is_clock(end))):
        if not ok:
            raise InvalidInput(field, f"slot {_shown(value)}: times are {_TIME_RULE}, "
                                      f"not {_shown(time_text)}")
    if start == end:
        raise InvalidInput(field, "a slot must end at another time than it starts "
                                  f"({start}{_DASH}{end})")
    return [start, end]


def _is_clock(value: Any) -> bool:
    return isinstance(value, str) and _CLOCK.fullmatch(value) is not None


def _check_no_overlap(spans: list[_Span], field: str) -> None:
    """Sorted by start, each span must end by the next one's start, and the last
    by the first one's start a week later (touching is fine)."""
    ordered = sorted(spans)
    if not ordered:
        return
    first = ordered[0]
    following = [*ordered[1:], first._replace(begin=first.begin + _WEEK)]
    for earlier, later in zip(ordered, following, strict=True):
        if earlier.finish > later.begin:
            raise InvalidInput(f"{field}.{earlier.day}", _overlap_message(earlier, later))


def _overlap_message(earlier: _Span, later: _Span) -> str:
    if earlier.day == later.day:
        return f"slots must not overlap ({earlier.text} and {later.text})"
    return (f"slots must not overlap ({earlier.day} {earlier.text} runs into "
            f"{later.day} {later.text})")


def _holiday_country(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in _country_names():
        raise InvalidInput(field, "must be a country code the holiday calendars know "
                                  "(such as JP or US), or null")
    return value


def _closed_dates(value: Any, field: str) -> list[str]:
    """Yearly "MM-DD" dates first, then "YYYY-MM-DD" dates, each once, in order."""
    if not isinstance(value, list) or len(value) > MAX_CLOSED_DATES:
        raise InvalidInput(field, f"must be a list of at most {MAX_CLOSED_DATES} dates")
    for item in value:
        if _closed_date(item) is None:
            raise InvalidInput(field, f'dates are "YYYY-MM-DD", or "MM-DD" for every year; '
                                      f"{_shown(item)} is not one")
    return sorted(set(value), key=lambda text: (len(text), text))


def _closed_date(value: Any) -> date | tuple[int, int] | None:
    """The date ("YYYY-MM-DD") or (month, day) every year ("MM-DD"), or None
    when `value` is neither or names no real date (a leap year's 02-29 is one)."""
    if not isinstance(value, str):
        return None
    full = _FULL_DATE.fullmatch(value)
    yearly = _YEARLY_DATE.fullmatch(value)
    try:
        if full:
            return date(int(full[1]), int(full[2]), int(full[3]))
        if yearly:
            leap = date(2000, int(yearly[1]), int(yearly[2]))
            return leap.month, leap.day
    except ValueError:
        return None
    return None


def _shown(value: Any) -> str:
    """A value as JSON, cut short: error messages quote what was sent."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


# --- holiday calendars -----------------------------------------------------------


@functools.cache
def _country_names() -> dict[str, str]:
    """{code: name} for each country the `holidays` package has a calendar for,
    by its two-letter code only (no aliases such as UK for GB, no three-letter
    codes), so a stored code is always the one `holiday_countries` lists.
    Imported here, not at module load: a Lambda cold start does not pay for it."""
    import holidays

    names: dict[str, str] = {}
    for code in holidays.list_supported_countries():
        if len(code) != 2:
            continue
        calendar = type(holidays.country_holidays(code))
        if calendar.country == code:
            names[code] = _calendar_name(calendar) or code
    return names


def _calendar_name(calendar: type) -> str | None:
    """A calendar class's country name, from its docstring ("Japan holidays.")."""
    for klass in calendar.__mro__:
        line = (klass.__doc__ or "").strip().split("\n", 1)[0]
        if line.endswith(" holidays."):
            return line.removesuffix(" holidays.").removesuffix(" (the)")
    return None


def holiday_countries() -> list[dict[str, str]]:
    """The countries whose public holidays can close a service, by name."""
    names = _country_names()
    return [{"code": code, "name": names[code]}
            for code in sorted(names, key=lambda code: _sort_key(names[code]))]


def _sort_key(name: str) -> str:
    """Letters without their accents, so Åland Islands sorts among the A's."""
    bare = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return bare.casefold()


def country_name(code: str | None) -> str | None:
    return _country_names().get(code) if code else None


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


# --- open or closed ----------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """Business hours read for answering "open at …?": slots as minutes from
    their day's midnight, by weekday (Monday first)."""

    slots: tuple[tuple[tuple[int, int], ...], ...]
    closed_on: frozenset[date]
    closed_yearly: frozenset[tuple[int, int]]
    holiday_country: str | None

    @classmethod
    def of(cls, hours: dict[str, Any]) -> _Schedule:
        found = {**defaults(), **hours}
        weekly = found["weekly"]
        slots = tuple(tuple(_slot_minutes(start, end) for start, end in weekly.get(day, []))
                      for day in DAYS)
        closures = [_closed_date(text) for text in found["closed_dates"]]
        return cls(
            slots=slots,
            closed_on=frozenset(item for item in closures if isinstance(item, date)),
            closed_yearly=frozenset(item for item in closures if isinstance(item, tuple)),
            holiday_country=found["holiday_country"],
        )

    def closed(self, day: date) -> bool:
        return (day in self.closed_on or (day.month, day.day) in self.closed_yearly
                or (self.holiday_country is not None
                    and day in _public_holidays(self.holiday_country, day.year)))

    def openings(self, day: date, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        """The (start, end) instants in UTC of the slots starting on local `day`;
        none when the day is closed. A slot a DST gap leaves empty is skipped."""
        if self.closed(day):
            return
        for begin, finish in self.slots[day.weekday()]:
            start, end = _instant(day, begin, zone), _instant(day, finish, zone)
            if start < end:
                yield start, end


def _slot_minutes(start: str, end: str) -> tuple[int, int]:
    """Minutes from the slot's day's midnight: an end before the start (crossing
    midnight) is on the next day, so the end is always after the start."""
    begin, finish = _clock_minutes(start), _clock_minutes(end)
    return begin, finish if finish > begin else finish + _DAY


def _clock_minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time `minutes` after local midnight of `day`, in UTC. A time
    a DST change skips or repeats takes zoneinfo's reading (fold=0) every time."""
    days, minute = divmod(minutes, _DAY)
    wall = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60),
                            tzinfo=zone)
    return wall.astimezone(UTC)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC)


def is_open(hours: dict[str, Any], zone: ZoneInfo, now: datetime) -> bool:
    """Whether a slot holds `now`: today's, or yesterday's crossing midnight
    (which opened on yesterday's terms, so a holiday today does not cut it).
    Business hours switched off mean always open."""
    if not hours.get("enabled"):
        return True
    return _holds(_Schedule.of(hours), zone, _utc(now))


def _holds(schedule: _Schedule, zone: ZoneInfo, instant: datetime) -> bool:
    today = instant.astimezone(zone).date()
    return any(start <= instant < end
               for day in (today - timedelta(days=1), today)
               for start, end in schedule.openings(day, zone))


def next_open_at(hours: dict[str, Any], zone: ZoneInfo, now: datetime) -> datetime | None:
    """When a closed service opens next (UTC), for "back at …" messages: None
    while open, and None when nothing opens within HORIZON_DAYS."""
    if not hours.get("enabled"):
        return None
    schedule = _Schedule.of(hours)
    instant = _utc(now)
    if _holds(schedule, zone, instant):
        return None
    today = instant.astimezone(zone).date()
    found: datetime | None = None
    for offset in range(HORIZON_DAYS + 1):
        starts = [start for start, _ in schedule.openings(today + timedelta(days=offset), zone)
                  if start > instant]
        if found is not None:
            # A DST gap just before midnight can put a slot's start after the
            # next day's first one: look one day further, then stop.
            return min([found, *starts])
        if starts:
            found = min(starts)
    return found
