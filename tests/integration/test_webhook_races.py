"""Webhook deliveries (R-HOOK-1) raced on DynamoDB Local: a queue message
handed out many times at once (SQS is at least once; the sweep may queue it
again) is one attempt at the receiver, and so is each retry; a redeliver
pressed twice at once queues it once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.errors import Conflict
from chalicelib.models import WebhookDelivery
from chalicelib.services import hook_sender, webhooks
from chalicelib.services.access import Actor
from tests.chat_helpers import all_at_once
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration


class Receiver:
    def __init__(self, statuses: list[int]) -> None:
        self.got: list[str] = []
        self.statuses = statuses
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    receiver.got.append(self.headers["X-Helpdesk-Delivery"])
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver(local_tables: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    monkeypatch.delenv("WEBHOOK_QUEUE_URL", raising=False)  # sends by hand here
    webhooks.forget_subscriptions()
    found = Receiver([])
    yield found
    found.server.shutdown()
    found.server.server_close()


def _admin() -> Actor:
    tenant = make_tenant("acme")
    return Actor(service_id=tenant.service_id, subject_id=tenant.admin_id, role="admin",
                 name="Admin")


def _record(body: str) -> dict[str, Any]:
    return {"messageId": "m", "body": body}


def test_one_delivery_handed_out_twelve_times_at_once_is_one_attempt(receiver: Receiver):
    admin = _admin()
    change = webhooks.WebhookChange(url=receiver.url, events=["chat.started"])
    hook = webhooks.create(admin, change, clock.now())
    delivery = webhooks.send_test(admin, hook.webhook_id, clock.now())
    body = (f'{{"webhook_id": "{hook.webhook_id}", "delivery_id": "{delivery.delivery_id}", '
            f'"service_id": "acme"}}')
    results = all_at_once([lambda: hook_sender.handle_records([_record(body)])] * 12)
    assert all(r == {"batchItemFailures": []} for r in results)
    assert receiver.got == [delivery.delivery_id]
    stored = WebhookDelivery.get(hook.webhook_id, delivery.delivery_id, consistent_read=True)
    assert (stored.status, int(stored.attempts)) == ("delivered", 1)


def test_each_retry_is_one_attempt_however_often_it_is_handed_out(receiver: Receiver,
                                                                  monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0")
    receiver.statuses[:] = [500, 500]
    admin = _admin()
    hook = webhooks.create(admin, webhooks.WebhookChange(url=receiver.url,
                                                         events=["chat.started"]), clock.now())
    delivery = webhooks.send_test(admin, hook.webhook_id, clock.now())
    body = (f'{{"webhook_id": "{hook.webhook_id}", "delivery_id": "{delivery.delivery_id}", '
            f'"service_id": "acme"}}')
    for _ in range(3):
        all_at_once([lambda: hook_sender.handle_records([_record(body)])] * 6)
    assert receiver.got == [delivery.delivery_id] * 3
    stored = WebhookDelivery.get(hook.webhook_id, delivery.delivery_id, consistent_read=True)
    assert (stored.status, int(stored.attempts)) == ("delivered", 3)


def test_redeliver_pressed_twice_at_once_queues_it_once(receiver: Receiver):
    admin = _admin()
    hook = webhooks.create(admin, webhooks.WebhookChange(url=receiver.url,
                                                         events=["chat.started"]), clock.now())
    delivery = webhooks.send_test(admin, hook.webhook_id, clock.now())
    hook_sender.attempt(hook.webhook_id, delivery.delivery_id, clock.now())
    results = all_at_once([lambda: webhooks.redeliver(admin, hook.webhook_id,
                                                      delivery.delivery_id, clock.now())] * 6,
                          returning=(Conflict,))
    assert sum(1 for r in results if isinstance(r, WebhookDelivery)) == 1
    assert sum(1 for r in results if isinstance(r, Conflict)) == 5


def test_the_cap_of_ten_holds_when_admins_create_at_once(receiver: Receiver):
    admin = _admin()
    change = webhooks.WebhookChange(url=receiver.url, events=["chat.started"])
    results = all_at_once([lambda: webhooks.create(admin, change, clock.now())] * 14,
                          returning=(Conflict,))
    assert sum(1 for r in results if isinstance(r, Conflict)) == 4
    assert len(webhooks.listed(admin)) == webhooks.MAX_WEBHOOKS
