"""What a chat's JSON shows from beyond the chat item, read before it is
serialized (services/chat_json.py serializes, reading nothing): an open chat's
last seq from its head, a waiting chat's place in the queue, the path of its
category. For a list of chats, the heads come in one BatchGetItem and the
category paths in one Query per service, whatever the number of chats."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.models import Chat, ChatHead, ChatStatus
from chalicelib.services import categories, heads, routing
from chalicelib.services.chat_json import ChatView


def views(chats: Sequence[Chat], *, positions: bool = True) -> list[ChatView]:
    """Each chat with its last seq, its queue position (when `positions`: a
    Query count for each waiting chat) and its category path."""
    found = heads.of_chats(chats)
    paths = {
        service_id: categories.paths(service_id)
        for service_id in sorted({c.service_id for c in chats if c.category_id})
    }
    return [
        ChatView(
            chat,
            last_seq=heads.last_seq(chat, found.get(chat.chat_id)),
            queue_position=routing.queue_position(chat)
            if positions and chat.status == ChatStatus.WAITING else None,
            category_path=paths.get(chat.service_id, {}).get(chat.category_id or "", []),
        )
        for chat in chats
    ]


def view(chat: Chat, head: ChatHead | None = None) -> ChatView:
    """One chat's view (its head read unless given)."""
    if head is None or chat.status == ChatStatus.ENDED:
        return views([chat])[0]
    return ChatView(
        chat,
        last_seq=heads.last_seq(chat, head),
        queue_position=routing.queue_position(chat),
        category_path=categories.category_path(chat.service_id, chat.category_id),
    )
