"""Webhook deliveries (R-HOOK-1) on AWS: the app queues them on WebhookQueue
(encrypted, kept 4 days, a dead-letter queue after 5 receives), Lambda's event
source mapping feeds them to the sender in batches and deletes all but the
records the sender reports as failed, and only the webhook queue is ever
granted, each function exactly the SQS actions it was recorded using (besides
the on-failure queue Lambda sends a failed asynchronous invocation to:
test_package_alarms.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra import package
from tests.deploy.template import function_statements, functions, listed
from tests.deploy.test_package_iam import _by_handler, event_source_grants

QUEUE_ARN = {"Fn::GetAtt": [package.WEBHOOK_QUEUE, "Arn"]}
FAILURE_QUEUE_ARN = {"Fn::GetAtt": [package.ASYNC_FAILURE_QUEUE, "Arn"]}


def _sender(template: dict[str, Any]) -> dict[str, Any]:
    [sender] = [f for f in functions(template).values()
                if f["Properties"]["Handler"] == "app.webhook_sender"]
    return sender


def test_the_webhook_queue_is_encrypted_and_has_a_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    queue = resources[package.WEBHOOK_QUEUE]
    dead_letters = resources[package.WEBHOOK_DEAD_LETTER_QUEUE]
    assert queue["Type"] == dead_letters["Type"] == "AWS::SQS::Queue"
    props, kept = queue["Properties"], dead_letters["Properties"]
    assert props["SqsManagedSseEnabled"] is True and kept["SqsManagedSseEnabled"] is True
    assert "KmsMasterKeyId" not in props  # SQS's own keys: no KMS grants needed
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [package.WEBHOOK_DEAD_LETTER_QUEUE, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert props["MessageRetentionPeriod"] == 4 * 24 * 3600
    assert kept["MessageRetentionPeriod"] == 14 * 24 * 3600  # SQS's longest
    assert "RedrivePolicy" not in kept
    # Six times the sender's timeout, as AWS advises for a queue feeding a function.
    assert props["VisibilityTimeout"] >= 6 * _sender(template)["Properties"]["Timeout"]


def test_the_sender_reads_the_stacks_queue_and_reports_partial_failures(
    template: dict[str, Any],
) -> None:
    sender = _sender(template)["Properties"]
    assert (sender["Timeout"], sender["MemorySize"]) == (60, 256)
    [event] = sender["Events"].values()
    assert event["Type"] == "SQS"
    # The stack's queue (its ARN), not chalice's ARN built from the queue's name.
    assert event["Properties"]["Queue"] == {"Fn::Sub": "${WebhookQueue.Arn}"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == 10
    others = [f for f in functions(template).values() if f["Properties"] is not sender]
    assert not any(e["Type"] == "SQS" for f in others
                   for e in f["Properties"].get("Events", {}).values())


def test_sqs_grants_are_the_webhook_queue_only(template: dict[str, Any]) -> None:
    found = function_statements(template)
    for name, statements in found.items():
        for statement in statements:
            if any(a.startswith("sqs:") for a in listed(statement["Action"])):
                assert all(a.startswith("sqs:") for a in listed(statement["Action"]))
                if statement["Resource"] == [FAILURE_QUEUE_ARN]:
                    # Lambda's on-failure destination, for the functions
                    # invoked asynchronously: send, nothing else.
                    assert name in package.ASYNC_FUNCTIONS, name
                    assert statement["Action"] == ["sqs:SendMessage"], (name, statement)
                    continue
                assert statement["Resource"] == [QUEUE_ARN], (name, statement)
    # The event source mapping polls as the sender's role: receive, delete, read
    # the queue's settings; no other function may take or delete deliveries.
    [polling] = [s for s in found["WebhookSender"] if s.get("Sid") == "PollWebhookQueue"]
    assert sorted(polling["Action"]) == [
        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    by_handler = _by_handler(template)
    takers = {h for h, granted in by_handler.items()
              if ("sqs:ReceiveMessage", package.RECORDED_WEBHOOK_QUEUE) in granted}
    assert takers == set(event_source_grants(template)) == {"app.webhook_sender"}


def test_sqs_statements_grant_exactly_what_was_recorded() -> None:
    access = [
        {"service": "sqs", "action": "sqs:SendMessage", "resource": "webhook-queue"},
        {"service": "dynamodb", "action": "dynamodb:GetItem", "resource": "webhooks"},
    ]
    assert package.sqs_statements(access) == [{
        "Sid": "UseWebhookQueue", "Effect": "Allow",
        "Action": ["sqs:SendMessage"], "Resource": [QUEUE_ARN],
    }]
    assert package.sqs_statements(access[1:]) == []
    elsewhere = [{"service": "sqs", "action": "sqs:SendMessage",
                  "resource": "https://sqs.us-east-1.amazonaws.com/1/other"}]
    with pytest.raises(SystemExit, match="unexpected SQS access"):
        package.sqs_statements(elsewhere)


def test_packaging_refuses_a_function_fed_by_another_queue(template: dict[str, Any]) -> None:
    resources = {name: dict(r) for name, r in template["Resources"].items()}
    sender = resources["WebhookSender"]
    [event_id] = sender["Properties"]["Events"]
    resources["WebhookSender"] = {**sender, "Properties": {**sender["Properties"], "Events": {
        event_id: {"Type": "SQS", "Properties": {"Queue": {
            "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:other"}}},
    }}}
    with pytest.raises(SystemExit, match="helpdesk-webhooks"):
        package.queue_event_sources(resources)
