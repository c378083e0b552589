"""Caps on how many of something may be open at once (R-SEC-4): the chats open
from one address, the exports running in one service.

A cap is one record (models.Token, keyed `<kind>#<scope…>`) holding the set of
what it counts. Taking a place adds the member with a condition on the set's
size, in the same transaction as the thing it counts, so concurrent takers are
admitted up to exactly the limit; giving it back removes the member (removing
one that is not there changes nothing, so a place is never given back twice).
The record expires a while after its last place was taken, so a member never
given back (a lost worker) cannot hold a place for ever; and when a cap is
full, the caller checks its members and `prune`s those no longer open before
refusing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from chalicelib.models import Token


def take_in(
    writes: TransactWrite, key: str, member: str, *, limit: int, keep_until: datetime
) -> None:
    """Add the member if the set holds fewer than `limit`; otherwise the
    transaction fails on the `tokens` table with ConditionalCheckFailed."""
    writes.update(
        Token(token_key=key),
        actions=[Token.members.add({member}), Token.expires_at.set(keep_until)],
        condition=Token.members.does_not_exist() | (size(Token.members) < limit),
    )


def give_back_in(writes: TransactWrite, key: str, member: str) -> None:
    writes.update(Token(token_key=key), actions=[Token.members.delete({member})])


def members(key: str) -> set[str]:
    try:
        record = Token.get(key, consistent_read=True)
    except Token.DoesNotExist:
        return set()
    return set(record.members or ())


def prune(key: str, gone: Iterable[str]) -> None:
    """Give back the places of members that are no longer open."""
    gone = set(gone)
    if not gone:
        return
    with contextlib.suppress(UpdateError):  # no record: nothing holds a place
        Token(token_key=key).update(
            actions=[Token.members.delete(gone)], condition=Token.token_key.exists()
        )
