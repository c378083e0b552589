"""The product's app with its WebSocket handlers swapped for an echo, to test the
local gateway on its own (LOCAL_APP=tests.integration.echo_app:app).

REST stays the product's own (login, WebSocket tickets). `$connect` accepts only
a valid ticket, `$default` pushes each frame back through `@connections` (or
answers it in the route response) with what the handlers were given,
`$disconnect` leaves a note in the tokens table, and `echo_worker` is a Lambda
function to invoke asynchronously."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from chalice import Response

from app import app
from chalicelib import auth, aws, config
from chalicelib.errors import NotAuthenticated
from chalicelib.models import Token

app.websocket_handlers.clear()
if app.websocket_api.session is None:
    app.websocket_api.session = boto3.session.Session()

# What each `$connect` saw, by connection id: handlers run in one process here.
_connects: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def push(connection_id: str, frame: dict[str, Any]) -> None:
    """As the product pushes: boto3's management API client at the configured endpoint."""
    client = aws.client("apigatewaymanagementapi", endpoint_url=config.ws_management_endpoint())
    client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(frame).encode())


@app.on_ws_connect()
def echo_connect(event: Any) -> Any:
    raw = event.to_dict()
    query = raw.get("queryStringParameters") or {}
    try:
        holder = auth.consume_ticket(query.get("ticket", ""))
    except NotAuthenticated:
        return Response(body=json.dumps({"message": "Forbidden"}), status_code=403)
    with _lock:
        _connects[event.connection_id] = {
            "holder": holder,
            "headers": raw["headers"],
            "query": query,
            "request_context": raw["requestContext"],
        }
    return {"statusCode": 200}


@app.on_ws_message()
def echo_message(event: Any) -> dict[str, Any]:
    frame = json.loads(event.body)
    with _lock:
        connect = _connects.get(event.connection_id)
    reply = {
        "type": "echo",
        "frame": frame,
        "connect": connect,
        "request_context": event.to_dict()["requestContext"],
    }
    if frame.get("via") == "route-response-none":
        return {"statusCode": 200}
    if frame.get("via") == "route-response":
        # `$default` is two-way: the body answered is sent to the sender.
        return {"statusCode": 200, "body": json.dumps(reply)}
    if frame.get("via") == "chalice":
        app.websocket_api.send(event.connection_id, json.dumps(reply))
    else:
        push(event.connection_id, reply)
    return {"statusCode": 200}


@app.on_ws_disconnect()
def echo_disconnect(event: Any) -> dict[str, Any]:
    context = event.to_dict()["requestContext"]
    Token(
        token_key=f"echo-disconnect#{event.connection_id}",
        payload={
            "status_code": context.get("disconnectStatusCode"),
            "reason": context.get("disconnectReason"),
        },
    ).save()
    return {"statusCode": 200}


@app.lambda_function(name="echo_worker")
def echo_worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    push(
        event["connection_id"],
        {"type": "worker", "text": event["text"], "function_name": context.function_name},
    )
    return {"pushed": True}
