"""Transfer (R-TR-1): the chat's operator (or an admin) hands it to another
online operator with spare capacity, or back to the queue at its front.

A transfer to an operator is one transaction:
  Update chat      operator = target, status = assigned   IF operator = giver AND held
  Update head      operator = target, the operator side's listeners replaced
  Update target    ADD open_chats 1   IF online in this service AND open_chats < cap
  Update giver     ADD open_chats -1
  Update customer  last_operator_id = target (sticky assignment)
  Put note         the handover note, if any
so a chat never has two operators and nobody goes over capacity, however many
transfers, assignments, ends and leaves race. The holder is the one read when
the request came: if the chat has changed hands since, the transfer fails
(`chat_moved`) rather than moving it again from its new holder, so of many
concurrent transfers of one chat exactly one wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, realtime, validate
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.models import (
    HELD_STATUSES,
    Chat,
    ChatHead,
    ChatStatus,
    Customer,
    Note,
    Operator,
    failed_tables,
    transaction,
)
from chalicelib.realtime import Pusher
from chalicelib.services import (
    access,
    chat_views,
    heads,
    hook_events,
    messages,
    notes,
    retries,
    routing,
    settings,
    tenants,
)
from chalicelib.services.access import Actor
from chalicelib.services.chat_json import chat_json, customer_chat_json


@dataclass(frozen=True)
class TransferRequest:
    """`POST /chats/{id}/transfer`: to `operator_id`, or (None) back to the queue."""

    operator_id: str | None
    note: str | None

    @classmethod
    def checked(cls, body: Any) -> TransferRequest:
        validate.body_object(body)
        validate.only_fields(body, ("operator_id", "note"))
        operator_id = body.get("operator_id")
        if operator_id is not None:
            operator_id = validate.id_string(operator_id, "operator_id")
        note = body.get("note")
        if note is not None and not (isinstance(note, str) and not note.strip()):
            note = messages.checked_text(note, "note")
        return cls(operator_id=operator_id, note=note or None)


@dataclass(frozen=True)
class Transferred:
    chat: Chat
    note: Note | None


class Moved(Exception):
    """The chat changed hands since the transfer read it."""


def transfer(
    actor: Actor, chat_id: str, request: TransferRequest, *, now: datetime, push: Pusher
) -> Chat:
    chat = access.readable_chat(actor, chat_id)
    access.require_handler(actor, chat)
    access.require_not_ended(chat)
    if not chat.operator_id:
        raise Conflict("the chat is waiting for an operator", "not_assigned")
    giver = chat.operator_id
    if request.operator_id == giver:
        raise InvalidInput("operator_id", "the chat is already with this operator")
    head_before = heads.require(chat.chat_id)
    if request.operator_id:
        target = _target(actor.service_id, request.operator_id)
        done = _to_operator(actor, chat.chat_id, giver, target, request.note, now=now)
        _announce_to_operator(done, giver, head_before, push)
    else:
        done = _to_queue(actor, chat.chat_id, giver, request.note, now=now)
        _announce_unassigned(chat.chat_id, head_before, push)
        routing.drain(chat.service_id, now=now, push=push, queue_changed=True)
    return Chat.get(chat.chat_id, consistent_read=True)


def _target(service_id: str, operator_id: str) -> Operator:
    try:
        return Operator.get(service_id, operator_id, consistent_read=True)
    except Operator.DoesNotExist as exc:
        raise NotFound("no such operator") from exc


def _current(chat_id: str, giver: str) -> Chat:
    """The chat again, still held by `giver` and not ended, or the reason why not."""
    chat = Chat.get(chat_id, consistent_read=True)
    if chat.status == ChatStatus.ENDED:
        raise Conflict("the chat has ended", "chat_ended")
    if chat.operator_id != giver or chat.status not in HELD_STATUSES:
        raise Conflict("the chat was moved by someone else meanwhile", "chat_moved")
    return chat


def _unavailable() -> Conflict:
    return Conflict("the operator is not online or has no free place", "operator_unavailable")


def _to_operator(
    actor: Actor, chat_id: str, giver: str, target: Operator, note_text: str | None,
    *, now: datetime,
) -> Transferred:
    service_settings = settings.current(tenants.get_service(actor.service_id))
    cap = routing.capacity(target, service_settings)
    if target.online_service_id != actor.service_id or int(target.open_chats or 0) >= cap:
        raise _unavailable()
    target_conns = realtime.operator_entries(target.operator_id)

    def attempt(_: int) -> Transferred:
        chat = _current(chat_id, giver)
        head = heads.require(chat_id)
        note = notes.new_note(chat, actor, note_text, now, notes.HANDOVER_KIND) \
            if note_text else None
        held_by = realtime.conns(head, "operator")
        chat_actions = [
            *routing.assign_actions(chat, target, service_settings, now),
            Chat.transferred_from.set(giver),
            Chat.skip_operator_id.remove(),
        ]
        if note:
            chat_actions.append(notes.count_action())
        try:
            with transaction() as writes:
                writes.update(chat, actions=chat_actions,
                              condition=(Chat.operator_id == giver)
                              & Chat.status.is_in(*HELD_STATUSES))
                writes.update(
                    ChatHead(chat_id=chat_id),
                    actions=[
                        ChatHead.operator_id.set(target.operator_id),
                        *[ChatHead.listeners[c].remove() for c in sorted(held_by)
                          if c not in target_conns],
                        *(realtime.listen_actions(target_conns)
                          or [ChatHead.conns_version.add(1)]),
                    ],
                    condition=ChatHead.operator_id == giver,
                )
                writes.update(
                    target,
                    actions=[Operator.open_chats.add(1),
                             Operator.last_assigned_at.set(clock.iso(now))],
                    condition=(Operator.online_service_id == chat.service_id)
                    & (Operator.open_chats < cap),
                )
                writes.update(
                    Operator(service_id=chat.service_id, operator_id=giver),
                    actions=[Operator.open_chats.add(-1)],
                    condition=Operator.operator_id.exists(),
                )
                writes.update(
                    Customer(service_id=chat.service_id, customer_id=chat.customer_id),
                    actions=[Customer.last_operator_id.set(target.operator_id)],
                )
                if note:
                    notes.add_to(writes, note)
        except TransactWriteError as exc:
            failed = failed_tables(writes, exc)
            if failed.get("operators") == "ConditionalCheckFailed":
                fresh = Operator.get(chat.service_id, target.operator_id, consistent_read=True)
                if fresh.online_service_id != chat.service_id or \
                        int(fresh.open_chats or 0) >= cap:
                    raise _unavailable() from exc
            raise  # the chat or head changed, or a conflict: read again
        return Transferred(chat=chat, note=note)

    return retries.until_committed(attempt)


def _to_queue(
    actor: Actor, chat_id: str, giver: str, note_text: str | None, *, now: datetime
) -> Transferred:
    def attempt(_: int) -> Transferred:
        chat = _current(chat_id, giver)
        access.require_customer_present(chat)
        head = heads.require(chat_id)
        note = notes.new_note(chat, actor, note_text, now, notes.HANDOVER_KIND) \
            if note_text else None
        held_by = realtime.conns(head, "operator")
        chat_actions = [
            *routing.unassign_actions(chat, giver, routing.front_of_queue(now), now),
            Chat.transferred_from.set(giver),
        ]
        if note:
            chat_actions.append(notes.count_action())
        with transaction() as writes:
            writes.update(chat, actions=chat_actions,
                          condition=(Chat.operator_id == giver)
                          & Chat.status.is_in(*HELD_STATUSES)
                          & Chat.customer_left_at.does_not_exist())
            writes.update(
                ChatHead(chat_id=chat_id),
                actions=[
                    ChatHead.operator_id.remove(),
                    *[ChatHead.listeners[c].remove() for c in sorted(held_by)],
                    ChatHead.conns_version.add(1),
                ],
                condition=ChatHead.operator_id == giver,
            )
            writes.update(
                Operator(service_id=chat.service_id, operator_id=giver),
                actions=[Operator.open_chats.add(-1)],
                condition=Operator.operator_id.exists(),
            )
            if note:
                notes.add_to(writes, note)
        return Transferred(chat=chat, note=note)

    return retries.until_committed(attempt)


def _announce_unassigned(chat_id: str, head_before: ChatHead, push: Pusher) -> None:
    """The operators who heard the chat no longer do; they are told so."""
    realtime.deliver(push, realtime.conns(head_before, "operator"),
                     {"type": "chat.unassigned", "chat_id": chat_id})


def _announce_to_operator(
    done: Transferred, giver: str, head_before: ChatHead, push: Pusher
) -> None:
    chat = Chat.get(done.chat.chat_id, consistent_read=True)
    head = heads.require(chat.chat_id)
    now_hearing = realtime.conns(head, "operator")
    gone = realtime.conns(head_before, "operator") - now_hearing
    realtime.deliver(push, gone, {"type": "chat.unassigned", "chat_id": chat.chat_id})
    view = chat_views.view(chat)
    giver_name = _name_of(chat.service_id, giver)
    frame: dict[str, Any] = {
        "type": "chat.assigned",
        "chat": chat_json(view),
        "transferred_from": giver,
        "transferred_from_name": giver_name,
    }
    if done.note is not None:
        frame["note"] = notes.note_json(done.note)
    realtime.deliver(push, now_hearing, frame)
    realtime.deliver(push, realtime.conns(head, "customer"),
                     {"type": "chat.assigned", "chat": customer_chat_json(view)})
    hook_events.chat_event("chat.transferred", chat, from_operator_id=giver,
                           from_operator_name=giver_name)  # R-HOOK-1


def _name_of(service_id: str, operator_id: str) -> str | None:
    try:
        return str(Operator.get(service_id, operator_id).name)
    except Operator.DoesNotExist:
        return None


# --- who can take a chat --------------------------------------------------------------


def targets(actor: Actor, chat_id: str) -> list[dict[str, Any]]:
    """The service's online operators with their load, for the chat's Transfer
    dialog: `available` unless full or already holding the chat."""
    chat = access.readable_chat(actor, chat_id, consistent=False)
    service_settings = settings.current(tenants.get_service(actor.service_id))
    found = []
    for operator in Operator.online.query(actor.service_id):
        cap = routing.capacity(operator, service_settings)
        load = int(operator.open_chats or 0)
        found.append({
            "operator_id": operator.operator_id,
            "name": operator.name,
            "status": operator.status,
            "open_chats": load,
            "max_chats": cap,
            "available": load < cap and operator.operator_id != chat.operator_id,
        })
    return sorted(found, key=lambda o: (str(o["name"]).casefold(), o["operator_id"]))
