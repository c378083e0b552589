"""Webhooks (R-HOOK-1): the admins' endpoints, and the deliveries of events.

An event (`emit`) becomes one delivery per webhook of the service that hears
it: an item of `webhook_deliveries` written right after the change it tells
of, then a message on the webhook queue (Amazon SQS; the local stack's own),
whose handler (services/hook_sender.py) sends, signs, retries and records.
A delivery whose queue message is lost, or whose next attempt is further
off than SQS can delay (15 min), is put on the queue by the minute sweep
(`enqueue_due`).

Which webhooks hear which events is read once per service every
SUBSCRIPTIONS_TTL_S by each Lambda container (and at once after a change
made by the same container), so a message pays nothing for webhooks when
none hears `message.created`. A webhook changed elsewhere is heard by the
others within that time; the sender reads the webhook itself before every
attempt (a disabled or deleted one gets nothing more).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock, config, cursors, token_keys, validate
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.models import Token, Webhook, WebhookDelivery, transaction
from chalicelib.services import audit, webhook_urls
from chalicelib.services.access import Actor

log = logging.getLogger("helpdesk.webhooks")

EVENTS = (
    "chat.started",
    "chat.assigned",
    "chat.transferred",
    "chat.ended",
    "chat.rated",
    "message.created",
    "ticket.created",
    "ticket.updated",
)
PING = "ping"
MAX_WEBHOOKS = 10
PAGE = 20
DELIVERY_TTL = timedelta(days=30)
SUBSCRIPTIONS_TTL_S = 10.0
SQS_MAX_DELAY_S = 900
SQS_BATCH = 10
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DUE = "due"


# --- the admins' webhooks -------------------------------------------------------------


@dataclass(frozen=True)
class WebhookChange:
    url: str | None = None
    events: list[str] | None = None
    enabled: bool | None = None

    @classmethod
    def checked(cls, body: Any, *, creating: bool) -> WebhookChange:
        body = validate.body_object(body)
        validate.only_fields(body, ("url", "events", "enabled") if not creating
                             else ("url", "events"))
        url = None
        if creating or "url" in body:
            url = webhook_urls.check(body.get("url")).url
        events = None
        if creating or "events" in body:
            events = _checked_events(body.get("events"))
        enabled = validate.boolean(body, "enabled", required=False)
        return cls(url=url, events=events, enabled=enabled)


def _checked_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("events", "must be a list of one or more of " + ", ".join(EVENTS))
    chosen: list[str] = []
    for name in value:
        if not isinstance(name, str) or name not in EVENTS:
            shown = str(name)[:60] if isinstance(name, str) else "a value"
            raise InvalidInput("events", f"{shown!r} is not an event; known: "
                               + ", ".join(EVENTS))
        if name not in chosen:
            chosen.append(name)
    return [e for e in EVENTS if e in chosen]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _new_id(prefix: str, now: datetime) -> str:
    """An id that sorts by creation time (the log reads newest first)."""
    return f"{prefix}_{int(now.timestamp() * 1_000_000):014x}{secrets.token_hex(8)}"


def create(actor: Actor, change: WebhookChange, now: datetime) -> Webhook:
    """A new webhook, at most MAX_WEBHOOKS a service (a conditional counter)."""
    assert change.url is not None and change.events is not None
    at = clock.iso(now) or ""
    hook = Webhook(service_id=actor.service_id, webhook_id=_new_id("wh", now), url=change.url,
                   events=change.events, enabled=True, secret=new_secret(),
                   created_at=at, updated_at=at)
    counter = Token(token_key=token_keys.webhook_count(actor.service_id))
    below_cap = Token.failures.does_not_exist() | (Token.failures < MAX_WEBHOOKS)
    try:
        with transaction() as writes:
            writes.update(counter, actions=[Token.failures.add(1)], condition=below_cap)
            writes.save(hook, condition=Webhook.webhook_id.does_not_exist())
            audit.add_to(writes, actor.service_id, "webhook.create", hook.webhook_id,
                         {"url": hook.url, "events": hook.events})
    except TransactWriteError as exc:
        raise Conflict(f"a service has at most {MAX_WEBHOOKS} webhooks",
                       "too_many") from exc
    forget_subscriptions(actor.service_id)
    return hook


def get(actor: Actor, webhook_id: str) -> Webhook:
    webhook_id = validate.id_string(webhook_id, "webhook_id")
    try:
        return Webhook.get(actor.service_id, webhook_id, consistent_read=True)
    except Webhook.DoesNotExist:
        raise NotFound("no such webhook") from None


def listed(actor: Actor) -> list[Webhook]:
    found = list(Webhook.query(actor.service_id, consistent_read=True))
    return sorted(found, key=lambda h: h.created_at, reverse=True)


def update(actor: Actor, webhook_id: str, change: WebhookChange, now: datetime) -> Webhook:
    """Change the URL, the events, or switch it on or off; switching it on
    forgets why it was switched off and since when it failed."""
    hook = get(actor, webhook_id)
    actions: list[Any] = [Webhook.updated_at.set(clock.iso(now)), Webhook.version.add(1)]
    if change.url is not None:
        actions.append(Webhook.url.set(change.url))
    if change.events is not None:
        actions.append(Webhook.events.set(change.events))
    if change.enabled is not None:
        actions.append(Webhook.enabled.set(change.enabled))
        if change.enabled:
            actions += [Webhook.disabled_reason.remove(), Webhook.failing_since.remove()]
    fields = [name for name, value in (("url", change.url), ("events", change.events),
                                       ("enabled", change.enabled)) if value is not None]
    try:
        with transaction() as writes:
            writes.update(hook, actions=actions, condition=Webhook.webhook_id.exists())
            audit.add_to(writes, actor.service_id, "webhook.update", hook.webhook_id,
                         {"fields": fields})
    except TransactWriteError as exc:
        raise NotFound("no such webhook") from exc
    forget_subscriptions(actor.service_id)
    return get(actor, webhook_id)


def delete(actor: Actor, webhook_id: str) -> None:
    """Gone with its pending deliveries' chances (the sender finds no webhook)."""
    hook = get(actor, webhook_id)
    counter = Token(token_key=token_keys.webhook_count(actor.service_id))
    try:
        with transaction() as writes:
            writes.delete(hook, condition=Webhook.webhook_id.exists())
            writes.update(counter, actions=[Token.failures.add(-1)])
            audit.add_to(writes, actor.service_id, "webhook.delete", hook.webhook_id,
                         {"url": hook.url})
    except TransactWriteError as exc:
        raise NotFound("no such webhook") from exc
    forget_subscriptions(actor.service_id)


def rotate_secret(actor: Actor, webhook_id: str, now: datetime) -> str:
    """A new secret; the next attempt of any delivery is signed with it."""
    hook = get(actor, webhook_id)
    secret = new_secret()
    try:
        with transaction() as writes:
            writes.update(hook, actions=[Webhook.secret.set(secret),
                                         Webhook.updated_at.set(clock.iso(now)),
                                         Webhook.version.add(1)],
                          condition=Webhook.webhook_id.exists())
            audit.add_to(writes, actor.service_id, "webhook.update", hook.webhook_id,
                         {"fields": ["secret"]})
    except TransactWriteError as exc:
        raise NotFound("no such webhook") from exc
    return secret


def webhook_json(hook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    found = {
        "webhook_id": hook.webhook_id,
        "url": hook.url,
        "events": list(hook.events or []),
        "enabled": bool(hook.enabled),
        "disabled_reason": hook.disabled_reason,
        "failing_since": hook.failing_since,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    }
    if secret:
        found["secret"] = hook.secret
    return found


# --- which webhooks hear what ---------------------------------------------------------

_subscriptions: dict[str, tuple[float, list[tuple[str, tuple[str, ...]]]]] = {}
_subscriptions_lock = threading.Lock()


def forget_subscriptions(service_id: str | None = None) -> None:
    """Read the service's (or, None, every service's) webhooks again next time."""
    with _subscriptions_lock:
        if service_id is None:
            _subscriptions.clear()
        else:
            _subscriptions.pop(service_id, None)


def hearing(service_id: str, event: str) -> list[str]:
    """The ids of the service's enabled webhooks that hear `event` (read at
    most every SUBSCRIPTIONS_TTL_S; none when they cannot be read: an event is
    never worth failing the change it tells of)."""
    with _subscriptions_lock:
        cached = _subscriptions.get(service_id)
    if cached is None or time.monotonic() - cached[0] > SUBSCRIPTIONS_TTL_S:
        try:
            read = [(h.webhook_id, tuple(h.events or ())) for h in Webhook.query(service_id)
                    if h.enabled]
        except Exception:
            # The change that makes the event is done; never fail it over this.
            log.exception("could not read the webhooks of service %s; %s not delivered",
                          service_id, event)
            return []
        cached = (time.monotonic(), read)
        with _subscriptions_lock:
            _subscriptions[service_id] = cached
    return [webhook_id for webhook_id, events in cached[1] if event in events]


# --- deliveries -----------------------------------------------------------------------


def _body(delivery_id: str, event: str, service_id: str, at: str, data: dict[str, Any]) -> str:
    return json.dumps({"delivery_id": delivery_id, "event": event, "created_at": at,
                       "service_id": service_id, "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)


def _new_delivery(service_id: str, webhook_id: str, event: str, data: dict[str, Any],
                  now: datetime) -> WebhookDelivery:
    at = clock.iso(now) or ""
    delivery_id = _new_id("dlv", now)
    return WebhookDelivery(
        webhook_id=webhook_id, delivery_id=delivery_id, service_id=service_id, event=event,
        body=_body(delivery_id, event, service_id, at, data), status=PENDING, attempts=0,
        round_base=0, due=DUE, next_attempt_at=at, created_at=at,
        expires_at=now + DELIVERY_TTL,
    )


def emit(service_id: str, event: str, data: dict[str, Any], *,
         now: datetime | None = None) -> list[str]:
    """Record `event` for every webhook hearing it and queue the deliveries;
    their ids. Never raises: the change it tells of is done already (a
    failure is logged; a delivery recorded but not queued is queued by the
    sweep)."""
    try:
        webhook_ids = hearing(service_id, event)
        if not webhook_ids:
            return []
        now = now or clock.now()
        deliveries = [_new_delivery(service_id, w, event, data, now) for w in webhook_ids]
        with WebhookDelivery.batch_write() as batch:
            for delivery in deliveries:
                batch.save(delivery)
        enqueue(deliveries)
        return [d.delivery_id for d in deliveries]
    except Exception:
        log.exception("could not record the %s deliveries of service %s", event, service_id)
        return []


def send_test(actor: Actor, webhook_id: str, now: datetime) -> WebhookDelivery:
    """A `ping` delivery (also to a webhook switched off, to try it first)."""
    hook = get(actor, webhook_id)
    delivery = _new_delivery(actor.service_id, hook.webhook_id, PING,
                             {"webhook_id": hook.webhook_id, "message": "ping"}, now)
    delivery.save(condition=WebhookDelivery.delivery_id.does_not_exist())
    enqueue([delivery])
    return delivery


def deliveries_page(actor: Actor, webhook_id: str, cursor: str | None
                    ) -> tuple[list[WebhookDelivery], str | None]:
    """The webhook's log, newest first, PAGE at a time."""
    hook = get(actor, webhook_id)
    scope = f"deliveries#{hook.webhook_id}"
    last_key = cursors.decode(cursor, scope) if cursor else None
    found = WebhookDelivery.query(hook.webhook_id, scan_index_forward=False, limit=PAGE,
                                  last_evaluated_key=last_key, consistent_read=True)
    page = list(found)
    more = found.last_evaluated_key
    return page, cursors.encode(more, scope) if more else None


def redeliver(actor: Actor, webhook_id: str, delivery_id: str, now: datetime
              ) -> WebhookDelivery:
    """Send a delivered or failed delivery again, with the same id and body,
    on a fresh retry schedule; a pending one is 409 (it is on its way)."""
    hook = get(actor, webhook_id)
    delivery_id = validate.id_string(delivery_id, "delivery_id")
    try:
        delivery = WebhookDelivery.get(hook.webhook_id, delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        raise NotFound("no such delivery") from None
    if delivery.status == PENDING:
        raise Conflict("the delivery is still being sent", "conflict")
    at = clock.iso(now)
    try:
        delivery.update(
            actions=[WebhookDelivery.status.set(PENDING), WebhookDelivery.due.set(DUE),
                     WebhookDelivery.next_attempt_at.set(at),
                     WebhookDelivery.round_base.set(int(delivery.attempts or 0)),
                     WebhookDelivery.lease_until.remove(),
                     WebhookDelivery.expires_at.set(now + DELIVERY_TTL)],
            condition=WebhookDelivery.status == delivery.status,
        )
    except UpdateError as exc:
        raise Conflict("the delivery changed meanwhile; try again", "conflict") from exc
    enqueue([delivery])
    return delivery


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": int(delivery.attempts or 0),
        "last_status_code": (int(delivery.last_status_code)
                             if delivery.last_status_code is not None else None),
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == PENDING else None,
        "last_attempt_at": delivery.last_attempt_at,
        "created_at": delivery.created_at,
    }


# --- the queue ------------------------------------------------------------------------


def _sqs() -> Any:
    from chalicelib import aws

    return aws.client("sqs")  # SQS_ENDPOINT locally (chalicelib/aws.py)


def enqueue(deliveries: list[WebhookDelivery], delay_s: int = 0) -> int:
    """Put deliveries on the webhook queue (SendMessageBatch, ten a request);
    how many went. One that did not is left to the sweep."""
    queue_url = config.webhook_queue_url()
    if not queue_url or not deliveries:
        if deliveries:
            log.warning("no webhook queue configured: %d deliveries wait for the sweep",
                        len(deliveries))
        return 0
    sent = 0
    delay = max(0, min(SQS_MAX_DELAY_S, int(delay_s)))
    for start in range(0, len(deliveries), SQS_BATCH):
        chunk = deliveries[start:start + SQS_BATCH]
        entries = [{"Id": str(i), "DelaySeconds": delay,
                    "MessageBody": json.dumps({"webhook_id": d.webhook_id,
                                               "delivery_id": d.delivery_id,
                                               "service_id": d.service_id})}
                   for i, d in enumerate(chunk)]
        try:
            answer = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:
            log.warning("could not queue %d webhook deliveries; the sweep will", len(chunk),
                        exc_info=True)
            continue
        sent += len(answer.get("Successful", []))
    return sent


def enqueue_due(now: datetime, limit: int = 200) -> int:
    """The sweep's part: pending deliveries whose attempt is due (their queue
    message lost, or their retry further off than SQS delays) go on the queue.
    A delivery queued twice is still sent once (the sender claims attempts)."""
    # A message queued with its delay arrives on time; only what is later
    # than this is taken for lost.
    before = clock.iso(now - timedelta(seconds=30)) or ""
    keys = list(WebhookDelivery.by_due.query(DUE, WebhookDelivery.next_attempt_at <= before,
                                             limit=limit))
    if not keys:
        return 0
    found = WebhookDelivery.batch_get([(k.webhook_id, k.delivery_id) for k in keys])
    pending = [d for d in found if d.status == PENDING]
    return enqueue(pending)

