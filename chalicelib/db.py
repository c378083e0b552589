"""The PynamoDB plumbing under chalicelib/models.py: the one place to look when
PynamoDB is upgraded. Table names, the endpoint and the connection pool follow
chalicelib.config, read when a connection is made, never at import; every model
shares one connection; transactions, the reasons one was cancelled, and a
delete that returns the item deleted.

Nothing here knows a table: models.py does."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from pynamodb.connection import Connection as DynamoDBConnection
from pynamodb.connection import TableConnection
from pynamodb.exceptions import DeleteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model as PynamoModel
from pynamodb.settings import default_settings_dict
from pynamodb.transactions import TransactWrite

from chalicelib import config

_ALL_MODELS: list[type[Model]] = []
_shared: dict[str, DynamoDBConnection] = {}  # "connection" → the one in use
_shared_lock = threading.Lock()


class _TableMeta(type):
    """Meta classes whose table name, host, region and connection pool follow the
    configuration."""

    table_key: str

    @property
    def table_name(cls) -> str:
        return config.table_name(cls.table_key)

    @property
    def host(cls) -> str | None:
        return config.dynamodb_endpoint()

    @property
    def region(cls) -> str:
        return config.region()

    @property
    def max_pool_connections(cls) -> int:
        return config.http_pool_size()


class Model(PynamoModel):
    """The base of every table's model. All of them share one PynamoDB connection
    per process: one botocore session and client, one pool of HTTP connections.
    (PynamoDB makes one per model, each loading botocore's endpoint and service
    data anew and opening its own connections: slower first requests in a fresh
    Lambda, a TLS handshake per table.)"""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        if cls._connection is not None:
            return cls._connection
        with _shared_lock:
            if cls._connection is None:
                table = super()._get_connection()
                shared = _shared.get("connection")
                if shared is None:
                    shared = _shared["connection"] = table.connection
                else:
                    shared.add_meta_table(table.get_meta_table())
                    table.connection = shared
                cls._connection = table
            return cls._connection


def table_meta(key: str) -> Any:
    attrs: dict[str, Any] = {
        "table_key": key,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": default_settings_dict["max_retry_attempts"],
    }
    return _TableMeta("Meta", (), attrs)


def index_meta(name: str, projection: Any) -> Any:
    return type("Meta", (), {"index_name": name, "projection": projection})


def registered(model: type[Model]) -> type[Model]:
    _ALL_MODELS.append(model)
    return model


def all_models() -> list[type[Model]]:
    return list(_ALL_MODELS)


def transaction(return_consumed_capacity: str | None = None) -> TransactWrite:
    """A write transaction on the configured endpoint (several tables at once)."""
    connection = _ALL_MODELS[0]._get_connection().connection
    return TransactWrite(connection=connection, return_consumed_capacity=return_consumed_capacity)


def failed_tables(writes: TransactWrite, error: Exception) -> dict[str, str]:
    """Which items cancelled a transaction: table key (`chats`, `tokens`, …) →
    reason code (`ConditionalCheckFailed`, `TransactionConflict`, …).

    PynamoDB sends a transaction's items grouped by kind (condition checks,
    deletes, puts, updates), and DynamoDB gives one reason per item in that
    order; this maps the reasons back to tables."""
    sent = [
        *writes._condition_check_items,
        *writes._delete_items,
        *writes._put_items,
        *writes._update_items,
    ]
    keys = {config.table_name(key): key for key in config.TABLE_KEYS}
    failed: dict[str, str] = {}
    for item, reason in zip(sent, getattr(error, "cancellation_reasons", []), strict=False):
        if reason is not None:
            table = keys.get(item.get("TableName", ""), item.get("TableName", ""))
            failed.setdefault(table, reason.code)
    return failed


def reset_connections() -> None:
    """Drop cached connections, so the next call uses the current endpoint."""
    with _shared_lock:
        _shared.clear()
    for model in _ALL_MODELS:
        model._connection = None
        for index in model._indexes.values():
            index._connection = None  # type: ignore[attr-defined]


Item = TypeVar("Item", bound=Model)


def delete_returning(model: type[Item], hash_key: str, condition: Condition) -> Item | None:
    """Delete an item if `condition` holds and return it as it was (one
    request, so exactly one caller gets it when several race); None when the
    condition did not hold."""
    try:
        response = model._get_connection().delete_item(
            hash_key, condition=condition, return_values="ALL_OLD"
        )
    except DeleteError:
        return None
    attributes = response.get("Attributes")
    return model.from_raw_data(attributes) if attributes else None
