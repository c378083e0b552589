"""Webhooks (R-HOOK-1): the admins' REST, and the queue's sender."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.api.common import Call, endpoint
from chalicelib.services.access import Actor

routes = Blueprint(__name__)


@endpoint(routes, "/webhooks", who="admin")
def list_webhooks(call: Call) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    return {"webhooks": [webhooks.webhook_json(h) for h in webhooks.listed(actor)]}


@endpoint(routes, "/webhooks", methods=("POST",), who="admin", status=201)
def create_webhook(call: Call) -> dict[str, Any]:
    """The secret is in this answer only."""
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    change = webhooks.WebhookChange.checked(call.body, creating=True)
    return webhooks.webhook_json(webhooks.create(actor, change, clock.now()), secret=True)


@endpoint(routes, "/webhooks/{webhook_id}", methods=("PUT",), who="admin")
def update_webhook(call: Call, webhook_id: str) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    change = webhooks.WebhookChange.checked(call.body, creating=False)
    return webhooks.webhook_json(webhooks.update(actor, webhook_id, change, clock.now()))


@endpoint(routes, "/webhooks/{webhook_id}", methods=("DELETE",), who="admin", status=204)
def delete_webhook(call: Call, webhook_id: str) -> None:
    from chalicelib.services import webhooks

    webhooks.delete(Actor.calling(call.require_caller()), webhook_id)


@endpoint(routes, "/webhooks/{webhook_id}/secret", methods=("POST",), who="admin")
def rotate_secret(call: Call, webhook_id: str) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    return {"secret": webhooks.rotate_secret(actor, webhook_id, clock.now())}


@endpoint(routes, "/webhooks/{webhook_id}/test", methods=("POST",), who="admin", status=202)
def test_webhook(call: Call, webhook_id: str) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    return {"delivery_id": webhooks.send_test(actor, webhook_id, clock.now()).delivery_id}


@endpoint(routes, "/webhooks/{webhook_id}/deliveries", who="admin")
def list_deliveries(call: Call, webhook_id: str) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    found, next_cursor = webhooks.deliveries_page(actor, webhook_id, call.query.get("cursor"))
    return {"deliveries": [webhooks.delivery_json(d) for d in found],
            "next_cursor": next_cursor}


@endpoint(routes, "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
          methods=("POST",), who="admin", status=202)
def redeliver(call: Call, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    from chalicelib.services import webhooks

    actor = Actor.calling(call.require_caller())
    again = webhooks.redeliver(actor, webhook_id, delivery_id, clock.now())
    return {"delivery_id": again.delivery_id}


def run_sender(event: dict[str, Any]) -> dict[str, Any]:
    """The webhook queue's handler: sends each record's delivery; the
    records to try again (ReportBatchItemFailures)."""
    from chalicelib.services import hook_sender

    return hook_sender.handle_records(event.get("Records") or [])


