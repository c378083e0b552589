"""Tickets made from chats (R-TK-1, R-CON-7): channel `chat`, linked to the chat,
the customer copied, and a "chat history" tab with the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import auth, clock, cursors, validate
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.models import Chat, ChatStatus, Message, Note, Ticket, transaction
from chalicelib.services import access, categories, messages, notes, search_terms
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


def create(actor: Actor, chat_id: str, new: NewTicket) -> Ticket:
    subject, text = new.subject, new.body
    chat = access.readable_chat(actor, chat_id)
    may_file_ticket(actor, chat)
    customer = customer_json(chat)
    ticket = Ticket(
        ticket_id=auth.new_id("tk"),
        service_id=chat.service_id,
        subject=subject,
        body=text or "",
        channel="chat",
        chat_id=chat.chat_id,
        customer=customer,
        status="open",
        created_by=actor.subject_id,
        created_at=clock.iso(clock.now()),
    )
    with transaction() as writes:
        writes.save(ticket, condition=Ticket.ticket_id.does_not_exist())
        search_terms.add_to(writes, ticket.service_id, ticket.ticket_id, ticket.created_at,
                            old=None, new=(customer.get("name"), customer.get("email")),
                            kind=search_terms.TICKET)
    return ticket


def _matching_page(
    actor: Actor, q: str, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    last_key = _cursor_key(actor.service_id, cursor, q)
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
        found.extend(by_id[i] for i in ids if i in by_id)
        last_key = page.get("LastEvaluatedKey")
        if last_key is None:
            break
    return found, _cursor(actor.service_id, last_key, q)


def get_ticket(actor: Actor, ticket_id: Any) -> Ticket:
    if actor.is_customer:
        raise NotFound("no such ticket")
    return access.owned_item(Ticket, ticket_id, actor, "ticket", consistent=False)


def _scope(service_id: str, q: str | None = None) -> str:
    if q is None:
        return "tickets#" + service_id
    return f"tickets-q#{service_id}#{search_terms.needle(q)}"


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
    service_id: str, cursor: str | None, q: str | None = None
) -> dict[str, Any] | None:
    if not cursor:
        return None
    key = cursors.decode(cursor, _scope(service_id, q))
    expected = {"term", "at"} if q else {"ticket_id", "service_id", "created_at"}
    if set(key) != expected:
        raise InvalidInput("cursor", "is not a cursor this list returned")
    return {name: {"S": str(key[name])} for name in key}


def _cursor(service_id: str, last_key: dict[str, Any] | None, q: str | None = None) -> str | None:
    if not last_key:
        return None
    return cursors.encode({name: value["S"] for name, value in last_key.items()},
                          _scope(service_id, q))


def list_page(
    actor: Actor, cursor: str | None, limit: int = PAGE_SIZE, q: str | None = None
) -> tuple[list[Ticket], str | None]:
    """The service's tickets, newest first, a page at a time; with `q`, those
    whose customer's name or email contains it (the term index, R-CH-3b)."""
    if q:
        return _matching_page(actor, q, cursor, limit)
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


def to_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "service_id": ticket.service_id,
        "subject": ticket.subject,
        "body": ticket.body or "",
        "channel": ticket.channel,
        "chat_id": ticket.chat_id,
        "customer": ticket.customer or {},
        "status": ticket.status,
        "created_by": ticket.created_by,
        "created_at": ticket.created_at,
    }
