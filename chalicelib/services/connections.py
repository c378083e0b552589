"""WebSocket connects and disconnects: who may connect, and what a connection
means for chats (API.md: a missing, expired or reused ticket, a disabled service
or a bad Origin is refused at connect)."""

from __future__ import annotations

from datetime import datetime

from chalicelib import auth, realtime
from chalicelib.errors import NotAllowed, NotAuthenticated
from chalicelib.models import Connection, Operator
from chalicelib.services import presence, sessions, settings, tenants, widget


def connect(
    connection_id: str,
    *,
    ticket: str | None,
    origin: str | None,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> Connection:
    """Check the single-use ticket (and, for customers, that chat is enabled and
    the page's Origin is allowed), then record the connection. API Gateway cannot
    deliver frames during `$connect`, so nothing is sent here."""
    payload = auth.consume_ticket(ticket or "")
    role = str(payload.get("role", ""))
    service = tenants.get_service(str(payload.get("service_id", "")))
    subject_id = str(payload.get("subject_id", ""))
    name = session_id = None
    if role == "customer":
        current = settings.current(service)
        if not current["chat_enabled"]:
            raise NotAllowed("chat is disabled for this service", "chat_disabled")
        if not settings.origin_allowed(service, origin):
            raise NotAllowed("this page's origin may not open chats", "origin_not_allowed")
    elif role in ("operator", "admin"):
        # The session the ticket was issued in must still stand (a ticket taken
        # just before logout opens nothing), and the socket gets the operator's
        # role as it is now.
        session_id = payload.get("session_id")
        role_now = sessions.current_role(
            service.service_id, subject_id, session_id if isinstance(session_id, str) else None
        )
        if role_now is None:
            raise NotAuthenticated("the session has ended; sign in again", "session_ended")
        role = role_now
        name = Operator.get(service.service_id, subject_id).name
    else:
        raise NotAuthenticated("the ticket is not valid", "invalid_ticket")
    connection = realtime.open_connection(
        connection_id,
        service_id=service.service_id,
        role=role,
        subject_id=subject_id,
        name=name,
        ip=ip,
        device=widget.describe_device(user_agent) if user_agent else None,
        now=now,
        session_id=session_id,
    )
    if role != "customer":
        presence.operator_connected(connection)
    return connection


def disconnect(connection_id: str, *, now: datetime) -> None:
    """Forget the connection. A dropped customer is not leaving: the chat stays
    open to resume. An operator gone for good is noticed by the sweep."""
    closed = realtime.close_connection(connection_id)
    if closed is not None and closed.role != "customer":
        presence.operator_disconnected(closed, now=now)
