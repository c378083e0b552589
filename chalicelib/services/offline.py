"""The widget's offline form (R-OFF-1): when nobody can answer (outside business
hours, or no operator online) a customer leaves a message, which becomes a
ticket (channel `offline_form`) with its requester, a confirmation mail and a
`ticket.created` to the online operators. Nothing typed is lost: the widget
keeps the draft until it is received, and a retry of the same submission (its
`submission_id`) files one ticket."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import auth, clock, config, token_keys, validate
from chalicelib.errors import InvalidInput, NotAllowed, NotFound
from chalicelib.gcra import Limit
from chalicelib.models import Service, Ticket
from chalicelib.realtime import Pusher
from chalicelib.services import (
    blocks,
    categories,
    devices,
    ratelimit,
    retention,
    settings,
    tenants,
    tickets,
    widget,
)

_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SUBJECT_CHARS = 80
TEXT_MAX = 5000


def offline_messages() -> Limit:
    """Per IP: 5 at once, then one every 30 s: a person writing to a help desk
    never meets it; a script flooding it from one address does (429)."""
    per_minute, burst = config.offline_message_limit()
    return Limit("offline-message", per_minute, burst)


@dataclass(frozen=True)
class OfflineMessage:
    """`POST /widget/{key}/offline-message`, checked."""

    name: str
    email: str
    text: str
    submission_id: str
    page_origin: str | None = None
    category_id: str | None = None
    page_url: str | None = None
    visitor_token: str | None = None
    language: str | None = None

    @classmethod
    def checked(cls, body: Any) -> OfflineMessage:
        validate.body_object(body)
        validate.only_fields(body, (
            "page_origin", "name", "email", "text", "consent", "consent_version",
            "category_id", "page_url", "visitor_token", "language", "submission_id",
        ))
        if body.get("consent") is not True:
            raise InvalidInput("consent", "must be true: the customer has to agree first")
        submission = body.get("submission_id")
        if not isinstance(submission, str) or not _SUBMISSION.match(submission):
            raise InvalidInput("submission_id", "must be 8 to 64 letters, digits, '-' or '_'")
        page_origin = widget.checked_page_origin(body)
        page_url = body.get("page_url")
        if page_url not in (None, ""):
            page_url = validate.http_url(page_url, "page_url")
        category_id = body.get("category_id")
        if category_id not in (None, "") and (not isinstance(category_id, str)
                                              or len(category_id) > 100):
            raise InvalidInput("category_id", "must be a category id")
        consent_version = body.get("consent_version")
        if consent_version is not None and (not isinstance(consent_version, int)
                                            or isinstance(consent_version, bool)):
            raise InvalidInput("consent_version", "must be the config's consent_version")
        visitor_token = body.get("visitor_token")
        if visitor_token is not None and (not isinstance(visitor_token, str)
                                          or len(visitor_token) > 2000):
            raise InvalidInput("visitor_token", "must be a string")
        return cls(
            name=str(validate.text(body, "name", max_len=100, single_line=True)),
            email=str(validate.email(body, "email")),
            text=_text(body),
            submission_id=submission,
            page_origin=page_origin,
            category_id=category_id or None,
            page_url=page_url or None,
            visitor_token=visitor_token or None,
            language=validate.choice(body, "language", settings.LANGUAGES, required=False),
        )


def _text(body: dict[str, Any]) -> str:
    """The message, trimmed; one of only spaces and line breaks is empty."""
    text = str(validate.text(body, "text", max_len=TEXT_MAX)).strip()
    if not text:
        raise InvalidInput("text", "must not be empty")
    return text


def submit(
    widget_key: str, message: OfflineMessage, *, ip: str | None, user_agent: str | None,
    push: Pusher,
) -> tuple[Ticket, bool]:
    """File the message as a ticket: (ticket, True) when this request filed it,
    (the first try's ticket, False) for a retry of a received submission."""
    service = tenants.service_for_widget_key(widget_key)
    current = settings.current(service)
    if not current["offline_form"]:
        raise NotAllowed("this service does not take offline messages", "offline_form_disabled")
    if not settings.origin_allowed(service, message.page_origin, frame_ok=False):
        raise NotAllowed("the widget is not allowed on this site", "origin_not_allowed")
    guard_key = token_keys.offline_submission(service.service_id, message.submission_id)
    now = clock.now()
    ticket = _ticket(service, current, message, ip, user_agent, now)
    blocks.check(service.service_id, customer_id=(ticket.customer or {}).get("customer_id"),
                 ip=ip, now=now)
    if (found := tickets.received(guard_key)) is not None:
        return found, False  # a retry: not charged to the address's allowance
    ratelimit.take(offline_messages(), ip, time.time())
    return tickets.file_offline(ticket, message.text, guard_key, now, push)


def _ticket(
    service: Service, current: dict[str, Any], message: OfflineMessage,
    ip: str | None, user_agent: str | None, now: datetime,
) -> Ticket:
    category_id = message.category_id
    if category_id is not None:
        try:
            categories.get_category(service.service_id, category_id)
        except NotFound as exc:
            raise InvalidInput("category_id", "is not a category of this service") from exc
    customer_id = None
    if message.visitor_token:
        visitor = auth.verify_visitor_token(message.visitor_token, service.service_id)
        customer_id = visitor.customer_id if visitor is not None else None
    language = message.language or current["default_language"]
    first_line = " ".join(message.text.split())
    subject = first_line[:SUBJECT_CHARS] + ("…" if len(first_line) > SUBJECT_CHARS else "")
    return Ticket(
        ticket_id=auth.new_id("tk"),
        service_id=service.service_id,
        subject=subject,
        body=message.text,
        channel="offline_form",
        customer={"customer_id": customer_id, "name": message.name, "email": message.email,
                  "notes": "", "ip": ip, "device": devices.describe(user_agent or ""),
                  "verified": False, "page_url": message.page_url,
                  # What the customer agreed to, as a chat keeps it (R-SEC-5).
                  "consent": {"agreed": True, "agreed_at": clock.iso(now),
                              "version": int(current.get("consent_version", 1))}},
        requester={"name": message.name, "email": message.email},
        status="open",
        category_id=category_id,
        language=language,
        created_by="customer",
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        expires_at=retention.ticket_until(now, retention.days_of(current)),
    )
