"""The WebSocket API: `$connect`, `$disconnect` and every frame of `$default`.

Each client frame type of API.md has one entry in ROUTES: its handler checks
the frame's fields, calls one service and returns the reply frame. Whatever
goes wrong becomes an `error` frame to the sender (`re` = the frame's `id`);
the socket stays open.
"""

from __future__ import annotations

import functools
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
from chalicelib.models import ChatHead, Connection
from chalicelib.realtime import Allowance, Closer, FrameRaced, Pusher
from chalicelib.services import chats, connections, heads, messages, sessions
from chalicelib.services.access import Actor

log = logging.getLogger("helpdesk.ws")

MAX_FRAME_BYTES = 64 * 1024
# API Gateway sends at most 128 KB in one frame: a history reply keeps its
# messages to this much and says `more` (the rest of the frame is the chat).
HISTORY_FRAME_BYTES = 96 * 1024
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
    """The reply to a frame is the route response: API Gateway sends the body to
    the sender (the `$default` route is two-way, see infra/package.py), which
    saves the `@connections` post a reply would otherwise cost."""
    context = event["requestContext"]
    push = realtime.pusher(context.get("domainName"), context.get("stage"))
    close = realtime.closer(context.get("domainName"), context.get("stage"))
    reply = handle_frame(context["connectionId"], event.get("body"), now=clock.now(), push=push,
                         close=close)
    if reply is None:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": realtime.encode(reply)}


@dataclass(frozen=True)
class FrameCall:
    """One client frame, as its handler needs it."""

    actor: Actor
    connection: Connection | None  # None when answered as the chat's listener
    frame: Frame
    now: datetime
    push: Pusher
    allowance: Allowance | None  # the connection's own; None when answered as a listener
    head: ChatHead | None = None  # the frame's chat's head, as already read (speaks_in_chat)

    @property
    def as_listener(self) -> bool:
        return self.connection is None


@dataclass(frozen=True)
class Route:
    handler: Callable[[FrameCall], Frame | None]
    # The handler stores the connection's frame allowance inside its own
    # transaction; others store it first.
    spends_in_transaction: bool = False
    # The frame speaks in a chat (`chat_id`): from a connection listening to it,
    # the chat's head alone says who is sending and holds the allowance, so the
    # frame costs one read and one write (docs/chat-engine.md).
    speaks_in_chat: bool = False


class _OwnPath(Exception):
    """Answer this frame the general way, from the connection's own record."""


def handle_frame(
    connection_id: str,
    raw: str | bytes | None,
    *,
    now: datetime,
    push: Pusher,
    close: Closer | None = None,
) -> Frame | None:
    """The reply (or error) frame for one client frame, or None when there is none."""
    frame, problem = _parse(raw)
    frame_id = _frame_id(frame)
    route = None if problem else ROUTES.get(str(frame.get("type")))
    head = None
    if route is not None and route.speaks_in_chat:
        head = _read_head(frame.get("chat_id"))
        entry = realtime.listener(head, connection_id) if head is not None else None
        if head is not None and entry is not None and _session_stands(head.service_id, entry):
            call = FrameCall(Actor.on_listener(head, connection_id, entry), None, frame, now,
                             push, None, head)
            try:
                return _answer(route, call, frame_id)
            except _OwnPath:
                pass
    for attempt in range(MAX_FRAME_RACES):
        connection = realtime.get_connection(connection_id)
        if connection is None:
            return error_frame(frame_id, NotAuthenticated("this connection is not known",
                                                          "unknown_connection"))
        ended = _session_ended(connection)
        if ended is not None:
            _hang_up(connection_id, close)
            return error_frame(frame_id, ended)
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
                         head if attempt == 0 else None)
        try:
            return _answer(route, call, frame_id)
        except FrameRaced:
            continue
    return error_frame(frame_id, _rate_limited(None))


def _session_stands(service_id: str, entry: dict[str, Any]) -> bool:
    """A listener entry may answer for its connection: a customer's always, an
    operator's while their session and role stand (else the connection's own
    record decides, and refuses)."""
    if entry.get("role") == "customer":
        return True
    try:
        sessions.require_live_session(service_id, str(entry.get("subject")), entry.get("sid"),
                                      str(entry.get("role")))
    except NotAuthenticated:
        return False
    return True


def _session_ended(connection: Connection) -> NotAuthenticated | None:
    """Every operator frame checks the operator's session and role (R-SEC-2)."""
    if connection.role == "customer":
        return None
    try:
        sessions.require_live_session(connection.service_id, connection.subject_id,
                                      connection.session_id, connection.role)
    except NotAuthenticated as ended:
        return ended
    return None


def _hang_up(connection_id: str, close: Closer | None) -> None:
    """A socket whose session ended: forget it and close it."""
    realtime.close_connection(connection_id)
    if close is not None:
        close(connection_id)


def _answer(route: Route, call: FrameCall, frame_id: Any) -> Frame | None:
    """Run the frame's handler: its reply (with `re`), or the error frame."""
    try:
        reply = route.handler(call)
    except (FrameRaced, _OwnPath):
        raise
    except TooManyRequests as error:
        return error_frame(frame_id, error)
    except DomainError as error:
        if call.as_listener:
            # Refused: answered (and its allowance spent) the connection's way.
            raise _OwnPath from error
        return error_frame(frame_id, error)
    except Exception:
        log.exception("frame %s failed", call.frame.get("type"))
        return error_frame(frame_id, DomainError("something went wrong; try again",
                                                 "internal_error"))
    if reply is not None and frame_id is not None:
        reply = {**reply, "re": frame_id}
    return reply


def _read_head(chat_id: Any) -> ChatHead | None:
    """The head of the frame's chat when it names a plausible one (who may see it
    is checked later, as for any chat read)."""
    if not isinstance(chat_id, str) or not 0 < len(chat_id) <= 100:
        return None
    return heads.get(chat_id)


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
    connection = call.connection
    assert connection is not None  # chat.start is answered from the connection's record
    chat = chats.start(
        call.actor,
        request,
        ip=connection.ip,
        device=connection.device,
        now=call.now,
        push=call.push,
    )
    return {"type": "chat.started", "chat": chats.to_json_for(call.actor, chat)}


def resume_chat(call: FrameCall) -> Frame:
    """`chat.history`, paged to fit one frame: with `more: true` the client resumes
    again after the last message it got."""
    chat_id = _chat_id(call.frame)
    after_seq = validate.integer(call.frame, "after_seq", low=0, high=10**9)
    chat, history, more = chats.resume(
        call.actor, chat_id, int(after_seq or 0), max_bytes=HISTORY_FRAME_BYTES
    )
    return {
        "type": "chat.history",
        "chat": chats.to_json_for(call.actor, chat),
        "messages": [messages.message_json(m) for m in history],
        "more": more,
    }


def send_message(call: FrameCall) -> Frame:
    chat_id = _chat_id(call.frame)
    for field in ("client_msg_id", "text"):
        if field not in call.frame:
            raise InvalidInput(field, "is required")
    send = functools.partial(
        messages.send,
        call.actor,
        chat_id,
        call.frame["client_msg_id"],
        call.frame["text"],
        now=call.now,
        push=call.push,
        read=call.head,
    )
    if call.as_listener:
        sent = send(head_actions=lambda head: _still_listening(call, head))
        if sent.duplicate:
            raise _OwnPath  # a repeat spends the connection's allowance
        return _ack(call, sent)
    allowance = call.allowance
    assert allowance is not None
    try:
        sent = send(also=lambda writes: realtime.spend_in(writes, allowance))
    except DomainError:
        realtime.spend(allowance)
        raise
    if sent.duplicate:
        realtime.spend(allowance)
    return _ack(call, sent)


def _still_listening(call: FrameCall, head: ChatHead) -> list[Any]:
    """Answered as the chat's listener: the connection must still be one in the
    head as read for this attempt."""
    if realtime.listener(head, call.actor.connection_id) is None:
        raise _OwnPath  # no longer listening: the connection's own record decides
    return []


def _ack(call: FrameCall, sent: messages.Sent) -> Frame:
    return {
        "type": "message.ack",
        "chat_id": _chat_id(call.frame),
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
    "message.send": Route(send_message, spends_in_transaction=True, speaks_in_chat=True),
    "typing": Route(typing),
    "rating.submit": Route(submit_rating),
    "chat.leave": Route(leave_chat),
    "ping": Route(ping),
}
