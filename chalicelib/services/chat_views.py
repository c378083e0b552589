"""What a chat's JSON shows from beyond the chat item, read before it is
serialized (services/chat_json.py serializes, reading nothing): an open chat's
last seq from its head, a waiting chat's place in the queue, the path of its
category. For a list of chats, the heads come in one BatchGetItem and the
category paths in one Query per service, whatever the number of chats."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.models import Chat, ChatHead, ChatStatus, Message
from chalicelib.services import categories, heads, routing
from chalicelib.services.chat_json import ChatView


def views(
    chats: Sequence[Chat], *, positions: bool = True, latest: bool = False
) -> list[ChatView]:
    """Each chat with its last seq, its queue position (when `positions`: a
    Query count for each waiting chat) and its category path; with `latest`
    (the operator's list) also its unread count and last message, the messages
    in one more BatchGetItem."""
    found = heads.of_chats(chats)
    paths = {
        service_id: categories.paths(service_id)
        for service_id in sorted({c.service_id for c in chats if c.category_id})
    }
    seqs = {chat.chat_id: heads.last_seq(chat, found.get(chat.chat_id)) for chat in chats}
    last = _last_messages(seqs) if latest else {}
    return [
        ChatView(
            chat,
            last_seq=seqs[chat.chat_id],
            queue_position=routing.queue_position(chat)
            if positions and chat.status == ChatStatus.WAITING else None,
            category_path=paths.get(chat.service_id, {}).get(chat.category_id or "", []),
            unread=_unread(found.get(chat.chat_id)) if latest else None,
            last_message=last.get(chat.chat_id),
        )
        for chat in chats
    ]


def _unread(head: ChatHead | None) -> int:
    return int(head.unread or 0) if head is not None else 0


def _last_messages(seqs: dict[str, int]) -> dict[str, Message]:
    keys = [(chat_id, seq) for chat_id, seq in seqs.items() if seq > 0]
    return {m.chat_id: m for m in Message.batch_get(keys)} if keys else {}


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
