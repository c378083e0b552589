"""Chats written straight into the table with the index keys the engine keeps,
for history searches over many chats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models import Chat, Message, SearchTerm
from chalicelib.services import chat_index, search_terms


def make_chat(
    service_id: str,
    number: int,
    created_at: datetime,
    *,
    processed: bool = False,
    operator_id: str | None = None,
    category_id: str | None = None,
    channel: str = "widget",
    rating: int | None = None,
    name: str | None = None,
    email: str | None = None,
    messages: int = 0,
    customer_id: str | None = None,
) -> Chat:
    customer_id = customer_id or f"cu_{number}"
    keys: dict[str, Any] = chat_index.new_chat_keys(service_id, channel, name, email)
    keys["customer_key"] = chat_index.keyed(service_id, customer_id)
    keys["status_key"] = chat_index.status_key(service_id, processed)
    keys["operator_key"] = chat_index.keyed(service_id, operator_id)
    keys["rating_key"] = chat_index.keyed(service_id, rating)
    chat = Chat(
        chat_id=f"ch_{service_id}_{number:06d}",
        service_id=service_id,
        customer_id=customer_id,
        status="ended",
        processed=processed,
        operator_id=operator_id,
        operator_name=operator_id and f"Name of {operator_id}",
        category_id=category_id,
        category_key=chat_index.keyed(service_id, category_id),
        channel=channel,
        customer={"name": name, "email": email, "verified": False},
        rating={"score": rating, "comment": None, "rated_at": clock.iso(created_at)}
        if rating else None,
        last_seq=messages,
        created_at=clock.iso(created_at),
        ended_at=clock.iso(created_at + timedelta(minutes=5)),
        **keys,
    )
    chat.save()
    with SearchTerm.batch_write() as batch:
        for item in search_terms.items_for(service_id, chat.chat_id, chat.created_at, name,
                                           email):
            batch.save(item)
    for seq in range(1, messages + 1):
        Message(
            chat_id=chat.chat_id, seq=seq, sender_role="customer" if seq % 2 else "operator",
            sender_name=name, text=f"message {seq} of {number}",
            created_at=clock.iso(created_at + timedelta(seconds=seq)),
        ).save()
    return chat
