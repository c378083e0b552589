"""Business hours (R-BH-1): weekly slots in the service's time zone, public
holidays and closed dates, what `is_open` and `next_open_at` answer, and what
`checked` refuses. Every clock here is pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import InvalidInput
from chalicelib.services import hours
from chalicelib.services.hours import DAYS, checked, is_open, next_open_at

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A pinned wall-clock moment in `zone`: at(TOKYO, 2027, 1, 4, 9, 0)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def business_hours(**fields: Any) -> dict[str, Any]:
    """Switched-on hours, no holiday calendar unless a test names one."""
    return checked({"enabled": True, "holiday_country": None, **fields})


def every_day(*slots: list[str]) -> dict[str, list[list[str]]]:
    return {day: [list(slot) for slot in slots] for day in DAYS}


# --- open and closed -------------------------------------------------------------


def test_a_lunch_break_closes_the_desk_between_two_slots() -> None:
    desk = business_hours(weekly={"mon": [["13:00", "17:30"], ["09:00", "12:00"]]})
    monday = (2026, 6, 1)

    assert is_open(desk, TOKYO, at(TOKYO, *monday, 11, 59))
    assert not is_open(desk, TOKYO, at(TOKYO, *monday, 12, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *monday, 12, 30))
    assert next_open_at(desk, TOKYO, at(TOKYO, *monday, 12, 30)) == at(TOKYO, *monday, 13, 0)
    assert is_open(desk, TOKYO, at(TOKYO, *monday, 13, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *monday, 17, 30))


def test_next_open_at_is_a_utc_instant_and_none_while_open() -> None:
    desk = business_hours(weekly={"mon": [["09:00", "18:00"]]})

    opens = next_open_at(desk, TOKYO, at(TOKYO, 2026, 6, 1, 8, 0))

    assert opens == datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert opens is not None and opens.utcoffset() == timedelta(0)
    assert next_open_at(desk, TOKYO, at(TOKYO, 2026, 6, 1, 10, 0)) is None
    # After Monday's slot: a week later.
    assert next_open_at(desk, TOKYO, at(TOKYO, 2026, 6, 1, 18, 0)) == at(TOKYO, 2026, 6, 8, 9, 0)


def test_a_japanese_public_holiday_closes_the_whole_day() -> None:
    desk = business_hours(weekly=every_day(["09:00", "18:00"]), holiday_country="JP")
    coming_of_age_day = (2027, 1, 11)  # 成人の日, a Monday

    assert not is_open(desk, TOKYO, at(TOKYO, *coming_of_age_day, 9, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *coming_of_age_day, 15, 0))
    assert next_open_at(desk, TOKYO, at(TOKYO, *coming_of_age_day, 9, 0)) == at(
        TOKYO, 2027, 1, 12, 9, 0)


def test_without_a_holiday_country_a_holiday_is_a_working_day() -> None:
    desk = business_hours(weekly=every_day(["09:00", "18:00"]), holiday_country=None)

    assert is_open(desk, TOKYO, at(TOKYO, 2027, 1, 11, 9, 0))


YEAR_END = ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]


def test_yearly_closed_dates_close_the_year_end_every_year() -> None:
    weekdays = {day: [["09:00", "18:00"]] for day in DAYS[:5]}
    desk = business_hours(weekly=weekdays, closed_dates=YEAR_END, holiday_country="JP")

    # The first Monday after: not a public holiday in Japan, so the desk opens.
    assert date(2027, 1, 4) not in holidays.country_holidays("JP", years=2027)

    assert is_open(desk, TOKYO, at(TOKYO, 2026, 12, 28, 17, 59))
    assert not is_open(desk, TOKYO, at(TOKYO, 2026, 12, 30, 10, 0))  # a Wednesday
    assert not is_open(desk, TOKYO, at(TOKYO, 2027, 12, 30, 10, 0))  # and a year later
    assert next_open_at(desk, TOKYO, at(TOKYO, 2026, 12, 28, 18, 0)) == at(
        TOKYO, 2027, 1, 4, 9, 0)


def test_yearly_closed_date_closes_a_weekend_day_with_slots() -> None:
    desk = business_hours(weekly=every_day(["09:00", "18:00"]), closed_dates=YEAR_END)

    assert not is_open(desk, TOKYO, at(TOKYO, 2027, 1, 2, 10, 0))  # a Saturday


def test_a_full_date_closes_only_that_year() -> None:
    desk = business_hours(weekly=every_day(["09:00", "18:00"]), closed_dates=["2026-08-13"])

    assert not is_open(desk, TOKYO, at(TOKYO, 2026, 8, 13, 10, 0))
    assert is_open(desk, TOKYO, at(TOKYO, 2027, 8, 13, 10, 0))


def test_february_29_closes_only_leap_years() -> None:
    desk = business_hours(weekly=every_day(["09:00", "18:00"]), closed_dates=["02-29"])

    assert not is_open(desk, TOKYO, at(TOKYO, 2028, 2, 29, 10, 0))
    assert is_open(desk, TOKYO, at(TOKYO, 2027, 2, 28, 10, 0))
    assert is_open(desk, TOKYO, at(TOKYO, 2027, 3, 1, 10, 0))


def test_a_slot_keeps_its_wall_clock_hours_across_daylight_saving_time() -> None:
    desk = business_hours(weekly=every_day(["09:00", "17:00"]))

    def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)

    # January (EST, UTC-5): 14:00-22:00 UTC.
    assert not is_open(desk, NEW_YORK, utc(2027, 1, 13, 13, 59))
    assert is_open(desk, NEW_YORK, utc(2027, 1, 13, 14, 0))
    assert is_open(desk, NEW_YORK, utc(2027, 1, 13, 21, 59))
    assert not is_open(desk, NEW_YORK, utc(2027, 1, 13, 22, 0))
    # July (EDT, UTC-4): 13:00-21:00 UTC.
    assert not is_open(desk, NEW_YORK, utc(2027, 7, 14, 12, 59))
    assert is_open(desk, NEW_YORK, utc(2027, 7, 14, 13, 0))
    assert not is_open(desk, NEW_YORK, utc(2027, 7, 14, 21, 0))
    # Across the change on Sunday 14 March 2027: Saturday opens at 14:00 UTC,
    # Sunday already at 13:00 UTC.
    assert next_open_at(desk, NEW_YORK, utc(2027, 3, 13, 12, 0)) == utc(2027, 3, 13, 14, 0)
    assert next_open_at(desk, NEW_YORK, utc(2027, 3, 13, 23, 0)) == utc(2027, 3, 14, 13, 0)
    assert is_open(desk, NEW_YORK, utc(2027, 3, 14, 20, 59))
    assert not is_open(desk, NEW_YORK, utc(2027, 3, 14, 21, 0))


def test_on_the_spring_forward_day_a_slot_spanning_the_gap_is_an_hour_shorter() -> None:
    desk = business_hours(weekly={"sun": [["01:00", "05:00"]]})

    # 01:00 EST is 06:00 UTC; 05:00 EDT is 09:00 UTC.
    assert is_open(desk, NEW_YORK, datetime(2027, 3, 14, 6, 0, tzinfo=UTC))
    assert is_open(desk, NEW_YORK, datetime(2027, 3, 14, 8, 59, tzinfo=UTC))
    assert not is_open(desk, NEW_YORK, datetime(2027, 3, 14, 9, 0, tzinfo=UTC))


def test_a_slot_starting_in_the_spring_forward_gap_reads_it_as_zoneinfo_does() -> None:
    desk = business_hours(weekly={"sun": [["02:30", "06:00"]]})

    # 02:30 does not exist that night; zoneinfo's fold=0 reads it as 02:30 EST,
    # 07:30 UTC (03:30 EDT).
    opens = next_open_at(desk, NEW_YORK, datetime(2027, 3, 14, 5, 0, tzinfo=UTC))

    assert opens == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert is_open(desk, NEW_YORK, opens)


def test_a_slot_inside_the_spring_forward_gap_does_not_open_that_day() -> None:
    desk = business_hours(weekly={"sun": [["02:00", "03:00"]]})

    # 02:00 (read as EST) and 03:00 EDT are both 07:00 UTC: nothing is left of it.
    assert not is_open(desk, NEW_YORK, datetime(2027, 3, 14, 7, 0, tzinfo=UTC))
    assert next_open_at(desk, NEW_YORK, datetime(2027, 3, 14, 6, 0, tzinfo=UTC)) == datetime(
        2027, 3, 21, 6, 0, tzinfo=UTC)


def test_on_the_fall_back_day_a_repeated_time_is_its_first_occurrence() -> None:
    desk = business_hours(weekly={"sun": [["01:30", "03:00"]]})

    # 01:30 happens twice on 7 November 2027: the slot starts at the first
    # (EDT, 05:30 UTC) and ends at 03:00 EST (08:00 UTC).
    assert not is_open(desk, NEW_YORK, datetime(2027, 11, 7, 5, 29, tzinfo=UTC))
    assert is_open(desk, NEW_YORK, datetime(2027, 11, 7, 5, 30, tzinfo=UTC))
    assert is_open(desk, NEW_YORK, datetime(2027, 11, 7, 7, 59, tzinfo=UTC))
    assert not is_open(desk, NEW_YORK, datetime(2027, 11, 7, 8, 0, tzinfo=UTC))


FRIDAY = (2026, 5, 1)
SATURDAY = (2026, 5, 2)


def test_a_slot_crossing_midnight_runs_into_the_next_morning() -> None:
    desk = business_hours(weekly={"fri": [["22:00", "02:00"]]})

    assert not is_open(desk, TOKYO, at(TOKYO, *FRIDAY, 21, 59))
    assert is_open(desk, TOKYO, at(TOKYO, *FRIDAY, 23, 0))
    assert is_open(desk, TOKYO, at(TOKYO, *SATURDAY, 1, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *SATURDAY, 2, 0))
    assert next_open_at(desk, TOKYO, at(TOKYO, *SATURDAY, 2, 0)) == at(TOKYO, 2026, 5, 8, 22, 0)


def test_a_crossing_slot_from_an_open_day_stays_open_into_a_closed_day() -> None:
    desk = business_hours(weekly={"fri": [["22:00", "02:00"]]}, closed_dates=["2026-05-02"])

    assert is_open(desk, TOKYO, at(TOKYO, *SATURDAY, 1, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *SATURDAY, 2, 0))


def test_a_crossing_slot_starting_on_a_closed_day_does_not_open() -> None:
    desk = business_hours(weekly={"fri": [["22:00", "02:00"]]}, closed_dates=["2026-05-01"])

    assert not is_open(desk, TOKYO, at(TOKYO, *FRIDAY, 23, 0))
    assert not is_open(desk, TOKYO, at(TOKYO, *SATURDAY, 1, 0))
    assert next_open_at(desk, TOKYO, at(TOKYO, *FRIDAY, 23, 0)) == at(TOKYO, 2026, 5, 8, 22, 0)


def test_sundays_crossing_slot_runs_into_monday() -> None:
    desk = business_hours(weekly={"sun": [["22:00", "02:00"]], "mon": [["09:00", "18:00"]]})
    sunday, monday = (2026, 5, 31), (2026, 6, 1)

    assert is_open(desk, TOKYO, at(TOKYO, *sunday, 23, 30))
    assert is_open(desk, TOKYO, at(TOKYO, *monday, 1, 59))
    assert not is_open(desk, TOKYO, at(TOKYO, *monday, 2, 0))
    assert next_open_at(desk, TOKYO, at(TOKYO, *monday, 2, 0)) == at(TOKYO, *monday, 9, 0)


def test_a_slot_ending_at_24_00_ends_at_midnight() -> None:
    desk = business_hours(weekly={"mon": [["00:00", "24:00"]], "tue": [["00:00", "01:00"]]})

    assert is_open(desk, TOKYO, at(TOKYO, 2026, 6, 1, 0, 0))
    assert is_open(desk, TOKYO, at(TOKYO, 2026, 6, 1, 23, 59))
    assert is_open(desk, TOKYO, at(TOKYO, 2026, 6, 2, 0, 30))
    assert not is_open(desk, TOKYO, at(TOKYO, 2026, 6, 2, 1, 0))


def test_switched_off_hours_are_always_open() -> None:
    desk = checked({"enabled": False, "weekly": {"mon": [["09:00", "10:00"]]},
                    "closed_dates": ["2026-06-01"]})

    for moment in (at(TOKYO, 2026, 6, 1, 9, 30), at(TOKYO, 2026, 6, 3, 3, 0),
                   at(TOKYO, 2027, 1, 1, 0, 0)):
        assert is_open(desk, TOKYO, moment)
        assert next_open_at(desk, TOKYO, moment) is None


def test_a_week_without_slots_never_opens() -> None:
    desk = business_hours(weekly={})

    assert not is_open(desk, TOKYO, at(TOKYO, 2026, 6, 1, 12, 0))
    assert next_open_at(desk, TOKYO, at(TOKYO, 2026, 6, 1, 12, 0)) is None


def test_next_open_at_looks_400_days_ahead_and_no_further() -> None:
    first_monday = date(2026, 6, 1)
    mondays = [first_monday + timedelta(weeks=n) for n in range(60)]
    closed = [day.isoformat() for day in mondays if (day - first_monday).days <= 400]
    desk = business_hours(weekly={"mon": [["09:00", "18:00"]]}, closed_dates=closed)
    now = at(TOKYO, 2026, 6, 1, 8, 0)

    assert next_open_at(desk, TOKYO, now) is None
    reopened = business_hours(weekly={"mon": [["09:00", "18:00"]]}, closed_dates=closed[:-1])
    last = mondays[len(closed) - 1]
    assert (last - first_monday).days <= 400
    assert next_open_at(reopened, TOKYO, now) == at(TOKYO, last.year, last.month, last.day, 9, 0)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    desk = business_hours(weekly={"mon": [["09:00", "18:00"]]})

    with pytest.raises(ValueError, match="aware"):
        is_open(desk, TOKYO, datetime(2026, 6, 1, 10, 0))


# --- what checked() refuses ----------------------------------------------------------


def refused(value: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        checked(value)
    return caught.value


@pytest.mark.parametrize("bad", ["9:00", "24:01", "12:60", 900, "ab:cd", "24:00", "09:00 ",
                                 "０９:００", None])  # noqa: RUF001 (full width on purpose)
def test_a_start_must_be_hh_mm(bad: Any) -> None:
    error = refused({"weekly": {"mon": [[bad, "18:00"]]}})

    assert error.field == "business_hours.weekly.mon"
    assert '"HH:MM"' in error.message


@pytest.mark.parametrize("bad", ["9:00", "24:01", "12:60", 900, "ab:cd", "24:00\n"])
def test_an_end_must_be_hh_mm_or_24_00(bad: Any) -> None:
    error = refused({"weekly": {"tue": [["09:00", bad]]}})

    assert error.field == "business_hours.weekly.tue"
    assert '"HH:MM"' in error.message


@pytest.mark.parametrize("bad", ["09:00", ["09:00"], ["09:00", "10:00", "11:00"], {}])
def test_a_slot_is_a_pair(bad: Any) -> None:
    error = refused({"weekly": {"wed": [bad]}})

    assert error.field == "business_hours.weekly.wed"
    assert "slot" in error.message


def test_a_slot_must_not_start_and_end_at_once() -> None:
    error = refused({"weekly": {"mon": [["09:00", "09:00"]]}})

    assert error.field == "business_hours.weekly.mon"
    assert "09:00–09:00" in error.message  # noqa: RUF001


def test_slots_of_one_day_must_not_overlap() -> None:
    error = refused({"weekly": {"mon": [["11:00", "13:00"], ["09:00", "12:00"]]}})

    assert error.field == "business_hours.weekly.mon"
    assert error.message == ("business_hours.weekly.mon: slots must not overlap "
                             "(09:00–12:00 and 11:00–13:00)")  # noqa: RUF001


def test_slots_starting_together_overlap() -> None:
    error = refused({"weekly": {"mon": [["09:00", "10:00"], ["09:00", "12:00"]]}})

    assert error.field == "business_hours.weekly.mon"
    assert "overlap" in error.message


def test_a_crossing_slot_must_not_overlap_the_next_morning() -> None:
    error = refused({"weekly": {"mon": [["22:00", "02:00"]], "tue": [["01:00", "09:00"]]}})

    assert error.field == "business_hours.weekly.mon"
    assert "mon 22:00–02:00 runs into tue 01:00–09:00" in error.message  # noqa: RUF001


def test_sundays_crossing_slot_must_not_overlap_monday() -> None:
    error = refused({"weekly": {"sun": [["23:00", "03:00"]], "mon": [["02:00", "09:00"]]}})

    assert error.field == "business_hours.weekly.sun"
    assert "sun 23:00–03:00 runs into mon 02:00–09:00" in error.message  # noqa: RUF001


def test_touching_slots_are_fine() -> None:
    desk = business_hours(weekly={"sun": [["22:00", "02:00"]], "mon": [["02:00", "24:00"]],
                                  "tue": [["00:00", "09:00"]]})

    assert desk["weekly"]["mon"] == [["02:00", "24:00"]]


def test_a_day_has_at_most_10_slots() -> None:
    eleven = [[f"{hour:02d}:00", f"{hour:02d}:30"] for hour in range(11)]

    business_hours(weekly={"mon": eleven[:10]})
    error = refused({"weekly": {"mon": eleven}})
    assert error.field == "business_hours.weekly.mon"
    assert "10" in error.message


@pytest.mark.parametrize("bad", [{"monday": []}, {"Mon": []}, {"8": []}])
def test_days_are_mon_to_sun(bad: dict[str, Any]) -> None:
    error = refused({"weekly": bad})

    assert error.field == f"business_hours.weekly.{next(iter(bad))}"
    assert "mon, tue" in error.message


@pytest.mark.parametrize("bad", [None, [], "mon"])
def test_weekly_is_an_object(bad: Any) -> None:
    assert refused({"weekly": bad}).field == "business_hours.weekly"


@pytest.mark.parametrize("bad", [None, {}, "09:00"])
def test_a_day_is_a_list_of_slots(bad: Any) -> None:
    assert refused({"weekly": {"fri": bad}}).field == "business_hours.weekly.fri"


def test_an_unknown_key_is_refused() -> None:
    error = refused({"enabled": True, "timezone": "Asia/Tokyo"})

    assert error.field == "business_hours.timezone"


@pytest.mark.parametrize("bad", [None, [], "on"])
def test_business_hours_is_an_object(bad: Any) -> None:
    if bad == "on":
        assert refused({"enabled": bad}).field == "business_hours.enabled"
    else:
        assert refused(bad).field == "business_hours"


@pytest.mark.parametrize("bad", ["XX", 5, "jp", "JPN", "UK", ""])
def test_a_holiday_country_is_a_known_two_letter_code(bad: Any) -> None:
    error = refused({"holiday_country": bad})

    assert error.field == "business_hours.holiday_country"
    assert "JP" in error.message


@pytest.mark.parametrize("bad", ["2026-02-30", "13-01", "2026/12/29", "00-10", "2026-1-2",
                                 "0000-01-01", 20261229, None, "12-29\n"])
def test_closed_dates_are_real_dates(bad: Any) -> None:
    error = refused({"closed_dates": ["12-29", bad]})

    assert error.field == "business_hours.closed_dates"
    assert "YYYY-MM-DD" in error.message


def test_at_most_400_closed_dates() -> None:
    start = date(2026, 1, 1)
    dates = [(start + timedelta(days=n)).isoformat() for n in range(401)]

    assert len(checked({"closed_dates": dates[:400]})["closed_dates"]) == 400
    error = refused({"closed_dates": dates})
    assert error.field == "business_hours.closed_dates"
    assert "400" in error.message


@pytest.mark.parametrize("bad", [None, "12-29", {"12-29": True}])
def test_closed_dates_are_a_list(bad: Any) -> None:
    assert refused({"closed_dates": bad}).field == "business_hours.closed_dates"


def test_errors_can_name_another_field_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        checked({"weekly": {"mon": [["9:00", "10:00"]]}}, "settings.business_hours")

    assert caught.value.field == "settings.business_hours.weekly.mon"


# --- what checked() returns -------------------------------------------------------------


def test_a_full_object_comes_back_normalised() -> None:
    given_hours = {
        "enabled": True,
        "weekly": {"mon": [["13:00", "17:30"], ["09:00", "12:00"]],
                   "fri": [["22:00", "02:00"], ["10:00", "18:00"]]},
        "holiday_country": "US",
        "closed_dates": ["2027-01-02", "12-31", "2026-12-29", "12-31", "01-01", "2027-01-02"],
    }

    assert checked(given_hours) == {
        "enabled": True,
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "tue": [], "wed": [],
                   "thu": [], "fri": [["10:00", "18:00"], ["22:00", "02:00"]], "sat": [],
                   "sun": []},
        "holiday_country": "US",
        "closed_dates": ["01-01", "12-31", "2026-12-29", "2027-01-02"],
    }


def test_fields_left_out_take_the_defaults() -> None:
    assert checked({}) == hours.defaults()
    assert hours.defaults() == {
        "enabled": False,
        "weekly": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]],
                   "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]],
                   "fri": [["09:00", "18:00"]], "sat": [], "sun": []},
        "holiday_country": "JP",
        "closed_dates": [],
    }
    assert checked({"enabled": True})["holiday_country"] == "JP"


def test_defaults_are_a_fresh_copy_each_time() -> None:
    first = hours.defaults()
    first["weekly"]["mon"].append(["20:00", "21:00"])

    assert hours.defaults()["weekly"]["mon"] == [["09:00", "18:00"]]


# --- holiday calendars ----------------------------------------------------------------------


def test_holiday_countries_are_listed_by_name_with_their_codes() -> None:
    countries = hours.holiday_countries()
    codes = [country["code"] for country in countries]

    assert {"code": "JP", "name": "Japan"} in countries
    assert {"code": "KR", "name": "South Korea"} in countries
    assert "GB" in codes and "UK" not in codes and len(codes) == len(set(codes))
    assert all(len(code) == 2 for code in codes)
    names = [country["name"] for country in countries]
    assert names.index("Afghanistan") < names.index("Åland Islands") < names.index("Albania")
    assert all(checked({"holiday_country": code})["holiday_country"] == code
               for code in codes)


def test_country_name() -> None:
    assert hours.country_name("JP") == "Japan"
    assert hours.country_name("US") == "United States of America"
    assert hours.country_name("XX") is None
    assert hours.country_name(None) is None


# --- properties ---------------------------------------------------------------------------------

WEEK = 7 * 24 * 60


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def weekly_schedules(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    """Valid weeks: disjoint spans (at most a day long) on the week's circle,
    turned by a random offset so some cross midnight and Sunday into Monday."""
    cuts = sorted(draw(st.sets(st.integers(0, WEEK - 1), min_size=2, max_size=14)))
    offset = draw(st.integers(0, WEEK - 1))
    weekly: dict[str, list[list[str]]] = {day: [] for day in DAYS}
    for begin, finish in zip(cuts[::2], cuts[1::2], strict=False):
        start = (begin + offset) % WEEK
        day, start_minute = divmod(start, 24 * 60)
        length = min(finish - begin, 24 * 60 if start_minute == 0 else 24 * 60 - 1)
        end_minute = start_minute + length
        end = "24:00" if end_minute == 24 * 60 else _clock(end_minute % (24 * 60))
        weekly[DAYS[day]].append([_clock(start_minute), end])
    return weekly


ZONES = st.sampled_from(["Asia/Tokyo", "America/New_York", "Europe/London", "UTC",
                         "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"])
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.just(UTC))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(weekly=weekly_schedules(), zone_name=ZONES, now=MOMENTS)
def test_closed_exactly_when_there_is_a_next_opening(weekly: dict[str, list[list[str]]],
                                                      zone_name: str, now: datetime) -> None:
    desk = business_hours(weekly=weekly)
    zone = ZoneInfo(zone_name)

    opens = next_open_at(desk, zone, now)

    if is_open(desk, zone, now):
        assert opens is None
    else:
        assert opens is not None
        assert opens > now
        assert is_open(desk, zone, opens)
        # Nothing opened in between: just before it the desk is still closed.
        assert not is_open(desk, zone, opens - timedelta(microseconds=1))
