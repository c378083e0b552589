"""Chat heads (models.ChatHead): the small item each message of an open chat
reads and writes. This module reads them and answers what the head holds for
the rest of the product: who may see it, and a chat's last seq."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.errors import Conflict, NotAllowed, NotFound
from chalicelib.models import Chat, ChatHead, ChatStatus
from chalicelib.services import access
from chalicelib.services.access import Actor


def new_head(chat: Chat, customer_name: str | None, listeners: dict[str, dict]) -> ChatHead:
    """The head of a chat being started: its greeting is message 1."""
    return ChatHead(
        chat_id=chat.chat_id,
        service_id=chat.service_id,
        customer_id=chat.customer_id,
        customer_name=customer_name,
        last_seq=1,
        listeners=listeners,
        conns_version=1,
        expires_at=chat.expires_at,
    )


def get(chat_id: str, *, consistent: bool = True) -> ChatHead | None:
    try:
        return ChatHead.get(chat_id, consistent_read=consistent)
    except ChatHead.DoesNotExist:
        return None


def require(chat_id: str, *, consistent: bool = True) -> ChatHead:
    """The head of a chat known to exist (every chat has one from its start)."""
    head = get(chat_id, consistent=consistent)
    if head is None:
        raise NotFound("no such chat")
    return head


def readable(actor: Actor, chat_id: object, *, consistent: bool = True) -> ChatHead:
    """The head of a chat the actor may see; NotFound otherwise, as for the chat."""
    return access.readable(
        actor, access.owned_item(ChatHead, chat_id, actor, "chat", consistent=consistent)
    )


def require_speaker(actor: Actor, head: ChatHead) -> None:
    """The actor may speak in the chat (send, type): it is open, and they are its
    customer, still there, or its operator, or an admin. The head mirrors the
    chat's end, operator and customer leaving, so this is the chat's own rule."""
    if actor.is_customer:
        require_open(head)
        if head.customer_left:
            raise Conflict("the customer has left the chat", "customer_left")
        return
    if not actor.is_admin and head.operator_id != actor.subject_id:
        raise NotAllowed("the chat is assigned to another operator", "forbidden")
    require_open(head)


def require_open(head: ChatHead) -> None:
    if head.ended:
        raise Conflict("the chat has ended", "chat_ended")


def of_chats(chats: Iterable[Chat]) -> dict[str, ChatHead]:
    """The heads of the chats still open (an ended chat's item says all), in
    BatchGetItem requests of up to 100."""
    open_ids = sorted({chat.chat_id for chat in chats if chat.status != ChatStatus.ENDED})
    return {head.chat_id: head for head in ChatHead.batch_get(open_ids)} if open_ids else {}


def last_seqs(chats: list[Chat]) -> dict[str, int]:
    """Each chat's last seq (open chats' heads read together)."""
    found = of_chats(chats)
    return {chat.chat_id: last_seq(chat, found.get(chat.chat_id)) for chat in chats}


def last_seq(chat: Chat, head: ChatHead | None) -> int:
    """The seq of the chat's last message: the head's while it is open, the
    chat's own once End has written it there."""
    if head is not None and chat.status != ChatStatus.ENDED:
        return int(head.last_seq or 0)
    return int(chat.last_seq or 0)
