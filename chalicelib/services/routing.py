"""Routing (R-RT-1…4): which operator gets a chat, the first-come queue, and
giving chats back when an operator does not take them.

Every new chat enters the queue; `drain` then assigns queued chats, oldest
first, while online operators have spare capacity. One assignment is one
transaction:
  Update operator  ADD open_chats 1   IF online in this service AND open_chats < cap
  Update chat      status = assigned  IF status = waiting AND no operator
  Update customer  last_operator_id   (sticky assignment next time)
so no chat is ever assigned twice and no operator goes over capacity, however
many drains run at once; a drain that loses a race re-reads and tries again.
Capacity is given back (ADD open_chats -1) in the same transaction that ends or
requeues the chat.
"""

from __future__ import annotations

import enum
import hashlib
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, observe, realtime
from chalicelib.models import (
    HELD_STATUSES,
    Chat,
    ChatHead,
    ChatStatus,
    Customer,
    Operator,
    failed_tables,
    transaction,
)
from chalicelib.realtime import Pusher
from chalicelib.services import (
    categories,
    chat_index,
    heads,
    hook_events,
    operators,
    retries,
    settings,
    tenants,
)
from chalicelib.services.chat_json import ChatView, chat_json, customer_chat_json

SWEEP_SHARDS = 4
QUEUE_RECHECK_S = 60  # a waiting chat is looked at by the sweep at least this often
QUEUE_PUSH_HEAD = 10  # waiting customers told their new place at once when the queue moves
MAX_DRAIN_FAILURES = 60


class Outcome(enum.Enum):
    ASSIGNED = "assigned"
    OPERATOR_FULL = "operator_full"  # or no longer online
    CHAT_TAKEN = "chat_taken"  # assigned by another drain, or left, or ended
    CONFLICT = "conflict"  # a concurrent transaction touched the same items


# --- sweep bookkeeping ------------------------------------------------------------


def sweep_shard(chat_id: str) -> str:
    digest = hashlib.sha256(chat_id.encode()).hexdigest()
    return f"sweep#{int(digest[:8], 16) % SWEEP_SHARDS}"


def sweep_actions(chat_id: str, when: datetime) -> list[Any]:
    """Actions that make the sweep look at the chat once `when` has passed."""
    return [Chat.sweep_shard.set(sweep_shard(chat_id)), Chat.sweep_at.set(clock.iso(when))]


def no_sweep_actions() -> list[Any]:
    return [Chat.sweep_shard.remove(), Chat.sweep_at.remove()]


# --- who can take a chat ----------------------------------------------------------


def capacity(operator: Operator, service_settings: dict[str, Any]) -> int:
    return operators.effective_max_chats(operator, service_settings)


def available_operators(service_id: str, service_settings: dict[str, Any]) -> list[Operator]:
    """Online operators with spare capacity (read from the sparse online index)."""
    return [
        op for op in Operator.online.query(service_id)
        if int(op.open_chats or 0) < capacity(op, service_settings)
    ]


def choose(
    chat: Chat,
    candidates: list[Operator],
    service_settings: dict[str, Any],
    *,
    spread: bool = False,
) -> Operator | None:
    """R-RT-1: the sticky operator when the setting is on, else the fewest open
    chats, ties to the longest since last assignment. A requeued chat goes to
    someone else than the operator it was taken from, when anyone else can; a
    chat its operator transferred back to the queue (R-TR-1) never goes back to
    them (None: nobody else can take it now). `spread` picks at random among the
    equally loaded (after a lost race)."""
    if chat.skip_operator_id and chat.transferred_from == chat.skip_operator_id:
        candidates = [op for op in candidates if op.operator_id != chat.skip_operator_id]
        if not candidates:
            return None
    if service_settings.get("sticky_assignment") and chat.sticky_operator_id:
        for op in candidates:
            if op.operator_id == chat.sticky_operator_id:
                return op
    pool = [op for op in candidates if op.operator_id != chat.skip_operator_id] or candidates
    fewest = min(int(op.open_chats or 0) for op in pool)
    least_loaded = [op for op in pool if int(op.open_chats or 0) == fewest]
    if spread:
        return random.choice(least_loaded)  # noqa: S311
    return min(least_loaded, key=lambda op: (op.last_assigned_at or "", op.operator_id))


# --- the queue --------------------------------------------------------------------


def queue_actions(chat: Chat, queued_at: str, now: datetime) -> list[Any]:
    return [
        Chat.status.set(ChatStatus.WAITING),
        Chat.queued_service_id.set(chat.service_id),
        Chat.queued_at.set(queued_at),
        *sweep_actions(chat.chat_id, now + timedelta(seconds=QUEUE_RECHECK_S)),
    ]


def front_of_queue(now: datetime) -> str:
    """A queue place ahead of every chat queued by time (theirs are ISO times,
    which start with a digit): a chat transferred back is next (R-TR-1), and of
    two such, the one transferred back first."""
    return "!" + (clock.iso(now) or "")


def waiting_chats(service_id: str, known: Iterable[Chat] = ()) -> list[Chat]:
    """The service's queue, first come first; `known` chats just queued are
    included even before the (eventually consistent) index shows them."""
    queue = {chat.chat_id: chat for chat in Chat.queue.query(service_id)}
    for chat in known:
        if chat.status == ChatStatus.WAITING and chat.queued_service_id:
            queue.setdefault(chat.chat_id, chat)
    return sorted(queue.values(), key=lambda c: (c.queued_at or "", c.chat_id))


def queue_position(chat: Chat) -> int | None:
    if chat.status != ChatStatus.WAITING or not chat.queued_at:
        return None
    ahead = Chat.queue.count(chat.service_id, Chat.queued_at < chat.queued_at)
    return int(ahead) + 1


def waiting_count(service_id: str, limit: int | None = None) -> int:
    """Chats in the service's queue (counting stops at `limit` when given)."""
    return int(Chat.queue.count(service_id, limit=limit))


def push_positions(
    service_id: str,
    push: Pusher,
    *,
    only: Iterable[Chat] | None = None,
    everyone: bool = False,
) -> None:
    """`chat.queued` with the queue position to the first QUEUE_PUSH_HEAD waiting
    customers of the service (those whose wait a change shortens most), to
    `only` the given chats (when nobody else's position changed), or to every
    waiting customer (`everyone`: the minute sweep). So a change of the queue
    costs a bounded number of pushes, not one per waiting customer (R-SEC-4):
    further back, the position shown is at most a minute old."""
    if only is not None:
        positions = [(queue_position(chat), chat) for chat in only]
    else:
        limit = None if everyone else QUEUE_PUSH_HEAD
        positions = list(enumerate(Chat.queue.query(service_id, limit=limit), start=1))
    waiting = [(position, chat) for position, chat in positions if position is not None]
    listening = heads.of_chats(chat for _, chat in waiting)
    for position, chat in waiting:
        head = listening.get(chat.chat_id)
        if head is not None:
            frame = {"type": "chat.queued", "chat_id": chat.chat_id, "queue_position": position}
            realtime.deliver(push, realtime.conns(head, "customer"), frame)


# --- assigning --------------------------------------------------------------------


def assign_actions(
    chat: Chat, operator: Operator, service_settings: dict[str, Any], now: datetime
) -> list[Any]:
    """The chat's side of giving it to `operator` (an assignment or a transfer):
    on their list, not yet opened, looked at by the sweep if it stays unopened."""
    timeout = timedelta(seconds=int(service_settings["unopened_timeout_s"]))
    return [
        Chat.status.set(ChatStatus.ASSIGNED),
        Chat.operator_id.set(operator.operator_id),
        Chat.operator_name.set(operator.name),
        Chat.open_operator_id.set(operator.operator_id),
        Chat.assigned_at.set(clock.iso(now)),
        *chat_index.operator_actions(chat.service_id, operator.operator_id),
        *sweep_actions(chat.chat_id, now + timeout),
    ]


def unassign_actions(chat: Chat, operator_id: str, queued_at: str, now: datetime) -> list[Any]:
    """The chat's side of taking it from `operator_id` back into the queue at
    `queued_at` (a requeue or a transfer back): offered to someone else first."""
    return [
        *queue_actions(chat, queued_at, now),
        Chat.skip_operator_id.set(operator_id),
        Chat.operator_id.remove(),
        *chat_index.operator_actions(chat.service_id, None),
        Chat.operator_name.remove(),
        Chat.open_operator_id.remove(),
        Chat.assigned_at.remove(),
    ]


def try_assign(
    chat: Chat,
    operator: Operator,
    service_settings: dict[str, Any],
    now: datetime,
    operator_conns: dict[str, dict[str, Any]],
) -> Outcome:
    chat_actions = [
        *assign_actions(chat, operator, service_settings, now),
        Chat.queued_service_id.remove(),
        Chat.queued_at.remove(),
    ]
    # The head: the operator may send, and its consoles hear the chat from now on.
    head_actions = [
        ChatHead.operator_id.set(operator.operator_id),
        *realtime.listen_actions(operator_conns),
    ]
    try:
        with transaction() as writes:
            writes.update(
                operator,
                actions=[
                    Operator.open_chats.add(1),
                    Operator.last_assigned_at.set(clock.iso(now)),
                ],
                condition=(Operator.online_service_id == chat.service_id)
                & (Operator.open_chats < capacity(operator, service_settings)),
            )
            writes.update(
                chat,
                actions=chat_actions,
                condition=(Chat.status == ChatStatus.WAITING)
                & Chat.operator_id.does_not_exist()
                & Chat.customer_left_at.does_not_exist(),
            )
            writes.update(
                ChatHead(chat_id=chat.chat_id),
                actions=head_actions,
                condition=ChatHead.listeners.exists(),
            )
            writes.update(
                Customer(service_id=chat.service_id, customer_id=chat.customer_id),
                actions=[Customer.last_operator_id.set(operator.operator_id)],
            )
    except TransactWriteError as exc:
        observe.count(observe.ASSIGNMENT_CONFLICTS)  # another drain or change came first
        failed = failed_tables(writes, exc)
        if failed.get("operators") == "ConditionalCheckFailed":
            return Outcome.OPERATOR_FULL
        if failed.get("chats") == "ConditionalCheckFailed":
            return Outcome.CHAT_TAKEN
        return Outcome.CONFLICT
    return Outcome.ASSIGNED


def drain(
    service_id: str,
    *,
    now: datetime,
    push: Pusher,
    known: Iterable[Chat] = (),
    queue_changed: bool = False,
) -> list[str]:
    """Assign queued chats, oldest first, while operators have capacity; push
    `chat.assigned` and the new queue positions (to everyone waiting when the
    queue changed, else only to the `known` chats just queued). Returns the
    chats assigned."""
    known = list(known)
    service_settings = settings.current(tenants.get_service(service_id))
    # Outside business hours nothing is assigned (R-BH-1): chats already with an
    # operator go on; a chat still waiting waits for the hours (or its customer
    # leaves it, or writes the offline form).
    candidates = (available_operators(service_id, service_settings)
                  if settings.is_open(service_settings, now) else [])
    assigned: list[str] = []
    if candidates:
        queue = waiting_chats(service_id, known)
        conns: dict[str, dict[str, dict[str, Any]]] = {}
        failures = 0
        while queue and candidates and failures < MAX_DRAIN_FAILURES:
            spread = failures > 0
            free = sum(
                capacity(op, service_settings) - int(op.open_chats or 0) for op in candidates
            )
            chat = random.choice(queue[: max(1, free)]) if spread else queue[0]  # noqa: S311
            operator = choose(chat, candidates, service_settings, spread=spread)
            if operator is None:
                queue.remove(chat)  # only its giver could take it: it waits for someone else
                continue
            if operator.operator_id not in conns:
                conns[operator.operator_id] = realtime.operator_entries(operator.operator_id)
            if spread:
                observe.count(observe.ASSIGNMENT_RETRIES)  # an attempt after a lost race
            outcome = try_assign(
                chat, operator, service_settings, now, conns[operator.operator_id]
            )
            if outcome is Outcome.ASSIGNED:
                queue.remove(chat)
                assigned.append(chat.chat_id)
                operator.open_chats = int(operator.open_chats or 0) + 1
                if operator.open_chats >= capacity(operator, service_settings):
                    candidates.remove(operator)
                continue
            failures += 1
            retries.backoff(failures)
            if outcome is Outcome.CHAT_TAKEN:
                queue.remove(chat)
            else:
                candidates = available_operators(service_id, service_settings)
    for chat_id in assigned:
        announce_assignment(chat_id, push)
    if assigned or queue_changed:
        push_positions(service_id, push)
    else:
        push_positions(service_id, push, only=[c for c in known if c.status == ChatStatus.WAITING])
    return assigned


def announce_assignment(chat_id: str, push: Pusher) -> None:
    """`chat.assigned` to the operator (the console blinks) and, in their own
    view, to the customer."""
    chat = Chat.get(chat_id, consistent_read=True)
    head = heads.require(chat_id)
    view = ChatView(chat, last_seq=heads.last_seq(chat, head),
                    category_path=categories.category_path(chat.service_id, chat.category_id))
    to_operators = {"type": "chat.assigned", "chat": chat_json(view)}
    realtime.deliver(push, realtime.conns(head, "operator"), to_operators)
    to_customer = {"type": "chat.assigned", "chat": customer_chat_json(view)}
    realtime.deliver(push, realtime.conns(head, "customer"), to_customer)
    hook_events.chat_event("chat.assigned", chat)  # R-HOOK-1


# --- giving chats back ------------------------------------------------------------


def requeue(chat: Chat, *, now: datetime, push: Pusher) -> bool:
    """Take a chat back from its operator into the queue at its original place
    (R-RT-4), giving the operator's capacity back in the same transaction."""
    operator_id = chat.operator_id
    if not operator_id or chat.status not in HELD_STATUSES:
        return False
    # The operator side stops hearing it: the operator's consoles and anyone
    # else's that resumed it (they may open it again from the list).
    head = heads.get(chat.chat_id)
    held_by = realtime.conns(head, "operator") if head is not None else set()
    try:
        with transaction() as writes:
            writes.update(
                chat,
                actions=unassign_actions(chat, operator_id, chat.created_at, now),
                condition=(Chat.operator_id == operator_id)
                & Chat.status.is_in(*HELD_STATUSES),
            )
            writes.update(
                ChatHead(chat_id=chat.chat_id),
                actions=[
                    ChatHead.operator_id.remove(),
                    *[ChatHead.listeners[c].remove() for c in sorted(held_by)],
                    ChatHead.conns_version.add(1),
                ],
                condition=ChatHead.chat_id.exists(),
            )
            writes.update(
                Operator(service_id=chat.service_id, operator_id=operator_id),
                actions=[Operator.open_chats.add(-1)],
            )
    except TransactWriteError:
        return False
    realtime.deliver(push, held_by, {"type": "chat.unassigned", "chat_id": chat.chat_id})
    return True


def release_operator_chats(
    service_id: str, operator_id: str, *, now: datetime, push: Pusher
) -> int:
    """Requeue an operator's chats whose customer is still there (the operator
    went offline); chats whose customer left stay until the operator ends them."""
    count = 0
    for held in Chat.by_operator.query(operator_id):
        if held.service_id != service_id or held.customer_left_at:
            continue
        chat = Chat.get(held.chat_id, consistent_read=True)
        if requeue(chat, now=now, push=push):
            count += 1
    return count
