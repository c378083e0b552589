"""How many DynamoDB requests (and how much capacity) a chat costs.

Runs one whole chat through the real frame handler and services against
DynamoDB Local (started here, in memory; or --endpoint URL for one already
running; or --moto when there is no Java), counting every request the app makes
and the capacity DynamoDB reports for it:

  start, operator opens, 20 customer and 20 operator messages, rating, end.

The operator's first reply is counted apart: it also marks the chat (first
response, processed), which later messages never touch.

Then files (R-ATT-1), in a chat of their own: a customer asks for an upload
(`attachment.request`), uploads a PNG to the presigned POST (S3: moto's server
here, or moto in memory), and sends it with `message.send`; DynamoDB requests
and S3 requests are counted for each step. A message without a file keeps its
2 requests.

    .venv/bin/python -m bench.message_path [--endpoint URL | --moto]

Target: at most 2 DynamoDB requests per message on the send path.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_REQUESTS_PER_MESSAGE = 2
MESSAGES_EACH_WAY = 20
READS = {"GetItem", "Query", "BatchGetItem", "TransactGetItems"}


@dataclass
class Tally:
    """DynamoDB requests by operation, and the capacity units they consumed."""

    requests: Counter[str] = field(default_factory=Counter)
    s3: Counter[str] = field(default_factory=Counter)  # S3 requests, by operation
    sqs: Counter[str] = field(default_factory=Counter)  # SQS requests (webhooks)
    read_units: float = 0.0
    write_units: float = 0.0
    per: int = 1  # how many of the thing the line is "per" (messages)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def add(self, operation: str, response: dict[str, Any]) -> None:
        self.requests[operation] += 1
        consumed = response.get("ConsumedCapacity") or []
        units = sum(
            float(c.get("CapacityUnits", 0))
            for c in (consumed if isinstance(consumed, list) else [consumed])
        )
        if operation in READS:
            self.read_units += units
        else:
            self.write_units += units

    def line(self, label: str) -> str:
        per = self.per
        ops = ", ".join(f"{op} {n / per:g}" for op, n in sorted(self.requests.items()))
        s3 = ""
        if self.s3:
            s3 = "; S3 " + ", ".join(f"{op} {n / per:g}" for op, n in sorted(self.s3.items()))
        if self.sqs:
            s3 += "; SQS " + ", ".join(f"{op} {n / per:g}" for op, n in sorted(self.sqs.items()))
        return (
            f"{label:<34} {self.total / per:>6.2f} requests  "
            f"{self.read_units / per:>6.2f} RCU  {self.write_units / per:>6.2f} WCU   "
            f"({ops}{s3})"
        )


@dataclass
class Traffic:
    """What one chat costs besides DynamoDB: frames in (one Lambda invocation each),
    frames out (replies and pushes, each a WebSocket message) and the time the
    handlers took, for the cost model (bench/cost.py)."""

    frames_in: int = 0
    frames_out: int = 0
    rest_calls: int = 0
    handler_seconds: float = 0.0

    @property
    def invocations(self) -> int:
        return self.frames_in + self.rest_calls


class Meter:
    """Counts what pynamodb sends (every table access of the app goes through it)."""

    def __init__(self) -> None:
        self.current: Tally | None = None

    def install(self) -> None:
        from pynamodb.connection import base

        original = base.Connection._make_api_call
        meter = self

        def counted(connection: Any, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            response = original(connection, operation, kwargs)
            if meter.current is not None:
                meter.current.add(operation, response or {})
            return response

        base.Connection._make_api_call = counted  # type: ignore[method-assign]

    def count_s3(self) -> None:
        """Count the app's S3 requests too (files)."""
        from chalicelib import aws, config

        def counted(model: Any, **_: Any) -> None:
            if self.current is not None:
                self.current.s3[model.name] += 1

        aws.client("s3", endpoint_url=config.s3_endpoint()).meta.events.register(
            "before-call.s3", counted)

    def count_sqs(self) -> None:
        """Count the app's SQS requests too (webhook deliveries)."""
        from chalicelib import aws

        def counted(model: Any, **_: Any) -> None:
            if self.current is not None:
                self.current.sqs[model.name] += 1

        aws.client("sqs").meta.events.register("before-call.sqs", counted)

    @contextlib.contextmanager
    def measure(self) -> Iterator[Tally]:
        tally = Tally()
        self.current = tally
        try:
            yield tally
        finally:
            self.current = None


@contextlib.contextmanager
def dynamodb(endpoint: str | None, use_moto: bool) -> Iterator[str]:
    """Point the app at fresh tables; yield a description of where they are."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("TOKEN_SECRET", "bench-signing-secret-not-for-production-use")
    os.environ["TABLE_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    from chalicelib import aws, models
    from infra import tables

    if use_moto:
        from moto import mock_aws

        os.environ.pop("DYNAMODB_ENDPOINT", None)
        with mock_aws():
            aws.reset()
            models.reset_connections()
            tables.create_tables(aws.client("dynamodb"))
            yield "moto (in memory; capacity figures are moto's)"
        return
    server = None
    if endpoint is None:
        from infra.local import dynamodb_local
        from tests.integration.stack_runner import free_port

        log = Path(tempfile.mkdtemp(prefix="bench-ddb-")) / "dynamodb-local.log"
        server = dynamodb_local.start(free_port(), log_path=log)
        endpoint = server.endpoint
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    aws.reset()
    models.reset_connections()
    client = aws.client("dynamodb", endpoint_url=endpoint)
    tables.create_tables(client)
    try:
        yield f"DynamoDB Local at {endpoint}"
    finally:
        tables.delete_tables(client)
        if server is not None:
            server.stop()


def run(meter: Meter, traffic: Traffic | None = None) -> dict[str, Tally]:
    from chalicelib.api import ws
    from chalicelib.services import chats
    from tests.chat_helpers import (
        RecordingPusher,
        add_operator,
        as_operator,
        connect_customer,
        connect_operator,
        later,
    )
    from tests.conftest import make_tenant

    make_tenant("bench")
    push = RecordingPusher()
    traffic = traffic if traffic is not None else Traffic()
    operator = add_operator("bench", "Bench Operator")
    console = connect_operator(operator)
    customer = connect_customer("bench")

    def frame(actor: Any, body: dict[str, Any], at: float) -> dict[str, Any]:
        started = time.perf_counter()
        reply = ws.handle_frame(actor.connection_id, json.dumps(body), now=later(at), push=push)
        traffic.handler_seconds += time.perf_counter() - started
        traffic.frames_in += 1
        assert reply is not None and reply["type"] != "error", reply
        return reply

    def rest(call: Any, *args: Any, **kwargs: Any) -> None:
        """An operator REST call (open, end) made through its service, timed."""
        started = time.perf_counter()
        call(*args, **kwargs)
        traffic.handler_seconds += time.perf_counter() - started
        traffic.rest_calls += 1

    tallies: dict[str, Tally] = {}
    with meter.measure() as tallies["chat.start (customer frame)"]:
        chat_id = frame(customer, {"type": "chat.start", "consent": True}, 1)["chat"]["chat_id"]
    with meter.measure() as tallies["open (operator service)"]:
        rest(chats.open_chat, as_operator(operator), chat_id, now=later(2))

    def send(who: Any, side: str, n: int) -> None:
        frame(who, {"type": "message.send", "chat_id": chat_id,
                    "client_msg_id": f"{side}-{n}", "text": f"message {n}"}, 3 + n * 2)

    # 20 messages each way; the operator's first is its first reply.
    with meter.measure() as tallies["first reply (operator)"]:
        send(console, "operator", 0)
    for side, who, first in (("customer", customer, 0), ("operator", console, 1)):
        with meter.measure() as tally:
            for n in range(first, MESSAGES_EACH_WAY):
                send(who, side, n)
        tally.per = MESSAGES_EACH_WAY - first
        tallies[f"message.send ({side}), per message"] = tally
    with meter.measure() as tallies["rating.submit (customer frame)"]:
        frame(customer, {"type": "rating.submit", "chat_id": chat_id, "score": 5}, 60)
    with meter.measure() as tallies["end (operator service)"]:
        rest(chats.end, as_operator(operator), chat_id, now=later(61), push=push)
    whole = Tally()
    for part in tallies.values():
        whole.requests.update(part.requests)
        whole.read_units += part.read_units
        whole.write_units += part.write_units
    tallies["whole chat"] = whole
    # Every frame in gets a reply; every push is one more WebSocket message out.
    traffic.frames_out = traffic.frames_in + sum(len(sent) for sent in push.sent.values())
    return tallies


FILES = 5


Frame = Callable[[dict[str, Any], float], dict[str, Any]]


def _opened_chat(operator_name: str, at: float) -> tuple[Frame, str, Any]:
    """A chat of its own in the bench's service, started by a new customer and
    opened by a new operator: the customer's frame sender, the chat, the operator."""
    from chalicelib.api import ws
    from chalicelib.services import chats
    from tests.chat_helpers import (
        RecordingPusher,
        add_operator,
        as_operator,
        connect_customer,
        later,
    )

    push = RecordingPusher()
    operator = add_operator("bench", operator_name)
    customer = connect_customer("bench")

    def frame(body: dict[str, Any], when: float) -> dict[str, Any]:
        reply = ws.handle_frame(customer.connection_id, json.dumps(body), now=later(when),
                                push=push)
        assert reply is not None and reply["type"] != "error", reply
        return reply

    chat_id = frame({"type": "chat.start", "consent": True}, at)["chat"]["chat_id"]
    chats.open_chat(as_operator(operator), chat_id, now=later(at + 1))
    return frame, chat_id, operator


@contextlib.contextmanager
def files_bucket(use_moto: bool) -> Iterator[None]:
    """The files bucket: in moto's memory, or on a moto server on loopback (as
    the local stack has it)."""
    from chalicelib import aws, config

    server = None
    if not use_moto:
        from infra.local import moto_servers
        from tests.integration.stack_runner import free_port

        server = moto_servers.start(free_port())
        os.environ["S3_ENDPOINT"] = server.endpoint
        os.environ["SQS_ENDPOINT"] = server.endpoint  # webhooks: the same moto server
        aws.reset()
    aws.client("s3", endpoint_url=config.s3_endpoint()).create_bucket(
        Bucket=config.files_bucket())
    try:
        yield
    finally:
        if server is not None:
            server.stop()


def run_files(meter: Meter) -> dict[str, Tally]:
    """A customer sends FILES images: each asked for, uploaded, sent."""
    import requests

    from tests.api.test_attachments_api import PNG

    frame, chat_id, _ = _opened_chat("File Operator", 100)
    meter.count_s3()
    asked, sent = Tally(per=FILES), Tally(per=FILES)
    for n in range(FILES):
        meter.current = asked
        answer = frame({"type": "attachment.request", "chat_id": chat_id,
                        "filename": f"shot-{n}.png", "content_type": "image/png",
                        "size": len(PNG)}, 102 + n)
        meter.current = None
        upload = answer["upload"]
        posted = requests.post(upload["url"], data=upload["fields"],
                               files={"file": ("shot.png", PNG, "image/png")}, timeout=10)
        assert posted.status_code in (200, 204), posted.text
        meter.current = sent
        frame({"type": "message.send", "chat_id": chat_id, "client_msg_id": f"file-{n}",
               "attachment_id": answer["attachment_id"]}, 102 + n)
        meter.current = None
    return {"attachment.request, per file": asked,
            "message.send with a file, per file": sent}


WEBHOOK_MESSAGES = 20


def run_webhook(meter: Meter) -> dict[str, Tally]:
    """The same messages while a webhook hears `message.created` (R-HOOK-1):
    each also records a delivery and queues it (the sending is the queue's)."""
    from chalicelib import aws, clock
    from chalicelib.services import webhooks
    from chalicelib.services.access import Actor

    os.environ["WEBHOOKS_ALLOW_LOOPBACK"] = "true"
    os.environ["WEBHOOK_QUEUE_URL"] = aws.client("sqs").create_queue(
        QueueName="bench-webhooks")["QueueUrl"]
    frame, chat_id, operator = _opened_chat("Hook Operator", 200)
    admin = Actor(service_id="bench", role="admin", subject_id=operator.operator_id)
    webhooks.create(admin, webhooks.WebhookChange(url="http://127.0.0.1:9/hook",
                                                  events=["message.created"]), clock.now())
    meter.count_sqs()
    frame({"type": "message.send", "chat_id": chat_id, "client_msg_id": "hook-warm",
           "text": "warm"}, 202)  # the subscriptions were just read: as in steady use
    with meter.measure() as tally:
        for n in range(WEBHOOK_MESSAGES):
            frame({"type": "message.send", "chat_id": chat_id, "client_msg_id": f"hook-{n}",
                   "text": f"message {n}"}, 203 + n)
    tally.per = WEBHOOK_MESSAGES
    return {"message.send, a webhook hears it": tally}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", help="an already running DynamoDB (Local) URL")
    parser.add_argument("--moto", action="store_true", help="moto in memory instead")
    args = parser.parse_args()
    meter = Meter()
    meter.install()
    with dynamodb(args.endpoint, args.moto) as where, files_bucket(args.moto):
        tallies = run(meter)
        files = run_files(meter)
        hooked = run_webhook(meter)
    print(f"DynamoDB requests and consumed capacity, {where}\n")
    for label, tally in tallies.items():
        print(tally.line(label))
    print(f"\nFiles (a customer sends {FILES} PNGs in a chat of their own; S3 on moto):")
    for label, tally in files.items():
        print(tally.line(label))
    print("\nWebhooks (one webhook hears message.created; R-HOOK-1):")
    for label, tally in hooked.items():
        print(tally.line(label))
    worst = max(
        tallies[f"message.send ({side}), per message"].total
        / tallies[f"message.send ({side}), per message"].per
        for side in ("customer", "operator")
    )
    verdict = "within" if worst <= TARGET_REQUESTS_PER_MESSAGE else "OVER"
    print(f"\nsend path: {worst:g} requests per message, {verdict} the target of "
          f"{TARGET_REQUESTS_PER_MESSAGE}")
    return 0 if worst <= TARGET_REQUESTS_PER_MESSAGE else 1


if __name__ == "__main__":
    raise SystemExit(main())
