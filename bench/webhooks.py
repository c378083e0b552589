"""Webhook delivery throughput (R-HOOK-1): deliveries a second through the
local stack's queue, end to end.

DynamoDB Local (started here, in memory) and moto's server (SQS) as the local
stack has them; one service with one webhook on a receiver on loopback that
answers 200 at once. DELIVERIES events are recorded (`webhooks.emit`, which
writes the deliveries and queues them), then the stack's poller — Lambda's
event source mapping, infra/local/queues.py — hands batches of ten to the
app's `webhook_sender`, which claims, signs, posts and records each. The
clock runs from the first poll to the last delivery marked delivered.

Baseline, in the same run: the same number of signed POSTs straight to the
receiver from as many threads as the sender uses (its HTTP alone), so the
ratio shows what the queue and the bookkeeping (4 DynamoDB requests a
delivery: read, claim, record, and the webhook read) cost on top.

    .venv/bin/python -m bench.webhooks [--deliveries N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DELIVERIES = 300


class Receiver:
    """200 at once to every POST; counts them."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def baseline(receiver: Receiver, n: int, secret: str) -> float:
    """Signed POSTs straight to the receiver, ten threads: posts a second."""
    from chalicelib.services import hook_sender, webhook_urls

    target = webhook_urls.check(receiver.url)
    body = b'{"event":"ping","data":{}}'

    def post(_: int) -> None:
        headers = {"Content-Type": "application/json",
                   "X-Helpdesk-Signature": hook_sender.sign(secret, int(time.time()), body)}
        outcome = hook_sender._send(target, body, headers)
        assert outcome.delivered, outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(post, range(n)))
    return n / (time.perf_counter() - started)


def through_the_queue(n: int, sqs_endpoint: str) -> tuple[float, int]:
    """Deliveries a second through the poller and the sender; how many were
    delivered."""
    from app import app
    from chalicelib import clock
    from chalicelib.models import WebhookDelivery
    from chalicelib.services import webhooks
    from infra.local import queues
    from infra.local.runtime import LambdaRuntime

    hook_id = next(iter(webhooks.listed(_admin()))).webhook_id
    for start in range(0, n, 25):
        for _ in range(min(25, n - start)):
            webhooks.emit("bench", "chat.started", {"chat": {"chat_id": "c"}},
                          now=clock.now())

    def delivered() -> int:
        return sum(1 for d in WebhookDelivery.query(hook_id) if d.status == "delivered")

    async def main() -> float:
        poller = queues.QueuePoller(LambdaRuntime(app), sqs_endpoint, "us-east-1")
        started = time.perf_counter()
        task = asyncio.create_task(poller.run())
        while await asyncio.to_thread(delivered) < n:
            await asyncio.sleep(0.2)
        took = time.perf_counter() - started
        await poller.stop(10.0)
        await asyncio.wait_for(task, 5.0)
        return took

    took = asyncio.run(main())
    return n / took, delivered()


def _admin() -> Any:
    from chalicelib.services.access import Actor

    return Actor(service_id="bench", role="admin", subject_id="bench-admin")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=DELIVERIES)
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server, per request

    from bench.message_path import dynamodb
    from infra.local import moto_servers, queues
    from tests.integration.stack_runner import free_port

    server = moto_servers.start(free_port())
    os.environ["SQS_ENDPOINT"] = server.endpoint
    os.environ["WEBHOOKS_ALLOW_LOOPBACK"] = "true"
    receiver = Receiver()
    try:
        with dynamodb(None, False) as where:
            from chalicelib import aws, clock
            from chalicelib.services import webhooks
            from tests.conftest import make_tenant

            aws.reset()
            os.environ["WEBHOOK_QUEUE_URL"] = queues.create_webhook_queues(aws.client("sqs"))
            make_tenant("bench")
            hook = webhooks.create(_admin(), webhooks.WebhookChange(
                url=receiver.url, events=["chat.started"]), clock.now())
            direct = baseline(receiver, args.deliveries, hook.secret)
            queued, done = through_the_queue(args.deliveries, server.endpoint)
    finally:
        server.stop()
    print(f"Webhook deliveries, {where}; SQS: moto's server; receiver on loopback\n")
    print(f"{'signed POSTs straight to the receiver (baseline)':<52} {direct:8.1f} /s")
    print(f"{'deliveries through the queue and the sender':<52} {queued:8.1f} /s "
          f"({done} of {args.deliveries} delivered)")
    print(f"\nratio: {queued / direct:.2f} of the receiver's own pace")
    return 0 if done == args.deliveries else 1


if __name__ == "__main__":
    raise SystemExit(main())
