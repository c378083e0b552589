"""The work of retention's jobs (services/retention.py says what is kept and
how long): the `retention` job giving every item of a service the time of a
new `retention_days`, and the daily `files` job deleting the files of chat
days past it. Both are pages of services/jobs.py, safe to repeat."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import token_keys
from chalicelib.models import (
    Attachment,
    Chat,
    ChatHead,
    Customer,
    Job,
    Message,
    Note,
    SearchTerm,
    Service,
    Ticket,
    Token,
    Visit,
)
from chalicelib.services import attachments, chat_index, jobs, search_terms, tickets
from chalicelib.services.jobs import Step
from chalicelib.services.retention import (
    FILES,
    RETENTION,
    days_of,
    job_id,
    ticket_until,
    until,
)

# Chats (or tickets, customers) per page of the recompute job.
PAGE = 25
WRITERS = 8


# --- the recompute job ---------------------------------------------------------------


def _set_expiry(items: Iterable[Any], when: datetime) -> int:
    """`expires_at` on each item that still exists (never one TTL deleted)."""
    changed = 0
    for item in items:
        cls = type(item)
        hash_name = cls._hash_keyname
        with contextlib.suppress(UpdateError):
            item.update(actions=[cls.expires_at.set(when)],
                        condition=getattr(cls, hash_name).exists())
            changed += 1
    return changed


def _in_parallel(work: Callable[[Any], int], things: list[Any]) -> int:
    if not things:
        return 0
    with ThreadPoolExecutor(max_workers=min(WRITERS, len(things))) as pool:
        return sum(pool.map(work, things))


def chat_items(chat: Chat) -> list[Any]:
    """Every item a chat made, keys only (for a time or an erasure)."""
    customer = chat.customer or {}
    found: list[Any] = [ChatHead(chat_id=chat.chat_id), Visit(chat_id=chat.chat_id)]
    for message in Message.query(chat.chat_id, attributes_to_get=["seq", "attachment"]):
        found.append(Message(chat_id=chat.chat_id, seq=message.seq))
        if message.attachment:
            found.append(Attachment(attachment_id=message.attachment["attachment_id"]))
    found.extend(Note(chat_id=chat.chat_id, note_id=note.note_id)
                 for note in Note.query(chat.chat_id, attributes_to_get=["note_id"]))
    found.extend(SearchTerm(term=term.term, at=term.at) for term in search_terms.items_for(
        chat.service_id, chat.chat_id, chat.created_at, customer.get("name"),
        customer.get("email")))
    return found


def _chat(days: int) -> Callable[[Chat], int]:
    def one(chat: Chat) -> int:
        when = until(chat.created_at, days)
        # The head first: a message written from now on copies the new time,
        # and the messages read after it include any written before.
        done = _set_expiry([chat, ChatHead(chat_id=chat.chat_id)], when)
        rest = [item for item in chat_items(chat) if not isinstance(item, ChatHead)]
        return done + _set_expiry(rest, when)
    return one


def _ticket(days: int) -> Callable[[Ticket], int]:
    def one(ticket: Ticket) -> int:
        when = ticket_until(ticket.updated_at or ticket.created_at, days)
        return _set_expiry([ticket, *tickets.thread_items(ticket)], when)
    return one


def last_chat_at(service_id: str, customer_id: str) -> str | None:
    key = chat_index.keyed(service_id, customer_id)
    for chat in Chat.history_by_customer.query(key, scan_index_forward=False, limit=1):
        return str(chat.created_at)
    return None


def _customer(days: int) -> Callable[[Customer], int]:
    def one(customer: Customer) -> int:
        if customer.expires_at is not None and not customer.chatted:
            return 0  # a visitor who has not chatted: a visitor token's life
        last = last_chat_at(customer.service_id, customer.customer_id)
        if last is None:
            return 0
        with contextlib.suppress(UpdateError):
            customer.update(actions=[Customer.expires_at.set(until(last, days)),
                                     Customer.chatted.set(True)],
                            condition=Customer.customer_id.exists())
            return 1
        return 0
    return one


@jobs.stepper(RETENTION)
def recompute_step(job: Job) -> Step:
    """One page: PAGE chats, then tickets, then customers of the service."""
    days = int(job.params["days"])
    stage = job.stage or "chats"
    cursor = job.cursor or None
    service_id = job.service_id
    if stage == "chats":
        result = Chat.by_service.query(service_id, limit=PAGE, last_evaluated_key=cursor,
                                       page_size=PAGE)
        keys = [row.chat_id for row in result]
        chats = list(Chat.batch_get(keys)) if keys else []
        touched = _in_parallel(_chat(days), chats)
        nxt = result.last_evaluated_key
        return Step("chats" if nxt else "tickets", nxt,
                    {"chats": len(chats), "items": touched})
    if stage == "tickets":
        in_tickets = Ticket.by_service.query(service_id, limit=PAGE, last_evaluated_key=cursor,
                                             page_size=PAGE)
        found = list(in_tickets)
        touched = _in_parallel(_ticket(days), found)
        nxt = in_tickets.last_evaluated_key
        return Step("tickets" if nxt else "customers", nxt,
                    {"tickets": len(found), "items": touched})
    in_customers = Customer.query(service_id, limit=PAGE, last_evaluated_key=cursor,
                                  page_size=PAGE)
    people = list(in_customers)
    touched = _in_parallel(_customer(days), people)
    nxt = in_customers.last_evaluated_key
    return Step("customers", nxt, {"customers": touched, "items": touched}, done=nxt is None)


# --- files past retention ----------------------------------------------------------------


def files_prefix(service_id: str) -> str:
    return f"files/{service_id}/"


def start_daily(now: datetime, *, launch_with: jobs.Launcher | None = None) -> int:
    """The first sweep of a UTC day starts the `files` job of every service
    that has files (a folder under `files/`; a marker in the tokens table:
    one sweep a day wins)."""
    day = now.date().isoformat()
    try:
        Token(token_key=token_keys.upgrade_done(f"files-retention#{day}"),
              expires_at=now + timedelta(days=3)).save(condition=Token.token_key.does_not_exist())
    except PutError:
        return 0
    from chalicelib.services import settings

    started = 0
    pages = attachments.s3().get_paginator("list_objects_v2").paginate(
        Bucket=attachments.bucket(), Prefix="files/", Delimiter="/")
    for page in pages:
        for folder in page.get("CommonPrefixes", []):
            service_id = folder["Prefix"].split("/")[1]
            try:
                service = Service.get(service_id)
            except Service.DoesNotExist:
                continue  # not a service's (a service deleted: its files wait for it)
            days = days_of(settings.current(service))
            cutoff = (now - timedelta(days=days)).date().isoformat()
            job = jobs.start(job_id(service_id, FILES), FILES, service_id, {"before": cutoff})
            jobs.launch(job.job_id, launch_with)
            started += 1
    return started


@jobs.stepper(FILES)
def files_step(job: Job) -> Step:
    """Delete up to 1,000 objects of the oldest chat day before the cutoff;
    done when no such day is left. Deleting is safe to repeat."""
    s3 = attachments.s3()
    prefix = files_prefix(job.service_id)
    listed = s3.list_objects_v2(Bucket=attachments.bucket(), Prefix=prefix, Delimiter="/")
    days = sorted(p["Prefix"] for p in listed.get("CommonPrefixes", []))
    old = [d for d in days if d[len(prefix):].rstrip("/") < str(job.params["before"])]
    if not old:
        return Step(None, done=True)
    found = s3.list_objects_v2(Bucket=attachments.bucket(), Prefix=old[0], MaxKeys=1000)
    keys = [{"Key": item["Key"]} for item in found.get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=attachments.bucket(), Delete={"Objects": keys, "Quiet": True})
    return Step(FILES, None, {"files": len(keys)})
