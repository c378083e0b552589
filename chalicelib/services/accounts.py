"""What ends when someone signs out or their account changes (R-SEC-2): a
session ends everywhere at once. Logout, deleting an operator, changing their
role or their password closes their open WebSockets (`DELETE @connections`)
after removing the connection records, so every chat stops pushing to them and
nothing they send is accepted; REST tokens stop working by the session record
(logout) or the operator's token_version (password)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib import realtime
from chalicelib.errors import NotFound
from chalicelib.models import Connection, Customer, Operator, Service
from chalicelib.realtime import Closer, Pusher
from chalicelib.services import operators, presence, sessions
from chalicelib.services.access import Caller


def end_sockets(
    service_id: str, operator_id: str, *, close: Closer, session_id: str | None = None
) -> int:
    """Close the operator's sockets (all, or one session's); how many closed."""
    sessions.forget_live_sessions(operator_id)
    return close_sockets(
        service_id, operator_id, close,
        only=None if session_id is None else (lambda c: c.session_id == session_id),
    )


def close_sockets(
    service_id: str,
    subject_id: str,
    close: Closer,
    *,
    only: Callable[[Connection], bool] | None = None,
) -> int:
    """Forget each socket of an operator or customer (its record, and with it
    every chat's listener entry), then have API Gateway close it."""
    closed = 0
    for connection_id in realtime.connections_of(subject_id):
        connection = realtime.get_connection(connection_id)
        if connection is None or connection.service_id != service_id:
            continue
        if only is not None and not only(connection):
            continue
        realtime.close_connection(connection_id)
        close(connection_id)
        closed += 1
    return closed


def logout(caller: Caller, *, now: datetime, push: Pusher, close: Closer) -> None:
    """The token stops working, the session's sockets close, and the operator
    goes offline (their chats go back to the queue, as when they pick offline)."""
    sessions.logout(caller)
    end_sockets(caller.service_id, caller.operator_id, close=close, session_id=caller.session_id)
    presence.set_status(caller.service_id, caller.operator_id, "offline", now=now, push=push)


def update_operator(
    service: Service, operator_id: str, change: operators.OperatorChange, *, close: Closer
) -> Operator:
    """An admin's change; a new role or password ends the operator's sockets
    (the console signs in again with what they may do now)."""
    before = operators.get_operator(service.service_id, operator_id)
    after = operators.update(service, operator_id, change)
    if after.role != before.role or after.token_version != before.token_version:
        end_sockets(service.service_id, operator_id, close=close)
    return after


def delete_operator(service: Service, operator_id: str, *, close: Closer) -> None:
    operators.delete(service, operator_id)
    end_sockets(service.service_id, operator_id, close=close)


def sign_out_customer(service_id: str, customer_id: str, *, close: Closer) -> None:
    """Revoke every visitor token of a customer and close their sockets (R-SEC-6):
    that browser's next widget session starts as a new, unknown visitor. Their
    open chat, if any, stays for the operator to end."""
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= 100:
        raise NotFound("no such customer")
    try:
        Customer(service_id=service_id, customer_id=customer_id).update(
            actions=[Customer.token_version.add(1)], condition=Customer.customer_id.exists()
        )
    except UpdateError as exc:
        raise NotFound("no such customer") from exc
    close_sockets(service_id, customer_id, close)
