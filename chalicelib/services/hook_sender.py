"""Sending webhook deliveries (R-HOOK-1): the webhook queue's handler.

Each queue message names one delivery. Its attempt is claimed first (a
conditional update: attempts + 1 while no other attempt holds it), so a
message the queue hands out twice, or queued again by the sweep, is sent
once per attempt. The request is `POST url` with the delivery's body,
signed `X-Helpdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>." + body)>` with the webhook's secret as it is now, to the address its
URL was checked to resolve to (services/webhook_urls.py), no redirects, 5 s
for the whole of it. A 2xx is delivered; a network error, timeout, 429 or
5xx is tried again on the schedule (about 5 s, 30 s, 2 min, 10 min, 1 h,
6 h, 24 h, then failed); anything else fails at once. A webhook whose
deliveries have failed for three days without one success is switched off,
with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock, config, observe
from chalicelib.errors import InvalidInput
from chalicelib.models import Webhook, WebhookDelivery
from chalicelib.services import webhook_urls, webhooks
from chalicelib.services.webhooks import DELIVERED, DUE, FAILED, PENDING

log = logging.getLogger("helpdesk.webhooks")

RETRY_DELAYS_S = (5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600)
TIMEOUT_S = 5.0
LEASE_S = 60
DISABLE_AFTER = timedelta(days=3)
USER_AGENT = "helpdesk-chat-webhooks/1"
MAX_ERROR = 200


def retry_delays() -> tuple[float, ...]:
    """The schedule, scaled by `WEBHOOK_RETRY_SCALE` (tests run it in
    hundredths; 1 elsewhere)."""
    scale = config.webhook_retry_scale()
    return tuple(delay * scale for delay in RETRY_DELAYS_S)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    final: bool = False  # not worth another try (the address is refused)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        code = self.status_code
        return not self.final and (code is None or code == 429 or code >= 500)


# --- the queue's handler -------------------------------------------------------------


def handle_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Send each record's delivery (at once, up to ten); the records whose
    work failed (not the delivery: the handler itself) go back to the queue."""
    failures: list[dict[str, str]] = []

    def one(record: dict[str, Any]) -> None:
        try:
            found = json.loads(record.get("body") or "{}")
            attempt(str(found["webhook_id"]), str(found["delivery_id"]), clock.now())
        except Exception:
            log.exception("a webhook delivery could not be handled; the queue retries it")
            failures.append({"itemIdentifier": str(record.get("messageId"))})

    if len(records) == 1:
        one(records[0])
    else:
        with ThreadPoolExecutor(max_workers=min(10, len(records))) as pool:
            list(pool.map(observe.carried(one), records))
    return {"batchItemFailures": failures}


def attempt(webhook_id: str, delivery_id: str, now: datetime) -> str:
    """One attempt of a delivery, if it is pending, due and not held; what
    became of it (for the log and tests)."""
    try:
        delivery = WebhookDelivery.get(webhook_id, delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        return "gone"
    if delivery.status != PENDING:
        return "done"
    observe.tag(service_id=delivery.service_id)  # a batch's records: a thread each
    due_at = clock.parse_iso(delivery.next_attempt_at) if delivery.next_attempt_at else now
    early = (due_at - now).total_seconds()
    if early > 1:
        # Early (a delay SQS could not hold): back on the queue for the rest.
        webhooks.enqueue([delivery], delay_s=int(early))
        return "early"
    try:
        hook = Webhook.get(delivery.service_id, webhook_id, consistent_read=True)
    except Webhook.DoesNotExist:
        _give_up(delivery, "the webhook was deleted")
        return "failed"
    if not hook.enabled and delivery.event != webhooks.PING:
        _give_up(delivery, "the webhook is switched off")
        return "failed"
    if not _claim(delivery, now):
        return "held"
    outcome = post(hook, delivery, now)
    if not outcome.delivered:
        observe.count(observe.WEBHOOK_FAILURES)
        # The status only: an error's text may quote the receiver's URL.
        log.info("webhook %s: delivery %s not delivered on attempt %d (%s)", hook.webhook_id,
                 delivery.delivery_id, int(delivery.attempts or 0),
                 f"HTTP {outcome.status_code}" if outcome.status_code else "no answer")
    return _record(hook, delivery, outcome, now)


def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    """attempts + 1, held for LEASE_S: only while pending, unchanged, unheld."""
    epoch = int(now.timestamp())
    seen = int(delivery.attempts or 0)
    unheld = WebhookDelivery.lease_until.does_not_exist() | (WebhookDelivery.lease_until < epoch)
    try:
        delivery.update(
            actions=[WebhookDelivery.attempts.set(seen + 1),
                     WebhookDelivery.lease_until.set(epoch + LEASE_S)],
            condition=(WebhookDelivery.status == PENDING) & (WebhookDelivery.attempts == seen)
            & unheld,
        )
    except UpdateError:
        return False
    return True


def _give_up(delivery: WebhookDelivery, reason: str) -> None:
    with contextlib.suppress(UpdateError):  # settled meanwhile
        delivery.update(
            actions=[WebhookDelivery.status.set(FAILED), WebhookDelivery.last_error.set(reason),
                     WebhookDelivery.due.remove(), WebhookDelivery.next_attempt_at.remove(),
                     WebhookDelivery.lease_until.remove()],
            condition=WebhookDelivery.status == PENDING,
        )


def _record(hook: Webhook, delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    """The attempt's outcome, only if the attempt is still ours."""
    attempts = int(delivery.attempts or 0)
    actions: list[Any] = [
        WebhookDelivery.last_attempt_at.set(clock.iso(now)),
        WebhookDelivery.lease_until.remove(),
    ]
    actions.append(WebhookDelivery.last_status_code.set(outcome.status_code)
                   if outcome.status_code is not None
                   else WebhookDelivery.last_status_code.remove())
    actions.append(WebhookDelivery.last_error.set(outcome.error) if outcome.error
                   else WebhookDelivery.last_error.remove())
    schedule = retry_delays()
    retry = int(attempts - int(delivery.round_base or 0)) - 1
    delay = None
    if outcome.delivered:
        status = DELIVERED
    elif outcome.retryable and retry < len(schedule):
        status, delay = PENDING, schedule[retry]
    else:
        status = FAILED
    if status == PENDING and delay is not None:
        actions += [WebhookDelivery.next_attempt_at.set(clock.iso(now + timedelta(seconds=delay))),
                    WebhookDelivery.due.set(DUE)]
    else:
        actions += [WebhookDelivery.status.set(status), WebhookDelivery.due.remove(),
                    WebhookDelivery.next_attempt_at.remove()]
    try:
        delivery.update(actions=actions, condition=WebhookDelivery.attempts == attempts)
    except UpdateError:
        return "raced"
    if delay is not None:
        webhooks.enqueue([delivery], delay_s=int(delay))
    _keep_health(hook, outcome, now)
    return status


def _keep_health(hook: Webhook, outcome: Outcome, now: datetime) -> None:
    """A success forgets failures; three days of failures switch it off."""
    try:
        if outcome.delivered:
            if hook.failing_since:
                hook.update(actions=[Webhook.failing_since.remove()],
                            condition=Webhook.failing_since == hook.failing_since)
            return
        if not hook.failing_since:
            hook.update(actions=[Webhook.failing_since.set(clock.iso(now))],
                        condition=Webhook.failing_since.does_not_exist())
            return
        since = clock.parse_iso(hook.failing_since)
        if hook.enabled and now - since >= DISABLE_AFTER:
            reason = (f"Switched off at {clock.iso(now)}: every delivery has failed since "
                      f"{hook.failing_since} (last: {outcome.error or 'no answer'}).")
            hook.update(actions=[Webhook.enabled.set(False),
                                 Webhook.disabled_reason.set(reason),
                                 Webhook.updated_at.set(clock.iso(now))],
                        condition=(Webhook.enabled == True)  # noqa: E712 - an attribute
                        & (Webhook.failing_since == hook.failing_since))
            webhooks.forget_subscriptions(hook.service_id)
            log.warning("webhook %s switched off after failing for three days", hook.webhook_id)
    except UpdateError:
        pass  # changed meanwhile: the next attempt sees it


# --- the request ---------------------------------------------------------------------


def post(hook: Webhook, delivery: WebhookDelivery, now: datetime) -> Outcome:
    """POST the delivery to the webhook's URL, checked again now."""
    try:
        target = webhook_urls.check(hook.url)
    except InvalidInput as refused:
        return Outcome(None, _short(refused.message), final=True)
    body = delivery.body.encode()
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Delivery": delivery.delivery_id,
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Attempt": str(int(delivery.attempts or 0)),
        "X-Helpdesk-Signature": sign(hook.secret, int(now.timestamp()), body),
    }
    return _send(target, body, headers)


def _send(target: webhook_urls.Target, body: bytes, headers: dict[str, str]) -> Outcome:
    import urllib3
    from urllib3.exceptions import HTTPError, TimeoutError

    timeout = urllib3.Timeout(total=TIMEOUT_S, connect=TIMEOUT_S, read=TIMEOUT_S)
    pool: Any
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address, port=target.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, port=target.port, timeout=timeout,
                                          retries=False, maxsize=1)
    started = time.monotonic()
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers,
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        try:
            response.read(1024)  # a little of the answer, never all of it
        finally:
            response.release_conn()
    except TimeoutError:
        return Outcome(None, "timeout")
    except HTTPError as error:
        return Outcome(None, _short(_network_error(error)))
    except OSError as error:
        return Outcome(None, _short(str(error) or type(error).__name__))
    finally:
        pool.close()
    if time.monotonic() - started > TIMEOUT_S:
        return Outcome(None, "timeout")
    code = int(response.status)
    if 200 <= code < 300:
        return Outcome(code, None)
    if 300 <= code < 400:
        return Outcome(code, f"HTTP {code}: redirects are not followed")
    return Outcome(code, f"HTTP {code}")


def _network_error(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    if "refused" in text.lower():
        return "connection refused"
    if "certificate" in text.lower() or "ssl" in text.lower():
        return "TLS error: " + text
    return text or type(error).__name__


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"
