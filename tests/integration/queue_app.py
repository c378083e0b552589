"""A tiny Chalice app fed by two SQS queues, for the local stack's poller
(infra/local/queues.py): what Lambda's SQS event source mapping would hand it.

`deliver` (queue DELIVERIES, batches of up to 5) keeps every event it gets and
asks for a retry of each record whose body says `{"retry_once": true}` on its
first receive; `doomed` (queue DOOMED, one at a time) always raises, like a
sender whose receiver is down."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from chalice import Chalice

DELIVERIES = "it-deliveries"
DOOMED = "it-doomed"
BATCH_SIZE = 5

app = Chalice(app_name="queue-test")

_lock = threading.Lock()
# Each event `deliver` got, with the time it got it.
events: list[tuple[float, dict[str, Any]]] = []
# ApproximateReceiveCount of each message `doomed` got.
doomed_receives: list[str] = []


def reset() -> None:
    with _lock:
        events.clear()
        doomed_receives.clear()


def records() -> list[dict[str, Any]]:
    """Every record `deliver` got, in order."""
    with _lock:
        return [record for _, event in events for record in event["Records"]]


@app.on_sqs_message(queue=DELIVERIES, batch_size=BATCH_SIZE)
def deliver(event: Any) -> dict[str, Any]:
    raw = event.to_dict()
    with _lock:
        events.append((time.time(), raw))
    retry = [
        record["messageId"] for record in raw["Records"]
        if json.loads(record["body"]).get("retry_once")
        and record["attributes"]["ApproximateReceiveCount"] == "1"
    ]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in retry]}


@app.on_sqs_message(queue=DOOMED, batch_size=1)
def doomed(event: Any) -> None:
    raw = event.to_dict()
    with _lock:
        doomed_receives.extend(r["attributes"]["ApproximateReceiveCount"] for r in raw["Records"])
    raise RuntimeError("the receiver is down")
