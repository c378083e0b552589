"""Statistics counters (R-CH-5, R-TZ-1): kept per UTC hour and quarter, spread
over a few items per hour so chats starting at once do not all meet in one
counter, and summed into the local days of the service's time zone, whatever
zone it has now."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.models import DailyStats, transaction
from chalicelib.services import stats
from infra import upgrade

TOKYO = ZoneInfo("Asia/Tokyo")
KOLKATA = ZoneInfo("Asia/Kolkata")  # +5:30
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # +5:45
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def dynamodb_client(aws):
    """A client the start-up upgrade may Scan with (the suite refuses Scan to the
    app; an upgrade is not the app)."""
    from chalicelib import aws as clients
    from tests.conftest import _refuse_scan

    client = clients.client("dynamodb")
    client.meta.events.unregister("before-call.dynamodb.Scan", unique_id=None,
                                  handler=_refuse_scan)
    return client


def _count(chat_id: str, created_at: str, *, processed: bool = False) -> None:
    counts = stats.Counts("acme", created_at, chat_id).chat_created()
    if processed:
        counts.processed(None, None)
    with transaction() as writes:
        counts.add_to(writes)


def _report(first: str, last: str, zone=UTC) -> dict:
    period = stats.Period.checked({"from": first, "to": last}, zone, now=NOW)
    return stats.report("acme", period, zone)


def _by_day(report: dict) -> list[tuple[str, int]]:
    return [(d["date"], d["chats"]) for d in report["by_day"]]


def test_an_hours_chats_are_counted_over_several_items_and_reported_as_one_day(aws):
    for n in range(40):
        _count(f"ch_{n}", "2026-03-02T10:00:00.000Z")
    _count("ch_other_day", "2026-03-03T23:59:59.000Z")

    items = list(DailyStats.query("acme"))
    assert 1 < len([i for i in items if i.day.startswith("2026-03-02T10#")]) <= stats.SHARDS
    report = _report("2026-03-01", "2026-03-03")
    assert report["chats"] == 41
    assert _by_day(report) == [("2026-03-01", 0), ("2026-03-02", 40), ("2026-03-03", 1)]


def test_one_chats_counts_always_land_on_the_same_item_and_quarter():
    assert len({stats.hour_item_key("2026-03-02T10:00:00.000Z", "ch_x") for _ in range(5)}) == 1
    keys = {stats.hour_item_key("2026-03-02T10:07:00.000Z", f"ch_{n}") for n in range(200)}
    assert {key.split("#")[0] for key in keys} == {"2026-03-02T10"}
    assert len(keys) == stats.SHARDS
    assert [stats.quarter_suffix(f"2026-03-02T10:{m:02d}:00.000Z") for m in (0, 14, 15, 44, 59)] \
        == ["", "", "_15", "_30", "_45"]


def test_a_tokyo_day_begins_at_15_utc_the_day_before(aws):
    # 12/06 in Tokyo runs from 12/05 15:00 UTC to 12/06 15:00 UTC.
    _count("ch_before", "2026-12-05T14:59:59.000Z")  # 12/05 23:59 JST
    _count("ch_first", "2026-12-05T15:00:00.000Z")  # 12/06 00:00 JST
    _count("ch_morning", "2026-12-06T01:30:00.000Z", processed=True)  # 12/06 10:30 JST
    _count("ch_last", "2026-12-06T14:59:00.000Z")  # 12/06 23:59 JST
    _count("ch_after", "2026-12-06T15:00:00.000Z")  # 12/07 00:00 JST

    tokyo = _report("2026-12-06", "2026-12-06", TOKYO)
    assert (tokyo["chats"], tokyo["processed"], tokyo["timezone"]) == (3, 1, "Asia/Tokyo")
    assert _by_day(_report("2026-12-05", "2026-12-07", TOKYO)) == [
        ("2026-12-05", 1), ("2026-12-06", 3), ("2026-12-07", 1)]

    # The same counters after the service switches to UTC: its days move with it.
    assert _by_day(_report("2026-12-05", "2026-12-07")) == [
        ("2026-12-05", 2), ("2026-12-06", 3), ("2026-12-07", 0)]


def test_half_and_quarter_hour_zones_are_exact(aws):
    # Kolkata's 12/06 begins at 12/05 18:30 UTC; Kathmandu's at 18:15 UTC.
    _count("ch_a", "2026-12-05T18:14:00.000Z")
    _count("ch_b", "2026-12-05T18:20:00.000Z")
    _count("ch_c", "2026-12-05T18:40:00.000Z")

    assert _by_day(_report("2026-12-05", "2026-12-06", KOLKATA)) == [
        ("2026-12-05", 2), ("2026-12-06", 1)]
    assert _by_day(_report("2026-12-05", "2026-12-06", KATHMANDU)) == [
        ("2026-12-05", 1), ("2026-12-06", 2)]


def test_a_dst_day_has_its_own_length(aws):
    # New York, 2026-03-08: clocks go forward at 02:00 EST; the day is 23 hours
    # (05:00 UTC to 04:00 UTC the next day).
    _count("ch_start", "2026-03-08T05:00:00.000Z")
    _count("ch_end", "2026-03-09T03:59:00.000Z")
    _count("ch_next", "2026-03-09T04:00:00.000Z")
    assert _by_day(_report("2026-03-08", "2026-03-09", NEW_YORK)) == [
        ("2026-03-08", 2), ("2026-03-09", 1)]


def test_counters_of_earlier_versions_still_count_and_fold_into_hours(aws, dynamodb_client):
    # Per UTC day, with and without shards, as earlier versions kept them.
    DailyStats(service_id="acme", day="2026-03-02", chats=3, processed=1).save()
    DailyStats(service_id="acme", day="2026-03-02#5", chats=2, processed=2).save()
    _count("ch_1", "2026-03-02T10:00:00.000Z")  # 19:00 in Tokyo
    _count("ch_2", "2026-03-02T20:00:00.000Z")  # 3/03 05:00 in Tokyo
    before = _report("2026-03-02", "2026-03-02")
    assert (before["chats"], before["processed"]) == (7, 3)
    # A day counter is read at that day's noon UTC: Tokyo's 3/02 (21:00) too.
    assert _report("2026-03-02", "2026-03-02", TOKYO)["chats"] == 6

    assert upgrade.fold_day_counters(dynamodb_client) == 2
    assert upgrade.fold_day_counters(dynamodb_client) == 0  # once
    assert all("T" in item.day for item in DailyStats.query("acme"))
    after = _report("2026-03-02", "2026-03-02")
    assert (after["chats"], after["processed"]) == (7, 3)
    assert _report("2026-03-02", "2026-03-02", TOKYO)["chats"] == 6


def test_the_period_is_local_days(aws):
    default = stats.Period.checked({}, TOKYO, now=datetime(2026, 12, 5, 16, 0, tzinfo=UTC))
    assert (default.first.isoformat(), default.last.isoformat()) == ("2026-11-07", "2026-12-06")
    # A time counts as its local day.
    timed = stats.Period.checked({"from": "2026-12-05T15:30:00Z", "to": "2026-12-06"}, TOKYO)
    assert timed.first.isoformat() == "2026-12-06"
    with pytest.raises(InvalidInput):
        stats.Period.checked({"from": "2026-12-07", "to": "2026-12-06"}, TOKYO)
    with pytest.raises(InvalidInput):
        stats.Period.checked({"from": "2025-01-01", "to": "2026-12-06"}, TOKYO)
    with pytest.raises(InvalidInput):
        stats.Period.checked({"from": "yesterday"}, TOKYO)
