"""Internal notes (R-NOTE-1): what operators write about a chat for each other.

Notes are items of their own (models.Note), never messages: they have no seq,
and nothing that reads messages (the widget's socket, `chat.history`,
transcripts, message webhooks) reads this table, so no customer path can carry
one. Operators listening to the chat get a `note` frame; Chat History, a
ticket's chat tab and the export read them here."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import clock, realtime, validate
from chalicelib.errors import NotAllowed
from chalicelib.models import Chat, Note, transaction
from chalicelib.realtime import Pusher
from chalicelib.services import access, heads, messages, retries
from chalicelib.services.access import Actor

NOTE_KIND = "note"
HANDOVER_KIND = "transfer"


@dataclass(frozen=True)
class NewNote:
    text: str

    @classmethod
    def checked(cls, body: Any) -> NewNote:
        validate.body_object(body)
        validate.only_fields(body, ("text",))
        return cls(text=messages.checked_text(body.get("text"), "text"))


def new_note(chat: Chat, author: Actor, text: str, now: datetime, kind: str = NOTE_KIND) -> Note:
    created_at = clock.iso(now) or ""
    return Note(
        chat_id=chat.chat_id,
        # Sorted by time; the random tail keeps two notes of one millisecond apart.
        note_id=f"{created_at}#{secrets.token_hex(6)}",
        service_id=chat.service_id,
        author_id=author.subject_id,
        author_name=author.name or "",
        text=text,
        kind=kind,
        created_at=created_at,
        expires_at=chat.expires_at,
    )


def add_to(writes: TransactWrite, note: Note) -> None:
    """The note and its chat's count, in a transaction that also makes the
    change it belongs to (a transfer's handover note)."""
    writes.save(note, condition=Note.note_id.does_not_exist())


def count_action() -> Any:
    return Chat.note_count.add(1)


def add(actor: Actor, chat_id: str, request: NewNote, *, now: datetime, push: Pusher) -> Note:
    """Any operator of the service may note any of its chats, ended ones too."""
    if actor.is_customer:
        raise NotAllowed("only operators write notes", "forbidden")

    def attempt(_: int) -> Note:
        chat = access.readable_chat(actor, chat_id)
        note = new_note(chat, actor, request.text, now)
        with transaction() as writes:
            add_to(writes, note)
            writes.update(chat, actions=[count_action()], condition=Chat.chat_id.exists())
        return note

    note = retries.until_committed(attempt)
    announce(note, push)
    return note


def announce(note: Note, push: Pusher) -> None:
    """`note` to the operator side of the chat (never a customer's connection)."""
    head = heads.get(note.chat_id)
    if head is not None:
        realtime.deliver(push, realtime.conns(head, "operator"),
                         {"type": "note", "note": note_json(note)})


def of_chat(actor: Actor, chat_id: str) -> list[Note]:
    """The chat's notes, oldest first, for an operator of its service."""
    if actor.is_customer:
        raise NotAllowed("only operators read notes", "forbidden")
    chat = access.readable_chat(actor, chat_id)
    return read(chat.chat_id)


def read(chat_id: str) -> list[Note]:
    return list(Note.query(chat_id, consistent_read=True))


def of_chats(chats: Iterable[Chat]) -> dict[str, list[Note]]:
    """The notes of each chat that has any (chats without a count are not read)."""
    return {chat.chat_id: read(chat.chat_id) for chat in chats if chat.note_count}


def note_json(note: Note) -> dict[str, Any]:
    return {
        "note_id": note.note_id,
        "chat_id": note.chat_id,
        "kind": note.kind or NOTE_KIND,
        "author": {"operator_id": note.author_id, "name": note.author_name},
        "text": note.text,
        "created_at": note.created_at,
    }
