"""The live monitor (R-SUP-1): every operator's status and load, the queue
with wait times and places, the chats in progress with how long their customer
has waited for a reply. Read from the operators' partition, the queue index,
each busy operator's open chats and the heads of those chats: its cost grows
with the open chats and the team, never with history (no full-table read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotAllowed
from chalicelib.models import Chat, ChatHead, ChatStatus, Operator
from chalicelib.services import settings, tenants
from chalicelib.services.access import Actor

BATCH = 100  # keys in one BatchGetItem


def _seconds(since: str | None, now: datetime) -> int | None:
    if not since:
        return None
    return max(0, int((now - clock.parse_iso(since)).total_seconds()))


def snapshot(actor: Actor, now: datetime) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("only admins see the monitor", "admin_only")
    service_id = actor.service_id
    default_max = int(settings.current(tenants.get_service(service_id))["max_chats_per_operator"])
    team = list(Operator.query(service_id))
    names = {o.operator_id: o.name for o in team}
    waiting = sorted((c for c in Chat.queue.query(service_id)
                      if c.status == ChatStatus.WAITING),
                     key=lambda c: (c.queued_at or "", c.chat_id))
    held: list[Chat] = []
    for operator in team:
        if int(operator.open_chats or 0) > 0:
            held += [c for c in Chat.by_operator.query(operator.operator_id)
                     if c.service_id == service_id and c.status != ChatStatus.ENDED]
    chats = waiting + sorted(held, key=lambda c: (c.created_at, c.chat_id))
    heads = _heads([c.chat_id for c in chats])
    rows = []
    for position, chat in enumerate(chats, start=1):
        head = heads.get(chat.chat_id)
        is_waiting = chat.status == ChatStatus.WAITING
        rows.append({
            "chat_id": chat.chat_id,
            "status": str(chat.status),
            "customer_name": (chat.customer or {}).get("name"),
            "operator_id": chat.operator_id,
            "operator_name": names.get(chat.operator_id or ""),
            "created_at": chat.created_at,
            "waiting_s": _seconds(chat.queued_at or chat.created_at, now) if is_waiting else None,
            "queue_position": position if is_waiting else None,
            "unanswered_s": None if is_waiting or head is None
            else _seconds(head.awaiting_since, now),
            "last_message_at": head.last_message_at if head is not None else None,
        })
    return {
        "operators": [{
            "operator_id": o.operator_id,
            "name": o.name,
            "role": o.role,
            "status": o.status,
            "open_chats": int(o.open_chats or 0),
            "max_chats": int(o.max_chats or default_max),
        } for o in sorted(team, key=lambda o: (o.name.casefold(), o.operator_id))],
        "chats": rows,
        "queue_length": len(waiting),
        "generated_at": clock.iso(now),
    }


def _heads(chat_ids: list[str]) -> dict[str, ChatHead]:
    found: dict[str, ChatHead] = {}
    for start in range(0, len(chat_ids), BATCH):
        for head in ChatHead.batch_get(chat_ids[start:start + BATCH]):
            found[head.chat_id] = head
    return found
