"""The floor of bench/relay_latency.py: the least a relay through the local
gateway can do per message, served as LOCAL_APP=bench.relay_floor_app:app.

Each `message.send` frame costs exactly one DynamoDB PutItem (into the
messages table, an item shaped like the product's) and one `@connections` post
to the paired socket, with the same boto3 clients the product uses. Pairings
live in this process's memory, set up before measuring with `hello` (answers
the socket's connection id) and `pair` frames: anything more would be the
product's work, which is what the floor is measured against.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from typing import Any

from chalice import Chalice

from chalicelib import aws, config

app = Chalice(app_name="relay-floor")
app.experimental_feature_flags.update(["WEBSOCKETS"])

# (connection id, chat id) → (the other socket's connection id, this side's role).
_partners: dict[tuple[str, str], tuple[str, str]] = {}
_seqs = itertools.count(1)
_lock = threading.Lock()


@app.route("/health")
def health() -> dict[str, bool]:
    """What the stack runner polls before the bench starts."""
    return {"ok": True}


def _push(connection_id: str, frame: dict[str, Any]) -> None:
    client = aws.client("apigatewaymanagementapi", endpoint_url=config.ws_management_endpoint())
    data = json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()
    client.post_to_connection(ConnectionId=connection_id, Data=data)


def _relay(connection_id: str, frame: dict[str, Any]) -> None:
    """One PutItem, one push: the whole cost of a floor message."""
    chat_id = str(frame["chat_id"])
    with _lock:
        partner, role = _partners[(connection_id, chat_id)]
        seq = next(_seqs)
    created_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = {
        "chat_id": chat_id,
        "seq": seq,
        "sender": {"role": role, "name": "Floor"},
        "text": frame["text"],
        "client_msg_id": frame["client_msg_id"],
        "created_at": created_at,
    }
    aws.client("dynamodb", endpoint_url=config.dynamodb_endpoint()).put_item(
        TableName=config.table_name("messages"),
        Item={
            "chat_id": {"S": chat_id},
            "seq": {"N": str(seq)},
            "sender_role": {"S": role},
            "sender_id": {"S": connection_id},
            "sender_name": {"S": "Floor"},
            "text": {"S": message["text"]},
            "client_msg_id": {"S": message["client_msg_id"]},
            "created_at": {"S": created_at},
        },
    )
    _push(partner, {"type": "message", "message": message})


@app.on_ws_message()
def floor_message(event: Any) -> dict[str, int]:
    frame = json.loads(event.body)
    kind = frame.get("type")
    if kind == "message.send":
        _relay(event.connection_id, frame)
    elif kind == "hello":
        _push(event.connection_id, {"type": "hello", "connection_id": event.connection_id})
    elif kind == "pair":
        with _lock:
            _partners[(event.connection_id, frame["chat_id"])] = (frame["partner"], frame["role"])
        _push(event.connection_id, {"type": "paired", "chat_id": frame["chat_id"]})
    return {"statusCode": 200}
