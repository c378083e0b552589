"""A chat as API.md's `chat` object: the operators' view (REST bodies and
operator frames), and the customer's view, an allow-list, for every frame and
widget answer a customer gets (R-SEC-1).

Pure functions of a ChatView: whatever a chat's JSON needs beyond the chat item
(its last seq from its head, its place in the queue, its category's path) is
read by services/chat_views.py, for many chats at once where it can."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.models import Chat, ChatStatus, Message
from chalicelib.services import devices, messages


@dataclass(frozen=True)
class ChatView:
    """A chat with what its JSON shows from elsewhere."""

    chat: Chat
    last_seq: int
    queue_position: int | None = None  # set while it waits (when asked for)
    category_path: list[str] = field(default_factory=list)
    # For the operator's chat list (GET /chats): their unread count and the
    # last message, so the list is whole right after a reload (R-ALERT-1).
    unread: int | None = None
    last_message: Message | None = None


def customer_json(chat: Chat) -> dict[str, Any]:
    customer = chat.customer or {}
    return {
        "customer_id": chat.customer_id,
        "name": customer.get("name"),
        "email": customer.get("email"),
        "notes": customer.get("notes"),
        "ip": customer.get("ip"),
        "device": customer.get("device"),
        "device_info": devices.info(customer.get("device")),
        "verified": bool(customer.get("verified")),
    }


def _rating(chat: Chat) -> dict[str, Any] | None:
    rating = chat.rating or None
    if not rating:
        return None
    return {"score": rating.get("score"), "comment": rating.get("comment"),
            "rated_at": rating.get("rated_at")}


def chat_json(view: ChatView) -> dict[str, Any]:
    """The operators' view of a chat (API.md `chat`)."""
    chat = view.chat
    return {
        "chat_id": chat.chat_id,
        "service_id": chat.service_id,
        "status": chat.status,
        "processed": bool(chat.processed),
        "language": chat.language,
        "operator_id": chat.operator_id,
        "operator_name": chat.operator_name,
        "customer": customer_json(chat),
        "inquiry": {
            "channel": chat.channel or "widget",
            "category_id": chat.category_id,
            "category_path": view.category_path,
        },
        "created_at": chat.created_at,
        "assigned_at": chat.assigned_at,
        "opened_at": chat.opened_at,
        "first_response_at": chat.first_response_at,
        "customer_left_at": chat.customer_left_at,
        "ended_at": chat.ended_at,
        "queue_position": view.queue_position if chat.status == ChatStatus.WAITING else None,
        "rating": _rating(chat),
        "last_seq": view.last_seq,
        "transferred_from": chat.transferred_from,
        "note_count": int(chat.note_count or 0),
        "unread": view.unread,
        "last_message": messages.message_json(view.last_message) if view.last_message else None,
    }


# What the widget shows, and nothing else: never what operators wrote or set
# about the customer (notes, an edited name, the processing type), nor IP,
# device, operator ids or other internal fields.
CUSTOMER_VIEW = (
    "chat_id", "status", "queue_position", "operator_name", "created_at", "assigned_at",
    "ended_at", "customer_left_at", "rating", "last_seq",
)


def customer_chat_json(view: ChatView) -> dict[str, Any]:
    """The customer's own view of their chat (API.md, "the customer's view")."""
    chat = view.chat
    return {
        "chat_id": chat.chat_id,
        "status": chat.status,
        "queue_position": view.queue_position if chat.status == ChatStatus.WAITING else None,
        "operator_name": chat.operator_name,
        "created_at": chat.created_at,
        "assigned_at": chat.assigned_at,
        "ended_at": chat.ended_at,
        "customer_left_at": chat.customer_left_at,
        "rating": _rating(chat),
        "last_seq": view.last_seq,
    }


def json_for(is_customer: bool, view: ChatView) -> dict[str, Any]:
    """The view of the chat its reader may see: a customer their own, operators theirs."""
    return customer_chat_json(view) if is_customer else chat_json(view)
