"""Blocks of abusive visitors (R-BLK-1), the records: by visitor and optionally
by IP address, for some days. Until a block expires (or an admin lifts it) the
visitor's widget sessions, chat starts and offline messages are refused with
`blocked`.

A block is an item of `blocks` (per service, listed by admins) and one or two
lookup records in `tokens` (`block#<service>#c#<customer>`, `…#ip#<address>`)
written in the same transaction, so the checks on the widget's paths are one
BatchGetItem of keys known in advance. Records expire with the block (TTL; the
check also compares `until`, as TTL deletion lags). Blocking from a chat (which
ends it) is services/blocking.py's.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError

from chalicelib import clock, token_keys, validate
from chalicelib.errors import Blocked, NotFound
from chalicelib.models import Block, Token, transaction
from chalicelib.services import audit
from chalicelib.services.access import Actor


def keys(service_id: str, customer_id: str | None, ip: str | None) -> list[str]:
    """The lookups of a visitor and an address (either may be unknown)."""
    found = []
    if customer_id:
        found.append(token_keys.block(service_id, "c", customer_id))
    if ip:
        found.append(token_keys.block(service_id, "ip", ip))
    return found


def check(service_id: str, *, customer_id: str | None, ip: str | None,
          now: datetime | None = None) -> None:
    """Blocked when the visitor or the address has a block in force."""
    lookups = keys(service_id, customer_id, ip)
    if not lookups:
        return
    at = (now or clock.now()).timestamp()
    for found in Token.batch_get(lookups):
        if int(found.until or 0) > at:
            raise Blocked()


def listed(actor: Actor, now: datetime) -> list[Block]:
    """The service's blocks in force, newest first."""
    at = clock.iso(now) or ""
    found = [b for b in Block.query(actor.service_id, consistent_read=True) if b.until > at]
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def lift(actor: Actor, block_id: str) -> None:
    """Delete the block and its lookups (only those still its own)."""
    block_id = validate.id_string(block_id, "block_id")
    try:
        found = Block.get(actor.service_id, block_id, consistent_read=True)
    except Block.DoesNotExist:
        raise NotFound("no such block") from None
    for key in keys(found.service_id, found.customer_id, found.ip):
        try:
            lookup = Token.get(key, consistent_read=True)
        except Token.DoesNotExist:
            continue  # expired
        if lookup.payload.get("block_id") != found.block_id:
            continue  # taken over by a later block of the same visitor or address
        with contextlib.suppress(DeleteError):  # taken over meanwhile
            lookup.delete(condition=Token.until == lookup.until)
    try:
        with transaction() as writes:
            writes.delete(found, condition=Block.block_id.exists())
            audit.add_to(writes, found.service_id, "block.delete", found.block_id,
                         {"customer_id": found.customer_id})
    except TransactWriteError as exc:
        raise NotFound("no such block") from exc  # lifted meanwhile


def block_json(found: Block) -> dict[str, Any]:
    return {
        "block_id": found.block_id,
        "customer_id": found.customer_id,
        "customer_name": found.customer_name,
        "ip": found.ip,
        "reason": found.reason,
        "until": found.until,
        "chat_id": found.chat_id,
        "created_by": found.created_by,
        "created_by_name": found.created_by_name,
        "created_at": found.created_at,
    }
