"""The local stack's SQS (infra/local/queues.py): queues on moto's server, the
one that serves S3 and SES, fed to the app's `@app.on_sqs_message` functions as
Lambda's SQS event source mapping feeds them. No DynamoDB needed: a tiny app
(tests/integration/queue_app.py)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra import package
from infra.local import moto_servers, queues
from infra.local.gateway import Gateway
from infra.local.runtime import LambdaRuntime
from infra.local.settings import (
    WEBHOOK_DEAD_LETTER_QUEUE,
    WEBHOOK_QUEUE,
    LocalSettings,
    stage_environment,
)
from tests.integration import queue_app
from tests.integration.stack_runner import free_port

REGION = "us-east-1"
RECORD_KEYS = {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
               "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
SYSTEM_ATTRIBUTES = {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                     "ApproximateFirstReceiveTimestamp"}


@pytest.fixture(scope="module")
def moto_server() -> Iterator[moto_servers.MotoServer]:
    """moto's server as the stack runs it (S3, SES and SQS on one port)."""
    server = moto_servers.start_s3(free_port(), {})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sqs(moto_server: moto_servers.MotoServer) -> Any:
    return boto3.client("sqs", endpoint_url=moto_server.endpoint, region_name=REGION,
                        aws_access_key_id="local", aws_secret_access_key="local")


def _fresh_queue(sqs: Any, name: str, **attributes: str) -> str:
    with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _count(sqs: Any, url: str) -> int:
    """Messages in the queue, visible or in flight or delayed."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(found[name]) for name in names)


@pytest.fixture
def test_queues(sqs: Any) -> dict[str, str]:
    """The test app's queues, empty, with a 1 s visibility timeout (so a message
    not deleted comes back at once); the doomed one with a dead-letter queue
    after the template's 5 receives."""
    queue_app.reset()
    dead_letters = _fresh_queue(sqs, f"{queue_app.DOOMED}-dlq")
    redrive = {"deadLetterTargetArn": _arn(sqs, dead_letters),
               "maxReceiveCount": package.WEBHOOK_MAX_RECEIVES}
    return {
        "deliveries": _fresh_queue(sqs, queue_app.DELIVERIES, VisibilityTimeout="1"),
        "doomed": _fresh_queue(sqs, queue_app.DOOMED, VisibilityTimeout="1",
                               RedrivePolicy=json.dumps(redrive)),
        "dead_letters": dead_letters,
    }


def run_poller(endpoint: str, until: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Run the poller over the test app until `until()` holds, then stop it as
    the gateway does (batches being handled finish and are deleted)."""

    async def main() -> None:
        poller = queues.QueuePoller(LambdaRuntime(queue_app.app), endpoint, REGION,
                                    retry_after_s=0.2)
        task = asyncio.create_task(poller.run())
        deadline = time.monotonic() + timeout_s
        while not until() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await poller.stop(10.0)
        await asyncio.wait_for(task, 1.0)  # it stopped by itself

    asyncio.run(main())


# --- the queues the stack makes ---------------------------------------------------------


def test_the_stack_makes_the_webhook_queue_as_the_template_does(
    moto_server: moto_servers.MotoServer, sqs: Any,
) -> None:
    url = queues.create_webhook_queues(sqs)
    assert queues.create_webhook_queues(sqs) == url  # a second start changes nothing

    settings = LocalSettings(s3_port=moto_server.port)
    environment = stage_environment(settings)
    assert environment["WEBHOOK_QUEUE_URL"] == url == settings.queue_url(WEBHOOK_QUEUE)
    assert environment["SQS_ENDPOINT"] == moto_server.endpoint == settings.s3_endpoint
    assert environment["WEBHOOKS_ALLOW_LOOPBACK"] == "true"
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert found["VisibilityTimeout"] == "360"
    assert found["MessageRetentionPeriod"] == str(4 * 24 * 3600)
    assert found["SqsManagedSseEnabled"] == "true"
    dead_letters = settings.queue_url(WEBHOOK_DEAD_LETTER_QUEUE)
    assert json.loads(found["RedrivePolicy"]) == {
        "deadLetterTargetArn": _arn(sqs, dead_letters), "maxReceiveCount": 5,
    }
    kept = sqs.get_queue_attributes(QueueUrl=dead_letters,
                                    AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    assert kept["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def test_the_apps_sqs_client_goes_where_sqs_endpoint_says(
    moto_server: moto_servers.MotoServer, sqs: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib import aws, config

    url = queues.create_webhook_queues(sqs)
    monkeypatch.setenv("SQS_ENDPOINT", moto_server.endpoint)
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
    assert config.sqs_endpoint() == moto_server.endpoint
    assert config.webhook_queue_url() == url
    assert config.webhooks_allow_loopback() is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    assert config.webhooks_allow_loopback() is True

    client = aws.client("sqs")
    assert client.meta.endpoint_url == moto_server.endpoint
    sent = client.send_message(QueueUrl=config.webhook_queue_url(), MessageBody="{}")
    got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert [m["MessageId"] for m in got] == [sent["MessageId"]]
    sqs.purge_queue(QueueUrl=url)


# --- the event source mapping -----------------------------------------------------------


def test_messages_arrive_in_batches_shaped_as_lambda_shapes_them(
    moto_server: moto_servers.MotoServer, sqs: Any, test_queues: dict[str, str],
) -> None:
    url = test_queues["deliveries"]
    bodies = [json.dumps({"delivery_id": f"d{n}"}) for n in range(7)]
    attributes = {
        "event": {"DataType": "String", "StringValue": "chat.started"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(n), "MessageBody": body, "MessageAttributes": attributes}
        for n, body in enumerate(bodies)
    ])

    run_poller(moto_server.endpoint, lambda: len(queue_app.records()) >= len(bodies))

    sizes = [len(event["Records"]) for _, event in queue_app.events]
    assert sum(sizes) == len(bodies) and max(sizes) == queue_app.BATCH_SIZE
    records = queue_app.records()
    assert sorted(r["body"] for r in records) == sorted(bodies)  # each once
    for record in records:
        assert set(record) == RECORD_KEYS
        assert set(record["attributes"]) == SYSTEM_ATTRIBUTES
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:123456789012:it-deliveries"
        assert record["awsRegion"] == REGION
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324
        assert record["messageAttributes"] == {
            "event": {"stringValue": "chat.started", "stringListValues": [],
                      "binaryListValues": [], "dataType": "String"},
            "blob": {"binaryValue": base64.b64encode(b"\x00\x01").decode(),
                     "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
        }
    assert _count(sqs, url) == 0  # every record handled was deleted


def test_a_record_reported_as_failed_comes_back_and_the_others_are_deleted(
    moto_server: moto_servers.MotoServer, sqs: Any, test_queues: dict[str, str],
) -> None:
    url = test_queues["deliveries"]
    retried = sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"retry_once": True}))
    others = [sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))["MessageId"]
              for n in range(3)]

    def seen_again() -> bool:
        return any(r["messageId"] == retried["MessageId"]
                   and r["attributes"]["ApproximateReceiveCount"] == "2"
                   for r in queue_app.records())

    run_poller(moto_server.endpoint, seen_again)

    received = Counter(r["messageId"] for r in queue_app.records())
    assert received[retried["MessageId"]] == 2
    assert all(received[message_id] == 1 for message_id in others)
    assert _count(sqs, url) == 0  # the second time it was not reported, so deleted


def test_a_handler_that_always_raises_sends_the_message_to_the_dead_letter_queue(
    moto_server: moto_servers.MotoServer, sqs: Any, test_queues: dict[str, str],
) -> None:
    sent = sqs.send_message(QueueUrl=test_queues["doomed"], MessageBody='{"n": 1}')

    run_poller(moto_server.endpoint, lambda: _count(sqs, test_queues["dead_letters"]) > 0)

    # Received (and never deleted) maxReceiveCount times; the next receive moves it.
    assert queue_app.doomed_receives == ["1", "2", "3", "4", "5"]
    dead = sqs.receive_message(QueueUrl=test_queues["dead_letters"])["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(sent["MessageId"], '{"n": 1}')]
    assert _count(sqs, test_queues["doomed"]) == 0


def test_delay_seconds_is_honoured(
    moto_server: moto_servers.MotoServer, sqs: Any, test_queues: dict[str, str],
) -> None:
    url = test_queues["deliveries"]
    sqs.send_message(QueueUrl=url, MessageBody='{"when": "later"}', DelaySeconds=2)
    sqs.send_message(QueueUrl=url, MessageBody='{"when": "now"}')

    run_poller(moto_server.endpoint, lambda: len(queue_app.records()) >= 2)

    got = {json.loads(r["body"])["when"]: (at, r)
           for at, event in queue_app.events for r in event["Records"]}
    assert set(got) == {"now", "later"}
    later_at, later = got["later"]
    waited_s = later_at - int(later["attributes"]["SentTimestamp"]) / 1000
    assert waited_s >= 1.9, waited_s
    assert got["now"][0] < later_at


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        # What Lambda cannot read fails the whole batch.
        ({"batchItemFailures": [{"itemIdentifier": "zz"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"id": "b"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": "b"}, {"a", "b", "c"}),
        ("ok", {"a", "b", "c"}),
    ],
)
def test_batch_item_failures_are_read_as_lambda_reads_them(answer: Any, failed: set[str]) -> None:
    assert queues.failed_ids(answer, ["a", "b", "c"]) == failed


def test_the_gateway_polls_the_apps_queues_and_stops_cleanly(
    moto_server: moto_servers.MotoServer, sqs: Any, test_queues: dict[str, str],
) -> None:
    settings = LocalSettings(port=free_port(), s3_port=moto_server.port)
    sqs.send_message(QueueUrl=test_queues["deliveries"], MessageBody='{"n": 1}')

    async def main() -> float:
        stop = asyncio.Event()
        gateway = Gateway(settings, queue_app.app)
        serving = asyncio.create_task(gateway.serve(stop, lambda: None))
        deadline = time.monotonic() + 20
        while not queue_app.records() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stopping = time.monotonic()
        stop.set()
        await asyncio.wait_for(serving, 15)
        return time.monotonic() - stopping

    stopped_in_s = asyncio.run(main())

    assert [r["body"] for r in queue_app.records()] == ['{"n": 1}']
    assert stopped_in_s < 5  # a long poll in flight ends within its second
    assert _count(sqs, test_queues["deliveries"]) == 0
