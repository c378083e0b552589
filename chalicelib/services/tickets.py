"""Tickets (R-TK-1, R-TK-2, R-CON-7): filed from a chat (channel `chat`, linked
to it, the customer copied, a "chat history" tab) or from the widget's offline
form (`offline_form`). Each has the service's next number, a status, an
assignee, a requester and a thread of the request and the replies; the
Tickets screen lists them by filter items (models.TicketFilter), never scanning the table."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import auth, clock, cursors, realtime, token_keys, validate
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.models import (
    Chat,
    ChatStatus,
    Message,
    Note,
    Operator,
    SearchTerm,
    Ticket,
    TicketEntry,
    TicketFilter,
    Token,
    transaction,
)
from chalicelib.realtime import Pusher
from chalicelib.services import (
    access,
    categories,
    hook_events,
    mail,
    messages,
    notes,
    operators,
    retention,
    retries,
    search_terms,
    settings,
)
from chalicelib.services.access import Actor
from chalicelib.services.chat_json import ChatView, customer_json

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def may_file_ticket(actor: Actor, chat: Chat) -> None:
    """A live chat is its handler's (or an admin's) to file; once ended, any
    operator of the service may file tickets for it from Chat History."""
    if actor.is_customer or chat.status != ChatStatus.ENDED:
        access.require_handler(actor, chat)


@dataclass(frozen=True)
class NewTicket:
    """`POST /chats/{id}/tickets`, checked."""

    subject: str
    body: str = ""

    @classmethod
    def checked(cls, body: Any) -> NewTicket:
        validate.body_object(body)
        subject = validate.text(body, "subject", max_len=200, single_line=True)
        text = validate.text(body, "body", max_len=10_000, required=False, allow_empty=True)
        return cls(str(subject), text or "")


def create(actor: Actor, chat_id: str, new: NewTicket, *, push: Pusher | None = None) -> Ticket:
    """A ticket filed from a chat: the chat's customer is its requester."""
    chat = access.readable_chat(actor, chat_id)
    may_file_ticket(actor, chat)
    customer = customer_json(chat)
    now = clock.now()
    ticket = Ticket(
        ticket_id=auth.new_id("tk"),
        service_id=chat.service_id,
        subject=new.subject,
        body=new.body or "",
        channel="chat",
        chat_id=chat.chat_id,
        customer=customer,
        requester={"name": customer.get("name"), "email": customer.get("email")},
        status="open",
        category_id=chat.category_id,
        language=chat.language,
        created_by=actor.subject_id,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        expires_at=retention.ticket_until(now, settings.retention_days(chat.service_id)),
    )
    request = new_entry(ticket, "request", new.body or new.subject, now,
                        role="operator", author_id=actor.subject_id, author_name=actor.name)
    filed = file(ticket, request)
    _tell_webhooks("ticket.created", filed)
    if push is not None:
        announce(filed, push, "ticket.created")
    return filed


# --- numbers: a conditional counter per service --------------------------------------

# Many tickets at once take their numbers one after another: a loser backs off
# exponentially (up to a second), so the counter is not flooded by retries.
NUMBER_ATTEMPTS = 60
NUMBER_MAX_PAUSE_S = 1.0


def _counter_writes(writes: TransactWrite, service_id: str, last: int) -> None:
    """The service's counter moves from `last` to `last + 1`, or the whole
    transaction fails: two tickets never get one number, and a number is used
    only by the ticket written with it (no gaps)."""
    key = token_keys.ticket_number(service_id)
    if last == 0:
        writes.save(Token(token_key=key, failures=1), condition=Token.token_key.does_not_exist())
    else:
        writes.update(Token(token_key=key), actions=[Token.failures.set(last + 1)],
                      condition=Token.failures == last)


def last_number(service_id: str) -> int:
    try:
        return int(Token.get(token_keys.ticket_number(service_id),
                             consistent_read=True).failures or 0)
    except Token.DoesNotExist:
        return 0


AddWrites = Callable[[TransactWrite, Ticket], None]


def file(ticket: Ticket, request: TicketEntry, *, more: AddWrites | None = None) -> Ticket:
    """Write a new ticket, its request entry, its filter items and search pieces
    (and `more`, e.g. a mail or an idempotency guard) in one transaction, then
    give it the service's next number. The number is a small transaction of its
    own, so many tickets at once contend for the counter only, not with their
    whole write; a ticket whose numbering never finished is numbered by the next
    try of the same submission (or `python -m infra.manage number-tickets`)."""
    ticket.number = None
    with transaction() as writes:
        writes.save(ticket, condition=Ticket.ticket_id.does_not_exist())
        writes.save(request, condition=TicketEntry.entry_id.does_not_exist())
        _filter_writes(writes, None, ticket)
        requester = ticket.requester or {}
        search_terms.add_to(writes, ticket.service_id, ticket.ticket_id, ticket.created_at,
                            old=None, new=(requester.get("name"), requester.get("email")),
                            kind=search_terms.TICKET, expires_at=ticket.expires_at)
        if more is not None:
            more(writes, ticket)
    return give_number(ticket)


def give_number(ticket: Ticket) -> Ticket:
    """The service's next number for a ticket that has none: the counter moves
    from n to n + 1 and the ticket takes n + 1 in one transaction, or neither
    happens (no gaps, no duplicates). Whoever numbers a ticket first wins; the
    others read its number."""

    def attempt(n: int) -> Ticket:
        if n:
            fresh = Ticket.get(ticket.ticket_id, consistent_read=True)
            if fresh.number is not None:
                return fresh
        number = last_number(ticket.service_id) + 1
        with transaction() as writes:
            _counter_writes(writes, ticket.service_id, number - 1)
            # The version moves too: a change made over the unnumbered ticket
            # (tickets.update) reads it again instead of writing the number away.
            writes.update(ticket, actions=[Ticket.number.set(number), Ticket.version.add(1)],
                          condition=Ticket.number.does_not_exist() & Ticket.ticket_id.exists())
        ticket.number = number
        ticket.version = int(ticket.version or 0) + 1
        return ticket

    return retries.until_committed(attempt, attempts=NUMBER_ATTEMPTS,
                                   max_pause=NUMBER_MAX_PAUSE_S,
                                   busy="too many tickets at once; try again")


def number_older(ticket_id: str) -> bool:
    """Give a ticket of an older checkout what tickets have now (R-TK-2): its
    customer as requester, its filter items, a request entry and the service's
    next number. False when it has them already (another run did it)."""
    ticket = Ticket.get(ticket_id, consistent_read=True)
    if ticket.number is not None:
        return False
    customer = ticket.customer or {}
    if ticket.requester is None:
        ticket.requester = {"name": customer.get("name"), "email": customer.get("email")}
        ticket.status = ticket.status if ticket.status in STATUSES else "open"
        ticket.updated_at = ticket.updated_at or ticket.created_at
        request = TicketEntry(
            ticket_id=ticket.ticket_id, entry_id=f"{ticket.created_at}#request",
            service_id=ticket.service_id, kind="request", author_role="operator",
            author_id=ticket.created_by, text=ticket.body or ticket.subject,
            email_status="none", created_at=ticket.created_at,
        )
        with transaction() as writes:
            writes.update(ticket, actions=[Ticket.requester.set(ticket.requester),
                                           Ticket.status.set(ticket.status),
                                           Ticket.updated_at.set(ticket.updated_at)],
                          condition=Ticket.requester.does_not_exist())
            writes.save(request)
            _filter_writes(writes, None, ticket)
    give_number(ticket)
    return True


# --- the thread -------------------------------------------------------------------


def new_entry(
    ticket: Ticket, kind: str, text: str, now: datetime, *, role: str,
    author_id: str | None = None, author_name: str | None = None, email_status: str = "none",
) -> TicketEntry:
    return TicketEntry(
        ticket_id=ticket.ticket_id,
        entry_id=f"{clock.iso(now)}#{secrets.token_hex(4)}",
        service_id=ticket.service_id, kind=kind, author_role=role, author_id=author_id,
        author_name=author_name, text=text, email_status=email_status,
        created_at=clock.iso(now), expires_at=ticket.expires_at,
    )


def thread(actor: Actor, ticket_id: str) -> list[TicketEntry]:
    """The ticket's request and replies, oldest first."""
    ticket = get_ticket(actor, ticket_id)
    return list(TicketEntry.query(ticket.ticket_id, consistent_read=True))


@dataclass(frozen=True)
class NewReply:
    text: str

    @classmethod
    def checked(cls, body: Any) -> NewReply:
        validate.body_object(body)
        validate.only_fields(body, ("text",))
        return cls(str(validate.text(body, "text", max_len=10_000)))


def reply(actor: Actor, ticket_id: str, new: NewReply) -> TicketEntry:
    """An operator's reply: kept in the thread and mailed to the requester (the
    mail is written with the entry, sent after; R-MAIL-1)."""
    ticket = get_ticket(actor, ticket_id)
    now = clock.now()
    kept = ticket.expires_at
    ticket.expires_at = retention.ticket_until(now, settings.retention_days(ticket.service_id))
    to = (ticket.requester or {}).get("email")
    entry = new_entry(ticket, "reply", new.text, now, role="operator",
                      author_id=actor.subject_id, author_name=actor.name,
                      email_status="queued" if to else "none")
    mail_id = f"{mail.TICKET_REPLY}#{ticket.ticket_id}#{entry.entry_id}"
    with transaction() as writes:
        writes.save(entry, condition=TicketEntry.entry_id.does_not_exist())
        writes.update(ticket, actions=[Ticket.updated_at.set(clock.iso(now)),
                                       Ticket.expires_at.set(ticket.expires_at)],
                      condition=Ticket.ticket_id.exists())
        if to:
            mail.queue(writes, mail_id=mail_id, service_id=ticket.service_id,
                       kind=mail.TICKET_REPLY, to=to, language=ticket.language,
                       ref={"ticket_id": ticket.ticket_id, "entry_id": entry.entry_id}, now=now)
    if to:
        mail.dispatch([mail_id])
    ticket.updated_at = clock.iso(now)
    keep_thread(ticket, kept)
    _tell_webhooks("ticket.updated", ticket, entry=entry_json(entry))
    return entry


def entry_json(entry: TicketEntry) -> dict[str, Any]:
    author: dict[str, Any] = {"role": entry.author_role, "name": entry.author_name}
    if entry.author_role == "operator":
        author["operator_id"] = entry.author_id
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "author": author,
        "text": entry.text,
        "created_at": entry.created_at,
        "email_status": entry.email_status or "none",
    }


# --- changes ----------------------------------------------------------------------

STATUSES = ("open", "pending", "solved")
UNASSIGNED = "-"


@dataclass(frozen=True)
class TicketChange:
    """`PUT /tickets/{id}`: the fields given (null clears assignee or category)."""

    fields: dict[str, Any]

    @classmethod
    def checked(cls, body: Any) -> TicketChange:
        validate.body_object(body)
        validate.only_fields(body, ("status", "assignee_id", "subject", "category_id"))
        fields: dict[str, Any] = {}
        if "status" in body:
            fields["status"] = validate.choice(body, "status", STATUSES)
        if "subject" in body:
            fields["subject"] = validate.text(body, "subject", max_len=200, single_line=True)
        for name in ("assignee_id", "category_id"):
            if name in body:
                value = body[name]
                if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 100):
                    raise InvalidInput(name, "must be an id or null")
                fields[name] = value
        return cls(fields)


def update(actor: Actor, ticket_id: str, change: TicketChange, *, push: Pusher | None = None
           ) -> Ticket:
    """Change status, assignee, subject or category, over the version read (two
    operators changing one ticket at once both land, one after the other)."""
    fields = change.fields
    if not fields:
        return get_ticket(actor, ticket_id)
    if fields.get("assignee_id") is not None:
        try:
            operators.get_operator(actor.service_id, fields["assignee_id"])
        except NotFound as exc:
            raise InvalidInput("assignee_id", "is not an operator of this service") from exc
    if fields.get("category_id") is not None:
        try:
            categories.get_category(actor.service_id, fields["category_id"])
        except NotFound as exc:
            raise InvalidInput("category_id", "is not a category of this service") from exc

    days = settings.retention_days(actor.service_id)
    kept: list[datetime | None] = []

    def attempt(n: int) -> Ticket:
        ticket = get_ticket(actor, ticket_id) if n == 0 else _reread(actor, ticket_id)
        old = Ticket.from_raw_data(ticket.serialize())
        old.ticket_id = ticket.ticket_id
        kept[:] = [ticket.expires_at]
        for name, value in fields.items():
            setattr(ticket, name, value)
        now = clock.now()
        ticket.updated_at = clock.iso(now)
        ticket.expires_at = retention.ticket_until(now, days)  # R-PRIV-1: from its last change
        version = int(ticket.version or 0)
        ticket.version = version + 1
        unchanged = Ticket.version == version
        if version == 0:
            unchanged = Ticket.version.does_not_exist() | unchanged
        with transaction() as writes:
            writes.save(ticket, condition=unchanged)
            _filter_writes(writes, old, ticket)
        return ticket

    changed = retries.until_committed(attempt, busy="the ticket changed meanwhile; try again")
    keep_thread(changed, kept[0])
    _tell_webhooks("ticket.updated", changed)
    if push is not None:
        announce(changed, push, "ticket.updated")
    return changed


def _reread(actor: Actor, ticket_id: str) -> Ticket:
    return access.owned_item(Ticket, ticket_id, actor, "ticket", consistent=True)


# --- retention (R-PRIV-1): a ticket is kept from its last change --------------------


def thread_items(ticket: Ticket) -> list[Any]:
    """Every item of a ticket besides itself, keys only: its thread entries,
    filter items and partial-search pieces (for a time or an erasure)."""
    found: list[Any] = [TicketEntry(ticket_id=ticket.ticket_id, entry_id=entry.entry_id)
                        for entry in TicketEntry.query(ticket.ticket_id,
                                                       attributes_to_get=["entry_id"])]
    at = f"{ticket.created_at}#{ticket.ticket_id}"
    found.extend(TicketFilter(filter_key=key, at=at) for key in filter_keys(ticket))
    requester = ticket.requester or {}
    found.extend(SearchTerm(term=term.term, at=term.at) for term in search_terms.items_for(
        ticket.service_id, ticket.ticket_id, ticket.created_at, requester.get("name"),
        requester.get("email"), kind=search_terms.TICKET))
    return found


def keep_thread(ticket: Ticket, kept: datetime | None) -> None:
    """After a change or reply moved the ticket's time on (from `kept`), the
    rest of its items follow: each one that still exists and has an earlier
    time gets the ticket's. The time is the end of a day, so only the first
    change of a day does this; a thread that missed it (the Lambda stopped)
    is moved on by the next change, or by a retention job."""
    when = ticket.expires_at
    if when is None or (kept is not None and kept >= when):
        return
    for item in thread_items(ticket):
        cls = type(item)
        with contextlib.suppress(UpdateError):
            item.update(actions=[cls.expires_at.set(when)],
                        condition=getattr(cls, cls._hash_keyname).exists()
                        & (cls.expires_at.does_not_exist() | (cls.expires_at < when)))


# --- filters (R-TK-2): one item per ticket and way of listing it ---------------------


def filter_keys(ticket: Ticket) -> list[str]:
    svc, assignee = ticket.service_id, ticket.assignee_id or UNASSIGNED
    return [f"{svc}#s={ticket.status}", f"{svc}#a={assignee}", f"{svc}#c={ticket.channel}",
            f"{svc}#as={assignee}#{ticket.status}"]


def _filter_writes(writes: TransactWrite, old: Ticket | None, new: Ticket) -> None:
    at = f"{new.created_at}#{new.ticket_id}"
    keys = filter_keys(new)
    if old is not None:
        for key in set(filter_keys(old)) - set(keys):
            writes.delete(TicketFilter(filter_key=key, at=at))
    for key in keys:
        writes.save(TicketFilter(filter_key=key, at=at, ticket_id=new.ticket_id,
                                 status=new.status, assignee=new.assignee_id or UNASSIGNED,
                                 channel=new.channel, expires_at=new.expires_at))


@dataclass(frozen=True)
class TicketQuery:
    """`GET /tickets` filters, checked: `assignee` is an operator id or "-"."""

    status: str | None = None
    assignee: str | None = None
    channel: str | None = None
    q: str | None = None

    @classmethod
    def checked(cls, params: dict[str, Any]) -> TicketQuery:
        status = params.get("status") or None
        if status is not None and status not in STATUSES:
            raise InvalidInput("status", "must be one of " + ", ".join(STATUSES))
        channel = params.get("channel") or None
        if channel is not None and (len(channel) > 30 or not channel.replace("_", "").isalnum()):
            raise InvalidInput("channel", "must be a channel name such as chat or offline_form")
        assignee = params.get("assignee_id") or None
        if assignee is not None and len(assignee) > 100:
            raise InvalidInput("assignee_id", "must be an operator id or none")
        if assignee == "none":
            assignee = UNASSIGNED
        return cls(status, assignee, channel, checked_query(params.get("q")))

    @property
    def key(self) -> str:
        """Which filter item to read: the narrowest the query names."""
        if self.assignee and self.status:
            return f"as={self.assignee}#{self.status}"
        if self.assignee:
            return f"a={self.assignee}"
        if self.status:
            return f"s={self.status}"
        return f"c={self.channel}"

    def matches(self, ticket: Ticket) -> bool:
        return ((self.status is None or ticket.status == self.status)
                and (self.assignee is None
                     or (ticket.assignee_id or UNASSIGNED) == self.assignee)
                and (self.channel is None or ticket.channel == self.channel))

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.assignee or self.channel)

    def fingerprint(self) -> str:
        return f"{self.status}|{self.assignee}|{self.channel}"


def _filter_condition(query: TicketQuery) -> Any:
    """What the chosen filter item leaves to check on the same read."""
    condition = None
    if query.channel and not query.key.startswith("c="):
        condition = TicketFilter.channel == query.channel
    return condition


def _filtered_page(
    actor: Actor, query: TicketQuery, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    scope = f"tickets-f#{actor.service_id}#{query.fingerprint()}"
    last_key = None
    if cursor:
        decoded = cursors.decode(cursor, scope)
        if set(decoded) != {"filter_key", "at"}:
            raise InvalidInput("cursor", "is not a cursor this list returned")
        last_key = {name: {"S": str(decoded[name])} for name in decoded}
    ids: list[str] = []
    read, budget = 0, limit * search_terms.BUDGET_ITEMS
    while len(ids) < limit and read < budget:
        results = TicketFilter.query(
            f"{actor.service_id}#{query.key}", scan_index_forward=False,
            filter_condition=_filter_condition(query), last_evaluated_key=last_key,
            limit=limit - len(ids), page_size=min(limit - len(ids), budget - read),
        )
        page = next(results.page_iter)
        read += int(page.get("ScannedCount", 0))
        ids.extend(item["ticket_id"]["S"] for item in page.get("Items", []))
        last_key = page.get("LastEvaluatedKey")
        if last_key is None:
            break
    by_id = {t.ticket_id: t for t in Ticket.batch_get(ids)} if ids else {}
    tickets = [by_id[i] for i in ids if i in by_id]
    next_cursor = None
    if last_key:
        next_cursor = cursors.encode({k: v["S"] for k, v in last_key.items()}, scope)
    return tickets, next_cursor


# --- the offline form's tickets (R-OFF-1) ----------------------------------------------


def file_offline(ticket: Ticket, text: str, guard_key: str, now: datetime,
                 push: Pusher | None) -> tuple[Ticket, bool]:
    """A ticket from the widget's offline form, with its confirmation mail and the
    submission's guard: a retried submission returns the first one's ticket.
    (ticket, True) when this call filed it."""
    requester = ticket.requester or {}
    request = new_entry(ticket, "request", text, now, role="customer",
                        author_name=requester.get("name"), email_status="queued")
    mail_id = f"{mail.TICKET_CONFIRMATION}#{ticket.ticket_id}"

    def more(writes: TransactWrite, filed: Ticket) -> None:
        writes.save(Token(token_key=guard_key, payload={"ticket_id": filed.ticket_id},
                          expires_at=now + timedelta(days=2)),
                    condition=Token.token_key.does_not_exist())
        mail.queue(writes, mail_id=mail_id, service_id=filed.service_id,
                   kind=mail.TICKET_CONFIRMATION, to=str(requester.get("email")),
                   language=filed.language,
                   ref={"ticket_id": filed.ticket_id, "entry_id": request.entry_id}, now=now)

    if (found := received(guard_key)) is not None:
        return found, False
    try:
        filed = file(ticket, request, more=more)
    except TransactWriteError:
        found = received(guard_key)
        if found is None:
            raise
        return found, False  # the same submission, a moment earlier
    mail.dispatch([mail_id])
    _tell_webhooks("ticket.created", filed)
    if push is not None:
        announce(filed, push, "ticket.created")
    return filed, True


def received(guard_key: str) -> Ticket | None:
    """The ticket an earlier try of this submission filed, numbered (that try may
    still be numbering it, or have died before it did); None if none did."""
    try:
        guard = Token.get(guard_key, consistent_read=True)
        ticket = Ticket.get(str(guard.payload.get("ticket_id")), consistent_read=True)
    except (Token.DoesNotExist, Ticket.DoesNotExist):
        return None
    return ticket if ticket.number is not None else give_number(ticket)


def _tell_webhooks(event: str, ticket: Ticket, **extra: Any) -> None:
    """ticket.created / ticket.updated to the webhooks hearing it (R-HOOK-1)."""
    hook_events.heard(ticket.service_id, event, lambda: {
        "ticket": hook_events.ticket_data(to_json(ticket)), **extra})


def announce(ticket: Ticket, push: Pusher, kind: str) -> None:
    """`ticket.created` / `ticket.updated` to every online operator's consoles."""
    frame = {"type": kind, "ticket": to_json(ticket)}
    conns: list[str] = []
    for operator in Operator.online.query(ticket.service_id):
        conns.extend(realtime.connections_of(operator.operator_id))
    realtime.deliver(push, conns, frame)


def _matching_page(
    actor: Actor, q: str, cursor: str | None, limit: int, query: TicketQuery | None = None
) -> tuple[list[Ticket], str | None]:
    last_key = _cursor_key(actor.service_id, cursor, q, query)
    found: list[Ticket] = []
    read, budget = 0, limit * search_terms.BUDGET_ITEMS
    while len(found) < limit and read < budget:
        page = next(search_terms.query(
            actor.service_id, q, "0", "~", last_key=last_key,
            page_size=min(limit - len(found), budget - read), kind=search_terms.TICKET,
        ))
        read += int(page.get("ScannedCount", 0))
        ids = [item["record_id"]["S"] for item in page.get("Items", [])]
        by_id = {t.ticket_id: t for t in Ticket.batch_get(ids)} if ids else {}
        found.extend(by_id[i] for i in ids
                     if i in by_id and (query is None or query.matches(by_id[i])))
        last_key = page.get("LastEvaluatedKey")
        if last_key is None:
            break
    return found, _cursor(actor.service_id, last_key, q, query)


def get_ticket(actor: Actor, ticket_id: Any) -> Ticket:
    if actor.is_customer:
        raise NotFound("no such ticket")
    return access.owned_item(Ticket, ticket_id, actor, "ticket", consistent=False)


def _scope(service_id: str, q: str | None = None, query: TicketQuery | None = None) -> str:
    if q is None:
        return "tickets#" + service_id
    filters = query.fingerprint() if query else ""
    return f"tickets-q#{service_id}#{search_terms.needle(q)}#{filters}"


def checked_query(value: str | None) -> str | None:
    """`q`: two or more characters of a name or email (R-CH-3b)."""
    if value in (None, ""):
        return None
    if len(value or "") > 254:
        raise InvalidInput("q", "must be at most 254 characters")
    if not search_terms.long_enough(value):
        raise InvalidInput("q", "must have at least 2 characters")
    return value


def _cursor_key(
    service_id: str, cursor: str | None, q: str | None = None, query: TicketQuery | None = None
) -> dict[str, Any] | None:
    if not cursor:
        return None
    key = cursors.decode(cursor, _scope(service_id, q, query))
    expected = {"term", "at"} if q else {"ticket_id", "service_id", "created_at"}
    if set(key) != expected:
        raise InvalidInput("cursor", "is not a cursor this list returned")
    return {name: {"S": str(key[name])} for name in key}


def _cursor(service_id: str, last_key: dict[str, Any] | None, q: str | None = None,
            query: TicketQuery | None = None) -> str | None:
    if not last_key:
        return None
    return cursors.encode({name: value["S"] for name, value in last_key.items()},
                          _scope(service_id, q, query))


def list_page(
    actor: Actor, cursor: str | None, limit: int = PAGE_SIZE, query: TicketQuery | None = None,
) -> tuple[list[Ticket], str | None]:
    """The service's tickets, newest first, a page at a time: by a filter item
    when filtered (status, assignee, channel), by the term index with `q`
    (R-CH-3b; other filters then checked on the tickets read), else all."""
    query = query or TicketQuery()
    if query.q:
        tickets, next_cursor = _matching_page(actor, query.q, cursor, limit, query)
        return tickets, next_cursor
    if query.filtered:
        return _filtered_page(actor, query, cursor, limit)
    start_key = _cursor_key(actor.service_id, cursor)
    results = Ticket.by_service.query(
        actor.service_id,
        scan_index_forward=False,
        last_evaluated_key=start_key,
        page_size=limit,
    )
    page = next(results.page_iter)
    tickets = [Ticket.from_raw_data(item) for item in page.get("Items", [])]
    return tickets, _cursor(actor.service_id, page.get("LastEvaluatedKey"))


def chat_history(actor: Actor, ticket_id: str) -> tuple[ChatView, list[Message], list[Note]]:
    """The ticket's "chat history" tab: the chat, its whole transcript and its
    internal notes (shown marked, R-NOTE-1)."""
    ticket = get_ticket(actor, ticket_id)
    if not ticket.chat_id:
        raise NotFound("the ticket has no chat")
    chat = access.readable_chat(actor, ticket.chat_id, consistent=False)
    transcript = messages.messages_after(chat.chat_id, 0)
    last_seq = int(transcript[-1].seq) if transcript else 0
    path = categories.category_path(chat.service_id, chat.category_id)
    chat_notes = notes.read(chat.chat_id) if chat.note_count else []
    return ChatView(chat, last_seq=last_seq, category_path=path), transcript, chat_notes


def to_json(ticket: Ticket, names: dict[str, str] | None = None,
            category_path: list[str] | None = None) -> dict[str, Any]:
    requester = ticket.requester or {}
    customer = ticket.customer or {}
    return {
        "ticket_id": ticket.ticket_id,
        "number": int(ticket.number) if ticket.number is not None else None,
        "service_id": ticket.service_id,
        "subject": ticket.subject,
        "body": ticket.body or "",
        "channel": ticket.channel,
        "chat_id": ticket.chat_id,
        "requester": {"name": requester.get("name", customer.get("name")),
                      "email": requester.get("email", customer.get("email"))},
        "customer": customer,
        "status": ticket.status,
        "assignee_id": ticket.assignee_id,
        "assignee_name": (names or {}).get(ticket.assignee_id or ""),
        "category_id": ticket.category_id,
        "category_path": category_path or [],
        "language": ticket.language,
        "created_by": ticket.created_by,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at or ticket.created_at,
    }


def operator_names(service_id: str) -> dict[str, str]:
    """Every operator's name by id (one Query), for the assignee column."""
    return {op.operator_id: op.name for op in operators.list_operators(service_id)}


def path_of(ticket: Ticket) -> list[str]:
    return categories.category_path(ticket.service_id, ticket.category_id)
