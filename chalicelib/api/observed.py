"""Every invocation of every Lambda of the app, observed (R-OPS-1): app.py
registers `observed` as Chalice middleware for all of them (REST, the three
WebSocket handlers, the sweep, the export worker, the webhook sender). Its log
lines carry the request's ids, its metrics are written when it ends
(chalicelib/observe.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Request

from chalicelib import observe


def observed(event: Any, get_response: Callable[[Any], Any]) -> Any:
    with observe.invocation(**correlation(event)):
        return get_response(event)


def correlation(event: Any) -> dict[str, str | None]:
    """The ids an event carries: API Gateway's request id (REST, WebSocket),
    else Lambda's; the WebSocket's connection; the chat a REST path names."""
    if isinstance(event, Request):
        params = event.uri_params or {}
        return {"request_id": (event.context or {}).get("requestId")
                or _lambda_request_id(event.lambda_context),
                "chat_id": params.get("chat_id")}
    raw = event.to_dict() if hasattr(event, "to_dict") else None
    gateway = raw.get("requestContext") if isinstance(raw, dict) else None
    if isinstance(gateway, dict):  # a WebSocket event
        return {"request_id": gateway.get("requestId") or _lambda_request_id(event.context),
                "connection_id": gateway.get("connectionId")}
    return {"request_id": _lambda_request_id(getattr(event, "context", None))}


def _lambda_request_id(context: Any) -> str | None:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None
