"""The WebSocket API: `$connect`, `$disconnect` and every frame of `$default`.

Each client frame type of API.md has one entry in ROUTES: its handler checks
the frame's fields, calls one service and returns the reply frame. Whatever
goes wrong becomes an `error` frame to the sender (`re` = the frame's `id`);
the socket stays open.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from chalicelib import clock, observe, realtime, validate
from chalicelib.errors import DomainError, InvalidInput, TooLarge
from chalicelib.realtime import Closer, Pusher
from chalicelib.services import frames
from chalicelib.services.frames import FrameCall, Handling

log = logging.getLogger("helpdesk.ws")

MAX_FRAME_BYTES = 64 * 1024
# API Gateway sends at most 128 KB in one frame: a history reply keeps its
# messages to this much and says `more` (the rest of the frame is the chat).
HISTORY_FRAME_BYTES = 96 * 1024
Frame = dict[str, Any]


# --- $connect / $disconnect -----------------------------------------------------------


def _headers(event: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def on_connect(event: dict[str, Any]) -> dict[str, Any]:
    """200 records the connection; any other status refuses the handshake."""
    from chalicelib.services import connections

    context = event.get("requestContext") or {}
    headers = _headers(event)
    query = event.get("queryStringParameters") or {}
    try:
        connection = connections.connect(
            context["connectionId"],
            ticket=query.get("ticket"),
            origin=headers.get("origin"),
            ip=(context.get("identity") or {}).get("sourceIp"),
            user_agent=headers.get("user-agent"),
            now=clock.now(),
        )
    except DomainError as error:
        return {"statusCode": error.status, "body": error.code}
    observe.tag(service_id=connection.service_id)
    return {"statusCode": 200}


def on_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.services import connections

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


def handle_frame(
    connection_id: str,
    raw: str | bytes | None,
    *,
    now: datetime,
    push: Pusher,
    close: Closer | None = None,
) -> Frame | None:
    """The reply (or error) frame for one client frame, or None when there is
    none: parse, route, answer (who is sending and what it costs them is the
    frame budget's, services/frames.py)."""
    frame, problem = _parse(raw)
    frame_id = _frame_id(frame)
    handling = None if problem else ROUTES.get(str(frame.get("type")))
    if handling is not None:
        observe.tag(chat_id=frame.get("chat_id"))
    budget = frames.Budget(connection_id, now, push, close)
    try:
        reply = budget.answer(frame, handling, problem)
    except DomainError as error:
        return error_frame(frame_id, error)
    except Exception:
        # The type only when it is one of ours: the rest of a frame is the client's.
        log.exception("frame %s failed", frame.get("type") if handling else "of no known type")
        return error_frame(frame_id, DomainError("something went wrong; try again",
                                                 "internal_error"))
    if reply is not None and frame_id is not None:
        reply = {**reply, "re": frame_id}
    return reply


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
    frame: Frame = {"type": "error", "code": error.code, "message": error.message,
                    **getattr(error, "details", {})}
    if frame_id is not None:
        frame["re"] = frame_id
    return frame


# --- one handler per frame type -----------------------------------------------------


def _chat_id(frame: Frame) -> str:
    if "chat_id" not in frame:
        raise InvalidInput("chat_id", "is required")
    return validate.id_string(frame["chat_id"], "chat_id")


def start_chat(call: FrameCall) -> Frame:
    from chalicelib.services import chat_json, chat_views, chats

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
    view = chat_views.view(chat)
    return {"type": "chat.started", "chat": chat_json.json_for(call.actor.is_customer, view)}


def resume_chat(call: FrameCall) -> Frame:
    """`chat.history`, paged to fit one frame: with `more: true` the client resumes
    again after the last message it got."""
    from chalicelib.services import chat_json, chat_views, chats, messages

    chat_id = _chat_id(call.frame)
    after_seq = validate.integer(call.frame, "after_seq", low=0, high=10**9)
    chat, history, more = chats.resume(
        call.actor, chat_id, int(after_seq or 0), max_bytes=HISTORY_FRAME_BYTES
    )
    return {
        "type": "chat.history",
        "chat": chat_json.json_for(call.actor.is_customer, chat_views.view(chat)),
        "messages": [messages.message_json(m) for m in history],
        "more": more,
    }


def send_message(call: FrameCall) -> Frame:
    from chalicelib.services import messages

    message = messages.NewMessage.checked(call.frame)
    sent = messages.send(call.actor, message, now=call.now, push=call.push, cost=call.cost,
                         read=call.head)
    return {
        "type": "message.ack",
        "chat_id": message.chat_id,
        "client_msg_id": message.client_msg_id,
        "seq": sent.seq,
    }


def typing(call: FrameCall) -> None:
    from chalicelib.services import chats

    chats.typing(call.actor, _chat_id(call.frame), push=call.push)
    return None


def submit_rating(call: FrameCall) -> Frame:
    from chalicelib.services import chats

    chat_id = _chat_id(call.frame)
    score, comment = chats.check_rating(call.frame)
    chats.submit_rating(call.actor, chat_id, score, comment, now=call.now, push=call.push)
    return {"type": "rating.saved", "chat_id": chat_id}


def leave_chat(call: FrameCall) -> Frame:
    from chalicelib.services import chats

    chat_id = _chat_id(call.frame)
    chats.leave(call.actor, chat_id, now=call.now, push=call.push)
    return {"type": "chat.left", "chat_id": chat_id}


def request_transcript(call: FrameCall) -> Frame:
    """"Email me this conversation" (R-MAIL-1): queued, mailed after."""
    from chalicelib.services import transcripts

    chat_id = _chat_id(call.frame)
    email = transcripts.request(call.actor, chat_id, transcripts.checked_email(call.frame),
                                now=call.now)
    return {"type": "transcript.queued", "chat_id": chat_id, "email": email}


def request_attachment(call: FrameCall) -> Frame:
    """Where to upload a file for this chat (R-ATT-1): a presigned POST."""
    from chalicelib.services import attachments

    chat_id = _chat_id(call.frame)
    asked = attachments.AttachmentRequest.checked(call.frame)
    upload = attachments.request(call.actor, chat_id, asked, now=call.now)
    return {"type": "attachment.upload", "chat_id": chat_id, **upload}


def attachment_link(call: FrameCall) -> Frame:
    """A fresh link to a file sent in the chat (links live an hour)."""
    from chalicelib.services import attachments

    chat_id = _chat_id(call.frame)
    if "attachment_id" not in call.frame:
        raise InvalidInput("attachment_id", "is required")
    attachment_id = validate.id_string(call.frame["attachment_id"], "attachment_id")
    return {"type": "attachment.link", "chat_id": chat_id,
            **attachments.link(call.actor, chat_id, attachment_id)}


def page_view(call: FrameCall) -> None:
    """The page the customer is on (R-VIS-1): kept and told to operators; no reply."""
    from chalicelib.services import visitor

    visitor.page_view(call.actor, visitor.PageView.checked(call.frame), now=call.now,
                      push=call.push)
    return None


def ping(call: FrameCall) -> Frame:
    return {"type": "pong"}


ROUTES: dict[str, Handling] = {
    "chat.start": Handling(start_chat),
    "chat.resume": Handling(resume_chat),
    # A message is paid with itself (services/frames.py): the 2-request path.
    "message.send": Handling(send_message, pays_in_transaction=True, speaks_in_chat=True),
    "typing": Handling(typing),
    "rating.submit": Handling(submit_rating),
    "chat.leave": Handling(leave_chat),
    "transcript.request": Handling(request_transcript),
    "attachment.request": Handling(request_attachment),
    "attachment.link": Handling(attachment_link),
    "page.view": Handling(page_view),
    "ping": Handling(ping),
}
