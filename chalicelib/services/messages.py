"""Chat messages (R-CH-2): stored before they are acknowledged, numbered 1, 2, 3, …
per chat with no gap or repeat however many send at once, and stored once per
client message id.

One message is one transaction, after one read of the chat:
  Update chat  SET last_seq = n   IF last_seq = n-1 AND the sender may still send
                                     AND the chat's listeners are as read
  Put message  (chat_id, n)       IF new
  Put guard    cmid#<chat>#<id>   IF new        (client retries)
A lost race re-reads the chat and tries n+1; a guard that exists means the
message was stored before, and its original seq is the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, realtime
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.models import Chat, Message, Token, failed_tables, transaction
from chalicelib.realtime import FrameRaced, Pusher
from chalicelib.services import access, chat_index, retries, stats
from chalicelib.services.access import Actor

MAX_TEXT = 5000
MAX_CLIENT_MSG_ID = 100
MAX_ATTEMPTS = 50
GUARD_TTL = timedelta(days=2)

ExtraWrites = Callable[[TransactWrite], None]
# More actions for the message's own chat update, from the chat as read.
ChatActions = Callable[[Chat], list[Any]]


@dataclass(frozen=True)
class Sent:
    seq: int
    duplicate: bool


# What send() reads of a chat, and all a message frame reads: the chat item also
# holds its customer's consent, the history index keys and more, which would
# only cost parsing.
SEND_READS = (
    Chat.chat_id, Chat.service_id, Chat.customer_id, Chat.customer, Chat.status,
    Chat.operator_id, Chat.customer_left_at, Chat.created_at, Chat.assigned_at,
    Chat.opened_at, Chat.first_response_at, Chat.processed, Chat.last_seq,
    Chat.conns_version, Chat.listeners,
)


def chat_to_send_in(chat_id: str) -> Chat | None:
    """The chat as send() needs it (consistent), or None when there is none."""
    try:
        return Chat.get(chat_id, consistent_read=True,
                        attributes_to_get=[attribute.attr_name for attribute in SEND_READS])
    except Chat.DoesNotExist:
        return None


def checked_text(value: Any, field: str = "text") -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if not value.strip():
        raise InvalidInput(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise InvalidInput(field, f"must be at most {MAX_TEXT} characters", "too_large")
    return value


def checked_client_msg_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_MSG_ID:
        raise InvalidInput(
            "client_msg_id", f"must be a string of 1 to {MAX_CLIENT_MSG_ID} characters"
        )
    return value


def _guard_key(chat_id: str, client_msg_id: str) -> str:
    return f"cmid#{chat_id}#{client_msg_id}"


def message_json(message: Message) -> dict[str, Any]:
    return {
        "chat_id": message.chat_id,
        "seq": int(message.seq),
        "sender": {"role": message.sender_role, "name": message.sender_name},
        "text": message.text,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at,
    }


def messages_after(chat_id: str, after_seq: int) -> list[Message]:
    return list(Message.query(chat_id, Message.seq > after_seq, consistent_read=True))


def history_page(
    chat_id: str, after_seq: int, max_bytes: int | None
) -> tuple[list[Message], bool]:
    """The messages after `after_seq`, in order, as many as fit in `max_bytes` of
    JSON (all of them when None); True when more follow (the caller asks again
    after the last one). At least one message is returned, so paging moves on."""
    if max_bytes is None:
        return messages_after(chat_id, after_seq), False
    page: list[Message] = []
    size = 0
    for message in Message.query(chat_id, Message.seq > after_seq, consistent_read=True):
        size += len(json.dumps(message_json(message), ensure_ascii=False).encode()) + 1
        if page and size > max_bytes:
            return page, True
        page.append(message)
    return page, False


def listeners(chat: Chat) -> set[str]:
    return realtime.conns(chat)


def _may_send(actor: Actor, chat: Chat) -> Any:
    """Check the sender against the chat as read; the same as a write condition."""
    if actor.is_customer:
        access.require_customer_present(chat)
        return Chat.customer_left_at.does_not_exist()
    access.require_handler(actor, chat)
    access.require_not_ended(chat)
    if actor.is_admin:
        return None
    return Chat.operator_id == actor.subject_id


def _reply_actions(chat: Chat, now: datetime) -> tuple[list[Any], Any, stats.Counts | None]:
    """An operator's message: the first response time, and `processed` (R-CH-1)
    once the chat is also opened, counted in the day's statistics. Conditions
    keep a concurrent open exact."""
    actions: list[Any] = []
    condition = None
    counts = None
    first_response_at = chat.first_response_at
    if not first_response_at:
        first_response_at = clock.iso(now)
        actions.append(Chat.first_response_at.set(first_response_at))
        condition = Chat.first_response_at.does_not_exist()
    if not chat.processed:
        if chat.opened_at:
            actions += chat_index.processed_actions(chat.service_id)
            not_yet = Chat.processed.does_not_exist() | (Chat.processed == False)  # noqa: E712
            condition = not_yet if condition is None else condition & not_yet
            counts = stats.Counts(chat.service_id, chat.created_at, chat.chat_id).processed(
                first_response_at, chat.assigned_at
            )
        else:
            opened = Chat.opened_at.does_not_exist()
            condition = opened if condition is None else condition & opened
    return actions, condition, counts


def send(
    actor: Actor,
    chat_id: str,
    client_msg_id: str,
    text: str,
    *,
    now: datetime,
    push: Pusher,
    also: ExtraWrites | None = None,
    chat_actions: ChatActions | None = None,
    read: Chat | None = None,
) -> Sent:
    """Store a customer's or operator's message and push it to both sides.
    `also` adds writes to the transaction; `chat_actions` adds actions to its chat
    update, worked out anew from each read of the chat (and may refuse).
    `read`: the chat as the caller already read it (consistently, just now, at
    least SEND_READS), used for the first attempt; the transaction's conditions
    catch any change since."""
    text = checked_text(text)
    client_msg_id = checked_client_msg_id(client_msg_id)
    for attempt in range(MAX_ATTEMPTS):
        retries.backoff(attempt)
        if attempt == 0 and read is not None and read.chat_id == chat_id:
            chat = access.readable(actor, read)
        else:
            chat = access.readable_chat(actor, chat_id)
        sender_condition = _may_send(actor, chat)
        extra_actions: list[Any] = []
        extra_condition = None
        counts = None
        if actor.role in ("operator", "admin"):
            extra_actions, extra_condition, counts = _reply_actions(chat, now)
        if chat_actions:
            extra_actions = [*extra_actions, *chat_actions(chat)]
        name = (chat.customer or {}).get("name") if actor.is_customer else actor.name
        message = _new_message(chat, actor.side, actor.subject_id, name, text, client_msg_id, now)
        guard = Token(
            token_key=_guard_key(chat.chat_id, client_msg_id),
            payload={"seq": int(message.seq)},
            expires_at=now + GUARD_TTL,
        )
        conditions = [c for c in (sender_condition, extra_condition) if c is not None]
        try:
            with transaction() as writes:
                _claim_seq(writes, chat, extra_actions, conditions)
                writes.save(message, condition=Message.seq.does_not_exist())
                writes.save(guard, condition=Token.token_key.does_not_exist())
                if counts:
                    counts.add_to(writes)
                if also:
                    also(writes)
        except TransactWriteError as exc:
            failed = failed_tables(writes, exc)
            if failed.get("tokens") == "ConditionalCheckFailed":
                return Sent(seq=_original_seq(chat.chat_id, client_msg_id), duplicate=True)
            if "connections" in failed:
                raise FrameRaced(actor.connection_id or "") from exc
            continue
        others = listeners(chat) - {actor.connection_id}
        realtime.deliver(push, others, {"type": "message", "message": message_json(message)})
        return Sent(seq=int(message.seq), duplicate=False)
    raise Conflict("the chat is too busy right now; send again", "busy")


def post_system(chat_id: str, text: str, *, now: datetime, push: Pusher) -> Message:
    """A system message (greeting, rating guidance) at the chat's next seq."""
    for attempt in range(MAX_ATTEMPTS):
        retries.backoff(attempt)
        try:
            chat = Chat.get(chat_id, consistent_read=True)
        except Chat.DoesNotExist as exc:
            raise Conflict("the chat is gone", "chat_gone") from exc
        access.require_not_ended(chat)
        message = _new_message(chat, "system", None, None, text, None, now)
        try:
            with transaction() as writes:
                _claim_seq(writes, chat, [], [])
                writes.save(message, condition=Message.seq.does_not_exist())
        except TransactWriteError:
            continue
        frame = {"type": "message", "message": message_json(message)}
        realtime.deliver(push, listeners(chat), frame)
        return message
    raise Conflict("the chat is too busy right now; try again", "busy")


def _new_message(
    chat: Chat,
    role: str,
    sender_id: str | None,
    sender_name: str | None,
    text: str,
    client_msg_id: str | None,
    now: datetime,
) -> Message:
    return Message(
        chat_id=chat.chat_id,
        seq=int(chat.last_seq or 0) + 1,
        sender_role=role,
        sender_id=sender_id,
        sender_name=sender_name,
        text=text,
        client_msg_id=client_msg_id,
        created_at=clock.iso(now),
    )


def _claim_seq(
    writes: TransactWrite, chat: Chat, actions: list[Any], conditions: list[Any]
) -> None:
    condition = (
        (Chat.last_seq == int(chat.last_seq or 0))
        & (Chat.conns_version == int(chat.conns_version or 0))
        & (Chat.status != "ended")
    )
    for extra in conditions:
        condition = condition & extra
    writes.update(
        chat,
        actions=[Chat.last_seq.set(int(chat.last_seq or 0) + 1), *actions],
        condition=condition,
    )


def _original_seq(chat_id: str, client_msg_id: str) -> int:
    guard = Token.get(_guard_key(chat_id, client_msg_id), consistent_read=True)
    return int(guard.payload["seq"])
