"""Visitor context (R-VIS-1): the pages a customer views while their chat is
open, reported by the widget (`page.view`), kept (the last 20, at most one a
second, URLs without fragments and, unless the service allows them, without
query strings), pushed live to the chat's operators (`visitor.page`), and
shown with the referrer and the customer's earlier chats."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pynamodb.exceptions import PutError

from chalicelib import clock, realtime, validate
from chalicelib.errors import InvalidInput, NotAllowed
from chalicelib.models import Chat, Visit
from chalicelib.realtime import Pusher
from chalicelib.services import chat_index, heads, settings, tenants
from chalicelib.services.access import Actor

MAX_PAGES = 20
MAX_URL = 2000
MAX_TITLE = 200  # kept
MAX_TITLE_SENT = 1000
MIN_INTERVAL_S = 1.0  # at most one page a second is kept


@dataclass(frozen=True)
class PageView:
    """`page.view {chat_id, url, title?, referrer?}`."""

    chat_id: str
    url: str
    title: str | None
    referrer: str | None

    @classmethod
    def checked(cls, frame: dict[str, Any]) -> PageView:
        if "chat_id" not in frame:
            raise InvalidInput("chat_id", "is required")
        chat_id = validate.id_string(frame["chat_id"], "chat_id")
        if "url" not in frame:
            raise InvalidInput("url", "is required")
        url = _web_url(frame["url"], "url")
        title = frame.get("title")
        if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE_SENT):
            raise InvalidInput("title", f"must be a string of at most {MAX_TITLE_SENT} characters")
        referrer = frame.get("referrer")
        referrer = None if referrer in (None, "") else _web_url(referrer, "referrer")
        return cls(chat_id, url, _clean_title(title), referrer)


def _web_url(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise InvalidInput(field, f"must be an http(s) URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - a bad port raises
    except ValueError:
        raise InvalidInput(field, "must be an http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, "must be an http(s) URL")
    if any(unicodedata.category(c) in ("Cc", "Cf") or c.isspace() for c in value.strip()):
        raise InvalidInput(field, "must be an http(s) URL")
    return value.strip()


def _clean_title(value: str | None) -> str | None:
    if not value:
        return None
    text = "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cf"))
    text = " ".join(text.split())[:MAX_TITLE]
    return text or None


def kept_url(url: str, keep_query: bool) -> str:
    """The URL as kept: never its fragment; its query only when allowed."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/",
                       parts.query if keep_query else "", ""))


def page_view(actor: Actor, view: PageView, *, now: datetime, push: Pusher) -> None:
    """Keep the page (in place of one kept less than a second ago) and tell
    the chat's operators."""
    if not actor.is_customer:
        raise NotAllowed("only the chat's customer reports pages", "forbidden")
    head = heads.readable(actor, view.chat_id)
    heads.require_open(head)
    keep_query = bool(settings.current(tenants.get_service(actor.service_id))
                      ["page_query_strings"])
    page = {"url": kept_url(view.url, keep_query), "title": view.title, "at": clock.iso(now)}
    try:
        visit = Visit.get(view.chat_id, consistent_read=True)
    except Visit.DoesNotExist:
        visit = Visit(chat_id=view.chat_id, service_id=head.service_id, pages=[], last_at=0,
                      version=0, expires_at=head.expires_at)
    at = now.timestamp()
    version = int(visit.version or 0)
    if not visit.pages and view.referrer and not visit.referrer:
        visit.referrer = kept_url(view.referrer, keep_query)
    pages = list(visit.pages or [])
    if pages and at - float(visit.last_at or 0) < MIN_INTERVAL_S:
        # One page a second is kept: a later one within it replaces it, so the
        # operator always sees where the visitor is now.
        pages[-1] = page
    else:
        pages.append(page)
        visit.last_at = at
    visit.pages = pages[-MAX_PAGES:]
    visit.version = version + 1
    unchanged = (Visit.version == version) if version else Visit.chat_id.does_not_exist()
    try:
        visit.save(condition=unchanged)
    except PutError:
        return  # another page at the same moment won
    realtime.deliver(push, realtime.conns(head, "operator"),
                     {"type": "visitor.page", "chat_id": view.chat_id, "page": page})


def visitor_json(chat: Chat) -> dict[str, Any]:
    """What operators see of the chat's visitor: the current page, the
    referrer, the pages of this chat, how many chats the customer had before."""
    try:
        visit = Visit.get(chat.chat_id)
        pages, referrer = list(visit.pages or []), visit.referrer
    except Visit.DoesNotExist:
        pages, referrer = [], None
    earlier = Chat.history_by_customer.count(
        chat_index.keyed(chat.service_id, chat.customer_id),
        Chat.created_at < chat.created_at,
    )
    return {
        "current_page": pages[-1] if pages else None,
        "referrer": referrer,
        "pages": pages,
        "previous_chats": int(earlier),
    }
