"""What webhooks hear (R-HOOK-1): each event's `data`, built from what the
change that makes it has at hand (no reads), and handed to webhooks.emit.

A receiver gets an allow-list, never the operators' object: a chat's
customer is their id, name, email and whether they were verified — not the
operators' notes on them, their address or device; messages are the
customers' and operators' (never notes, never system texts), a file as its
name, type and size (a link is `GET /chats/{id}/attachments/{id}`'s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.models import Chat
from chalicelib.services import webhooks


def chat_data(chat: Chat) -> dict[str, Any]:
    customer = chat.customer or {}
    rating = chat.rating or None
    return {
        "chat_id": chat.chat_id,
        "status": chat.status,
        "channel": chat.channel or "widget",
        "language": chat.language,
        "category_id": chat.category_id,
        "operator_id": chat.operator_id,
        "operator_name": chat.operator_name,
        "customer": {
            "customer_id": chat.customer_id,
            "name": customer.get("name"),
            "email": customer.get("email"),
            "verified": bool(customer.get("verified")),
        },
        "created_at": chat.created_at,
        "assigned_at": chat.assigned_at,
        "customer_left_at": chat.customer_left_at,
        "ended_at": chat.ended_at,
        "transferred_from": chat.transferred_from,
        "rating": ({"score": rating.get("score"), "comment": rating.get("comment")}
                   if rating else None),
    }


def chat_event(event: str, chat: Chat, **extra: Any) -> None:
    """chat.started / assigned / transferred / ended / rated."""
    if webhooks.hearing(chat.service_id, event):
        webhooks.emit(chat.service_id, event, {"chat": chat_data(chat), **extra})


def heard(service_id: str, event: str, data: Callable[[], dict[str, Any]]) -> None:
    """Emit `event` with `data()` when a webhook of the service hears it (the
    data is built only then)."""
    if webhooks.hearing(service_id, event):
        webhooks.emit(service_id, event, data())


def message_data(message: dict[str, Any]) -> dict[str, Any]:
    """A message as messages.message_json gives it (links=False), without the
    client's own id."""
    return {k: v for k, v in message.items() if k != "client_msg_id"}


def ticket_data(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket as tickets.to_json gives it, without who filed it (an operator id)."""
    return {k: v for k, v in ticket.items() if k != "created_by"}
