"""Chat History search (R-CH-3): every filter alone and combined, newest first,
cursor paging with no repeats or gaps, reads bounded by the page."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.services import history
from tests.history_helpers import make_chat

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _ids(page):
    return [chat.chat_id for chat in page.chats]


def _everything(service_id, params, limit=7):
    """Walk every page; return the ids in order and the page count."""
    search = history.parse_filter(params, now=NOW)
    ids, cursor, pages = [], None, 0
    while True:
        page = history.search_page(service_id, search, limit, cursor)
        ids += _ids(page)
        pages += 1
        assert page.index_items_read <= history.read_budget(search, limit)
        if not page.next_cursor:
            return ids, pages
        cursor = page.next_cursor


@pytest.fixture
def archive(aws):
    """40 chats over 20 days in service `acme`, spread over every filter, and a
    few in another service that must never show."""
    chats = []
    for n in range(40):
        chats.append(make_chat(
            "acme", n, NOW - timedelta(hours=12 * n + 1),
            processed=n % 2 == 0,
            operator_id=("op_a", "op_b", None)[n % 3],
            category_id=("cat_1", "cat_2")[n % 2] if n % 5 else None,
            channel=("widget", "help-center")[n % 4 == 0],
            rating=(n % 5) + 1 if n % 3 else None,
            name=("Hanako Yamada", "Taro Sato")[n % 2],
            email=(f"h{n % 3}@example.jp"),
        ))
    for n in range(5):
        make_chat("globex", n, NOW - timedelta(hours=n + 1), processed=True,
                  operator_id="op_a", name="Hanako Yamada", email="h0@example.jp")
    return chats


def _expected(chats, keep, days=30):
    start = NOW - timedelta(days=days)
    chosen = [c for c in chats if keep(c) and c.created_at >= start.isoformat()[:19]]
    return [c.chat_id for c in sorted(chosen, key=lambda c: c.created_at, reverse=True)]


def test_no_filter_lists_every_chat_of_the_period_newest_first(archive):
    ids, pages = _everything("acme", {})
    assert ids == _expected(archive, lambda c: True)
    assert len(ids) == 40 and pages >= 3
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"status": "processed"}, lambda c: c.processed),
        ({"status": "unprocessed"}, lambda c: not c.processed),
        ({"operator_id": "op_a"}, lambda c: c.operator_id == "op_a"),
        ({"category_id": "cat_2"}, lambda c: c.category_id == "cat_2"),
        ({"channel": "help-center"}, lambda c: c.channel == "help-center"),
        ({"rating": "3"}, lambda c: c.rating and c.rating["score"] == 3),
        ({"q": "h1@EXAMPLE.jp"}, lambda c: c.customer["email"] == "h1@example.jp"),
        ({"q": "  taro   SATO "}, lambda c: c.customer["name"] == "Taro Sato"),
    ],
)
def test_each_filter_alone(archive, params, keep):
    ids, _ = _everything("acme", params, limit=4)
    assert ids == _expected(archive, keep)
    assert ids


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"status": "processed", "operator_id": "op_b"},
         lambda c: c.processed and c.operator_id == "op_b"),
        ({"category_id": "cat_1", "rating": "2", "channel": "widget"},
         lambda c: c.category_id == "cat_1" and c.rating and c.rating["score"] == 2
         and c.channel == "widget"),
        ({"q": "h0@example.jp", "status": "unprocessed", "operator_id": "op_a"},
         lambda c: c.customer["email"] == "h0@example.jp" and not c.processed
         and c.operator_id == "op_a"),
        ({"q": "Hanako Yamada", "category_id": "cat_2", "status": "processed",
          "channel": "widget", "rating": "5", "operator_id": "op_b"},
         lambda c: c.customer["name"] == "Hanako Yamada" and c.category_id == "cat_2"
         and c.processed and c.channel == "widget" and c.rating and c.rating["score"] == 5
         and c.operator_id == "op_b"),
    ],
)
def test_filters_combine(archive, params, keep):
    ids, _ = _everything("acme", params, limit=3)
    assert ids == _expected(archive, keep)


def test_the_period_bounds_the_search(archive):
    params = {"from": (NOW - timedelta(days=3)).isoformat(), "to": NOW.isoformat()}
    ids, _ = _everything("acme", params)
    assert ids == _expected(archive, lambda c: True, days=3)
    whole_day = {"from": "2026-11-24", "to": "2026-11-24"}
    ids, _ = _everything("acme", whole_day)
    assert ids == [c.chat_id for c in sorted(archive, key=lambda c: c.created_at, reverse=True)
                   if c.created_at.startswith("2026-11-24")]


def test_another_services_chats_never_show(archive):
    ids, _ = _everything("acme", {"operator_id": "op_a", "q": "h0@example.jp"})
    assert all(chat_id.startswith("ch_acme_") for chat_id in ids)
    ids, _ = _everything("globex", {})
    assert ids and all(chat_id.startswith("ch_globex_") for chat_id in ids)


def test_a_single_filter_page_reads_only_its_rows(archive):
    search = history.parse_filter({"operator_id": "op_a"}, now=NOW)
    page = history.search_page("acme", search, 5, None)
    assert len(page.chats) == 5
    assert page.index_items_read == 5


def test_a_selective_combination_stops_at_the_read_budget(archive):
    search = history.parse_filter({"channel": "widget", "q": "nobody@example.jp"}, now=NOW)
    page = history.search_page("acme", search, 2, None)
    assert page.chats == [] and page.next_cursor is None
    search = history.parse_filter({"status": "processed", "rating": "4"}, now=NOW)
    page = history.search_page("acme", search, 1, None)
    assert page.index_items_read <= 1 * history.READ_BUDGET_PAGES


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-10"}, "from"),
        ({"status": "open"}, "status"),
        ({"rating": "6"}, "rating"),
        ({"rating": "x"}, "rating"),
        ({"channel": "x" * 51}, "channel"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(params, field):
    with pytest.raises(InvalidInput) as refused:
        history.parse_filter(params, now=NOW)
    assert refused.value.field == field


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1"])
def test_bad_limits_are_refused(limit):
    with pytest.raises(InvalidInput):
        history.parse_limit(limit)


def test_limit_defaults_to_50():
    assert history.parse_limit(None) == 50 and history.parse_limit("200") == 200


def test_a_cursor_outlives_the_moving_end_of_a_period_left_out(archive):
    """Without `to` the period ends now; the next page, asked a moment later,
    still continues where the first ended."""
    first = history.search_page("acme", history.parse_filter({}, now=NOW), 3, None)
    later = history.parse_filter({}, now=NOW + timedelta(seconds=5))
    second = history.search_page("acme", later, 3, first.next_cursor)
    assert second.chats and not {c.chat_id for c in second.chats} & {
        c.chat_id for c in first.chats}


def test_a_tampered_or_foreign_cursor_is_refused(archive):
    search = history.parse_filter({}, now=NOW)
    page = history.search_page("acme", search, 3, None)
    with pytest.raises(InvalidInput):
        history.search_page("acme", search, 3, page.next_cursor[:-2] + "00")
    with pytest.raises(InvalidInput):
        history.search_page("acme", search, 3, "garbage")
    other = history.parse_filter({"status": "processed"}, now=NOW)
    with pytest.raises(InvalidInput):
        history.search_page("acme", other, 3, page.next_cursor)
