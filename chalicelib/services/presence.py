"""Operator presence (R-CON-2, R-RT-3, R-RT-4): the status selector, and what
connecting and disconnecting mean for the chats an operator holds.

Only `online` operators carry `online_service_id`, the key of the sparse
online-operators index routing reads. Coming online drains the queue; going
offline gives the operator's chats back to the queue. A console that vanishes
without going offline is noticed by the sweep after DISCONNECT_GRACE_S.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib import clock, realtime, validate
from chalicelib.errors import NotFound
from chalicelib.models import Chat, ChatHead, Connection, Operator
from chalicelib.realtime import Pusher
from chalicelib.services import operators, routing

DISCONNECT_GRACE_S = 90  # a reload or a short network drop is not leaving


def checked_status(body: object) -> str:
    return str(validate.choice(validate.body_object(body), "status", operators.STATUSES))


def set_status(
    service_id: str, operator_id: str, status: str, *, now: datetime, push: Pusher
) -> str:
    actions: list[Action] = [
        Operator.status.set(status),
        Operator.status_changed_at.set(clock.iso(now)),
    ]
    if status == "online":
        actions.append(Operator.online_service_id.set(service_id))
    else:
        actions.append(Operator.online_service_id.remove())
    try:
        Operator(service_id=service_id, operator_id=operator_id).update(
            actions=actions, condition=Operator.operator_id.exists()
        )
    except UpdateError as exc:
        raise NotFound("no such operator") from exc
    released = status == "offline" and routing.release_operator_chats(
        service_id, operator_id, now=now, push=push
    )
    if status == "online" or released:
        routing.drain(service_id, now=now, push=push, queue_changed=bool(released))
    return status


def operator_connected(connection: Connection) -> None:
    """A console socket hears every chat its operator holds."""
    entry = realtime.entry_of(connection)
    for held in Chat.by_operator.query(connection.subject_id):
        try:
            ChatHead(chat_id=held.chat_id).update(
                actions=realtime.listen_actions({connection.connection_id: entry}),
                condition=(ChatHead.operator_id == connection.subject_id)
                & (ChatHead.ended == False),  # noqa: E712
            )
        except UpdateError:
            continue


def operator_disconnected(connection: Connection, *, now: datetime) -> None:
    """The last console socket closed: let the sweep look at the operator's
    chats after the grace period (they are requeued if nobody came back)."""
    if realtime.connections_of(connection.subject_id):
        return
    look_at = now + timedelta(seconds=DISCONNECT_GRACE_S)
    for held in Chat.by_operator.query(connection.subject_id):
        if held.customer_left_at or (held.sweep_at and held.sweep_at <= clock.iso(look_at)):
            continue
        try:
            Chat(chat_id=held.chat_id).update(
                actions=routing.sweep_actions(held.chat_id, look_at),
                condition=Chat.open_operator_id == connection.subject_id,
            )
        except UpdateError:
            continue
