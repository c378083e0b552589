"""Chat transcripts by email (R-MAIL-1): at the end of a chat the customer asks
for "email me this conversation". The mail is queued (models.Mail) and sent
after; it holds the chat's messages up to the request, never its notes.

Against a mail relay: only the chat's own customer asks, at most
MAX_PER_CHAT addresses or moments per chat, and a repeat of the same request
(same address, same last message) is the same mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import token_keys, validate
from chalicelib.errors import InvalidInput, LimitReached, NotAllowed
from chalicelib.models import Mail, Token, transaction
from chalicelib.services import access, heads, mail
from chalicelib.services.access import Actor

MAX_PER_CHAT = 3
KEEP = timedelta(days=30)


def checked_email(frame: dict[str, Any]) -> str | None:
    if frame.get("email") in (None, ""):
        return None
    return validate.email(frame, "email")


def request(actor: Actor, chat_id: str, email: str | None, *, now: datetime) -> str:
    """Queue the transcript to `email` (else the address the customer gave in
    the chat); returns the address."""
    if not actor.is_customer:
        raise NotAllowed("only the chat's customer asks for its transcript", "forbidden")
    chat = access.readable_chat(actor, chat_id)
    to = email or (chat.customer or {}).get("email")
    if not to:
        raise InvalidInput("email", "is required: no email address is known for this chat")
    last_seq = heads.last_seq(chat, heads.get(chat.chat_id))
    mail_id = mail.transcript_mail_id(chat.chat_id, last_seq, to)
    if _queued(mail_id):
        return str(to)
    count_key = token_keys.transcripts(chat.chat_id)
    try:
        with transaction() as writes:
            writes.update(
                Token(token_key=count_key),
                actions=[Token.failures.add(1), Token.expires_at.set(now + KEEP)],
                condition=Token.failures.does_not_exist() | (Token.failures < MAX_PER_CHAT),
            )
            mail.queue(writes, mail_id=mail_id, service_id=chat.service_id,
                       kind=mail.TRANSCRIPT, to=str(to), language=chat.language,
                       ref={"chat_id": chat.chat_id, "last_seq": last_seq}, now=now)
    except TransactWriteError as exc:
        if _queued(mail_id):
            return str(to)  # the same request, a moment earlier
        raise LimitReached(f"at most {MAX_PER_CHAT} transcripts can be sent for a chat",
                           "too_many") from exc
    mail.dispatch([mail_id])
    return str(to)


def _queued(mail_id: str) -> bool:
    try:
        Mail.get(mail_id, consistent_read=True)
    except Mail.DoesNotExist:
        return False
    return True
