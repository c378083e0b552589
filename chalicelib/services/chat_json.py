"""A chat as API.md's `chat` object (REST bodies and WebSocket frames alike)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.models import Chat
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
        "queue_position": queue_position if chat.status == "waiting" else None,
        "rating": None if not rating else {
            "score": rating.get("score"),
            "comment": rating.get("comment"),
            "rated_at": rating.get("rated_at"),
        },
        "last_seq": last_seq,
    }
