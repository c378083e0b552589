"""Operator endpoints of the chat screen: status, the chat list, a chat, its
messages, open, Save, rating request and End (API.md, R-CON-2…9)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import clock, realtime
from chalicelib.api.common import Call, endpoint
from chalicelib.errors import InvalidInput
from chalicelib.services.access import Actor

routes = Blueprint(__name__)


def _actor(call: Call) -> Actor:
    return Actor.calling(call.require_caller())


def _after_seq(call: Call) -> int:
    raw = call.query.get("after_seq", "0")
    # isascii: "²".isdigit() is true, but int("²") fails.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidInput("after_seq", "must be a whole number")
    return int(raw)


@endpoint(routes, "/me/status", methods=("PUT",))
def put_status(call: Call) -> dict[str, str]:
    from chalicelib.services import presence

    caller = call.require_caller()
    status = presence.checked_status(call.body)
    presence.set_status(
        caller.service_id, caller.operator_id, status, now=clock.now(), push=realtime.pusher()
    )
    return {"status": status}


@endpoint(routes, "/chats")
def list_chats(call: Call) -> dict[str, Any]:
    from chalicelib.services import chat_views, chats
    from chalicelib.services.chat_json import chat_json

    actor = _actor(call)
    held = chats.operator_chats(actor)
    return {
        "chats": [chat_json(view) for view in chat_views.views(held, latest=True)],
        "in_chat": len(held),
        "waiting": chats.waiting_count(actor.service_id),
    }


@endpoint(routes, "/chats/{chat_id}")
def get_chat(call: Call, chat_id: str) -> dict[str, Any]:
    """The chat, with its visitor's pages and earlier chats (R-VIS-1)."""
    from chalicelib.services import chat_views, chats, visitor
    from chalicelib.services.chat_json import chat_json

    chat = chats.get_chat(_actor(call), chat_id)
    return {**chat_json(chat_views.view(chat)), "visitor": visitor.visitor_json(chat)}


@endpoint(routes, "/chats/{chat_id}/messages")
def list_messages(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import chats, messages

    found = chats.chat_messages(_actor(call), chat_id, _after_seq(call))
    return {"messages": [messages.message_json(m) for m in found]}


@endpoint(routes, "/chats/{chat_id}/open", methods=("POST",))
def open_chat(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import chat_views, chats
    from chalicelib.services.chat_json import chat_json

    return chat_json(chat_views.view(chats.open_chat(_actor(call), chat_id, now=clock.now())))


@endpoint(routes, "/chats/{chat_id}/info", methods=("PUT",))
def save_info(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import chat_views, chats
    from chalicelib.services.chat_json import chat_json

    change = chats.InfoChange.checked(call.body)
    return chat_json(chat_views.view(chats.save_info(_actor(call), chat_id, change)))


@endpoint(routes, "/chats/{chat_id}/rating-request", methods=("POST",), status=204)
def request_rating(call: Call, chat_id: str) -> None:
    from chalicelib.services import chats

    chats.request_rating(_actor(call), chat_id, now=clock.now(), push=realtime.pusher())


@endpoint(routes, "/chats/{chat_id}/end", methods=("POST",))
def end_chat(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import chat_views, chats
    from chalicelib.services.chat_json import chat_json

    chat = chats.end(_actor(call), chat_id, now=clock.now(), push=realtime.pusher())
    return chat_json(chat_views.view(chat))


@endpoint(routes, "/chats/{chat_id}/read", methods=("POST",), status=204)
def mark_read(call: Call, chat_id: str) -> None:
    from chalicelib.services import chats

    chats.mark_read(_actor(call), chat_id, chats.ReadMark.checked(call.body))


@endpoint(routes, "/chats/{chat_id}/notes")
def list_notes(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import notes

    return {"notes": [notes.note_json(n) for n in notes.of_chat(_actor(call), chat_id)]}


@endpoint(routes, "/chats/{chat_id}/notes", methods=("POST",), status=201)
def add_note(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import notes

    request = notes.NewNote.checked(call.body)
    note = notes.add(_actor(call), chat_id, request, now=clock.now(), push=realtime.pusher())
    return notes.note_json(note)


@endpoint(routes, "/chats/{chat_id}/transfer", methods=("POST",))
def transfer_chat(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import chat_views, transfers
    from chalicelib.services.chat_json import chat_json

    request = transfers.TransferRequest.checked(call.body)
    chat = transfers.transfer(_actor(call), chat_id, request, now=clock.now(),
                              push=realtime.pusher())
    return chat_json(chat_views.view(chat))


@endpoint(routes, "/chats/{chat_id}/transfer-targets")
def transfer_targets(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import transfers

    return {"operators": transfers.targets(_actor(call), chat_id)}


@endpoint(routes, "/chats/{chat_id}/attachments", methods=("POST",), status=201)
def request_attachment(call: Call, chat_id: str) -> dict[str, Any]:
    """Where to upload a file the operator sends in the chat (R-ATT-1)."""
    from chalicelib.services import attachments

    asked = attachments.AttachmentRequest.checked(call.body)
    return attachments.request(_actor(call), chat_id, asked, now=clock.now())


@endpoint(routes, "/chats/{chat_id}/attachments/{attachment_id}")
def attachment_link(call: Call, chat_id: str, attachment_id: str) -> dict[str, Any]:
    """A fresh link to a file sent in the chat."""
    from chalicelib.services import attachments

    return attachments.link(_actor(call), chat_id, attachment_id)


@endpoint(routes, "/chats/{chat_id}/block", methods=("POST",), status=201)
def block_visitor(call: Call, chat_id: str) -> dict[str, Any]:
    """Block the chat's visitor (R-BLK-1): the chat ends."""
    from chalicelib.services import blocking, blocks

    request = blocking.BlockRequest.checked(call.body)
    found = blocking.block(_actor(call), chat_id, request, now=clock.now(),
                           push=realtime.pusher(), close=realtime.closer())
    return blocks.block_json(found)
