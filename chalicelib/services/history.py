"""Chat History search (R-CH-3): every filter combined, newest first, cursor paged.

Each search is a Query on one index over the period, chosen by the most selective
filter given; the other filters are evaluated on the index's projected attributes.
Index items are small and a request reads at most READ_BUDGET_PAGES pages' worth of
them before it returns what it found with a cursor, so the items DynamoDB reads for
a page stay proportional to the page, never to the service's history. The full
chats of a page are then read with one BatchGetItem."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from chalicelib import clock, cursors
from chalicelib.errors import InvalidInput
from chalicelib.models import Chat
from chalicelib.services import search_terms
from chalicelib.services.chat_index import normalize_name

DEFAULT_DAYS = 30
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ_BUDGET_PAGES = 5
TERM_PAGE_ITEMS = 200
STATUSES = ("processed", "unprocessed")
FIRST_YEAR, LAST_YEAR = 1900, 9998


@dataclass(frozen=True)
class HistoryFilter:
    """A validated search: the period [start, end) and the optional filters."""

    start: str
    end: str
    status: str | None = None
    operator_id: str | None = None
    category_id: str | None = None
    channel: str | None = None
    q: str | None = None
    rating: int | None = None
    customer_id: str | None = None  # one customer's chats (R-VIS-1)

    def fingerprint(self) -> str:
        """What a cursor is bound to: the filters, which pick the index it points
        into, but not the period. A period left out ends "now", which moves
        between one page and the next; a cursor is a position in the index, and
        the next page still keeps to the period it is asked with."""
        filters = {k: v for k, v in asdict(self).items() if k not in ("start", "end")}
        return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


# --- parsing ------------------------------------------------------------------------


def local_moment(value: Any, field: str, zone: tzinfo = UTC, *,
                 end_of_day: bool = False) -> datetime:
    """A date or time from a filter, in UTC. A date is a local day of `zone` (the
    service's time zone, R-TZ-1): it begins at local midnight, or, as the end
    of a period (`end_of_day`), ends at the next one (`to=2026-12-06` includes
    that whole local day, 23 or 25 hours on a DST change). A time without an
    offset is local too; one with an offset is that moment."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise InvalidInput(field, "must be an ISO-8601 date or time")
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            moment = moment.astimezone(UTC)
    except ValueError as exc:
        raise InvalidInput(field, "must be an ISO-8601 date or time") from exc
    except OverflowError as exc:  # e.g. the day after 9999-12-31
        raise InvalidInput(field, "is out of range") from exc
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Keeps every derived time (a day later, 30 days earlier) a 4-digit year.
        raise InvalidInput(field, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def _given(params: dict[str, Any], field: str) -> bool:
    """Whether a filter was given: absent, null and "" all mean "not given"."""
    return params.get(field) not in (None, "")


def _optional_text(params: dict[str, Any], field: str, max_len: int = 200) -> str | None:
    value = params.get(field)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidInput(field, f"must be text of at most {max_len} characters")
    return value.strip() or None


def parse_filter(params: dict[str, Any], now: datetime | None = None,
                 zone: tzinfo = UTC) -> HistoryFilter:
    """Filters from a query string (all strings) or a JSON body (export); dates
    are local days of `zone`, the service's time zone."""
    if not isinstance(params, dict):
        raise InvalidInput("body", "must be a JSON object")
    now = now or clock.now()
    end = local_moment(params["to"], "to", zone, end_of_day=True) \
        if _given(params, "to") else now
    if _given(params, "from"):
        start = local_moment(params["from"], "from", zone)
    else:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInput("from", "must be before to")
    status = _optional_text(params, "status")
    if status is not None and status not in STATUSES:
        raise InvalidInput("status", "must be processed or unprocessed")
    rating = params.get("rating")
    if rating in (None, ""):
        rating = None
    else:
        try:
            rating = int(rating)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidInput("rating", "must be a score from 1 to 5") from exc
        if isinstance(params.get("rating"), bool) or not 1 <= rating <= 5:
            raise InvalidInput("rating", "must be a score from 1 to 5")
    q = _optional_text(params, "q", 254)
    return HistoryFilter(
        start=clock.iso(start) or "",
        end=clock.iso(end) or "",
        status=status,
        operator_id=_optional_text(params, "operator_id", 100),
        category_id=_optional_text(params, "category_id", 100),
        channel=_optional_text(params, "channel", 50),
        q=q.casefold() if q and "@" in q else (normalize_name(q) if q else None),
        rating=rating,
        customer_id=_optional_text(params, "customer_id", 100),
    )


def parse_limit(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("limit", f"must be an integer from 1 to {MAX_LIMIT}") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return limit


# --- cursors ------------------------------------------------------------------------


def encode_cursor(last_key: dict[str, Any], search: HistoryFilter) -> str:
    return cursors.encode(last_key, "history#" + search.fingerprint())


def decode_cursor(cursor: str, search: HistoryFilter) -> dict[str, Any]:
    """The position a cursor names; 400 if it was altered or made for other filters."""
    return cursors.decode(cursor, "history#" + search.fingerprint())


# --- planning and querying ----------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which index a search queries, with which partition key, filtering what."""

    index: Any
    hash_key: str
    filtered: tuple[str, ...]


def plan(service_id: str, search: HistoryFilter) -> Plan:
    """The most selective filter picks the index; the rest are filtered."""
    given = {
        name
        for name in ("q", "customer_id", "operator_id", "category_id", "rating", "channel",
                     "status")
        if getattr(search, name) is not None
    }

    def rest(chosen: str) -> tuple[str, ...]:
        return tuple(sorted(given - {chosen}))

    if search.customer_id is not None:
        # A customer has few chats: their index, the rest (q too) filtered.
        return Plan(Chat.history_by_customer, f"{service_id}#{search.customer_id}",
                    rest("customer_id"))
    if search.q is not None:
        index = Chat.history_by_email if "@" in search.q else Chat.history_by_name
        return Plan(index, f"{service_id}#{search.q}", rest("q"))
    if search.operator_id is not None:
        return Plan(Chat.history_by_operator, f"{service_id}#{search.operator_id}",
                    rest("operator_id"))
    if search.category_id is not None:
        return Plan(Chat.by_category, f"{service_id}#{search.category_id}", rest("category_id"))
    if search.rating is not None:
        return Plan(Chat.history_by_rating, f"{service_id}#{search.rating}", rest("rating"))
    if search.channel is not None:
        return Plan(Chat.history_by_channel, f"{service_id}#{search.channel}", rest("channel"))
    if search.status is not None:
        return Plan(Chat.history_by_status, f"{service_id}#{search.status}", rest("status"))
    return Plan(Chat.by_service, service_id, ())


def _filter_condition(service_id: str, search: HistoryFilter, names: tuple[str, ...]) -> Any:
    condition = None
    for name in names:
        if name == "status":
            clause = Chat.status_key == f"{service_id}#{search.status}"
        elif name == "operator_id":
            clause = Chat.operator_key == f"{service_id}#{search.operator_id}"
        elif name == "category_id":
            clause = Chat.category_key == f"{service_id}#{search.category_id}"
        elif name == "rating":
            clause = Chat.rating_key == f"{service_id}#{search.rating}"
        elif name == "channel":
            clause = Chat.channel_key == f"{service_id}#{search.channel}"
        elif name == "customer_id":
            clause = Chat.customer_key == f"{service_id}#{search.customer_id}"
        elif name == "q":  # only on the customer index, which carries both keys
            key = Chat.email_key if "@" in str(search.q) else Chat.name_key
            clause = key == f"{service_id}#{search.q}"
        else:
            raise AssertionError(name)
        condition = clause if condition is None else condition & clause
    return condition


@dataclass
class Page:
    chats: list[Chat]
    next_cursor: str | None
    index_items_read: int


def search_page(
    service_id: str, search: HistoryFilter, limit: int, cursor: str | None
) -> Page:
    """One page of the search, newest first."""
    start_key = decode_cursor(cursor, search) if cursor else None
    if search_terms.searchable(search.q):
        return _partial_page(service_id, search, limit, start_key)
    chosen = plan(service_id, search)
    condition = _filter_condition(service_id, search, chosen.filtered)
    found: list[str] = []
    read = 0
    last_key = start_key
    budget = limit * READ_BUDGET_PAGES
    while len(found) < limit and read < budget:
        results = chosen.index.query(
            chosen.hash_key,
            Chat.created_at.between(search.start, _just_before(search.end)),
            filter_condition=condition,
            scan_index_forward=False,
            last_evaluated_key=last_key,
            page_size=min(limit - len(found), budget - read),
        )
        page = next(results.page_iter)
        read += int(page.get("ScannedCount", 0))
        found.extend(item["chat_id"]["S"] for item in page.get("Items", []))
        last_key = page.get("LastEvaluatedKey")
        if last_key is None:
            break
    chats = _full_chats(found)
    return Page(
        chats=chats,
        next_cursor=encode_cursor(last_key, search) if last_key else None,
        index_items_read=read,
    )


def read_budget(search: HistoryFilter, limit: int) -> int:
    """The index items a page may read at most. Term index items are a few dozen
    bytes (a chat is a kilobyte or more), so a partial search may read many more
    of them than a filtered chat index's."""
    if search_terms.searchable(search.q):
        return limit * search_terms.BUDGET_ITEMS
    return limit * READ_BUDGET_PAGES


def _partial_page(
    service_id: str, search: HistoryFilter, limit: int, start_key: dict[str, Any] | None
) -> Page:
    """A search by part of a name or email (R-CH-3b): the term index gives the
    matching chats newest first; the other filters are checked on the chats."""
    others = tuple(sorted(
        name for name in ("customer_id", "operator_id", "category_id", "rating", "channel",
                          "status")
        if getattr(search, name) is not None
    ))
    found: list[Chat] = []
    read = 0
    last_key = start_key
    budget = read_budget(search, limit)
    while len(found) < limit and read < budget:
        page = next(search_terms.query(
            service_id, search.q or "", search.start, _just_before(search.end),
            last_key=last_key,
            page_size=min(max(limit - len(found), TERM_PAGE_ITEMS), budget - read),
        ))
        read += int(page.get("ScannedCount", 0))
        items = list(page.get("Items", []))
        last_key = page.get("LastEvaluatedKey")
        # Chats are read only as many as the page still needs (more if the
        # other filters turn some down).
        while items and len(found) < limit:
            taken, items = items[:limit - len(found)], items[limit - len(found):]
            chats = {chat.chat_id: chat for chat in _full_chats(
                [item["record_id"]["S"] for item in taken])}
            for item in taken:
                chat = chats.get(item["record_id"]["S"])
                if chat is not None and _matches(chat, service_id, search, others):
                    found.append(chat)
            if len(found) == limit and (items or last_key):
                # The page ends at this row: the next one starts after it.
                last_key = {"term": taken[-1]["term"], "at": taken[-1]["at"]}
        if last_key is None:
            break
    return Page(
        chats=found,
        next_cursor=encode_cursor(last_key, search) if last_key else None,
        index_items_read=read,
    )


def _matches(chat: Chat, service_id: str, search: HistoryFilter, names: tuple[str, ...]) -> bool:
    """The filters `names` (as _filter_condition has them) on a chat read."""
    keys = {
        "status": (chat.status_key, search.status),
        "operator_id": (chat.operator_key, search.operator_id),
        "category_id": (chat.category_key, search.category_id),
        "rating": (chat.rating_key, search.rating),
        "channel": (chat.channel_key, search.channel),
        "customer_id": (chat.customer_key, search.customer_id),
    }
    return all(keys[name][0] == f"{service_id}#{keys[name][1]}" for name in names)


def _just_before(end_iso: str) -> str:
    # `between` is inclusive and times have millisecond precision: the period
    # [start, end) ends one millisecond before `end`.
    return clock.iso(clock.parse_iso(end_iso) - timedelta(milliseconds=1)) or end_iso


def _full_chats(chat_ids: list[str]) -> list[Chat]:
    if not chat_ids:
        return []
    by_id = {chat.chat_id: chat for chat in Chat.batch_get(chat_ids)}
    return [by_id[chat_id] for chat_id in chat_ids if chat_id in by_id]


def all_matching(service_id: str, search: HistoryFilter, batch: int = 100) -> Iterator[Chat]:
    """Every chat the search matches, newest first (the export walks this)."""
    cursor = None
    while True:
        page = search_page(service_id, search, batch, cursor)
        yield from page.chats
        if not page.next_cursor:
            return
        cursor = page.next_cursor
