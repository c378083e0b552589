"""Blocking a visitor from a chat (R-BLK-1): the block and its lookups in one
transaction (services/blocks.py), then the chat ends with a neutral system
message in the customer's language and the visitor's sockets close."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import auth, clock, validate
from chalicelib.errors import Conflict
from chalicelib.models import Block, Token, transaction
from chalicelib.realtime import Closer, Pusher
from chalicelib.services import access, accounts, audit, blocks, chats, heads, messages
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


def block(actor: Actor, chat_id: str, request: BlockRequest, *, now: datetime, push: Pusher,
          close: Closer) -> Block:
    """Block the chat's visitor (and its address, if asked), end the chat with a
    neutral message, close the visitor's sockets."""
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
        for key in blocks.keys(found.service_id, found.customer_id, found.ip):
            # A later block of the same visitor or address takes the lookup over.
            writes.save(Token(token_key=key, payload={"block_id": found.block_id},
                              until=int(until.timestamp()), expires_at=until))
        audit.add_to(writes, found.service_id, "block.create", found.block_id,
                     {"customer_id": found.customer_id, "chat_id": found.chat_id,
                      "days": request.days, "ip": found.ip is not None})
    head = heads.get(chat.chat_id)
    if head is not None and not head.ended:
        language = chat.language if chat.language in ENDED_TEXT else "en"
        with contextlib.suppress(Conflict):  # ended meanwhile: the end below says so
            messages.post_system(chat.chat_id, ENDED_TEXT[language], lang=language, now=now,
                                 push=push)
        chats.end(actor, chat.chat_id, now=now, push=push)
    accounts.close_sockets(chat.service_id, chat.customer_id, close)
    return found
