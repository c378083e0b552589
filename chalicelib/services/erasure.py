"""Erasure (R-PRIV-2): an admin erases one customer's personal data in their
service, on request (APPI, GDPR) — `POST /privacy/erase {customer_id | email}`.

What goes, for every customer found (by id; by email: every customer of the
service whose chats or tickets carry it, case-insensitively):
- the customer record's name, email, notes, IP, device and host-page id (their
  visitor tokens are revoked and their sockets closed first, so nothing new
  arrives from them);
- in each of their chats: the customer snapshot (name, email, notes, IP,
  device), the page, the rating's comment, the pages viewed, the text of every
  customer and operator message (replaced by `MARK`), the files (objects
  deleted from S3, their records nameless), the internal notes' text, the
  head's name and the chat's partial-search pieces and email/name index keys;
- their tickets (by customer id or requester email): subject, body, requester,
  customer snapshot, every thread entry's text, the search pieces, mail still
  waiting to be sent about them;
- the bodies of the service's webhook deliveries that tell of any of it;
- the name and address of their blocks.
What stays: ids, seq numbers, times, statuses, counts and system messages, so
a chat keeps its shape and statistics and other chats stay consistent.

It is a job (services/jobs.py): the request works on it for up to
`REQUEST_BUDGET_S` and answers with the counts when done, else 202 with the
counts so far while a worker finishes it. Every change is conditional on the
item not being erased already, so a repeat, a resumed page or two erasures at
once are safe. The counts are what the erasure covers — the customers found
and their chats, customer and operator messages, files and tickets, erased now
or by an earlier erasure — so a page done again counts the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock, validate
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.models import (
    Attachment,
    Block,
    Chat,
    ChatHead,
    Customer,
    Job,
    Mail,
    Message,
    Note,
    SearchTerm,
    Ticket,
    TicketEntry,
    Visit,
    Webhook,
    WebhookDelivery,
    failed_tables,
    transaction,
)
from chalicelib.services import audit, chat_index, jobs, search_terms
from chalicelib.services.access import Actor
from chalicelib.services.jobs import Step

log = logging.getLogger("helpdesk.privacy")

ERASURE = "erasure"
MARK = "[erased]"
COUNTS = ("customers", "chats", "messages", "attachments", "tickets")
REQUEST_BUDGET_S = 20.0
CHATS_PER_PAGE = 5
TICKETS_PER_PAGE = 50
DELIVERIES_PER_PAGE = 100


@dataclass(frozen=True)
class EraseRequest:
    """`POST /privacy/erase`, checked: exactly one of customer_id and email."""

    customer_id: str | None = None
    email: str | None = None

    @classmethod
    def checked(cls, body: Any) -> EraseRequest:
        validate.body_object(body)
        validate.only_fields(body, ("customer_id", "email"))
        given = [name for name in ("customer_id", "email") if name in body]
        if len(given) != 1:
            raise InvalidInput("customer_id", "give exactly one of customer_id and email")
        if given == ["customer_id"]:
            return cls(customer_id=validate.text(body, "customer_id", max_len=100,
                                                 single_line=True))
        email = validate.text(body, "email", max_len=254, single_line=True)
        if not validate.is_email(str(email).strip()):
            raise InvalidInput("email", "is not an email address")
        return cls(email=str(email).strip())


def folded_email(email: str | None) -> str | None:
    return email.strip().casefold() if email else None


def _job_id(service_id: str, request: EraseRequest) -> str:
    what = f"id:{request.customer_id}" if request.customer_id else \
        f"email:{folded_email(request.email)}"
    return f"{ERASURE}#{service_id}#{hashlib.sha256(what.encode()).hexdigest()[:32]}"


def erasure_id(job_id: str) -> str:
    return job_id.rsplit("#", 1)[-1]


def _job_for(service_id: str, erasure: str) -> str:
    return f"{ERASURE}#{service_id}#{erasure}"


def start(actor: Actor, request: EraseRequest, *,
          launch_with: jobs.Launcher | None = None,
          budget_s: float = REQUEST_BUDGET_S) -> Job:
    """Erase now (up to `budget_s`), else leave the rest to a worker. An erasure
    of the same customer (or email) that is still running is joined, not
    started again; one that has finished is run again (a customer may have
    come back)."""
    service_id = actor.service_id
    if request.customer_id is not None:
        try:
            Customer.get(service_id, request.customer_id)
        except Customer.DoesNotExist as exc:
            raise NotFound("no such customer") from exc
    job_id = _job_id(service_id, request)
    params = {"customer_id": request.customer_id, "email": folded_email(request.email)}
    detail = {"by": "customer_id" if request.customer_id else "email",
              "erasure_id": erasure_id(job_id)}
    # The email is personal data: the entry names only the customer id.
    try:
        with transaction() as writes:
            # Only when none is running: the condition fails for one that is.
            jobs.add_to(writes, job_id, ERASURE, service_id, params,
                        created_by=actor.subject_id, condition=Job.due.does_not_exist())
            audit.add_to(writes, service_id, "privacy.erase", request.customer_id, detail)
    except TransactWriteError as exc:
        if failed_tables(writes, exc).get("jobs") != "ConditionalCheckFailed":
            raise
        # The same erasure is running: this request joins it, and is on record too.
        audit.record(service_id, "privacy.erase", request.customer_id,
                     {**detail, "joined": True})
    deadline = time.monotonic() + budget_s
    while True:
        try:
            jobs.work(job_id, budget_s=max(0.0, deadline - time.monotonic()))
        except Exception as error:  # a worker (or the sweep, after the lease) goes on
            log.warning("erasure %s stopped: %s", erasure_id(job_id), type(error).__name__)
            job = Job.get(job_id, consistent_read=True)
            break
        job = Job.get(job_id, consistent_read=True)
        if job.status == "done" or time.monotonic() >= deadline:
            break
        time.sleep(0.2)  # another request or worker holds it: wait for it
    if job.status != "done":
        jobs.launch(job_id, launch_with)
    return job


def get(actor: Actor, erasure: Any) -> Job:
    if not isinstance(erasure, str) or not erasure.isalnum() or len(erasure) > 64:
        raise NotFound("no such erasure")
    job = jobs.get(_job_for(actor.service_id, erasure))
    if job is None or job.kind != ERASURE or job.service_id != actor.service_id:
        raise NotFound("no such erasure")
    return job


def to_json(job: Job) -> dict[str, Any]:
    counts = job.counts or {}
    return {
        "erasure_id": erasure_id(job.job_id),
        "status": "done" if job.status == "done" else "running",
        "erased": {name: int(counts.get(name, 0)) for name in COUNTS},
        "started_at": job.created_at,
        "finished_at": job.finished_at,
    }


# --- the job ---------------------------------------------------------------------------


def _state(job: Job) -> dict[str, Any]:
    """Who is erased (customer ids and emails) and where the job is. No list of
    the chats or tickets done: a customer with any number of them keeps the job
    item small (an item holds at most 400 KB)."""
    return dict(job.cursor or {"customers": [], "emails": []})


@jobs.stepper(ERASURE)
def step(job: Job) -> Step:
    stage = job.stage or "find"
    state = _state(job)
    if stage == "find":
        _find(job, state)
        return Step("customers", state)
    if stage == "customers":
        counts = {"customers": sum(_erase_customer(job.service_id, c)
                                   for c in state["customers"])}
        return Step("chats", {**state, "i": 0, "key": None}, counts)
    if stage == "chats":
        return _chats_page(job, state)
    if stage == "tickets":
        return _tickets_page(job, state)
    return _deliveries_page(job, state)


def _find(job: Job, state: dict[str, Any]) -> None:
    """Who is erased: the customer named, or everyone whose chats or tickets
    carry the email; and every email those customers are known by."""
    service_id = job.service_id
    customers: set[str] = set()
    emails: set[str] = set()
    if job.params.get("customer_id"):
        customers.add(str(job.params["customer_id"]))
    email = job.params.get("email")
    if email:
        emails.add(str(email))
        key = chat_index.email_key(service_id, str(email))
        ids = [row.chat_id for row in Chat.history_by_email.query(key)]
        for chunk in range(0, len(ids), 100):
            customers.update(chat.customer_id for chat in Chat.batch_get(ids[chunk:chunk + 100]))
        for ticket in _tickets_with(service_id, str(email)):
            found = (ticket.customer or {}).get("customer_id")
            if found:
                customers.add(str(found))
    for customer_id in sorted(customers):
        with contextlib.suppress(Customer.DoesNotExist):
            person = Customer.get(service_id, customer_id, consistent_read=True)
            if person.email:
                emails.add(str(folded_email(person.email)))
    state["customers"] = sorted(customers)
    state["emails"] = sorted(emails)


def _tickets_with(service_id: str, email: str) -> list[Ticket]:
    """Tickets whose requester's email is `email` (the search pieces of one
    part of it, then the whole compared)."""
    needle = search_terms.needle(email)
    found: dict[str, Ticket] = {}
    for page in search_terms.query(service_id, email, "0", "~", last_key=None, page_size=100,
                                   kind=search_terms.TICKET):
        ids = [item["record_id"]["S"] for item in page.get("Items", [])
               if needle in item.get("text", {}).get("S", "")]
        for ticket in Ticket.batch_get(ids) if ids else []:
            if folded_email((ticket.requester or {}).get("email")) == email:
                found[ticket.ticket_id] = ticket
        if not page.get("LastEvaluatedKey"):
            break
    return list(found.values())


def _erase_customer(service_id: str, customer_id: str) -> int:
    """Signed out, sockets closed, personal fields gone; 1 (0: no such customer)."""
    from chalicelib import realtime
    from chalicelib.services import accounts

    with contextlib.suppress(NotFound):
        accounts.sign_out_customer(service_id, customer_id, close=realtime.closer())
    for block in Block.query(service_id, filter_condition=Block.customer_id == customer_id):
        with contextlib.suppress(UpdateError):
            block.update(actions=[Block.customer_name.remove(), Block.ip.remove()])
    fields = (Customer.name, Customer.email, Customer.notes, Customer.given_name,
              Customer.external_id, Customer.ip, Customer.device)
    try:
        Customer(service_id=service_id, customer_id=customer_id).update(
            actions=[*(f.remove() for f in fields),
                     Customer.erased_at.set(Customer.erased_at | (clock.iso(clock.now()) or ""))],
            condition=Customer.customer_id.exists())
    except UpdateError:
        return 0
    return 1


def _chats_page(job: Job, state: dict[str, Any]) -> Step:
    """Up to CHATS_PER_PAGE chats of the state's customer `i`."""
    customers: list[str] = state["customers"]
    i = int(state.get("i") or 0)
    if i >= len(customers):
        return Step("tickets", {**state, "key": None})
    key = chat_index.keyed(job.service_id, customers[i])
    result = Chat.history_by_customer.query(key, limit=CHATS_PER_PAGE,
                                            last_evaluated_key=state.get("key"),
                                            page_size=CHATS_PER_PAGE)
    ids = [row.chat_id for row in result]
    counts: dict[str, int] = {}
    for chat in Chat.batch_get(ids) if ids else []:
        for name, value in erase_chat(chat).items():
            counts[name] = counts.get(name, 0) + value
        found = folded_email((chat.customer or {}).get("email"))
        if found:
            state["emails"] = sorted({*state["emails"], found})
    nxt = result.last_evaluated_key
    state = {**state, "i": i + 1, "key": None} if nxt is None else {**state, "key": nxt}
    return Step("chats", state, counts)


def _erased_text(item: Any, cls: Any, extra: list[Any] | None = None) -> None:
    """The item's text replaced by MARK, once (erased before, or gone: as is)."""
    with contextlib.suppress(UpdateError):
        item.update(actions=[cls.text.set(MARK), cls.erased.set(True), *(extra or [])],
                    condition=cls.erased.does_not_exist() & getattr(cls, item._hash_keyname)
                    .exists())


def erase_chat(chat: Chat) -> dict[str, int]:
    """Everything personal of one chat, erased if it was not already: the
    chat, its customer's and operators' messages and its files, counted
    whether erased now or before (so a page done again counts the same)."""
    from chalicelib.services import attachments

    counts = {"chats": 1, "messages": 0, "attachments": 0}
    snapshot = chat.customer or {}
    # Search pieces first: they are found from the snapshot erased below.
    for term in search_terms.items_for(chat.service_id, chat.chat_id, chat.created_at,
                                       snapshot.get("name"), snapshot.get("email")):
        SearchTerm(term=term.term, at=term.at).delete()
    for message in Message.query(chat.chat_id, consistent_read=True):
        if message.sender_role not in ("customer", "operator"):
            continue
        counts["messages"] += 1
        file = dict(message.attachment.as_dict() if hasattr(message.attachment, "as_dict")
                    else message.attachment or {})
        if file:
            counts["attachments"] += 1
            _erase_file(file, attachments)
        if message.erased:
            continue
        extra: list[Any] = []
        if file:
            # The file's id stays (retention finds its record by it), nothing else.
            extra.append(Message.attachment.set({"attachment_id": file["attachment_id"],
                                                 "erased": True}))
        if message.sender_role == "customer":
            extra.append(Message.sender_name.remove())
        _erased_text(message, Message, extra)
    for note in Note.query(chat.chat_id, consistent_read=True):
        if not note.erased:
            _erased_text(note, Note)
    with contextlib.suppress(Exception):
        Visit(chat_id=chat.chat_id).delete()
    with contextlib.suppress(UpdateError):
        ChatHead(chat_id=chat.chat_id).update(actions=[ChatHead.customer_name.remove()],
                                              condition=ChatHead.chat_id.exists())
    rating = dict(chat.rating or {})
    rating.pop("comment", None)
    actions: list[Any] = [
        Chat.customer.set({"name": None, "email": None, "notes": None, "ip": None,
                           "device": None, "verified": False}),
        Chat.email_key.remove(), Chat.name_key.remove(), Chat.page_url.remove(),
        Chat.erased_at.set(Chat.erased_at | (clock.iso(clock.now()) or "")),
    ]
    if chat.rating:
        actions.append(Chat.rating.set(rating))
    with contextlib.suppress(UpdateError):
        chat.update(actions=actions, condition=Chat.chat_id.exists())
    return counts


def _erase_file(stored: dict[str, Any], attachments: Any) -> None:
    """The object deleted (again: S3 answers the same) and the record nameless."""
    key = stored.get("key")
    if key:
        attachments.s3().delete_object(Bucket=attachments.bucket(), Key=str(key))
    with contextlib.suppress(UpdateError):
        Attachment(attachment_id=str(stored["attachment_id"])).update(
            actions=[Attachment.filename.set(MARK), Attachment.status.set("erased"),
                     Attachment.key.remove(), Attachment.client_msg_id.remove()],
            condition=Attachment.attachment_id.exists() & (Attachment.status != "erased"))


def _tickets_page(job: Job, state: dict[str, Any]) -> Step:
    """A page of the service's tickets: those of the customers or emails erased
    (a ticket filed from a chat carries that chat's customer id)."""
    result = Ticket.by_service.query(job.service_id, limit=TICKETS_PER_PAGE,
                                     last_evaluated_key=state.get("key"),
                                     page_size=TICKETS_PER_PAGE)
    customers, emails = set(state["customers"]), set(state["emails"])
    erased = 0
    for ticket in result:
        owner = (ticket.customer or {}).get("customer_id")
        email = folded_email((ticket.requester or {}).get("email")) or \
            folded_email((ticket.customer or {}).get("email"))
        if owner in customers or (email and email in emails):
            erased += erase_ticket(ticket)
    nxt = result.last_evaluated_key
    if nxt is None:
        return Step("deliveries", {**state, "hooks": None, "key": None}, {"tickets": erased})
    return Step("tickets", {**state, "key": nxt}, {"tickets": erased})


def erase_ticket(ticket: Ticket) -> int:
    """Everything personal of a ticket, if not erased already; 1 (it is erased)."""
    requester = ticket.requester or {}
    for term in search_terms.items_for(ticket.service_id, ticket.ticket_id, ticket.created_at,
                                       requester.get("name"), requester.get("email"),
                                       kind=search_terms.TICKET):
        SearchTerm(term=term.term, at=term.at).delete()
    for entry in TicketEntry.query(ticket.ticket_id, consistent_read=True):
        if entry.erased:
            continue
        extra = [TicketEntry.author_name.remove()] if entry.author_role == "customer" else []
        _erased_text(entry, TicketEntry, extra)
        # Mail about it not sent yet is not sent.
        with contextlib.suppress(Exception):
            Mail(mail_id=f"ticket_reply#{ticket.ticket_id}#{entry.entry_id}").delete()
    with contextlib.suppress(Exception):
        Mail(mail_id=f"ticket_confirmation#{ticket.ticket_id}").delete()
    owner = (ticket.customer or {}).get("customer_id")
    with contextlib.suppress(UpdateError):
        ticket.update(
            actions=[Ticket.subject.set(MARK), Ticket.body.set(MARK),
                     Ticket.customer.set({"customer_id": owner, "name": None, "email": None,
                                          "notes": None, "ip": None, "device": None,
                                          "verified": False}),
                     Ticket.requester.set({"name": None, "email": None}),
                     Ticket.erased_at.set(clock.iso(clock.now()))],
            condition=Ticket.ticket_id.exists() & Ticket.erased_at.does_not_exist())
    return 1


def _deliveries_page(job: Job, state: dict[str, Any]) -> Step:
    """A page of one webhook's deliveries (kept 30 days): bodies that tell of
    an erased chat or ticket, or name an erased customer or email, lose their
    data."""
    hooks = state.get("hooks")
    if hooks is None:
        hooks = sorted(h.webhook_id for h in Webhook.query(job.service_id))
    if not hooks:
        return Step(None, done=True)
    needles = [n.casefold() for n in (*state["customers"], *state["emails"]) if n]
    result = WebhookDelivery.query(hooks[0], limit=DELIVERIES_PER_PAGE,
                                   last_evaluated_key=state.get("key"),
                                   page_size=DELIVERIES_PER_PAGE)
    told: list[tuple[WebhookDelivery, set[str], set[str]]] = []
    for delivery in result:
        body = str(delivery.body or "")
        folded = body.casefold()
        if any(n in folded for n in needles):
            _erase_body(delivery)
            continue
        chats, tickets = _mentioned(body)
        if chats or tickets:
            told.append((delivery, chats, tickets))
    erased_chats = _erased(Chat, {c for _, chats, _ in told for c in chats})
    erased_tickets = _erased(Ticket, {t for _, _, tickets in told for t in tickets})
    for delivery, chats, tickets in told:
        if chats & erased_chats or tickets & erased_tickets:
            _erase_body(delivery)
    nxt = result.last_evaluated_key
    if nxt is None:
        rest = hooks[1:]
        if not rest:
            return Step(None, done=True)
        return Step("deliveries", {**state, "hooks": rest, "key": None})
    return Step("deliveries", {**state, "hooks": hooks, "key": nxt})


def _mentioned(body: str) -> tuple[set[str], set[str]]:
    """The chat ids and ticket ids anywhere in a delivery's JSON body."""
    chats: set[str] = set()
    tickets: set[str] = set()
    try:
        stack: list[Any] = [json.loads(body)]
    except ValueError:
        return chats, tickets
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "chat_id" and isinstance(inner, str):
                    chats.add(inner)
                elif key == "ticket_id" and isinstance(inner, str):
                    tickets.add(inner)
                else:
                    stack.append(inner)
        elif isinstance(value, list):
            stack.extend(value)
    return chats, tickets


def _erased(model: Any, ids: set[str]) -> set[str]:
    """Which of the chats (or tickets) `ids` have been erased (this job erased
    its customers' before it reads the deliveries)."""
    keys = sorted(ids)
    found: set[str] = set()
    for chunk in range(0, len(keys), 100):
        for item in model.batch_get(keys[chunk:chunk + 100], consistent_read=True,
                                    attributes_to_get=[model._hash_keyname, "erased_at"]):
            if item.erased_at:
                found.add(getattr(item, model._hash_keyname))
    return found


def _erase_body(delivery: WebhookDelivery) -> None:
    try:
        sent = json.loads(delivery.body)
    except ValueError:
        sent = {}
    kept = {k: sent.get(k) for k in ("delivery_id", "event", "service_id", "created_at")
            if k in sent}
    with contextlib.suppress(UpdateError):
        delivery.update(actions=[WebhookDelivery.body.set(json.dumps({**kept, "data": None,
                                                                       "erased": True}))],
                        condition=WebhookDelivery.delivery_id.exists())
