"""Day counters (R-CH-5): spread over a few items per day so chats starting at
once do not all meet in one counter, and summed back into one row per day."""

from chalicelib.models import DailyStats, transaction
from chalicelib.services import stats


def _count(chat_id: str, created_at: str) -> None:
    with transaction() as writes:
        stats.Counts("acme", created_at, chat_id).chat_created().add_to(writes)


def test_a_days_chats_are_counted_over_several_items_and_reported_as_one_day(aws):
    for n in range(40):
        _count(f"ch_{n}", "2026-03-02T10:00:00.000Z")
    _count("ch_other_day", "2026-03-03T23:59:59.000Z")

    items = list(DailyStats.query("acme"))
    assert 1 < len([i for i in items if i.day.startswith("2026-03-02")]) <= stats.DAY_SHARDS
    report = stats.report("acme", stats.Period.checked({"from": "2026-03-01", "to": "2026-03-03"}))
    assert report["chats"] == 41
    assert [(d["date"], d["chats"]) for d in report["by_day"]] == [
        ("2026-03-01", 0), ("2026-03-02", 40), ("2026-03-03", 1)]


def test_one_chats_counts_always_land_on_the_same_item():
    assert len({stats.day_item_key("2026-03-02T10:00:00.000Z", "ch_x") for _ in range(5)}) == 1
    keys = {stats.day_item_key("2026-03-02T10:00:00.000Z", f"ch_{n}") for n in range(200)}
    assert {key.split("#")[0] for key in keys} == {"2026-03-02"}
    assert len(keys) == stats.DAY_SHARDS


def test_counters_kept_before_they_were_spread_still_count(aws):
    DailyStats(service_id="acme", day="2026-03-02", chats=3, processed=1).save()
    _count("ch_1", "2026-03-02T10:00:00.000Z")
    report = stats.report("acme", stats.Period.checked({"from": "2026-03-02", "to": "2026-03-02"}))
    assert (report["chats"], report["processed"]) == (4, 1)
