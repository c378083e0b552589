"""A chat as API.md's `chat` object: the operators' view (REST bodies and
operator frames), and the customer's view, an allow-list, for every frame and
widget answer a customer gets (R-SEC-1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.models import Chat, ChatStatus
from chalicelib.services import categories


def customer_json(chat: Chat) -> dict[str, Any]:
    customer = chat.customer or {}
    return {
        "customer_id": chat.customer_id,
        "name": customer.get("name"),
        "email": customer.get("email"),
        "notes": customer.get("notes"),
        "ip": customer.get("ip"),
        "device": customer.get("device"),
        "verified": bool(customer.get("verified")),
    }


def chat_json(
    chat: Chat,
    *,
    last_seq: int,
    queue_position: int | None = None,
    category_paths: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`last_seq` from services/heads.py (an open chat's is on its head);
    `category_paths` (from categories.paths) saves a lookup per chat in lists."""
    rating = chat.rating or None
    return {
        "chat_id": chat.chat_id,
        "service_id": chat.service_id,
        "status": chat.status,
        "processed": bool(chat.processed),
        "operator_id": chat.operator_id,
        "operator_name": chat.operator_name,
        "customer": customer_json(chat),
        "inquiry": {
            "channel": chat.channel or "widget",
            "category_id": chat.category_id,
            "category_path": (
                categories.category_path(chat.service_id, chat.category_id)
                if category_paths is None
                else category_paths.get(chat.category_id or "", [])
            ),
        },
        "created_at": chat.created_at,
        "assigned_at": chat.assigned_at,
        "opened_at": chat.opened_at,
        "first_response_at": chat.first_response_at,
        "customer_left_at": chat.customer_left_at,
        "ended_at": chat.ended_at,
        "queue_position": queue_position if chat.status == ChatStatus.WAITING else None,
        "rating": None if not rating else {
            "score": rating.get("score"),
            "comment": rating.get("comment"),
            "rated_at": rating.get("rated_at"),
        },
        "last_seq": last_seq,
    }


# What the widget shows, and nothing else: never what operators wrote or set
# about the customer (notes, an edited name, the processing type), nor IP,
# device, operator ids or other internal fields.
CUSTOMER_VIEW = (
    "chat_id", "status", "queue_position", "operator_name", "created_at", "assigned_at",
    "ended_at", "customer_left_at", "rating", "last_seq",
)


def customer_chat_json(
    chat: Chat, *, last_seq: int, queue_position: int | None = None
) -> dict[str, Any]:
    """The customer's own view of their chat (API.md, "the customer's view")."""
    rating = chat.rating or None
    return {
        "chat_id": chat.chat_id,
        "status": chat.status,
        "queue_position": queue_position if chat.status == ChatStatus.WAITING else None,
        "operator_name": chat.operator_name,
        "created_at": chat.created_at,
        "assigned_at": chat.assigned_at,
        "ended_at": chat.ended_at,
        "customer_left_at": chat.customer_left_at,
        "rating": None if not rating else {
            "score": rating.get("score"),
            "comment": rating.get("comment"),
            "rated_at": rating.get("rated_at"),
        },
        "last_seq": last_seq,
    }
