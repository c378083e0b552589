"""Who sent a WebSocket frame, and what it costs them (docs/chat-engine.md,
"The frame allowance"; R-SEC-2, R-SEC-4).

Every frame is paid for once:
- a message a connection sends in a chat it listens to is answered from the
  chat's head alone (its listener entry says who is on the connection) and paid
  with the message itself, by the sender's allowance in the chat: the message
  path stays one read and one write;
- any other frame is answered from the connection's own record and paid from
  the connection's own allowance, before its handler runs, or, for a message,
  inside the message's own transaction;
- a message that stores nothing (a repeat, or refused) is paid from the
  connection's own allowance after all.

Operator frames also check the operator's sign-in session and role; a socket
whose session has ended is forgotten and closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import observe, realtime
from chalicelib.errors import DomainError, InvalidInput, NotAuthenticated, TooManyRequests
from chalicelib.models import ChatHead, Connection
from chalicelib.realtime import Allowance, Closer, FrameRaced, Pusher
from chalicelib.services import heads, retries
from chalicelib.services.access import Actor

Frame = dict[str, Any]
MAX_FRAME_RACES = 5


class NotListening(Exception):
    """The connection no longer listens to the chat: answer from its own record."""


@dataclass
class Cost:
    """A frame's price, for the write that stores what the frame sends: a check
    that the connection still listens (answered as a listener), or the
    connection's own allowance (answered from its record). `paid` once stored."""

    listening: str | None = None  # the connection, when answered as the chat's listener
    allowance: Allowance | None = None
    paid: bool = False

    def in_head(self, head: ChatHead) -> list[Any]:
        """Head actions for the message's head update (none: only a check)."""
        if self.listening is not None and realtime.listener(head, self.listening) is None:
            raise NotListening
        return []

    def in_transaction(self, writes: TransactWrite) -> None:
        if self.allowance is not None:
            realtime.spend_in(writes, self.allowance)

    def committed(self) -> None:
        self.paid = True


def free() -> Cost:
    """A write with nothing else to pay (REST, tests, system messages)."""
    return Cost(paid=True)


@dataclass
class FrameCall:
    """One client frame, as its handler needs it."""

    actor: Actor
    frame: Frame
    now: datetime
    push: Pusher
    cost: Cost = field(default_factory=free)
    connection: Connection | None = None  # None when answered as the chat's listener
    head: ChatHead | None = None  # the frame's chat's head, as already read

    @property
    def as_listener(self) -> bool:
        return self.connection is None


Handler = Callable[[FrameCall], Frame | None]


@dataclass(frozen=True)
class Handling:
    """How a frame type is answered (chalicelib/api/ws.py's routes)."""

    handler: Handler
    # The handler stores the connection's allowance inside its own transaction
    # (Cost.in_transaction); others pay before they run.
    pays_in_transaction: bool = False
    # The frame speaks in a chat (`chat_id`): from a connection listening to it,
    # the chat's head alone says who is sending.
    speaks_in_chat: bool = False


@dataclass
class Budget:
    """Answers one frame of one connection, charging it."""

    connection_id: str
    now: datetime
    push: Pusher
    close: Closer | None = None

    def answer(self, frame: Frame, handling: Handling | None,
               problem: DomainError | None) -> Frame | None:
        """The handler's reply; a refusal raises its DomainError. A frame that is
        malformed (`problem`) or of no known type is still paid for."""
        head = None
        if handling is not None and problem is None and handling.speaks_in_chat:
            head = _chat_head(frame.get("chat_id"))
            answered = self._as_listener(frame, handling, head)
            if answered is not None:
                return answered[0]

        def attempt(n: int) -> Frame | None:
            connection, allowance = self._caller()
            pays_later = handling is not None and problem is None and handling.pays_in_transaction
            if not pays_later and not realtime.spend(allowance):
                raise retries.Retry  # another frame of this connection spent it first
            if problem is not None:
                raise problem
            if handling is None:
                raise InvalidInput("type", "is not a known frame type")
            cost = Cost(allowance=allowance, paid=not pays_later)
            call = FrameCall(Actor.on_connection(connection), frame, self.now, self.push, cost,
                             connection, head if n == 0 else None)
            try:
                reply = handling.handler(call)
            except FrameRaced as raced:
                raise retries.Retry from raced
            except TooManyRequests:
                raise
            except DomainError:
                if not cost.paid:
                    realtime.spend(allowance)
                raise
            if not cost.paid:
                realtime.spend(allowance)  # a repeat stored nothing
            return reply

        return retries.until_committed(attempt, attempts=MAX_FRAME_RACES,
                                       exhausted=lambda: _rate_limited(None))

    def _as_listener(
        self, frame: Frame, handling: Handling, head: ChatHead | None
    ) -> tuple[Frame | None] | None:
        """Answer as the chat's listener when the connection is one and its
        session stands; None: answer from the connection's own record."""
        entry = realtime.listener(head, self.connection_id) if head is not None else None
        if head is None or entry is None or not _session_stands(head.service_id, entry):
            return None
        observe.tag(service_id=head.service_id)
        cost = Cost(listening=self.connection_id)
        call = FrameCall(Actor.on_listener(head, self.connection_id, entry), frame, self.now,
                         self.push, cost, None, head)
        try:
            reply = handling.handler(call)
        except NotListening:
            return None
        except TooManyRequests:
            raise  # the sender's allowance in the chat said no
        except DomainError:
            self._charge()
            raise
        if not cost.paid:
            self._charge()  # a repeat stored nothing
        return (reply,)

    def _caller(self) -> tuple[Connection, Allowance]:
        """The connection's record and its own allowance, if it may send now."""
        connection = realtime.get_connection(self.connection_id)
        if connection is None:
            raise NotAuthenticated("this connection is not known", "unknown_connection")
        observe.tag(service_id=connection.service_id)
        if connection.role != "customer":
            from chalicelib.services import sessions  # operators' frames only (cold start)

            try:
                sessions.require_live_session(connection.service_id, connection.subject_id,
                                              connection.session_id, connection.role)
            except NotAuthenticated:
                self._hang_up()
                raise
        allowance = realtime.allowance(connection, self.now.timestamp())
        if not allowance.allowed:
            raise _rate_limited(allowance)
        return connection, allowance

    def _charge(self) -> None:
        """Pay from the connection's own allowance (a listener's frame that
        stored nothing); over it, the answer is `rate_limited`."""

        def attempt(_: int) -> None:
            allowance = self._caller()[1]
            if not realtime.spend(allowance):
                raise retries.Retry  # another frame of this connection spent it first

        retries.until_committed(attempt, attempts=MAX_FRAME_RACES,
                                exhausted=lambda: _rate_limited(None))

    def _hang_up(self) -> None:
        """A socket whose session ended: forget it and close it."""
        realtime.close_connection(self.connection_id)
        if self.close is not None:
            self.close(self.connection_id)


def _chat_head(chat_id: Any) -> ChatHead | None:
    """The head of the frame's chat when it names a plausible one (who may see it
    is checked later, as for any chat read)."""
    if not isinstance(chat_id, str) or not 0 < len(chat_id) <= 100:
        return None
    return heads.get(chat_id)


def _session_stands(service_id: str, entry: Mapping[str, Any]) -> bool:
    """A listener entry may answer for its connection: a customer's always, an
    operator's while their session and role stand (else the connection's own
    record decides, and refuses)."""
    if entry.get("role") == "customer":
        return True
    from chalicelib.services import sessions  # operators' frames only (cold start)

    try:
        sessions.require_live_session(service_id, str(entry.get("subject")), entry.get("sid"),
                                      str(entry.get("role")))
    except NotAuthenticated:
        return False
    return True


def _rate_limited(allowance: Allowance | None) -> TooManyRequests:
    retry = allowance.retry_after_s if allowance else 1
    return TooManyRequests(f"too many frames; slow down (retry in {retry} s)", retry)
