"""The text of each mail (R-MAIL-1), in Japanese or English (other languages
read the English): plain text, rendered when the mail is sent from the records
it tells of. A transcript is the chat's messages only: internal notes live in
another table and are never read here (R-NOTE-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models import Chat, Mail, Message, Service, Ticket, TicketEntry
from chalicelib.services import attachments, settings, tenants

TICKET_CONFIRMATION = "ticket_confirmation"
TICKET_REPLY = "ticket_reply"
TRANSCRIPT = "transcript"

# A transcript mail stops here (a mail of a few hundred KB at most).
TRANSCRIPT_MAX_MESSAGES = 2000

_TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "confirmation_subject": "[{service}] お問い合わせを受け付けました（#{number}）",
        "confirmation_body": (
            "{name} 様\n\n"
            "お問い合わせありがとうございます。以下の内容で受け付けました。\n"
            "受付番号: #{number}\n\n"
            "担当者からこのメールアドレスにご返信いたします。"
            "お問い合わせの際は受付番号をお知らせください。\n\n"
            "--- お問い合わせ内容 ---\n{text}\n"
        ),
        "reply_subject": "[{service}] Re: {subject}（#{number}）",
        "reply_body": "{name} 様\n\n{text}\n\n{author}\n{service}\n受付番号: #{number}\n",
        "transcript_subject": "[{service}] チャットの記録（{date}）",
        "transcript_body": "{service} とのチャットの記録です（時刻は {zone}）。\n\n{lines}\n",
        "customer": "お客様",
        "system": "{service}",
        "file": "（添付ファイル: {file}）",
        "closing": "(このメールは送信専用です)",
    },
    "en": {
        "confirmation_subject": "[{service}] We received your message (#{number})",
        "confirmation_body": (
            "Dear {name},\n\n"
            "Thank you for contacting us. We received your message.\n"
            "Ticket number: #{number}\n\n"
            "We will reply to this email address. Please mention the ticket "
            "number if you contact us about it.\n\n"
            "--- Your message ---\n{text}\n"
        ),
        "reply_subject": "[{service}] Re: {subject} (#{number})",
        "reply_body": "Dear {name},\n\n{text}\n\n{author}\n{service}\nTicket number: #{number}\n",
        "transcript_subject": "[{service}] Your conversation of {date}",
        "transcript_body": "Your chat with {service} (times in {zone}).\n\n{lines}\n",
        "customer": "You",
        "system": "{service}",
        "file": "(File: {file})",
        "closing": "(This is an automatic message; replies to it are not read.)",
    },
}


def words(language: str | None) -> dict[str, str]:
    return _TEXTS.get(language or "en", _TEXTS["en"])


def one_line(value: str, limit: int = 200) -> str:
    """A subject: no line breaks (nothing can start a header), capped."""
    return " ".join(value.split())[:limit]


def _service(service_id: str) -> Service | None:
    try:
        return tenants.get_service(service_id)
    except NotFound:
        return None


class NotReady(Exception):
    """What the mail tells of is not finished yet (a ticket still being numbered)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def render(mail: Mail) -> Rendered | None:
    """The mail's subject and text, or None when what it tells of is gone."""
    service = _service(mail.service_id)
    if service is None:
        return None
    texts = words(mail.language)
    ref = mail.ref or {}
    if mail.kind in (TICKET_CONFIRMATION, TICKET_REPLY):
        ticket, entry = _ticket_and_entry(ref)
        if ticket is None or entry is None:
            return None
        if ticket.number is None:
            raise NotReady
        requester = ticket.requester or {}
        values = {"service": one_line(service.name, 100), "number": int(ticket.number or 0),
                  "name": one_line(requester.get("name") or "", 100) or requester.get("email", ""),
                  "subject": one_line(ticket.subject, 150), "text": entry.text,
                  "author": one_line(entry.author_name or "", 100)}
        key = "confirmation" if mail.kind == TICKET_CONFIRMATION else "reply"
        subject = texts[f"{key}_subject"].format(**values)
        body = texts[f"{key}_body"].format(**values)
        return Rendered(one_line(subject, 250), body + "\n" + texts["closing"] + "\n")
    if mail.kind == TRANSCRIPT:
        return _transcript(service, ref, texts)
    return None


def _ticket_and_entry(ref: dict[str, object]) -> tuple[Ticket | None, TicketEntry | None]:
    try:
        ticket = Ticket.get(str(ref.get("ticket_id")))
        entry = TicketEntry.get(ticket.ticket_id, str(ref.get("entry_id")))
    except (Ticket.DoesNotExist, TicketEntry.DoesNotExist):
        return None, None
    return ticket, entry


def _transcript(service: Service, ref: dict[str, object], texts: dict[str, str]
                ) -> Rendered | None:
    try:
        chat = Chat.get(str(ref.get("chat_id")))
    except Chat.DoesNotExist:
        return None
    if chat.service_id != service.service_id:
        return None
    zone = settings.zone_of(settings.current(service))
    upto = int(str(ref.get("last_seq") or 0))
    query = Message.query(chat.chat_id, Message.seq <= upto, limit=TRANSCRIPT_MAX_MESSAGES)
    name = one_line(service.name, 100)
    lines = []
    for message in query:
        at = clock.parse_iso(message.created_at).astimezone(zone)
        who = {"customer": texts["customer"],
               "system": texts["system"].format(service=name)}.get(
            message.sender_role, message.sender_name or name)
        text = message.text
        listed = attachments.listed(message)
        if listed:  # named, never linked: a link would expire long before the mail is read
            text = "\n".join(part for part in (text, texts["file"].format(file=listed)) if part)
        lines.append(f"[{at:%Y-%m-%d %H:%M}] {who}:\n{text}\n")
    started: datetime = clock.parse_iso(chat.created_at).astimezone(zone)
    values = {"service": name, "date": f"{started:%Y-%m-%d}", "zone": str(zone),
              "lines": "\n".join(lines)}
    return Rendered(one_line(texts["transcript_subject"].format(**values), 250),
                    texts["transcript_body"].format(**values) + "\n" + texts["closing"] + "\n")
