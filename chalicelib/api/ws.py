"""The WebSocket API: `$connect`, `$disconnect` and every frame of `$default`.

Each client frame type of API.md has one entry in ROUTES: its handler checks
the frame's fields, calls one service and returns the reply frame. Whatever
goes wrong becomes an `error` frame to the sender (`re` = the frame's `id`);
the socket stays open.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import clock, realtime, validate
from chalicelib.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    TooLarge,
    TooManyRequests,
)
from chalicelib.models import Chat, Connection, read_together
from chalicelib.realtime import Allowance, FrameRaced, Pusher
from chalicelib.services import chats, connections, messages
from chalicelib.services.access import Actor

log = logging.getLogger("helpdesk.ws")

MAX_FRAME_BYTES = 64 * 1024
MAX_FRAME_RACES = 5

Frame = dict[str, Any]


# --- $connect / $disconnect -----------------------------------------------------------


def _headers(event: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def on_connect(event: dict[str, Any]) -> dict[str, Any]:
    """200 records the connection; any other status refuses the handshake."""
    context = event.get("requestContext") or {}
    headers = _headers(event)
    query = event.get("queryStringParameters") or {}
    try:
        connections.connect(
            context["connectionId"],
            ticket=query.get("ticket"),
            origin=headers.get("origin"),
            ip=(context.get("identity") or {}).get("sourceIp"),
            user_agent=headers.get("user-agent"),
            now=clock.now(),
        )
    except DomainError as error:
        return {"statusCode": error.status, "body": error.code}
    return {"statusCode": 200}


def on_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    connections.disconnect(event["requestContext"]["connectionId"], now=clock.now())
    return {"statusCode": 200}


# --- $default -------------------------------------------------------------------------


def on_message(event: dict[str, Any]) -> dict[str, Any]:
    context = event["requestContext"]
    push = realtime.pusher(context.get("domainName"), context.get("stage"))
    connection_id = context["connectionId"]
    reply = handle_frame(connection_id, event.get("body"), now=clock.now(), push=push)
    if reply is not None:
        push(connection_id, reply)
    return {"statusCode": 200}


@dataclass(frozen=True)
class FrameCall:
    """One client frame, as its handler needs it."""

    actor: Actor
    connection: Connection
    frame: Frame
    now: datetime
    push: Pusher
    allowance: Allowance
    chat: Chat | None = None  # the frame's chat, read with the connection (reads_chat)


@dataclass(frozen=True)
class Route:
    handler: Callable[[FrameCall], Frame | None]
    # The handler stores the frame allowance inside its own transaction (the
    # message path keeps to two DynamoDB requests); others store it first.
    spends_in_transaction: bool = False
    # The frame's chat is read in the same request as the connection.
    reads_chat: bool = False


def handle_frame(
    connection_id: str, raw: str | bytes | None, *, now: datetime, push: Pusher
) -> Frame | None:
    """The reply (or error) frame for one client frame, or None when there is none."""
    frame, problem = _parse(raw)
    frame_id = _frame_id(frame)
    route = None if problem else ROUTES.get(str(frame.get("type")))
    chat_id = frame.get("chat_id") if route is not None and route.reads_chat else None
    for _ in range(MAX_FRAME_RACES):
        connection, chat = _read(connection_id, chat_id)
        if connection is None:
            return error_frame(frame_id, NotAuthenticated("this connection is not known",
                                                          "unknown_connection"))
        allowance = realtime.allowance(connection, now.timestamp())
        if not allowance.allowed:
            return error_frame(frame_id, _rate_limited(allowance))
        in_transaction = route is not None and route.spends_in_transaction
        if not in_transaction and not realtime.spend(allowance):
            continue  # another frame of this connection spent it first: look again
        if problem:
            return error_frame(frame_id, problem)
        if route is None:
            return error_frame(frame_id, InvalidInput("type", "is not a known frame type"))
        call = FrameCall(Actor.on_connection(connection), connection, frame, now, push, allowance,
                         chat)
        try:
            reply = route.handler(call)
        except FrameRaced:
            continue
        except DomainError as error:
            return error_frame(frame_id, error)
        except Exception:
            log.exception("frame %s failed", frame.get("type"))
            return error_frame(frame_id, DomainError("something went wrong; try again",
                                                     "internal_error"))
        if reply is not None and frame_id is not None:
            reply = {**reply, "re": frame_id}
        return reply
    return error_frame(frame_id, _rate_limited(None))


def _read(connection_id: str, chat_id: Any) -> tuple[Connection | None, Chat | None]:
    """The connection, and the frame's chat in the same request when it names a
    plausible one (who may see it is checked later, as for any chat read)."""
    if not isinstance(chat_id, str) or not 0 < len(chat_id) <= 100:
        return realtime.get_connection(connection_id), None
    connection, chat = read_together((Connection, connection_id), (Chat, chat_id))
    return connection, chat  # type: ignore[return-value]


def _rate_limited(allowance: Allowance | None) -> DomainError:
    retry = allowance.retry_after_s if allowance else 1
    return TooManyRequests(f"too many frames; slow down (retry in {retry} s)", retry)


def _parse(raw: str | bytes | None) -> tuple[Frame, DomainError | None]:
    if raw is None:
        return {}, InvalidInput("frame", "must be a JSON object")
    if _size(raw) > MAX_FRAME_BYTES:
        return {}, TooLarge(f"a frame is at most {MAX_FRAME_BYTES} bytes")
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: `[[[[…` nested deeper than the parser goes.
        return {}, InvalidInput("frame", "is not valid JSON")
    if not isinstance(frame, dict):
        return {}, InvalidInput("frame", "must be a JSON object")
    if not _valid_unicode(frame):
        return frame, InvalidInput("frame", "contains text that is not valid Unicode")
    if not isinstance(frame.get("type"), str):
        return frame, InvalidInput("type", "is required")
    return frame, None


def _size(raw: str | bytes) -> int:
    """The frame's size in UTF-8 bytes, as the limit is counted."""
    if isinstance(raw, bytes) or len(raw) > MAX_FRAME_BYTES:
        return len(raw)  # a character is at least one byte
    return len(raw.encode("utf-8", "surrogatepass"))


def _valid_unicode(frame: Frame) -> bool:
    """False when a string holds a lone surrogate (a `\\ud800` escape): it could
    be neither stored nor echoed back in a reply."""
    try:
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def _frame_id(frame: Frame) -> Any:
    value = frame.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, str) and validate.lone_surrogates(value):
        return None  # it could not be sent back in `re`
    return value[:100] if isinstance(value, str) else value


def error_frame(frame_id: Any, error: DomainError) -> Frame:
    frame: Frame = {"type": "error", "code": error.code, "message": error.message}
    if frame_id is not None:
        frame["re"] = frame_id
    return frame


# --- one handler per frame type -----------------------------------------------------


def _chat_id(frame: Frame) -> str:
    if "chat_id" not in frame:
        raise InvalidInput("chat_id", "is required")
    return validate.id_string(frame["chat_id"], "chat_id")


def start_chat(call: FrameCall) -> Frame:
    request = chats.StartRequest.checked(call.frame)
    chat = chats.start(
        call.actor,
        request,
        ip=call.connection.ip,
        device=call.connection.device,
        now=call.now,
        push=call.push,
    )
    return {"type": "chat.started", "chat": chats.to_json(chat)}


def resume_chat(call: FrameCall) -> Frame:
    chat_id = _chat_id(call.frame)
    after_seq = validate.integer(call.frame, "after_seq", low=0, high=10**9)
    chat, history = chats.resume(call.actor, chat_id, int(after_seq or 0))
    return {
        "type": "chat.history",
        "chat": chats.to_json(chat),
        "messages": [messages.message_json(m) for m in history],
    }


def send_message(call: FrameCall) -> Frame:
    chat_id = _chat_id(call.frame)
    for field in ("client_msg_id", "text"):
        if field not in call.frame:
            raise InvalidInput(field, "is required")
    try:
        sent = messages.send(
            call.actor,
            chat_id,
            call.frame["client_msg_id"],
            call.frame["text"],
            now=call.now,
            push=call.push,
            also=lambda writes: realtime.spend_in(writes, call.allowance),
            read=call.chat,
        )
    except DomainError:
        realtime.spend(call.allowance)
        raise
    if sent.duplicate:
        realtime.spend(call.allowance)
    return {
        "type": "message.ack",
        "chat_id": chat_id,
        "client_msg_id": call.frame["client_msg_id"],
        "seq": sent.seq,
    }


def typing(call: FrameCall) -> None:
    chats.typing(call.actor, _chat_id(call.frame), push=call.push)
    return None


def submit_rating(call: FrameCall) -> Frame:
    chat_id = _chat_id(call.frame)
    score, comment = chats.check_rating(call.frame)
    chats.submit_rating(call.actor, chat_id, score, comment, now=call.now, push=call.push)
    return {"type": "rating.saved", "chat_id": chat_id}


def leave_chat(call: FrameCall) -> Frame:
    chat_id = _chat_id(call.frame)
    chats.leave(call.actor, chat_id, now=call.now, push=call.push)
    return {"type": "chat.left", "chat_id": chat_id}


def ping(call: FrameCall) -> Frame:
    return {"type": "pong"}


ROUTES: dict[str, Route] = {
    "chat.start": Route(start_chat),
    "chat.resume": Route(resume_chat),
    "message.send": Route(send_message, spends_in_transaction=True, reads_chat=True),
    "typing": Route(typing),
    "rating.submit": Route(submit_rating),
    "chat.leave": Route(leave_chat),
    "ping": Route(ping),
}
