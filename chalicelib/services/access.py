"""Who acts on a chat, and what they may do with it (API.md: any operator of the
service may read its chats; only the assigned operator or an admin may send,
save, end or request a rating; a customer only ever sees their own chat)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.models import Model

from chalicelib.errors import Conflict, NotAllowed, NotFound
from chalicelib.models import Chat, ChatHead, ChatStatus, Connection


@dataclass(frozen=True)
class Caller:
    """Who is calling the REST API: an operator or admin of one service (as
    services/sessions.py authenticated them)."""

    service_id: str
    operator_id: str
    role: str
    name: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Actor:
    """A customer, operator or admin of one service, possibly on a WebSocket."""

    service_id: str
    role: str  # customer | operator | admin
    subject_id: str  # customer_id or operator_id
    name: str | None = None
    connection_id: str | None = None
    session_id: str | None = None  # an operator's sign-in session, on a WebSocket

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def side(self) -> str:
        """Which side of a chat the actor speaks for: `customer` or `operator`."""
        return "customer" if self.is_customer else "operator"

    @classmethod
    def on_connection(cls, connection: Connection) -> Actor:
        return cls(
            service_id=connection.service_id,
            role=connection.role,
            subject_id=connection.subject_id,
            name=connection.name,
            connection_id=connection.connection_id,
            session_id=connection.session_id,
        )

    @classmethod
    def on_listener(cls, head: ChatHead, connection_id: str, entry: Mapping[str, Any]) -> Actor:
        """Who is on a connection listening to the chat, as its listener entry
        in the chat's head says (written from the connection record when it
        joined)."""
        return cls(
            service_id=head.service_id,
            role=str(entry["role"]),
            subject_id=str(entry["subject"]),
            name=entry.get("name"),
            connection_id=connection_id,
            session_id=entry.get("sid"),
        )

    @classmethod
    def calling(cls, caller: Caller) -> Actor:
        return cls(
            service_id=caller.service_id,
            role=caller.role,
            subject_id=caller.operator_id,
            name=caller.name,
        )


Owned = TypeVar("Owned", bound=Model)


def owned_item(
    model: type[Owned], item_id: object, actor: Actor, noun: str, *, consistent: bool = True
) -> Owned:
    """An item keyed by its own id that belongs to the actor's service; NotFound
    for a malformed id, a missing item and another service's item alike, so a
    caller never learns that another service's id exists."""
    if not isinstance(item_id, str) or not item_id or len(item_id) > 100:
        raise NotFound(f"no such {noun}")
    try:
        item = model.get(item_id, consistent_read=consistent)
    except model.DoesNotExist as exc:
        raise NotFound(f"no such {noun}") from exc
    if getattr(item, "service_id", None) != actor.service_id:
        raise NotFound(f"no such {noun}")
    return item


def readable_chat(actor: Actor, chat_id: object, *, consistent: bool = True) -> Chat:
    """The chat if the actor may see it; NotFound otherwise (never a hint it exists)."""
    return readable(actor, owned_item(Chat, chat_id, actor, "chat", consistent=consistent))


ChatItem = TypeVar("ChatItem", Chat, ChatHead)


def readable(actor: Actor, chat: ChatItem | None) -> ChatItem:
    """readable_chat's checks on a chat (or its head) already read (None: it does
    not exist)."""
    if chat is None or chat.service_id != actor.service_id:
        raise NotFound("no such chat")
    if actor.is_customer and chat.customer_id != actor.subject_id:
        raise NotFound("no such chat")
    return chat


def require_handler(actor: Actor, chat: Chat) -> None:
    """Only the assigned operator or an admin handles a chat."""
    if actor.is_customer:
        raise NotAllowed("only operators may do this", "forbidden")
    if not actor.is_admin and chat.operator_id != actor.subject_id:
        raise NotAllowed("the chat is assigned to another operator", "forbidden")


def require_not_ended(chat: Chat) -> None:
    if chat.status == ChatStatus.ENDED:
        raise Conflict("the chat has ended", "chat_ended")


def require_customer_present(chat: Chat) -> None:
    require_not_ended(chat)
    if chat.customer_left_at:
        raise Conflict("the customer has left the chat", "customer_left")
