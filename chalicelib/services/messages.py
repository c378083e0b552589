"""Chat messages (R-CH-2): stored before they are acknowledged, numbered 1, 2, 3, …
per chat with no gap or repeat however many send at once, and stored once per
client message id.

One message is one transaction, after one read of the chat's head (the small
item models.ChatHead, kept apart from the chat item and its many indexes):
  Update head  SET last_seq = n   IF last_seq = n-1 AND the sender may still send
                                     AND the chat's listeners are as read
  Put message  (chat_id, n)       IF new
  Put guard    cmid#<chat>#<id>   IF new        (client retries)
An operator's first reply also updates the chat item (first response,
processed). A lost race re-reads the head and tries n+1; a guard that exists
means the message was stored before, and its original seq is the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, observe, realtime, token_keys, validate
from chalicelib.errors import BadAttachment, Conflict, InvalidInput, TooManyRequests
from chalicelib.models import (
    Attachment,
    Chat,
    ChatHead,
    Message,
    Token,
    failed_tables,
    transaction,
)
from chalicelib.realtime import FrameRaced, Pusher
from chalicelib.services import (
    access,
    attachments,
    chat_index,
    frames,
    heads,
    hook_events,
    retries,
    stats,
)
from chalicelib.services.access import Actor
from chalicelib.services.frames import Cost

MAX_TEXT = 5000
MAX_CLIENT_MSG_ID = 100
MAX_ATTEMPTS = 50
GUARD_TTL = timedelta(days=2)



@dataclass(frozen=True)
class Sent:
    seq: int
    duplicate: bool


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
    return token_keys.client_message(chat_id, client_msg_id)


def message_json(message: Message, *, links: bool = True) -> dict[str, Any]:
    """A message as clients see it; its file with a fresh link (`links`), or
    only its name, type and size (exports)."""
    found = {
        "chat_id": message.chat_id,
        "seq": int(message.seq),
        "sender": {"role": message.sender_role, "name": message.sender_name},
        "text": message.text,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at,
    }
    if message.lang:
        found["lang"] = message.lang  # a system message's language (R-I18N-2)
    stored = attachments.stored(message)
    if stored:
        found["attachment"] = attachments.link_json(stored) if links else {
            name: stored.get(name) for name in ("attachment_id", "filename", "content_type",
                                                "size")}
    return found


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


def listeners(head: ChatHead) -> set[str]:
    return realtime.conns(head)


def _may_send(actor: Actor, head: ChatHead) -> Any:
    """Check the sender against the chat's head as read; the write condition
    that keeps it so."""
    heads.require_speaker(actor, head)
    if actor.is_customer:
        return ChatHead.customer_left == False  # noqa: E712
    return None if actor.is_admin else ChatHead.operator_id == actor.subject_id


def _spend_allowance(actor: Actor, head: ChatHead, now: datetime) -> Any:
    """The sender's message allowance in this chat (one per customer or operator
    whatever their sockets, R-SEC-4): refused when spent, else the head action
    that spends it with the message."""
    allowance = realtime.sender_allowance(head, actor.subject_id, now.timestamp())
    if not allowance.allowed:
        raise TooManyRequests(
            f"too many messages; slow down (retry in {allowance.retry_after_s} s)",
            allowance.retry_after_s,
        )
    return realtime.spend_sender(head, allowance)


@dataclass
class _Reply:
    """What an operator's message changes on the chat item itself, until the
    chat has its first response and is processed (R-CH-1): the first response
    time, and `processed` once the chat is also opened, counted in the day's
    statistics. Conditions keep a concurrent open exact."""

    chat: Chat
    actions: list[Any]
    condition: Any
    counts: stats.Counts | None
    settles: bool  # after this message the head's `replied` holds

    @classmethod
    def to(cls, chat: Chat, now: datetime) -> _Reply:
        actions: list[Any] = []
        conditions: list[Any] = []
        counts = None
        first_response_at = chat.first_response_at
        if not first_response_at:
            first_response_at = clock.iso(now)
            actions.append(Chat.first_response_at.set(first_response_at))
            conditions.append(Chat.first_response_at.does_not_exist())
        settles = bool(chat.processed)
        if not chat.processed:
            if chat.opened_at:
                actions += chat_index.processed_actions(chat.service_id)
                conditions.append(
                    Chat.processed.does_not_exist() | (Chat.processed == False)  # noqa: E712
                )
                counts = stats.Counts(chat.service_id, chat.created_at, chat.chat_id).processed(
                    first_response_at, chat.assigned_at
                )
                settles = True
            else:
                conditions.append(Chat.opened_at.does_not_exist())
        condition = None
        for each in conditions:
            condition = each if condition is None else condition & each
        return cls(chat, actions, condition, counts, settles)

    def add_to(self, writes: TransactWrite) -> None:
        if self.actions:
            writes.update(self.chat, actions=self.actions, condition=self.condition)
        if self.counts:
            self.counts.add_to(writes)


@dataclass(frozen=True)
class NewMessage:
    """A `message.send`: its chat, the client's id for it, its text (checked)
    and the file it sends (R-ATT-1: then the text may be empty)."""

    chat_id: str
    client_msg_id: str
    text: str
    attachment_id: str | None = None

    @classmethod
    def checked(cls, frame: dict[str, Any]) -> NewMessage:
        if "chat_id" not in frame:
            raise InvalidInput("chat_id", "is required")
        chat_id = validate.id_string(frame["chat_id"], "chat_id")
        if "client_msg_id" not in frame:
            raise InvalidInput("client_msg_id", "is required")
        attachment_id = None
        if frame.get("attachment_id") is not None:
            attachment_id = validate.id_string(frame["attachment_id"], "attachment_id")
        if attachment_id is None and "text" not in frame:
            raise InvalidInput("text", "is required")
        text = frame.get("text", "")
        blank = text is None or (isinstance(text, str) and not text.strip())
        text = "" if attachment_id is not None and blank else checked_text(text)
        return cls(chat_id, checked_client_msg_id(frame["client_msg_id"]), text, attachment_id)


def send(
    actor: Actor,
    message: NewMessage,
    *,
    now: datetime,
    push: Pusher,
    cost: Cost | None = None,
    read: ChatHead | None = None,
) -> Sent:
    """Store a customer's or operator's message and push it to both sides, paid
    by the sender's allowance in the chat and whatever else `cost` (the frame's,
    services/frames.py) asks of the same write. `read`: the chat's head as the
    caller already read it (consistently, just now), used for the first
    attempt; the transaction's conditions catch any change since."""
    cost = cost or frames.free()
    checked = None
    if message.attachment_id is not None:
        checked = attachments.for_message(actor, message.chat_id, message.attachment_id,
                                          message.client_msg_id, now=now)
        if checked.sent_seq is not None:
            return Sent(seq=checked.sent_seq, duplicate=True)

    def attempt(n: int) -> Sent:
        if n == 0 and read is not None and read.chat_id == message.chat_id:
            head = access.readable(actor, read)
        else:
            head = heads.readable(actor, message.chat_id)
        try:
            with transaction() as writes:
                stored = _add_message_writes(writes, actor, head, message, cost, now, checked)
        except TransactWriteError as exc:
            failed = failed_tables(writes, exc)
            if failed.get("tokens") == "ConditionalCheckFailed":
                original = _original_seq(head.chat_id, message.client_msg_id)
                return Sent(seq=original, duplicate=True)
            if "connections" in failed:
                raise FrameRaced(actor.connection_id or "") from exc
            if checked is not None and failed.get("attachments") == "ConditionalCheckFailed":
                return _sent_by_another(message, exc)
            raise
        cost.committed()
        if checked is not None:
            checked.committed()
        others = listeners(head) - {actor.connection_id}
        realtime.deliver(push, others, {"type": "message", "message": message_json(stored)})
        observe.count(observe.MESSAGES_RELAYED)
        hook_events.heard(head.service_id, "message.created", lambda: {  # R-HOOK-1
            "message": hook_events.message_data(message_json(stored, links=False))})
        return Sent(seq=int(stored.seq), duplicate=False)

    return retries.until_committed(attempt, attempts=MAX_ATTEMPTS,
                                   busy="the chat is too busy right now; send again")


def _sent_by_another(message: NewMessage, exc: Exception) -> Sent:
    """The file went out with a message racing this one: this same message
    (a retry: its seq), or another (refused as used)."""
    assert message.attachment_id is not None
    again = Attachment.get(message.attachment_id, consistent_read=True)
    try:
        seq = attachments.sent_before(again, message.client_msg_id).sent_seq
    except BadAttachment as refused:
        raise refused from exc
    return Sent(seq=int(seq or 0), duplicate=True)


def _add_message_writes(
    writes: TransactWrite, actor: Actor, head: ChatHead, message: NewMessage, cost: Cost,
    now: datetime, checked: attachments.Checked | None = None,
) -> Message:
    """The one transaction that stores a message at the head's next seq: the
    head (seq, the sender's allowance, what `cost` adds), the message, its
    client-id guard, and until the chat is answered the chat item too."""
    sender_condition = _may_send(actor, head)
    head_actions = [*cost.in_head(head), _spend_allowance(actor, head, now)]
    # The operator's unread count: a customer message adds one; the chat's
    # operator answering has read it all.
    if actor.is_customer:
        head_actions.append(ChatHead.unread.add(1))
    elif actor.subject_id == head.operator_id and head.unread:
        head_actions.append(ChatHead.unread.set(0))
    # The monitor's clocks (R-SUP-1): a customer waits from their first
    # unanswered message; any message from the operators' side answers it.
    sent_at = clock.iso(now) or ""
    head_actions.append(ChatHead.last_message_at.set(sent_at))
    if actor.is_customer:
        head_actions.append(ChatHead.awaiting_since.set(ChatHead.awaiting_since | sent_at))
    elif head.awaiting_since:
        head_actions.append(ChatHead.awaiting_since.remove())
    reply = None
    if not actor.is_customer and not head.replied:
        reply = _Reply.to(Chat.get(head.chat_id, consistent_read=True), now)
        if reply.settles:
            head_actions.append(ChatHead.replied.set(True))
    name = head.customer_name if actor.is_customer else actor.name
    stored = _new_message(head, actor.side, actor.subject_id, name, message.text,
                          message.client_msg_id, now)
    if checked is not None:
        stored.attachment = checked.in_message()
    guard = Token(
        token_key=_guard_key(head.chat_id, message.client_msg_id),
        payload={"seq": int(stored.seq)},
        expires_at=now + GUARD_TTL,
    )
    _claim_seq(writes, head, head_actions, sender_condition)
    writes.save(stored, condition=Message.seq.does_not_exist())
    writes.save(guard, condition=Token.token_key.does_not_exist())
    if reply:
        reply.add_to(writes)
    cost.in_transaction(writes)
    if checked is not None:
        checked.add_to(writes, int(stored.seq), message.client_msg_id, now,
                       expires_at=head.expires_at)
    return stored


def post_system(
    chat_id: str, text: str, *, lang: str | None = None, now: datetime, push: Pusher
) -> ChatHead:
    """A system message (greeting, rating guidance) at the chat's next seq; the
    head as it is after it (who listens, for the caller's own pushes)."""

    def attempt(_: int) -> tuple[ChatHead, Message]:
        head = heads.get(chat_id)
        if head is None:
            raise Conflict("the chat is gone", "chat_gone")
        heads.require_open(head)
        message = _new_message(head, "system", None, None, text, None, now)
        message.lang = lang
        with transaction() as writes:
            _claim_seq(writes, head, [], None)
            writes.save(message, condition=Message.seq.does_not_exist())
        return head, message

    head, message = retries.until_committed(attempt, attempts=MAX_ATTEMPTS,
                                            busy="the chat is too busy right now; try again")
    realtime.deliver(push, listeners(head), {"type": "message", "message": message_json(message)})
    head.last_seq = int(message.seq)
    return head


def _new_message(
    head: ChatHead,
    role: str,
    sender_id: str | None,
    sender_name: str | None,
    text: str,
    client_msg_id: str | None,
    now: datetime,
) -> Message:
    return Message(
        chat_id=head.chat_id,
        seq=int(head.last_seq or 0) + 1,
        sender_role=role,
        sender_id=sender_id,
        sender_name=sender_name,
        text=text,
        client_msg_id=client_msg_id,
        created_at=clock.iso(now),
        expires_at=head.expires_at,
    )


def _claim_seq(
    writes: TransactWrite, head: ChatHead, actions: list[Any], sender_condition: Any
) -> None:
    """Seq n, if nobody took it since the head was read, the listeners are the
    ones read, the chat is open and the sender still may send."""
    condition = (
        (ChatHead.last_seq == int(head.last_seq or 0))
        & (ChatHead.conns_version == int(head.conns_version or 0))
        & (ChatHead.ended == False)  # noqa: E712
    )
    if sender_condition is not None:
        condition = condition & sender_condition
    writes.update(
        head,
        actions=[ChatHead.last_seq.set(int(head.last_seq or 0) + 1), *actions],
        condition=condition,
    )


def _original_seq(chat_id: str, client_msg_id: str) -> int:
    guard = Token.get(_guard_key(chat_id, client_msg_id), consistent_read=True)
    return int(guard.payload["seq"])
