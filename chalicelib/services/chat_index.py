"""The history index keys a chat carries ("<service_id>#<value>"), derived from
the fields they mirror. Every write that changes one of those fields sets the
matching key in the same update, through these helpers."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Chat


def normalize_name(name: str) -> str:
    return " ".join(name.casefold().split())


def status_key(service_id: str, processed: bool) -> str:
    return f"{service_id}#{'processed' if processed else 'unprocessed'}"


def keyed(service_id: str, value: object | None) -> str | None:
    return None if value in (None, "") else f"{service_id}#{value}"


def email_key(service_id: str, email: str | None) -> str | None:
    return keyed(service_id, email.strip().casefold() if email else None)


def name_key(service_id: str, name: str | None) -> str | None:
    return keyed(service_id, normalize_name(name) if name else None)


def new_chat_keys(
    service_id: str, channel: str, name: str | None, email: str | None
) -> dict[str, Any]:
    """Index keys for a chat just started (unprocessed, no operator yet)."""
    return {
        "status_key": status_key(service_id, False),
        "channel_key": keyed(service_id, channel),
        "name_key": name_key(service_id, name),
        "email_key": email_key(service_id, email),
    }


def _set_or_remove(attribute: Any, value: str | None) -> Any:
    return attribute.set(value) if value is not None else attribute.remove()


def customer_actions(service_id: str, name: str | None, email: str | None) -> list[Any]:
    return [
        _set_or_remove(Chat.name_key, name_key(service_id, name)),
        _set_or_remove(Chat.email_key, email_key(service_id, email)),
    ]


def processed_actions(service_id: str) -> list[Any]:
    return [Chat.processed.set(True), Chat.status_key.set(status_key(service_id, True))]


def operator_actions(service_id: str, operator_id: str | None) -> list[Any]:
    return [_set_or_remove(Chat.operator_key, keyed(service_id, operator_id))]


def rating_actions(service_id: str, score: int) -> list[Any]:
    return [Chat.rating_key.set(f"{service_id}#{score}")]
