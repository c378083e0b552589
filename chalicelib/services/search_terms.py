"""Partial search (R-CH-3b): a chat is found by any part of its customer's name
(Japanese included, width- and kana-insensitive) or email address.

Each chat keeps one small item (models.SearchTerm) per distinct two-character
piece of its folded name and email (`textfold.compact`: `田中 太郎` → pieces
`田中`, `中太`, `太郎`), keyed `<service>#chat#<piece>` and sorted by the chat's
creation time. A search for `q` queries one piece of `q` (the one likely rarest:
digits and Japanese characters before common letters), newest first within the
period, and keeps the items whose folded text contains all of `q`: the items
are tiny (a key and the folded name and email), so a page reads little beyond
the chats it returns.

The pieces are written in the transaction that sets the name or email (the
chat's start, the Save button), and removed in the one that changes it, so the
index never disagrees with the chat. Pieces are taken from the first
NAME_CHARS characters of a name and EMAIL_CHARS of an email: that bounds a
transaction (a Save that changes both rewrites at most 2 x 46 items) and the
write cost (docs/performance.md); a longer name is found by any part within
them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import textfold, validate
from chalicelib.models import SearchTerm

CHAT = "chat"
TICKET = "ticket"
# Items a page may read at most, per row it returns (they are a few dozen bytes).
BUDGET_ITEMS = 40
NAME_CHARS = 18
EMAIL_CHARS = 30
MIN_QUERY = 2
_SEPARATOR = "\n"  # never in a compact value (no white space there)


def needle(q: str) -> str:
    """The folded form of a search, as the index holds names and emails."""
    return textfold.compact(q)


def long_enough(q: str | None) -> bool:
    return q is not None and len(needle(q)) >= MIN_QUERY


def searchable(q: str | None) -> bool:
    """Whether a history search `q` goes to this index: two characters or more,
    unless it is a whole email address, which the chats' exact email index
    answers reading only its rows."""
    return long_enough(q) and not validate.is_email((q or "").strip())


def _text(name: str | None, email: str | None) -> str:
    return f"{textfold.compact(name or '')}{_SEPARATOR}{textfold.compact(email or '')}"


def pieces(name: str | None, email: str | None) -> set[str]:
    found: set[str] = set()
    for value, cap in ((name, NAME_CHARS), (email, EMAIL_CHARS)):
        folded = textfold.compact(value or "")[:cap]
        found.update(folded[i:i + 2] for i in range(len(folded) - 1))
    return found


def _term(service_id: str, piece: str, kind: str = CHAT) -> str:
    return f"{service_id}#{kind}#{piece}"


def _at(created_at: str, record_id: str) -> str:
    return f"{created_at}#{record_id}"


def add_to(
    writes: TransactWrite,
    service_id: str,
    record_id: str,
    created_at: str,
    *,
    old: tuple[str | None, str | None] | None,
    new: tuple[str | None, str | None],
    kind: str = CHAT,
    expires_at: datetime | None = None,
) -> int:
    """The index items of a record whose name and email change from `old` (None:
    a new record) to `new`, added to `writes`; returns how many. They go with
    the record (`expires_at`, its retention)."""
    old_pieces = pieces(*old) if old else set()
    new_pieces = pieces(*new)
    text = _text(*new)
    unchanged = old is not None and _text(*old) == text
    at = _at(created_at, record_id)
    count = 0
    for piece in sorted(old_pieces - new_pieces):
        writes.delete(SearchTerm(term=_term(service_id, piece, kind), at=at))
        count += 1
    for piece in sorted(new_pieces - old_pieces if unchanged else new_pieces):
        writes.save(SearchTerm(term=_term(service_id, piece, kind), at=at,
                               record_id=record_id, text=text, expires_at=expires_at))
        count += 1
    return count


def items_for(
    service_id: str, record_id: str, created_at: str, name: str | None, email: str | None,
    kind: str = CHAT,
    expires_at: datetime | None = None,
) -> list[SearchTerm]:
    """The index items of a record as it is (the upgrade of records written before
    the index existed writes these)."""
    text = _text(name, email)
    return [SearchTerm(term=_term(service_id, piece, kind), at=_at(created_at, record_id),
                       record_id=record_id, text=text, expires_at=expires_at)
            for piece in sorted(pieces(name, email))]


# English letters by how often they occur in names and addresses (most first):
# a piece of common letters is in many records, one with a digit, a rare letter
# or a Japanese character in few.
_COMMON = "eaorinstlhdcumkygpbfwvjzxq"


def _rarity(piece: str) -> float:
    score = 0.0
    for char in piece:
        if char in _COMMON:
            score += _COMMON.index(char) / len(_COMMON)
        elif char in "@.-_":
            score += 0.0  # in every email
        else:
            score += 2.0  # a digit, a Japanese character, …
    return score


def _probe(folded: str) -> str:
    """The piece of the search whose index partition is likely the smallest:
    the one read; the whole search is then checked on each item's text."""
    candidates = [folded[i:i + 2] for i in range(len(folded) - 1)]
    return max(candidates, key=lambda piece: (_rarity(piece), -candidates.index(piece)))


def query(
    service_id: str,
    q: str,
    start: str,
    end: str,
    *,
    last_key: dict[str, Any] | None,
    page_size: int,
    kind: str = CHAT,
) -> Iterator[dict[str, Any]]:
    """One page of matching index items (newest first) created in [start, end]:
    DynamoDB's raw page (`Items`, `ScannedCount`, `LastEvaluatedKey`)."""
    folded = needle(q)
    condition = SearchTerm.text.contains(folded) if len(folded) > MIN_QUERY else None
    results = SearchTerm.query(
        _term(service_id, _probe(folded), kind),
        SearchTerm.at.between(start, end + "~"),
        filter_condition=condition,
        scan_index_forward=False,
        last_evaluated_key=last_key,
        page_size=page_size,
    )
    return results.page_iter
