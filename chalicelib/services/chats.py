"""A chat's life (R-WID-3…6, R-CON-4…9, R-CH-1): start with consent, resume,
the customer leaving, the operator opening, saving info, asking for and
receiving a rating, and ending.

Pushes go through the `push` function handed in; times come from `now`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib import auth, clock, realtime, token_keys, validate
from chalicelib.errors import (
    Conflict,
    InvalidInput,
    LimitReached,
    NotAllowed,
    NotFound,
    OutsideHours,
)
from chalicelib.models import (
    HELD_STATUSES,
    Chat,
    ChatHead,
    ChatStatus,
    Connection,
    Customer,
    Message,
    Operator,
    failed_tables,
    transaction,
)
from chalicelib.realtime import Pusher
from chalicelib.services import (
    access,
    blocks,
    caps,
    categories,
    chat_index,
    heads,
    hook_events,
    messages,
    retention,
    retries,
    routing,
    search_terms,
    settings,
    stats,
    tenants,
)
from chalicelib.services.access import Actor

# The per-address cap's record outlives the last chat started from there by this.
ADDRESS_CAP_KEPT = timedelta(days=2)
MAX_COMMENT = 1000
MAX_NOTES = 2000


@dataclass(frozen=True)
class StartRequest:
    """What the customer's `chat.start` says, already validated."""

    name: str | None = None
    email: str | None = None
    page_url: str | None = None
    channel: str = "widget"
    language: str | None = None

    @classmethod
    def checked(cls, frame: dict[str, Any]) -> StartRequest:
        if frame.get("consent") is not True:
            raise InvalidInput("consent", "must be true: the customer agrees before a chat starts")
        page_url = frame.get("page_url")
        return cls(
            name=validate.text(frame, "name", max_len=100, required=False, single_line=True),
            email=validate.email(frame, "email", required=False) if frame.get("email") else None,
            page_url=validate.http_url(page_url, "page_url") if page_url else None,
            channel=validate.text(
                frame, "channel", max_len=50, required=False, single_line=True, default="widget"
            ),
            language=validate.choice(frame, "language", settings.LANGUAGES, required=False),
        )


# --- reading ----------------------------------------------------------------------


def get_chat(actor: Actor, chat_id: str) -> Chat:
    return access.readable_chat(actor, chat_id)


def operator_chats(actor: Actor) -> list[Chat]:
    """The operator's chats not yet ended by the operator, oldest first."""
    held = [c for c in Chat.by_operator.query(actor.subject_id) if c.service_id == actor.service_id]
    return sorted(held, key=lambda c: (c.created_at, c.chat_id))


def waiting_count(service_id: str) -> int:
    return routing.waiting_count(service_id)


def chat_messages(actor: Actor, chat_id: str, after_seq: int) -> list[Message]:
    chat = access.readable_chat(actor, chat_id)
    return messages.messages_after(chat.chat_id, after_seq)


# --- the customer -----------------------------------------------------------------


def start(
    actor: Actor,
    request: StartRequest,
    *,
    ip: str | None,
    device: str | None,
    now: datetime,
    push: Pusher,
) -> Chat:
    """Start a chat after consent (or return the customer's open one): the
    greeting is message 1, then routing assigns or queues it."""
    if not actor.is_customer:
        raise NotAllowed("only customers start chats", "forbidden")
    current = settings.current(tenants.get_service(actor.service_id))
    if not current["chat_enabled"]:
        raise NotAllowed("chat is disabled for this service", "chat_disabled")
    if request.channel not in current["channels"]:
        raise InvalidInput("channel", "must be one of the service's channels: "
                           + ", ".join(current["channels"]))
    address = _address_cap(actor.service_id, ip)
    blocks.check(actor.service_id, customer_id=actor.subject_id, ip=ip)  # R-BLK-1

    def attempt(n: int) -> Chat:
        customer = _customer(actor)
        if customer.open_chat_id:
            existing = _still_open(customer)
            if existing is None:
                raise retries.Retry  # a stale pointer, cleared: look again
            return _attached(actor, existing)
        if not settings.is_open(current, now):
            raise OutsideHours(clock.iso(settings.next_open_at(current, now)))
        if n == 0:
            _require_queue_room(actor.service_id, int(current["max_queue"]))
        chat = _new_chat(actor, customer, request, current, ip=ip, device=device, now=now)
        chat.address_cap = address
        try:
            with transaction() as writes:
                _add_start_writes(writes, actor, customer, chat, request, current,
                                  ip=ip, device=device, now=now)
        except TransactWriteError as exc:
            if address and failed_tables(writes, exc).get("tokens") == "ConditionalCheckFailed" \
                    and not _free_closed_places(address):
                raise LimitReached("too many chats are open from this address; "
                                   "try again later", "too_many_chats") from exc
            raise retries.Retry from exc  # another start won (return its chat), or a place freed
        hook_events.chat_event("chat.started", chat)  # R-HOOK-1
        routing.drain(actor.service_id, now=now, push=push, known=[chat])
        return Chat.get(chat.chat_id, consistent_read=True)

    return retries.until_committed(attempt, busy="could not start the chat; try again")


def _add_start_writes(
    writes: TransactWrite,
    actor: Actor,
    customer: Customer,
    chat: Chat,
    request: StartRequest,
    current: dict[str, Any],
    *,
    ip: str | None,
    device: str | None,
    now: datetime,
) -> None:
    """A new chat, all at once: the chat, its head, the greeting (message 1), the
    day's count, the customer pointing at it (only if they have no open chat),
    the starting connection listening, and a place in the address's cap."""
    listeners = {actor.connection_id: listener_of(actor)} if actor.connection_id else {}
    writes.save(chat, condition=Chat.chat_id.does_not_exist())
    writes.save(heads.new_head(chat, _given_name(customer, request), listeners),
                condition=ChatHead.chat_id.does_not_exist())
    text, lang = settings.text_for(current, "greeting", chat.language)
    greeting = Message(chat_id=chat.chat_id, seq=1, sender_role="system",
                       text=text, lang=lang, created_at=chat.created_at,
                       expires_at=chat.expires_at)
    writes.save(greeting, condition=Message.seq.does_not_exist())
    stats.Counts(chat.service_id, chat.created_at, chat.chat_id).chat_created().add_to(writes)
    snapshot = chat.customer or {}
    search_terms.add_to(writes, chat.service_id, chat.chat_id, chat.created_at, old=None,
                        new=(snapshot.get("name"), snapshot.get("email")),
                        expires_at=chat.expires_at)
    writes.update(customer, actions=_customer_at_start(customer, chat, request, ip, device),
                  condition=Customer.open_chat_id.does_not_exist())
    if actor.connection_id:
        writes.update(
            Connection(connection_id=actor.connection_id),
            actions=[Connection.chat_ids.add({chat.chat_id})],
            condition=Connection.connection_id.exists(),
        )
    if chat.address_cap:
        caps.take_in(writes, chat.address_cap, chat.chat_id,
                     limit=int(current["max_open_chats_per_address"]),
                     keep_until=now + ADDRESS_CAP_KEPT)


def _customer_at_start(
    customer: Customer, chat: Chat, request: StartRequest, ip: str | None, device: str | None
) -> list[Any]:
    # A customer who starts a chat is kept (no longer an unused visitor) as
    # long as this, their newest chat (R-PRIV-1).
    actions = [Customer.open_chat_id.set(chat.chat_id), Customer.chatted.set(True),
               Customer.expires_at.set(chat.expires_at)]
    if ip:
        actions.append(Customer.ip.set(ip))
    if device:
        actions.append(Customer.device.set(device))
    if not customer.verified:
        if request.name:
            actions.append(Customer.name.set(request.name))
            actions.append(Customer.given_name.set(request.name))
        if request.email:
            actions.append(Customer.email.set(request.email))
    return actions


def _address_cap(service_id: str, ip: str | None) -> str | None:
    """The cap on chats open at once from the customer's address (R-SEC-4)."""
    return token_keys.open_chats(service_id, ip) if ip else None


def _require_queue_room(service_id: str, max_queue: int) -> None:
    """A new chat enters the queue: refuse it when the queue is full (R-SEC-4).
    Read from the queue index, so a burst of starts in the same instant may pass
    it by at most their number; the per-address cap bounds what one abuser adds."""
    if routing.waiting_count(service_id, limit=max_queue) >= max_queue:
        raise LimitReached("every operator is busy and the queue is full; try again later "
                           "or leave a message", "queue_full")


def _free_closed_places(address: str) -> bool:
    """The address's cap is full: give back the places of chats that closed
    without giving theirs back (an upgrade, a lost write). True when any was."""
    held = sorted(caps.members(address))
    open_ids = {chat.chat_id for chat in Chat.batch_get(held)
                if chat.status != ChatStatus.ENDED and not chat.customer_left_at} if held else set()
    closed = set(held) - open_ids
    caps.prune(address, closed)
    return bool(closed)


def _given_name(customer: Customer, request: StartRequest) -> str | None:
    """The name the customer's messages carry: what they (or the host page)
    said, never a name an operator saved (R-SEC-1)."""
    if customer.verified:
        return customer.given_name
    return request.name or customer.given_name


def _customer(actor: Actor) -> Customer:
    try:
        return Customer.get(actor.service_id, actor.subject_id, consistent_read=True)
    except Customer.DoesNotExist as exc:
        raise NotFound("no such customer") from exc


def _still_open(customer: Customer) -> Chat | None:
    """The customer's open chat, or None after clearing a stale pointer."""
    chat_id = customer.open_chat_id
    try:
        chat = Chat.get(chat_id, consistent_read=True)
        if chat.status != ChatStatus.ENDED and not chat.customer_left_at:
            return chat
    except Chat.DoesNotExist:
        pass
    _clear_open_chat(customer.service_id, customer.customer_id, chat_id)
    return None


def _clear_open_chat(service_id: str, customer_id: str, chat_id: str | None) -> None:
    # When it already points elsewhere (or nowhere) there is nothing to clear.
    with contextlib.suppress(UpdateError):
        Customer(service_id=service_id, customer_id=customer_id).update(
            actions=[Customer.open_chat_id.remove()],
            condition=Customer.open_chat_id == chat_id,
        )


def _new_chat(
    actor: Actor,
    customer: Customer,
    request: StartRequest,
    current: dict[str, Any],
    *,
    ip: str | None,
    device: str | None,
    now: datetime,
) -> Chat:
    created_at = clock.iso(now)
    chat_id = auth.new_id("ch")
    name = customer.name if customer.verified else (request.name or customer.name)
    email = customer.email if customer.verified else (request.email or customer.email)
    chat = Chat(
        chat_id=chat_id,
        service_id=actor.service_id,
        customer_id=customer.customer_id,
        status=ChatStatus.WAITING,
        processed=False,
        queued_service_id=actor.service_id,
        queued_at=created_at,
        channel=request.channel or "widget",
        page_url=request.page_url,
        language=_chat_language(request, customer, current),
        customer={
            "name": name,
            "email": email,
            "notes": customer.notes,
            "ip": ip or customer.ip,
            "device": device or customer.device,
            "verified": bool(customer.verified),
        },
        consent={
            "agreed": True,
            "agreed_at": created_at,
            "version": int(current.get("consent_version", 1)),
        },
        sticky_operator_id=customer.last_operator_id if current["sticky_assignment"] else None,
        **chat_index.new_chat_keys(actor.service_id, request.channel or "widget", name, email),
        customer_key=chat_index.keyed(actor.service_id, customer.customer_id),
        created_at=created_at,
        expires_at=retention.until(now, retention.days_of(current)),
    )
    chat.sweep_shard = routing.sweep_shard(chat_id)
    chat.sweep_at = clock.iso(now + timedelta(seconds=routing.QUEUE_RECHECK_S))
    return chat


def _chat_language(request: StartRequest, customer: Customer, current: dict[str, Any]) -> str:
    """The language the widget shows, else the one the session named, if the
    service offers it; else the service's default."""
    for language in (request.language, customer.language):
        if language in current["languages"]:
            return str(language)
    return str(current["default_language"])


def _attached(actor: Actor, chat: Chat) -> Chat:
    """The chat, with the actor's connection among its listeners."""
    if not actor.connection_id or chat.status == ChatStatus.ENDED:
        return chat
    head = heads.get(chat.chat_id)
    if head is None or realtime.listener(head, actor.connection_id) is not None:
        return chat  # never rewritten: the entry holds the allowance spent there
    try:
        with transaction() as writes:
            realtime.attach_actions(writes, actor.connection_id, chat.chat_id, listener_of(actor))
    except TransactWriteError:
        pass  # the connection closed (or the chat ended) meanwhile: nothing to attach
    return chat


def listener_of(actor: Actor) -> dict[str, Any]:
    return realtime.listener_entry(actor.role, actor.subject_id, actor.name, actor.session_id)


def resume(
    actor: Actor, chat_id: str, after_seq: int, *, max_bytes: int | None = None
) -> tuple[Chat, list[Message], bool]:
    """Re-attach a connection and return the messages after `after_seq`, as many
    as fit in `max_bytes` of JSON if given (True when more follow: resume again
    after the last).
    The connection joins before the read, and message writes check the set of
    listeners they read, so each later message is in the read or pushed."""
    chat = _attached(actor, access.readable_chat(actor, chat_id))
    history, more = messages.history_page(chat.chat_id, after_seq, max_bytes)
    return chat, history, more


def leave(actor: Actor, chat_id: str, *, now: datetime, push: Pusher) -> Chat:
    """The customer ends the chat on their side (R-WID-6). A waiting chat ends
    outright; an assigned one stays on the operator's list until End."""
    if not actor.is_customer:
        raise NotAllowed("only the customer leaves a chat", "forbidden")

    def attempt(_: int) -> tuple[Chat, ChatHead | None]:
        chat = access.readable_chat(actor, chat_id)
        if chat.status == ChatStatus.ENDED or chat.customer_left_at:
            return chat, None  # left already
        head = heads.require(chat.chat_id)
        with transaction() as writes:
            _add_leave_writes(writes, chat, head, clock.iso(now) or "")
        return chat, head

    chat, head = retries.until_committed(attempt, busy="could not leave the chat; try again")
    _clear_open_chat(chat.service_id, chat.customer_id, chat.chat_id)
    if head is None:
        return chat
    if chat.status == ChatStatus.WAITING:
        ended = Chat.get(chat.chat_id, consistent_read=True)
        hook_events.chat_event("chat.ended", ended, ended_by="customer")
        routing.push_positions(chat.service_id, push)
        return ended
    else:
        frame = {"type": "chat.customer_left", "chat_id": chat.chat_id}
        realtime.deliver(push, realtime.conns(head, "operator"), frame)
    return Chat.get(chat.chat_id, consistent_read=True)


def _add_leave_writes(writes: TransactWrite, chat: Chat, head: ChatHead, left_at: str) -> None:
    """A waiting chat ends; a held one is marked left (its operator ends it)."""
    if chat.status == ChatStatus.WAITING:
        writes.update(
            chat,
            actions=[
                Chat.status.set(ChatStatus.ENDED),
                Chat.ended_at.set(left_at),
                Chat.customer_left_at.set(left_at),
                Chat.last_seq.set(int(head.last_seq or 0)),
                Chat.queued_service_id.remove(),
                Chat.queued_at.remove(),
                *routing.no_sweep_actions(),
            ],
            condition=(Chat.status == ChatStatus.WAITING) & Chat.operator_id.does_not_exist(),
        )
        _close_head(writes, head, customer_left=True)
    else:
        writes.update(
            chat,
            actions=[Chat.customer_left_at.set(left_at)],
            condition=Chat.status.is_in(*HELD_STATUSES) & Chat.customer_left_at.does_not_exist(),
        )
        writes.update(head, actions=[ChatHead.customer_left.set(True)])
    _give_back_place(writes, chat)


def _give_back_place(writes: TransactWrite, chat: Chat) -> None:
    """The chat no longer counts against its address's cap (R-SEC-4)."""
    if chat.address_cap:
        caps.give_back_in(writes, chat.address_cap, chat.chat_id)


def _close_head(writes: TransactWrite, head: ChatHead, *, customer_left: bool = False) -> None:
    """The head of a chat that ends: nothing more is sent in it, and its last seq
    (written to the chat in the same transaction) is the one read."""
    actions: list[Action] = [ChatHead.ended.set(True)]
    if customer_left:
        actions.append(ChatHead.customer_left.set(True))
    writes.update(head, actions=actions,
                  condition=ChatHead.last_seq == int(head.last_seq or 0))


def typing(actor: Actor, chat_id: str, *, push: Pusher) -> None:
    """Tell the other side someone is typing (no storage, nothing to retry): the
    chat's head says who may and who listens."""
    head = heads.readable(actor, chat_id, consistent=False)
    heads.require_speaker(actor, head)
    others = realtime.conns(head, "operator" if actor.is_customer else "customer")
    frame = {"type": "typing", "chat_id": head.chat_id, "role": actor.side}
    realtime.deliver(push, others, frame)


def submit_rating(
    actor: Actor, chat_id: str, score: int, comment: str | None, *, now: datetime, push: Pusher
) -> Chat:
    """The customer's rating (R-WID-5): one per chat, a later one replaces it."""
    if not actor.is_customer:
        raise NotAllowed("only the customer rates a chat", "forbidden")
    rating = {"score": score, "comment": comment or None, "rated_at": clock.iso(now)}

    def attempt(_: int) -> Chat:
        chat = access.readable_chat(actor, chat_id)
        if not _served(chat):
            raise Conflict("only a chat an operator took can be rated", "not_served")
        previous = chat.rating or None
        # The rating as read must still be there, so the statistics' running sum
        # replaces exactly the score it counted before.
        unchanged = Chat.rating.does_not_exist() if previous is None else Chat.rating == previous
        counts = stats.Counts(chat.service_id, chat.created_at, chat.chat_id).rated(
            score, int(previous["score"]) if previous else None
        )
        with transaction() as writes:
            writes.update(
                chat,
                actions=[Chat.rating.set(rating),
                         *chat_index.rating_actions(chat.service_id, score)],
                condition=(Chat.customer_id == actor.subject_id) & unchanged
                & (Chat.operator_id.exists() | Chat.first_response_at.exists()),
            )
            counts.add_to(writes)
        return chat

    chat = retries.until_committed(attempt, busy="the chat changed meanwhile; rate again")
    chat.rating = rating
    hook_events.chat_event("chat.rated", chat)
    frame = {"type": "chat.rated", "chat_id": chat.chat_id, "score": score,
             "comment": rating["comment"]}
    head = heads.get(chat.chat_id)
    if head is not None:
        realtime.deliver(push, realtime.conns(head, "operator"), frame)
    return chat


def _served(chat: Chat) -> bool:
    """An operator took the chat (R-SEC-5: only those are rated): it has an
    operator, or had one who answered before it went back to the queue."""
    return bool(chat.operator_id or chat.first_response_at)


def check_rating(frame: dict[str, Any]) -> tuple[int, str | None]:
    score = validate.integer(frame, "score", low=1, high=5)
    comment = validate.text(frame, "comment", max_len=MAX_COMMENT, required=False,
                            allow_empty=True)
    return score, comment


# --- the operator -----------------------------------------------------------------


def open_chat(actor: Actor, chat_id: str, *, now: datetime) -> Chat:
    """The operator opens the chat window: the chat is active, and processed
    once a reply is also sent (R-CH-1)."""

    def attempt(_: int) -> Chat:
        chat = access.readable_chat(actor, chat_id)
        access.require_handler(actor, chat)
        access.require_not_ended(chat)
        if not chat.operator_id:
            raise Conflict("the chat is waiting for an operator", "not_assigned")
        actions = [
            Chat.status.set(ChatStatus.ACTIVE),
            Chat.opened_at.set(Chat.opened_at | clock.iso(now)),
            *routing.no_sweep_actions(),
        ]
        condition = (Chat.operator_id == chat.operator_id) & Chat.status.is_in(*HELD_STATUSES)
        counts = None
        if chat.first_response_at and not chat.processed:
            actions += chat_index.processed_actions(chat.service_id)
            condition = condition & (
                Chat.processed.does_not_exist() | (Chat.processed == False)  # noqa: E712
            )
            counts = stats.Counts(chat.service_id, chat.created_at, chat.chat_id).processed(
                chat.first_response_at, chat.assigned_at
            )
        elif not chat.first_response_at:
            condition = condition & Chat.first_response_at.does_not_exist()
        with transaction() as writes:
            writes.update(chat, actions=actions, condition=condition)
            if counts:
                counts.add_to(writes)
                # Replied and now processed: the operator's messages no
                # longer change the chat item.
                writes.update(ChatHead(chat_id=chat.chat_id),
                              actions=[ChatHead.replied.set(True)],
                              condition=ChatHead.chat_id.exists())
        return Chat.get(chat.chat_id, consistent_read=True)

    return retries.until_committed(attempt)


@dataclass(frozen=True)
class ReadMark:
    """`POST /chats/{id}/read`: the operator has seen the chat up to `seq`."""

    seq: int

    @classmethod
    def checked(cls, body: Any) -> ReadMark:
        validate.body_object(body)
        validate.only_fields(body, ("seq",))
        seq = body.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 10**9:
            raise InvalidInput("seq", "must be a whole number")
        return cls(seq=seq)


def mark_read(actor: Actor, chat_id: str, mark: ReadMark) -> None:
    """The chat's operator has seen its messages up to `mark.seq`: its unread
    count starts again from 0, unless a message came after that seq (then the
    count stays, and the console marks again when it shows that one). Anyone
    else's read (an admin looking in) changes nothing."""
    head = heads.readable(actor, chat_id)
    if actor.is_customer or head.operator_id != actor.subject_id or not head.unread:
        return
    try:
        head.update(actions=[ChatHead.unread.set(0)],
                    condition=(ChatHead.operator_id == actor.subject_id)
                    & (ChatHead.last_seq <= mark.seq))
    except UpdateError as error:
        if not retries.lost_race(error):
            raise


@dataclass(frozen=True)
class InfoChange:
    """The Save button's change (R-CON-6): customer fields to set (None removes
    one) and the chat's category, when given (None clears it)."""

    customer: dict[str, str | None] = field(default_factory=dict)
    category_given: bool = False
    category_id: str | None = None

    @classmethod
    def checked(cls, body: Any) -> InfoChange:
        """From `PUT /chats/{id}/info`'s body: absent or null means no change."""
        validate.body_object(body)
        validate.only_fields(body, ("customer", "inquiry"))
        customer_body = validate.body_object(_or_empty(body.get("customer")), "customer")
        inquiry_body = validate.body_object(_or_empty(body.get("inquiry")), "inquiry")
        validate.only_fields(customer_body, ("name", "email", "notes"))
        validate.only_fields(inquiry_body, ("category_id",))
        category_given = "category_id" in inquiry_body
        return cls(
            customer=_customer_changes(customer_body),
            category_given=category_given,
            category_id=_category_change(inquiry_body) if category_given else None,
        )


def save_info(actor: Actor, chat_id: str, change: InfoChange) -> Chat:
    """The Save button (R-CON-6): customer info and the inquiry's category, in one
    transaction with the category usage counts. It works on ended chats too: that
    is Chat History's edit (R-CON-9)."""

    def attempt(_: int) -> Chat:
        chat = access.readable_chat(actor, chat_id)
        access.require_handler(actor, chat)
        old_category = chat.category_id
        category_id = change.category_id if change.category_given else old_category
        try:
            with transaction() as writes:
                writes.update(chat, actions=_info_actions(chat, change.customer, category_id),
                              condition=_as_read(chat))
                before = chat.customer or {}
                after = {**before, **change.customer}
                search_terms.add_to(writes, chat.service_id, chat.chat_id, chat.created_at,
                                    old=(before.get("name"), before.get("email")),
                                    new=(after.get("name"), after.get("email")),
                                    expires_at=chat.expires_at)
                categories.usage_actions(writes, chat.service_id, old_category, category_id)
                if change.customer:
                    writes.update(
                        Customer(service_id=chat.service_id, customer_id=chat.customer_id),
                        actions=[_customer_attribute(k).set(v) if v is not None
                                 else _customer_attribute(k).remove()
                                 for k, v in change.customer.items()],
                        condition=Customer.customer_id.exists(),
                    )
        except TransactWriteError as exc:
            if failed_tables(writes, exc).get("categories") == "ConditionalCheckFailed":
                raise InvalidInput("inquiry.category_id", "no such category") from exc
            raise
        return Chat.get(chat.chat_id, consistent_read=True)

    return retries.until_committed(attempt)


def _as_read(chat: Chat) -> Any:
    """The chat's category, name and email are still those read (the category's
    count, and the name's and email's search pieces, are moved from them)."""
    condition = None
    for attribute, value in ((Chat.category_id, chat.category_id),
                             (Chat.name_key, chat.name_key), (Chat.email_key, chat.email_key)):
        clause = attribute.does_not_exist() if value is None else attribute == value
        condition = clause if condition is None else condition & clause
    return condition


def _info_actions(chat: Chat, changes: dict[str, Any], category_id: str | None) -> list[Any]:
    """The chat's customer snapshot, its search keys and its category, saved."""
    snapshot = {**(chat.customer or {}), **changes}
    actions = [
        Chat.customer.set(snapshot),
        *chat_index.customer_actions(chat.service_id, snapshot.get("name"),
                                     snapshot.get("email")),
    ]
    if category_id:
        return [*actions, Chat.category_id.set(category_id),
                Chat.category_key.set(f"{chat.service_id}#{category_id}")]
    return [*actions, Chat.category_id.remove(), Chat.category_key.remove()]


def _or_empty(value: Any) -> Any:
    return {} if value is None else value


def _customer_attribute(field: str) -> Any:
    return {"name": Customer.name, "email": Customer.email, "notes": Customer.notes}[field]


def _customer_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = validate.text(
            body, "name", max_len=100, required=False, single_line=True, allow_empty=True
        ) or None
    if "email" in body:
        changes["email"] = validate.email(body, "email", required=False) \
            if body.get("email") else None
    if "notes" in body:
        changes["notes"] = validate.text(
            body, "notes", max_len=MAX_NOTES, required=False, allow_empty=True
        ) or None
    return changes


def _category_change(body: dict[str, Any]) -> str | None:
    value = body["category_id"]
    if value in (None, ""):
        return None
    return validate.id_string(value, "inquiry.category_id")


def request_rating(actor: Actor, chat_id: str, *, now: datetime, push: Pusher) -> None:
    """R-CON-8: the rating guidance message, then the customer's rating screen."""
    chat = access.readable_chat(actor, chat_id)
    access.require_handler(actor, chat)
    access.require_customer_present(chat)
    found = settings.current(tenants.get_service(chat.service_id))
    text, lang = settings.text_for(found, "rating_message", chat.language)
    head = messages.post_system(chat.chat_id, text, lang=lang, now=now, push=push)
    frame = {"type": "rating.requested", "chat_id": chat.chat_id, "text": text, "lang": lang}
    realtime.deliver(push, realtime.conns(head, "customer"), frame)


def end(actor: Actor, chat_id: str, *, now: datetime, push: Pusher) -> Chat:
    """End (R-CON-9): off the operator's list, capacity given back in the same
    transaction, the queue drained into the freed place."""

    def attempt(_: int) -> tuple[Chat, ChatHead | None]:
        chat = access.readable_chat(actor, chat_id)
        access.require_handler(actor, chat)
        if chat.status == ChatStatus.ENDED:
            return chat, None
        head = heads.require(chat.chat_id)
        with transaction() as writes:
            _add_end_writes(writes, chat, head, clock.iso(now) or "")
        return chat, head

    chat, head = retries.until_committed(attempt)
    if head is None:
        return chat  # ended already
    _clear_open_chat(chat.service_id, chat.customer_id, chat.chat_id)
    realtime.deliver(push, messages.listeners(head), {"type": "chat.ended",
                                                       "chat_id": chat.chat_id})
    if chat.operator_id:
        routing.drain(chat.service_id, now=now, push=push)
    else:
        routing.push_positions(chat.service_id, push)
    ended = Chat.get(chat.chat_id, consistent_read=True)
    hook_events.chat_event("chat.ended", ended,
                           ended_by="customer" if actor.is_customer else "operator")
    return ended


def _add_end_writes(writes: TransactWrite, chat: Chat, head: ChatHead, ended_at: str) -> None:
    """The chat ends as read (same status, same operator), its head closes at its
    last seq, and its operator's place and its address's place are given back."""
    held_by = (
        Chat.operator_id.does_not_exist() if not chat.operator_id
        else Chat.operator_id == chat.operator_id
    )
    writes.update(
        chat,
        actions=[
            Chat.status.set(ChatStatus.ENDED),
            Chat.ended_at.set(ended_at),
            Chat.last_seq.set(int(head.last_seq or 0)),
            Chat.open_operator_id.remove(),
            Chat.queued_service_id.remove(),
            Chat.queued_at.remove(),
            *routing.no_sweep_actions(),
        ],
        condition=(Chat.status == chat.status) & held_by,
    )
    _close_head(writes, head)
    _give_back_place(writes, chat)
    if chat.operator_id:
        writes.update(
            Operator(service_id=chat.service_id, operator_id=chat.operator_id),
            actions=[Operator.open_chats.add(-1)],
        )
