"""WebSocket connections and pushing frames to them.

A connection record says who is on the other end of a socket (role, service,
customer or operator, IP, device). Frames go out through a `Pusher`: on AWS and
behind the local gateway it posts to the `@connections` management API; tests
hand in a recorder. A connection that is gone is forgotten, never an error for
whoever caused the push.

Each connection also carries its frame allowance (a GCRA rate limit): 60 frames
at once, then one a second, which never limits a client within 60 frames a
minute (see docs/chat-engine.md for why). Messages also spend their sender's
allowance of the same size in the chat, kept in the chat's head: one per
customer or operator however many sockets they use. A message from a
connection listening to its chat spends only that one, so the message path
reads and writes only the head.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import aws, clock, config, gcra, observe
from chalicelib.gcra import Allowance
from chalicelib.models import Chat, ChatHead, Connection, delete_returning

log = logging.getLogger("helpdesk.realtime")

Frame = Mapping[str, Any]

CONNECTION_TTL = timedelta(hours=2)  # API Gateway closes every socket within 2 h
CONNECTING_GRACE = timedelta(seconds=10)  # a push may find a socket still connecting
FRAME_INTERVAL_S = 1.0  # sustained rate: one frame a second (60 a minute)
FRAME_BURST = 60  # frames allowed at once before the rate applies
FRAMES = gcra.Limit("frames", 60.0 / FRAME_INTERVAL_S, FRAME_BURST)


class Pusher(Protocol):
    def __call__(self, connection_id: str, frame: Frame) -> bool:
        """Send one frame; False when the connection is gone."""
        ...


class Closer(Protocol):
    def __call__(self, connection_id: str) -> None:
        """Close one socket (API Gateway's `DELETE @connections`); gone is fine."""
        ...


class FrameRaced(Exception):
    """Another frame of the same connection spent the allowance meanwhile."""


# --- pushing ----------------------------------------------------------------


class ApiGatewayPusher:
    """Posts frames through the API Gateway management API (or the local gateway's)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __call__(self, connection_id: str, frame: Frame) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        client = aws.client("apigatewaymanagementapi", endpoint_url=self.endpoint)
        data = encode(frame).encode()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except client.exceptions.GoneException:
            observe.count(observe.FAILED_PUSHES)
            return False
        except (ClientError, BotoCoreError):
            # A push is best effort: the client resumes from its last seq.
            observe.count(observe.FAILED_PUSHES)
            log.warning("push to %s failed", connection_id, exc_info=True)
        return True


class ApiGatewayCloser:
    """Closes sockets through the management API (API Gateway then runs the
    connection's `$disconnect`, as the local gateway does)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __call__(self, connection_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        client = aws.client("apigatewaymanagementapi", endpoint_url=self.endpoint)
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException:
            pass  # closed already
        except (ClientError, BotoCoreError):
            # The record is gone already, so nothing the socket sends is accepted.
            log.warning("closing %s failed", connection_id, exc_info=True)


def encode(frame: Frame) -> str:
    """A frame as sent on the socket: compact JSON, UTF-8 text as is."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _nowhere(connection_id: str, frame: Frame) -> bool:
    log.warning("no WebSocket management endpoint configured; frame %s dropped",
                frame.get("type"))
    return True


def management_endpoint(domain_name: str | None = None, stage: str | None = None) -> str | None:
    """The configured endpoint (local gateway, REST and scheduled Lambdas), else the
    WebSocket event's own `https://{domainName}/{stage}`."""
    configured = config.ws_management_endpoint()
    if configured:
        return configured
    if domain_name and stage:
        return f"https://{domain_name}/{stage}"
    return None


def pusher(domain_name: str | None = None, stage: str | None = None) -> Pusher:
    endpoint = management_endpoint(domain_name, stage)
    return ApiGatewayPusher(endpoint) if endpoint else _nowhere


def _left_open(connection_id: str) -> None:
    log.warning("no WebSocket management endpoint configured; %s left open", connection_id)


def closer(domain_name: str | None = None, stage: str | None = None) -> Closer:
    endpoint = management_endpoint(domain_name, stage)
    return ApiGatewayCloser(endpoint) if endpoint else _left_open


def deliver(push: Pusher, connection_ids: Iterable[str], frame: Frame) -> None:
    """Push a frame to each connection; forget the ones that are gone."""
    for connection_id in sorted(set(connection_ids)):
        if not push(connection_id, frame):
            forget(connection_id)


# --- connection records -------------------------------------------------------


def open_connection(
    connection_id: str,
    *,
    service_id: str,
    role: str,
    subject_id: str,
    name: str | None,
    ip: str | None,
    device: str | None,
    now: datetime,
    session_id: str | None = None,
) -> Connection:
    connection = Connection(
        connection_id=connection_id,
        service_id=service_id,
        role=role,
        subject_id=subject_id,
        name=name,
        session_id=session_id,
        ip=ip,
        device=device,
        connected_at=clock.iso(now),
        expires_at=now + CONNECTION_TTL,
    )
    connection.save()
    return connection


def get_connection(connection_id: str) -> Connection | None:
    try:
        return Connection.get(connection_id, consistent_read=True)
    except Connection.DoesNotExist:
        return None


def connections_of(subject_id: str) -> list[str]:
    return [c.connection_id for c in Connection.by_subject.query(subject_id)]


# --- who listens to a chat ------------------------------------------------------
# A chat's listeners are kept in its head (models.ChatHead).


def side_of(role: str) -> str:
    return "customer" if role == "customer" else "operator"


def listener_entry(
    role: str, subject_id: str, name: str | None, session_id: str | None = None
) -> dict[str, Any]:
    """What a chat keeps about one of its connections: who is on the other end
    (and, for an operator, the sign-in session each of their frames checks)."""
    entry: dict[str, Any] = {"role": role, "subject": subject_id}
    if name:
        entry["name"] = name
    if session_id:
        entry["sid"] = session_id
    return entry


def entry_of(connection: Connection) -> dict[str, Any]:
    return listener_entry(connection.role, connection.subject_id, connection.name,
                          connection.session_id)


def operator_entries(operator_id: str) -> dict[str, dict[str, Any]]:
    """connection id → listener entry for each open socket of an operator (one
    BatchGetItem after the index lookup)."""
    ids = connections_of(operator_id)
    if not ids:
        return {}
    return {c.connection_id: entry_of(c) for c in Connection.batch_get(sorted(set(ids)))}


def listeners_of(head: ChatHead) -> dict[str, dict[str, Any]]:
    """connection id → listener entry, for every connection the chat pushes to."""
    return head.listeners.as_dict() if head.listeners is not None else {}


def listener(head: ChatHead, connection_id: str | None) -> dict[str, Any] | None:
    return listeners_of(head).get(connection_id or "")


def conns(head: ChatHead, side: str | None = None) -> set[str]:
    """The chat's connections: both sides', or only the `customer` or `operator` side."""
    return {
        connection_id
        for connection_id, entry in listeners_of(head).items()
        if side is None or side_of(str(entry.get("role"))) == side
    }


def listen_actions(entries: Mapping[str, dict[str, Any]]) -> list[Any]:
    """Head actions adding connections to a chat (with `conns_version` bumped)."""
    if not entries:
        return []
    return [
        *(ChatHead.listeners[connection_id].set(entry) for connection_id, entry in entries.items()),
        ChatHead.conns_version.add(1),
    ]


def attach_actions(
    writes: TransactWrite, connection_id: str, chat_id: str, entry: dict[str, Any]
) -> None:
    """Writes that make a chat push to this connection (and remember it here)."""
    writes.update(
        ChatHead(chat_id=chat_id),
        actions=listen_actions({connection_id: entry}),
        condition=ChatHead.listeners.exists() & (ChatHead.ended == False),  # noqa: E712
    )
    writes.update(
        Connection(connection_id=connection_id),
        actions=[Connection.chat_ids.add({chat_id})],
        condition=Connection.connection_id.exists(),
    )


def detach(connection_id: str, chat_ids: Iterable[str]) -> None:
    for chat_id in chat_ids:
        try:
            ChatHead(chat_id=chat_id).update(
                actions=[ChatHead.listeners[connection_id].remove(), ChatHead.conns_version.add(1)],
                condition=ChatHead.listeners[connection_id].exists(),
            )
        except UpdateError:
            continue  # not (or no longer) listening there


def close_connection(
    connection_id: str, *, connected_before: datetime | None = None
) -> Connection | None:
    """Delete the record and detach it from its chats; the record as it was.
    With `connected_before`, only a connection opened before then is closed."""
    condition = Connection.connection_id.exists()
    if connected_before is not None:
        condition = condition & (Connection.connected_at < clock.iso(connected_before))
    closed = delete_returning(Connection, connection_id, condition)
    if closed is None:
        return None
    chat_ids = set(closed.chat_ids or ())
    if closed.role != "customer":
        # An operator's sockets are listeners of every chat the operator holds.
        chat_ids.update(chat.chat_id for chat in Chat.by_operator.query(closed.subject_id))
    detach(connection_id, sorted(chat_ids))
    return closed


def forget(connection_id: str) -> None:
    """A push found the socket gone: API Gateway may never report its disconnect.
    A socket still inside its handshake is "gone" too (API Gateway answers
    GoneException until `$connect` has returned, and a reconnecting console joins
    its chats during `$connect`), so a connection younger than CONNECTING_GRACE is
    kept: its client resumes from its last seq once open."""
    close_connection(connection_id, connected_before=clock.now() - CONNECTING_GRACE)


# --- frame allowance ------------------------------------------------------------


def _gcra(holder: str, previous: float | None, now_s: float) -> Allowance:
    return gcra.decide(FRAMES, holder, previous, now_s)


def allowance(connection: Connection, now_s: float) -> Allowance:
    """The connection's own allowance, spent by every frame but a message sent
    from a connection listening to its chat."""
    previous = None if connection.rate_tat is None else float(connection.rate_tat)
    return _gcra(connection.connection_id, previous, now_s)


def sender_allowance(head: ChatHead, subject_id: str, now_s: float) -> Allowance:
    """A sender's allowance for messages in this chat: one per customer or
    operator, however many sockets they send from (R-SEC-4)."""
    senders = head.senders.as_dict() if head.senders is not None else {}
    tat = senders.get(subject_id)
    return _gcra(subject_id, None if tat is None else float(tat), now_s)


def spend_sender(head: ChatHead, spent: Allowance) -> Any:
    """The head action storing a sender_allowance with the message's own head
    update (whose `last_seq` condition orders every message of the chat, so the
    map as read is the map written over)."""
    senders = head.senders.as_dict() if head.senders is not None else {}
    return ChatHead.senders.set({**senders, spent.holder: spent.next_tat})


def _allowance_condition(spent: Allowance) -> Any:
    unchanged = (
        Connection.rate_tat.does_not_exist()
        if spent.previous_tat is None
        else Connection.rate_tat == spent.previous_tat
    )
    return Connection.connection_id.exists() & unchanged


def spend_in(writes: TransactWrite, spent: Allowance) -> None:
    """Add the allowance update to a frame's own transaction (no extra request)."""
    writes.update(
        Connection(connection_id=spent.holder),
        actions=[Connection.rate_tat.set(spent.next_tat)],
        condition=_allowance_condition(spent),
    )


def spend(spent: Allowance) -> bool:
    """Store the allowance on its own; False when another frame raced it."""
    try:
        Connection(connection_id=spent.holder).update(
            actions=[Connection.rate_tat.set(spent.next_tat)],
            condition=_allowance_condition(spent),
        )
    except UpdateError:
        return False
    return True
