"""Nothing secret reaches the logs (R-OPS-1): a full run over the app's real
Lambda handlers — sign-in, a signed-in customer's chat with messages and a
note, a transcript by mail, a ticket from the offline form with its mail, a
webhook whose receiver fails once, an export and the minute sweep — with
everything captured: stdout and stderr (file descriptors), and every logger at
DEBUG but the AWS SDK's and the HTTP clients' (at INFO: their DEBUG records are
wire dumps, request bodies included by design; on Lambda the root logger is at
WARNING, docs/security.md). Then every secret the run handled is looked for in
all of it; and the lines it wrote carry the correlation keys."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import auth, aws
from chalicelib.models import Service
from tests.api.helpers import scheduled_event
from tests.api.test_offline_tickets_api import form, mails_to
from tests.api.test_webhooks_api import QUEUE, Receiver
from tests.api.test_webhooks_api import pump as webhook_queue
from tests.api.ws_gateway import connect
from tests.conftest import ADMIN_PASSWORD, OPERATOR_PASSWORD
from tests.emf import emf_lines, json_lines, log_lines, metrics_written

MESSAGE_TEXT = "SECRET-MESSAGE-TEXT-4711"
NOTE_TEXT = "SECRET-NOTE-TEXT-4711"
CUSTOMER_EMAIL = "secret.customer.4711@example.test"
FORM_EMAIL = "secret.form.4711@example.test"
EXPORTS_BUCKET = "hygiene-exports"
WIRE_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "pynamodb", "moto", "werkzeug")


@pytest.fixture
def receiver() -> Any:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def run(desk: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The desk with a webhook queue, loopback receivers, retries in hundredths,
    and exports written in the request that starts them."""
    monkeypatch.setenv("WEBHOOK_QUEUE_URL",
                       aws.client("sqs").create_queue(QueueName=QUEUE)["QueueUrl"])
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0.00001")
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", EXPORTS_BUCKET)
    aws.client("s3").create_bucket(Bucket=EXPORTS_BUCKET)
    return desk


def pump(client: Any) -> None:
    """The webhook queue, through the app's own `webhook_sender` Lambda."""
    webhook_queue(handler=lambda event: client.lambda_.invoke("webhook_sender", event).payload)


def full_run(desk: Any, receiver: Receiver) -> list[str]:
    """Everything a day at the desk does; every secret it handled."""
    client, tenant, admin = desk.client, desk.tenant, desk.admin
    secrets = [ADMIN_PASSWORD, OPERATOR_PASSWORD, admin.token, MESSAGE_TEXT, NOTE_TEXT,
               CUSTOMER_EMAIL, FORM_EMAIL]

    status, hook = admin.post("/webhooks", {"url": receiver.url, "events": [
        "chat.started", "chat.assigned", "message.created", "chat.ended"]})
    assert status == 201, hook
    secrets.append(hook["secret"])
    receiver.script = [500]  # the first delivery fails once

    operator, console = desk.operator()
    ticket = operator.post("/auth/ws-ticket")[1]["ticket"]
    assert connect(client, ticket, origin=None)[0] == 200
    secrets += [operator.token, ticket]

    identity_secret = Service.get(tenant.service_id).identity_secret
    user = {"id": "user-4711", "name": "Secret Name", "email": CUSTOMER_EMAIL,
            "hash": auth.identity_hash(identity_secret, "user-4711")}
    status, session = desk.public.post(f"/widget/{tenant.widget_key}/session", {"user": user})
    assert status == 200, session
    secrets += [identity_secret, user["hash"], session["ticket"], session["visitor_token"]]
    code, customer = connect(client, session["ticket"])
    assert code == 200

    chat = customer.request({"type": "chat.start", "consent": True, "name": "Secret Name",
                             "email": CUSTOMER_EMAIL})["chat"]
    chat_id = chat["chat_id"]
    assert operator.post(f"/chats/{chat_id}/open")[0] == 200
    assert customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                             "text": MESSAGE_TEXT})["type"] == "message.ack"
    assert console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o1",
                            "text": MESSAGE_TEXT + " (reply)"})["type"] == "message.ack"
    assert operator.post(f"/chats/{chat_id}/notes", {"text": NOTE_TEXT})[0] == 201
    assert customer.request({"type": "transcript.request", "chat_id": chat_id,
                             "email": CUSTOMER_EMAIL})["type"] == "transcript.queued"
    assert operator.post(f"/chats/{chat_id}/end")[0] == 200
    assert mails_to(CUSTOMER_EMAIL)

    status, filed = desk.public.post(f"/widget/{tenant.widget_key}/offline-message",
                                     form(email=FORM_EMAIL, text=MESSAGE_TEXT))
    assert status == 201, filed
    assert mails_to(FORM_EMAIL)

    pump(client)
    assert len(receiver.got) >= 5  # every event, one of them twice

    status, job = admin.post("/history/exports", {})
    assert status == 202, job
    status, done = admin.get(f"/history/exports/{job['export_id']}")
    assert done["status"] == "done", done
    secrets.append(done["url"].split("?", 1)[1])  # the link's signature

    client.lambda_.invoke("sweep", scheduled_event(datetime.now(UTC)))
    return secrets


def test_a_full_run_logs_no_secret_and_every_line_names_its_request(
    run, receiver, capfd, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="helpdesk")
    for wire in WIRE_LOGGERS:
        caplog.set_level(logging.INFO, logger=wire)
    capfd.readouterr()

    secrets = full_run(run, receiver)

    out, err = capfd.readouterr()
    records = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''} {r.__dict__}"
        for r in caplog.records)
    everything = "\n".join([out, err, caplog.text, records])
    for secret in secrets:
        assert secret, "a secret of the run was empty"
        assert secret not in everything
        assert secret.lower() not in everything.lower()

    # What the app wrote is JSON lines, each log line naming its request.
    assert len(json_lines(out)) == len([line for line in out.splitlines() if line.strip()])
    logged = log_lines(out)
    assert logged and all(line.get("request_id") for line in logged)
    hook_failure = next(line for line in logged if "not delivered" in line["message"])
    assert hook_failure["service_id"] == run.tenant.service_id
    assert hook_failure["name"] == "helpdesk.webhooks" and hook_failure["level"] == "INFO"
    export = next(line for line in logged if line["message"].startswith("export "))
    assert export["service_id"] == run.tenant.service_id
    # The metrics of each invocation name it too: a relayed message its chat.
    relayed = [line for line in emf_lines(out) if "MessagesRelayed" in line]
    assert len(relayed) == 2
    assert all(line["chat_id"] and line["connection_id"] and line["request_id"]
               and line["service_id"] == run.tenant.service_id for line in relayed)
    written = metrics_written(out)
    assert written["MessagesRelayed"] == [1.0, 1.0]
    assert written["WebhookFailures"] == [1.0]
    assert written["QueueLength"] == [0.0]
    assert len(written["ExportDuration"]) == 1
