"""PynamoDB models: one class per table in infra/tables.yaml, indexes named after
the query they answer. Table names and the endpoint come from chalicelib.config
each time a connection is made, never at import.

Every table access in the app goes through these classes."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.settings import default_settings_dict
from pynamodb.transactions import TransactWrite

from chalicelib import config

_ALL_MODELS: list[type[Model]] = []


class _TableMeta(type):
    """Meta classes whose table name, host and region follow the configuration."""

    @property
    def table_name(cls) -> str:
        return config.table_name(cls.table_key)

    @property
    def host(cls) -> str | None:
        return config.dynamodb_endpoint()

    @property
    def region(cls) -> str:
        return config.region()


def _meta(key: str) -> type:
    attrs: dict[str, Any] = {
        "table_key": key,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": default_settings_dict["max_retry_attempts"],
    }
    return _TableMeta("Meta", (), attrs)


def _index_meta(name: str, projection: Any) -> type:
    return type("Meta", (), {"index_name": name, "projection": projection})


def registered(model: type[Model]) -> type[Model]:
    _ALL_MODELS.append(model)
    return model


def all_models() -> list[type[Model]]:
    return list(_ALL_MODELS)


def transaction(return_consumed_capacity: str | None = None) -> TransactWrite:
    """A write transaction on the configured endpoint (several tables at once)."""
    connection = Service._get_connection().connection
    return TransactWrite(connection=connection, return_consumed_capacity=return_consumed_capacity)


def reset_connections() -> None:
    """Drop cached connections, so the next call uses the current endpoint."""
    for model in _ALL_MODELS:
        model._connection = None
        for index in model._indexes.values():
            index._connection = None  # type: ignore[attr-defined]


# --- services ---------------------------------------------------------------


class ServicesByWidgetKeyIndex(GlobalSecondaryIndex["Service"]):
    Meta = _index_meta("services-by-widget-key", AllProjection())
    widget_key = UnicodeAttribute(hash_key=True)


@registered
class Service(Model):
    """A tenant: its settings, widget key and identity secret."""

    Meta = _meta("services")
    service_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    widget_key = UnicodeAttribute()
    identity_secret = UnicodeAttribute()
    settings = JSONAttribute(default=dict)
    # How many operators have role admin: the last one cannot be removed.
    admin_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()

    by_widget_key = ServicesByWidgetKeyIndex()


# --- operators --------------------------------------------------------------


class OperatorsByEmailIndex(GlobalSecondaryIndex["Operator"]):
    Meta = _index_meta("operators-by-email", KeysOnlyProjection())
    service_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)


class OnlineOperatorsIndex(GlobalSecondaryIndex["Operator"]):
    Meta = _index_meta("online-operators", AllProjection())
    online_service_id = UnicodeAttribute(hash_key=True)
    operator_id = UnicodeAttribute(range_key=True)


@registered
class Operator(Model):
    """An operator or admin of one service."""

    Meta = _meta("operators")
    service_id = UnicodeAttribute(hash_key=True)
    operator_id = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()  # admin | operator
    password_hash = UnicodeAttribute()
    status = UnicodeAttribute(default="offline")  # online | break | offline
    # Set to service_id only while online: the sparse online-operators index.
    online_service_id = UnicodeAttribute(null=True)
    open_chats = NumberAttribute(default=0)
    max_chats = NumberAttribute(null=True)  # None: the service's default
    last_assigned_at = UnicodeAttribute(null=True)
    status_changed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    by_email = OperatorsByEmailIndex()
    online = OnlineOperatorsIndex()


# --- categories -------------------------------------------------------------


@registered
class Category(Model):
    """A processing type: a node of a tree of at most three levels."""

    Meta = _meta("categories")
    service_id = UnicodeAttribute(hash_key=True)
    category_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    level = NumberAttribute()
    position = NumberAttribute(default=0)
    # Guards for delete: a category with children or in use is never removed.
    children_count = NumberAttribute(default=0)
    usage_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()


# --- customers --------------------------------------------------------------


@registered
class Customer(Model):
    """A person chatting from the widget, anonymous or identified by the host page."""

    Meta = _meta("customers")
    service_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)
    verified = BooleanAttribute(default=False)
    ip = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    last_operator_id = UnicodeAttribute(null=True)
    open_chat_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


# --- chats ------------------------------------------------------------------


class ChatsByServiceIndex(GlobalSecondaryIndex["Chat"]):
    Meta = _index_meta("chats-by-service", AllProjection())
    service_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ChatsByOperatorIndex(GlobalSecondaryIndex["Chat"]):
    Meta = _index_meta("chats-by-operator", AllProjection())
    open_operator_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ChatQueueIndex(GlobalSecondaryIndex["Chat"]):
    Meta = _index_meta("chat-queue", AllProjection())
    queued_service_id = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


class ChatsByCategoryIndex(GlobalSecondaryIndex["Chat"]):
    Meta = _index_meta("chats-by-category", AllProjection())
    category_key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@registered
class Chat(Model):
    """One conversation between a customer and (once assigned) an operator."""

    Meta = _meta("chats")
    chat_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # waiting | assigned | active | ended
    processed = BooleanAttribute(default=False)
    operator_id = UnicodeAttribute(null=True)
    operator_name = UnicodeAttribute(null=True)
    # Sparse index keys: set while the chat is on an operator's list / in the queue.
    open_operator_id = UnicodeAttribute(null=True)
    queued_service_id = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    category_id = UnicodeAttribute(null=True)
    category_key = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(default="widget")
    page_url = UnicodeAttribute(null=True)
    customer = JSONAttribute(default=dict)
    consent = JSONAttribute(null=True)
    rating = JSONAttribute(null=True)
    last_seq = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    assigned_at = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    customer_left_at = UnicodeAttribute(null=True)
    ended_at = UnicodeAttribute(null=True)

    by_service = ChatsByServiceIndex()
    by_operator = ChatsByOperatorIndex()
    queue = ChatQueueIndex()
    by_category = ChatsByCategoryIndex()


@registered
class Message(Model):
    """One message of a chat, numbered 1, 2, 3, … per chat."""

    Meta = _meta("messages")
    chat_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    sender_role = UnicodeAttribute()  # customer | operator | system
    sender_id = UnicodeAttribute(null=True)
    sender_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    client_msg_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


# --- connections ------------------------------------------------------------


class ConnectionsBySubjectIndex(GlobalSecondaryIndex["Connection"]):
    Meta = _index_meta("connections-by-subject", AllProjection())
    subject_id = UnicodeAttribute(hash_key=True)


@registered
class Connection(Model):
    """An open WebSocket connection of a customer or an operator."""

    Meta = _meta("connections")
    connection_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    role = UnicodeAttribute()  # customer | operator | admin
    subject_id = UnicodeAttribute()  # customer_id or operator_id
    ip = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    connected_at = UnicodeAttribute()
    expires_at = TTLAttribute()  # API Gateway closes a socket after 2 h at most

    by_subject = ConnectionsBySubjectIndex()


# --- tickets ----------------------------------------------------------------


class TicketsByServiceIndex(GlobalSecondaryIndex["Ticket"]):
    Meta = _index_meta("tickets-by-service", AllProjection())
    service_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@registered
class Ticket(Model):
    """A help-desk ticket, here made from a chat (channel `chat`)."""

    Meta = _meta("tickets")
    ticket_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(default="chat")
    chat_id = UnicodeAttribute(null=True)
    customer = JSONAttribute(default=dict)
    status = UnicodeAttribute(default="open")
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_service = TicketsByServiceIndex()


# --- tokens -----------------------------------------------------------------


@registered
class Token(Model):
    """Small keyed records: sessions, WebSocket tickets, login throttles and
    uniqueness guards. `token_key` is `<kind>#<id>`; `expires_at` is the TTL."""

    Meta = _meta("tokens")
    token_key = UnicodeAttribute(hash_key=True)
    payload = JSONAttribute(default=dict)
    count = NumberAttribute(default=0)
    until = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @classmethod
    def take(cls, token_key: str, now_epoch: int) -> Token | None:
        """Delete and return a record that has not passed `until`: one caller wins."""
        from pynamodb.exceptions import DeleteError

        condition = cls.token_key.exists() & (cls.until >= now_epoch)
        try:
            response = cls._get_connection().delete_item(
                token_key, condition=condition, return_values="ALL_OLD"
            )
        except DeleteError:
            return None
        attributes = response.get("Attributes")
        return cls.from_raw_data(attributes) if attributes else None
