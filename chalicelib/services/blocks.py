"""Blocking an abusive visitor (R-BLK-1): from a chat, for some days, by
visitor and optionally by IP address. The chat ends with a neutral system
message, the visitor's sockets close, and until the block expires (or an admin
lifts it) their widget sessions, chat starts and offline messages are refused
with `blocked`.

A block is an item of `blocks` (per service, listed by admins) and one or two
lookup records in `tokens` (`block#<service>#c#<customer>`, `…#ip#<address>`)
written in the same transaction, so the checks on the widget's paths are one
BatchGetItem of keys known in advance. Records expire with the block (TTL; the
check also compares `until`, as TTL deletion lags).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import auth, clock, token_keys, validate
from chalicelib.errors import Blocked, Conflict, NotFound
from chalicelib.models import Block, Token, transaction
from chalicelib.realtime import Closer, Pusher
from chalicelib.services import access, heads
from chalicelib.services.access import Actor

DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_REASON = 500
# What the customer reads when the chat ends: nothing about the block.
ENDED_TEXT = {"ja": "このチャットは終了しました。", "en": "This chat has ended.",
              "ko": "이 채팅은 종료되었습니다."}


@dataclass(frozen=True)
class BlockRequest:
    """`POST /chats/{id}/block`: why, for how many days, and the IP too?"""

    reason: str
    days: int
    include_ip: bool

    @classmethod
    def checked(cls, body: Any) -> BlockRequest:
        body = validate.body_object(body) if body is not None else {}
        validate.only_fields(body, ("reason", "days", "include_ip"))
        reason = validate.text(body, "reason", max_len=MAX_REASON, required=False) or ""
        days = validate.integer(body, "days", low=1, high=MAX_DAYS, required=False)
        include_ip = validate.boolean(body, "include_ip", required=False)
        return cls(str(reason).strip(), int(days or DEFAULT_DAYS), bool(include_ip))


def _keys(service_id: str, customer_id: str | None, ip: str | None) -> list[str]:
    keys = []
    if customer_id:
        keys.append(token_keys.block(service_id, "c", customer_id))
    if ip:
        keys.append(token_keys.block(service_id, "ip", ip))
    return keys


def check(service_id: str, *, customer_id: str | None, ip: str | None,
          now: datetime | None = None) -> None:
    """Blocked when the visitor or the address has a block in force."""
    keys = _keys(service_id, customer_id, ip)
    if not keys:
        return
    at = (now or clock.now()).timestamp()
    for found in Token.batch_get(keys):
        if int(found.until or 0) > at:
            raise Blocked()


def block(actor: Actor, chat_id: str, request: BlockRequest, *, now: datetime, push: Pusher,
          close: Closer) -> Block:
    """Block the chat's visitor (and its address, if asked), end the chat with a
    neutral message, close the visitor's sockets."""
    from chalicelib.services import accounts, chats, messages  # they check blocks

    chat = access.readable_chat(actor, chat_id)
    access.require_handler(actor, chat)
    until = now + timedelta(days=request.days)
    found = Block(
        service_id=chat.service_id,
        block_id=auth.new_id("bl"),
        customer_id=chat.customer_id,
        customer_name=(chat.customer or {}).get("name"),
        ip=str((chat.customer or {}).get("ip") or "") or None if request.include_ip else None,
        reason=request.reason,
        chat_id=chat.chat_id,
        until=clock.iso(until),
        created_by=actor.subject_id,
        created_by_name=actor.name,
        created_at=clock.iso(now),
        expires_at=until,
    )
    with transaction() as writes:
        writes.save(found, condition=Block.block_id.does_not_exist())
        for key in _keys(found.service_id, found.customer_id, found.ip):
            # A later block of the same visitor or address takes the lookup over.
            writes.save(Token(token_key=key, payload={"block_id": found.block_id},
                              until=int(until.timestamp()), expires_at=until))
    head = heads.get(chat.chat_id)
    if head is not None and not head.ended:
        language = chat.language if chat.language in ENDED_TEXT else "en"
        with contextlib.suppress(Conflict):  # ended meanwhile: the end below says so
            messages.post_system(chat.chat_id, ENDED_TEXT[language], lang=language, now=now,
                                 push=push)
        chats.end(actor, chat.chat_id, now=now, push=push)
    accounts.close_sockets(chat.service_id, chat.customer_id, close)
    return found


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
    for key in _keys(found.service_id, found.customer_id, found.ip):
        try:
            lookup = Token.get(key, consistent_read=True)
        except Token.DoesNotExist:
            continue  # expired
        if lookup.payload.get("block_id") != found.block_id:
            continue  # taken over by a later block of the same visitor or address
        with contextlib.suppress(DeleteError):  # taken over meanwhile
            lookup.delete(condition=Token.until == lookup.until)
    found.delete()


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
