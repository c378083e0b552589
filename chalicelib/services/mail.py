"""Email (R-MAIL-1): ticket confirmations, ticket replies and chat transcripts,
sent with Amazon SES (`sesv2 SendEmail`) from `MAIL_FROM`.

A mail is an item (models.Mail) written in the same transaction as the change
it tells of, so it is never lost and never makes that request fail. After the
commit the request starts the worker (the asynchronous Lambda exports use, or
in-process under MAIL_INVOKE=inline); the minute sweep sends whatever the
worker did not finish, and retries failures on a schedule. A mail's id is made
from its event, and the worker claims it with a condition before sending, so a
retried request, a repeated invocation and the sweep together send it once
(unless a worker dies between SES accepting it and marking it sent: then the
sweep sends it again after the lease; at least once).

The text is rendered when sent, from the records themselves (mail/ templates
in `mail_text`), so a mail item stays small and never holds a transcript."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import aws, clock, config, observe
from chalicelib.models import Mail, TicketEntry
from chalicelib.services import mail_text

log = logging.getLogger("helpdesk.mail")

TICKET_CONFIRMATION = mail_text.TICKET_CONFIRMATION
TICKET_REPLY = mail_text.TICKET_REPLY
TRANSCRIPT = mail_text.TRANSCRIPT

# A claimed mail is the claimer's for this long; then the sweep may send it again.
LEASE = timedelta(minutes=2)
# After the n-th failed attempt, wait RETRY_AFTER[n-1]; after the last, give up.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
               timedelta(hours=2), timedelta(hours=6))
KEEP = timedelta(days=30)
DUE = "due"
SWEEP_BATCH = 25
# SES answers that mean this mail will never go (a bad address, an unverified
# sender): failed at once. Anything else (throttling, 5xx, the network) retries.
_PERMANENT = frozenset({
    "MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException",
    "NotFoundException", "InvalidParameterValue", "AccountSuspendedException",
})


def transcript_mail_id(chat_id: str, last_seq: int, to: str) -> str:
    digest = hashlib.sha256(to.lower().encode()).hexdigest()[:16]
    return f"{TRANSCRIPT}#{chat_id}#{last_seq}#{digest}"


def queue(
    writes: TransactWrite,
    *,
    mail_id: str,
    service_id: str,
    kind: str,
    to: str,
    language: str | None,
    ref: dict[str, Any],
    now: datetime,
) -> Mail:
    """Add the mail to the transaction that makes its event (once per id)."""
    mail = Mail(
        mail_id=mail_id, service_id=service_id, kind=kind, to=to,
        language=language or "en", ref=ref, status="pending", attempts=0,
        due=DUE, due_at=clock.iso(now), created_at=clock.iso(now),
        expires_at=now + KEEP,
    )
    writes.save(mail, condition=Mail.mail_id.does_not_exist())
    return mail


# --- starting the worker ------------------------------------------------------------


def dispatch(mail_ids: Iterable[str]) -> None:
    """Start sending, after the commit. Never raises: what does not start here is
    sent by the minute sweep."""
    ids = list(mail_ids)
    if not ids:
        return
    try:
        if config.mail_inline():
            run_worker({"mail_ids": ids})
            return
        import json

        client = aws.client("lambda", endpoint_url=config.lambda_endpoint())
        client.invoke(
            FunctionName=config.export_function(),
            InvocationType="Event",
            Payload=json.dumps({"mail_ids": ids}).encode(),
        )
    except Exception:
        log.warning("could not start the mail worker for %d mail(s); the sweep will",
                    len(ids), exc_info=True)


def run_worker(event: dict[str, Any]) -> dict[str, int]:
    """The worker: send the mails named in the event."""
    ids = event.get("mail_ids") or []
    outcome: dict[str, int] = {}
    for mail_id in ids[:100]:
        if isinstance(mail_id, str):
            result = send_one(mail_id, clock.now())
            outcome[result] = outcome.get(result, 0) + 1
    return outcome


def send_due(now: datetime, limit: int = SWEEP_BATCH) -> int:
    """The sweep: send mail whose time has come (never started, a retry, or a
    claim whose lease ran out). Returns how many were sent."""
    sent = 0
    for key in Mail.by_due.query(DUE, Mail.due_at <= clock.iso(now), limit=limit):
        with observe.tagged():  # each mail's service, in its own lines only
            if send_one(key.mail_id, now) == "sent":
                sent += 1
    return sent


# --- sending one --------------------------------------------------------------------


def _claim(mail_id: str, now: datetime) -> Mail | None:
    """Take the mail for LEASE: one claimer wins; sent and failed mail is never
    claimed again."""
    mail = Mail(mail_id=mail_id)
    try:
        mail.update(
            actions=[Mail.status.set("sending"), Mail.attempts.add(1),
                     Mail.due_at.set(clock.iso(now + LEASE))],
            condition=Mail.status.is_in("pending", "sending") & (Mail.due_at <= clock.iso(now)),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return mail


def send_one(mail_id: str, now: datetime) -> str:
    """Claim, render, send and record one mail: "sent", "retry", "failed" or
    "skipped" (someone else has it, or it is done)."""
    mail = _claim(mail_id, now)
    if mail is None:
        return "skipped"
    observe.tag(service_id=mail.service_id)
    try:
        rendered = mail_text.render(mail)
    except mail_text.NotReady:
        return _retry_later(mail, now, "not_ready")
    if rendered is None:
        return _give_up(mail, now, "what the mail tells of is gone")
    try:
        answer = _ses().send_email(
            FromEmailAddress=config.mail_from(),
            Destination={"ToAddresses": [mail.to]},
            Content={"Simple": {
                "Subject": {"Data": rendered.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": rendered.text, "Charset": "UTF-8"}},
            }},
        )
    except Exception as error:
        code = _error_code(error)
        observe.count(observe.MAIL_FAILURES)
        log.warning("mail %s (%s) not sent: %s", mail.kind, mail.mail_id.split("#")[0], code)
        if code in _PERMANENT or int(mail.attempts or 0) > len(RETRY_AFTER):
            return _give_up(mail, now, code)
        return _retry_later(mail, now, code)
    mail.update(actions=[
        Mail.status.set("sent"), Mail.sent_at.set(clock.iso(clock.now())),
        Mail.message_id.set(str(answer.get("MessageId", ""))),
        Mail.due.remove(), Mail.due_at.remove(), Mail.last_error.remove(),
    ])
    _mark_entry(mail, "sent")
    return "sent"


def _ses() -> Any:
    return aws.client("sesv2", endpoint_url=config.ses_endpoint())


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def _retry_later(mail: Mail, now: datetime, code: str) -> str:
    wait = RETRY_AFTER[min(int(mail.attempts or 1), len(RETRY_AFTER)) - 1]
    mail.update(actions=[Mail.status.set("pending"), Mail.due_at.set(clock.iso(now + wait)),
                         Mail.last_error.set(code)])
    return "retry"


def _give_up(mail: Mail, now: datetime, code: str) -> str:
    mail.update(actions=[Mail.status.set("failed"), Mail.last_error.set(code),
                         Mail.due.remove(), Mail.due_at.remove()])
    _mark_entry(mail, "failed")
    return "failed"


def _mark_entry(mail: Mail, status: str) -> None:
    """A ticket mail's outcome shows on its thread entry (`email_status`)."""
    ticket_id, entry_id = (mail.ref or {}).get("ticket_id"), (mail.ref or {}).get("entry_id")
    if not ticket_id or not entry_id:
        return
    try:
        TicketEntry(ticket_id=ticket_id, entry_id=entry_id).update(
            actions=[TicketEntry.email_status.set(status)],
            condition=TicketEntry.entry_id.exists(),
        )
    except UpdateError:
        log.info("the thread entry of a %s mail is gone", mail.kind)
