"""The scheduled sweep and the export worker through their own Lambda handlers
(`app.sweep`, `app.export_worker`), as AWS invokes them, with the real
`@connections` pusher and S3 (moto). Elsewhere they run from unit tests or inline
in a REST request; here they run as deployed, which is also what lets
tests/deploy/access_recorder.py record each one's AWS calls for its own IAM
policy (docs/deploy.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import openpyxl
import pytest

from chalicelib import aws, clock
from chalicelib.models import Chat, ExportJob
from chalicelib.services import exports, history
from chalicelib.services.access import Actor
from tests.api.helpers import scheduled_event
from tests.api.ws_gateway import Desk
from tests.history_helpers import make_chat

EXPORTS_BUCKET = "test-exports"


@pytest.fixture
def desk(client, tenant, monkeypatch):
    monkeypatch.setenv(
        "WS_MANAGEMENT_ENDPOINT", "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws"
    )
    monkeypatch.setenv("EXPORTS_BUCKET", EXPORTS_BUCKET)
    aws.client("s3").create_bucket(Bucket=EXPORTS_BUCKET)
    return Desk(client, tenant)


def test_the_scheduled_sweep_hands_an_unopened_chat_to_another_operator(
    desk, client, monkeypatch
):
    slow, _slow_console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    assert Chat.get(chat_id).operator_id == slow.operator_id
    quick, quick_console = desk.operator()
    quick_console.new_frames()
    # Past the service's unopened_timeout_s (120 s) without the chat being opened.
    later = datetime.now(UTC) + timedelta(seconds=150)
    monkeypatch.setattr(clock, "now", lambda: later)

    assert client.lambda_.invoke("sweep", scheduled_event(later)).payload is None

    moved = Chat.get(chat_id, consistent_read=True)
    assert (moved.status, moved.operator_id) == ("assigned", quick.operator_id)
    # Pushed through the @connections API to the new operator's console.
    assert any(frame.get("chat", {}).get("chat_id") == chat_id
               for frame in quick_console.new_frames("chat.assigned"))


def test_the_sweep_tells_webhooks_of_its_assignments_and_queues_deliveries_due(
    desk, client, monkeypatch
):
    """As its own Lambda, whose container has not read the service's webhooks
    (R-HOOK-1): the sweep's assignment is a chat.assigned delivery, and a
    delivery whose queue message was lost is queued again."""
    from chalicelib.models import WebhookDelivery
    from chalicelib.services import webhooks

    sqs = aws.client("sqs")
    monkeypatch.setenv("WEBHOOK_QUEUE_URL",
                       sqs.create_queue(QueueName="helpdesk-webhooks")["QueueUrl"])
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    status, hook = desk.admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                 "events": ["chat.assigned"]})
    assert status == 201, hook
    monkeypatch.delenv("WEBHOOK_QUEUE_URL")  # this one's queue message is lost
    lost = desk.admin.post(f"/webhooks/{hook['webhook_id']}/test")[1]["delivery_id"]
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", sqs.get_queue_url(
        QueueName="helpdesk-webhooks")["QueueUrl"])
    slow, _ = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    desk.operator()
    later = datetime.now(UTC) + timedelta(seconds=150)
    monkeypatch.setattr(clock, "now", lambda: later)
    webhooks.forget_subscriptions()  # the sweep's own container

    assert client.lambda_.invoke("sweep", scheduled_event(later)).payload is None

    assert Chat.get(chat_id, consistent_read=True).operator_id != slow.operator_id
    queued = [json.loads(m["Body"])["delivery_id"] for m in sqs.receive_message(
        QueueUrl=sqs.get_queue_url(QueueName="helpdesk-webhooks")["QueueUrl"],
        MaxNumberOfMessages=10).get("Messages", [])]
    events = {d.delivery_id: d.event for d in WebhookDelivery.query(hook["webhook_id"])}
    assert lost in queued
    # One at the start (the first operator), one by the sweep (the second).
    assert list(events.values()).count("chat.assigned") == 2
    assert all(d in queued for d, event in events.items() if event == "chat.assigned")


def test_a_sweep_with_nothing_due_changes_nothing(desk, client):
    _api, console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    before = Chat.get(chat_id, consistent_read=True)
    console.new_frames()

    client.lambda_.invoke("sweep", scheduled_event(datetime.now(UTC)))

    after = Chat.get(chat_id, consistent_read=True)
    assert (after.status, after.operator_id) == (before.status, before.operator_id)
    assert console.new_frames() == []


def _served_chat(desk) -> tuple[str, Any]:
    api, _console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True, "name": "Kim"})["chat"][
        "chat_id"
    ]
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "where is my parcel?"})
    assert api.post(f"/chats/{chat_id}/end")[0] == 200
    return chat_id, api


def test_the_export_worker_lambda_writes_the_workbook_to_s3(desk, client):
    chat_id, api = _served_chat(desk)
    started: list[str] = []
    actor = Actor(service_id="acme", role="operator", subject_id=api.operator_id)
    # What the API's launcher is given.
    job = exports.start(actor, history.parse_filter({}), started.append)
    assert started == [job.export_id]

    client.lambda_.invoke("export_worker", {"export_id": job.export_id})

    done = ExportJob.get(job.export_id, consistent_read=True)
    assert (done.status, int(done.rows)) == ("done", 1)
    body = aws.client("s3").get_object(Bucket=EXPORTS_BUCKET, Key=done.s3_key)["Body"].read()
    book = openpyxl.load_workbook(BytesIO(body))
    # No language asked for: the service's default (ja), decided when it was asked.
    assert book.sheetnames[:2] == ["チャット", "メッセージ"]
    assert ExportJob.get(job.export_id).language == "ja"
    chats_sheet = book.worksheets[0]
    assert [row[0] for row in chats_sheet.iter_rows(min_row=2, values_only=True)] == [chat_id]
    status, answer = api.get(f"/history/exports/{job.export_id}")
    assert status == 200 and answer["status"] == "done" and answer["url"]


# Each search reads its own index (history.plan): the worker may query each one.
SEARCHES = {
    "period": {},
    "status": {"status": "processed"},
    "name": {"q": "Hanako Yamada"},
    "email": {"q": "hanako@example.jp"},
    "operator": {"operator_id": "op_1"},
    "category": {"category_id": "cat_1"},
    "rating": {"rating": 5},
    "channel": {"channel": "widget"},
    "customer": {"customer_id": "cu_hanako"},
}


@pytest.mark.parametrize("search", SEARCHES.values(), ids=list(SEARCHES))
def test_the_export_worker_pages_through_every_kind_of_search(
    desk, client, monkeypatch, search
):
    now = clock.now()
    for number in range(3):
        make_chat("acme", number, now - timedelta(hours=number + 1), processed=True,
                  operator_id="op_1", category_id="cat_1", rating=5, name="Hanako Yamada",
                  email="hanako@example.jp", messages=2, customer_id="cu_hanako")
    # Pages of 2 instead of 100: the export follows the search's signed cursor as
    # it does past 100 chats on AWS.
    monkeypatch.setattr(history.all_matching, "__defaults__", (2,))
    actor = Actor(service_id="acme", role="admin", subject_id=desk.tenant.admin_id)
    job = exports.start(actor, history.parse_filter(search), lambda export_id: None)

    client.lambda_.invoke("export_worker", {"export_id": job.export_id})

    done = ExportJob.get(job.export_id, consistent_read=True)
    assert (done.status, int(done.rows)) == ("done", 3)
    body = aws.client("s3").get_object(Bucket=EXPORTS_BUCKET, Key=done.s3_key)["Body"].read()
    book = openpyxl.load_workbook(BytesIO(body))
    assert len(list(book.worksheets[1].iter_rows(min_row=2))) == 6


def test_the_export_worker_refuses_an_event_without_an_export_id(desk, client):
    from chalicelib.errors import InvalidInput

    with pytest.raises(InvalidInput):
        client.lambda_.invoke("export_worker", {"nope": 1})


# --- retention and erasure jobs (R-PRIV-1, R-PRIV-2) ---------------------------------


def _everything_of_a_customer(desk, monkeypatch) -> dict[str, Any]:
    """A customer still connected, with a chat that has every kind of item: a
    page viewed, messages, a file, a note, a ticket with a reply (mail), a
    webhook delivery telling of it, and a block of another visitor."""
    from tests.api.chat_builder import chat_with_everything

    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    hook = desk.admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook",
                                         "events": ["chat.started"]})
    assert hook[0] == 201, hook
    from chalicelib.services import webhooks

    webhooks.forget_subscriptions()
    api, console = desk.operator()
    customer = desk.customer()
    chat = chat_with_everything(customer, api, console, name="Rin Mori",
                                email="rin@example.test", says="rin's words")
    spammer = desk.customer(ip="198.51.100.99")
    spam = spammer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    assert desk.admin.post(f"/chats/{spam}/block", {"days": 1})[0] == 201
    return {"customer": customer, "chat_id": chat["chat_id"], "ticket_id": chat["ticket_id"],
            "service_id": desk.tenant.service_id}


def test_the_export_worker_lambda_runs_an_erasure(desk, client, monkeypatch):
    from chalicelib.models import Job, Message
    from chalicelib.services import erasure, jobs

    made = _everything_of_a_customer(desk, monkeypatch)
    job_id = f"erasure#{made['service_id']}#abc123"
    jobs.start(job_id, erasure.ERASURE, made["service_id"],
               {"customer_id": None, "email": "rin@example.test"})

    client.lambda_.invoke("export_worker", {"job_id": job_id})

    done = Job.get(job_id, consistent_read=True)
    assert done.status == "done", done.error
    assert done.counts["chats"] == 1 and done.counts["tickets"] == 1
    said = [m.text for m in Message.query(made["chat_id"]) if m.sender_role == "customer"]
    assert said and set(said) == {erasure.MARK}


def test_the_export_worker_lambda_recomputes_retention_and_deletes_old_files(
    desk, client, monkeypatch
):
    from chalicelib import config
    from chalicelib.models import Chat, Job
    from chalicelib.services import jobs, retention

    made = _everything_of_a_customer(desk, monkeypatch)
    svc = made["service_id"]
    jobs.start(retention.job_id(svc), retention.RETENTION, svc, {"days": 45})

    client.lambda_.invoke("export_worker", {"job_id": retention.job_id(svc)})

    assert Job.get(retention.job_id(svc), consistent_read=True).status == "done"
    chat = Chat.get(made["chat_id"])
    assert abs((chat.expires_at - retention.until(chat.created_at, 45)).total_seconds()) < 1
    s3 = aws.client("s3")
    s3.put_object(Bucket=config.files_bucket(), Key=f"files/{svc}/2001-01-01/ch/a", Body=b"x")
    files_job = retention.job_id(svc, retention.FILES)
    jobs.start(files_job, retention.FILES, svc, {"before": "2026-01-01"})

    client.lambda_.invoke("export_worker", {"job_id": files_job})

    assert Job.get(files_job, consistent_read=True).counts == {"files": 1}
    left = s3.list_objects_v2(Bucket=config.files_bucket(), Prefix=f"files/{svc}/2001-")
    assert left.get("KeyCount", 0) == 0


def test_the_sweep_restarts_jobs_whose_worker_died_and_starts_the_days_files_jobs(
    desk, client, caplog
):
    """The sweep starts the workers by invoking the export worker Lambda (here
    moto's Lambda, which has no such function: the start fails, logged, and the
    next sweep tries again)."""
    from chalicelib import config
    from chalicelib.models import Job
    from chalicelib.services import jobs, retention

    svc = desk.tenant.service_id
    aws.client("s3").put_object(Bucket=config.files_bucket(), Key=f"files/{svc}/2001-01-01/c/a",
                                Body=b"x")
    jobs.start(retention.job_id(svc), retention.RETENTION, svc, {"days": 45})
    Job(job_id=retention.job_id(svc)).update(
        actions=[Job.lease_until.set(1), Job.due_at.set("2000-01-01T00:00:00Z")])

    client.lambda_.invoke("sweep", scheduled_event(datetime.now(UTC)))

    started = [r.getMessage() for r in caplog.records
               if "could not start a worker for job" in r.getMessage()]
    assert any(retention.job_id(svc) in line for line in started)
    assert any(retention.job_id(svc, retention.FILES) in line for line in started)
