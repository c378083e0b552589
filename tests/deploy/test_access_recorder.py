"""tests/deploy/access_recorder.py: S3 calls and presigned links, and SQS calls,
as the IAM actions AWS authorizes them as, on the bucket aliases and key prefixes
(and the webhook queue's alias) infra/package.py turns into statements."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.deploy import access_recorder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTS_BUCKET", "the-exports")
    monkeypatch.setenv("FILES_BUCKET", "the-files")


def test_buckets_are_named_by_alias_and_objects_by_first_segment() -> None:
    assert access_recorder.s3_accesses(
        "PutObject", {"Bucket": "the-exports", "Key": "exports/svc/job.xlsx"}
    ) == [("s3:PutObject", "exports/exports/*")]
    assert access_recorder.s3_accesses(
        "GetObject", {"Bucket": "the-files", "Key": "uploads/svc/att1", "Range": "bytes=0-261"}
    ) == [("s3:GetObject", "files/uploads/*")]
    # A bucket that is neither keeps its name (and packaging refuses it).
    assert access_recorder.s3_accesses(
        "DeleteObject", {"Bucket": "someone-else", "Key": "a/b"}
    ) == [("s3:DeleteObject", "someone-else/a/*")]


def test_operations_are_the_actions_aws_authorizes() -> None:
    accesses = access_recorder.s3_accesses
    assert accesses("HeadObject", {"Bucket": "the-files", "Key": "files/s/d/c/a"}) == [
        ("s3:GetObject", "files/files/*")]
    assert accesses("DeleteObjects", {"Bucket": "the-files", "Delete": {"Objects": [
        {"Key": "uploads/s/a"}, {"Key": "files/s/d/c/a"}]}}) == [
        ("s3:DeleteObject", "files/uploads/*"), ("s3:DeleteObject", "files/files/*")]
    assert accesses("ListObjectsV2", {"Bucket": "the-files", "Prefix": "files/s/"}) == [
        ("s3:ListBucket", "files")]
    assert accesses("UploadPart", {"Bucket": "the-exports", "Key": "exports/x"}) == [
        ("s3:PutObject", "exports/exports/*")]


def test_a_copy_reads_the_source_and_writes_the_copy_with_its_tags() -> None:
    copy = {
        "Bucket": "the-files",
        "Key": "files/svc/2026-12-06/chat1/att1",
        "CopySource": {"Bucket": "the-files", "Key": "uploads/svc/att1"},
        "TaggingDirective": "REPLACE",
        "Tagging": "service=svc&chat_date=2026-12-06",
    }
    assert sorted(access_recorder.s3_accesses("CopyObject", copy)) == [
        ("s3:GetObject", "files/uploads/*"),
        ("s3:PutObject", "files/files/*"),
        ("s3:PutObjectTagging", "files/files/*"),
    ]
    # CopySource as text (URL-encoded, maybe with a version).
    text = {**copy, "CopySource": "the-files/uploads%2Fsvc%2Fatt1?versionId=v1"}
    del text["Tagging"]
    assert sorted(access_recorder.s3_accesses("CopyObject", text)) == [
        ("s3:GetObject", "files/uploads/*"), ("s3:PutObject", "files/files/*")]
    tagged_put = {"Bucket": "the-files", "Key": "files/a/b", "Tagging": "service=svc"}
    assert access_recorder.s3_accesses("PutObject", tagged_put) == [
        ("s3:PutObject", "files/files/*"), ("s3:PutObjectTagging", "files/files/*")]


_SIGNING = textwrap.dedent("""
    import json, sys
    from tests.deploy import access_recorder
    access_recorder.install()
    # As if signed inside the REST function (the recorder finds it on the stack).
    access_recorder.current_function = lambda frame: "app.app"
    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
    post = s3.generate_presigned_post(
        "the-files", "uploads/svc/att1", Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 10]],
        ExpiresIn=300)
    assert post["fields"]["key"] == "uploads/svc/att1"
    s3.generate_presigned_post("the-files", "uploads/svc/att2", Fields={"tagging": "<x/>"},
                               Conditions=[{"tagging": "<x/>"}])
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "the-files", "Key": "files/svc/d/c/att1"},
        ExpiresIn=3600)
    assert "X-Amz-Signature" in url
    json.dump(access_recorder.recorded()["functions"], sys.stdout)
""")


def test_presigned_links_are_recorded_for_the_function_that_signs_them() -> None:
    """Run in a process of its own: install() changes botocore for good."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    result = subprocess.run(
        [sys.executable, "-c", _SIGNING], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = {(e["action"], e["resource"]) for e in json.loads(result.stdout)["app.app"]}
    # The POST's upload and its tags, the GET's read; never CreateBucket, the
    # operation botocore builds a presigned POST on.
    assert recorded == {
        ("s3:PutObject", "files/uploads/*"),
        ("s3:PutObjectTagging", "files/uploads/*"),
        ("s3:GetObject", "files/files/*"),
    }


QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/stack-WebhookQueue-x"


def test_sqs_calls_are_actions_on_the_webhook_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", QUEUE_URL)
    accesses = access_recorder.accesses
    assert accesses("sqs", "SendMessage", {"QueueUrl": QUEUE_URL, "MessageBody": "{}"}) == [
        {"service": "sqs", "action": "sqs:SendMessage", "resource": "webhook-queue"}]
    # IAM has no batch actions: a batch is authorized as its single-message action.
    assert accesses("sqs", "SendMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": []}) == [
        {"service": "sqs", "action": "sqs:SendMessage", "resource": "webhook-queue"}]
    assert accesses("sqs", "DeleteMessageBatch", {"QueueUrl": QUEUE_URL, "Entries": []}) == [
        {"service": "sqs", "action": "sqs:DeleteMessage", "resource": "webhook-queue"}]
    # Another queue keeps its URL (and packaging refuses it).
    other = QUEUE_URL.replace("WebhookQueue", "Other")
    assert accesses("sqs", "SendMessage", {"QueueUrl": other}) == [
        {"service": "sqs", "action": "sqs:SendMessage", "resource": other}]


_QUEUEING = textwrap.dedent("""
    import json, os, sys
    from moto import mock_aws
    from tests.deploy import access_recorder
    access_recorder.install()
    import boto3
    with mock_aws():
        sqs = boto3.client("sqs")
        os.environ["WEBHOOK_QUEUE_URL"] = sqs.create_queue(QueueName="hooks")["QueueUrl"]
        # As if sent inside the REST function (the recorder finds it on the stack).
        access_recorder.current_function = lambda frame: "app.app"
        from chalicelib import aws
        url = os.environ["WEBHOOK_QUEUE_URL"]
        aws.client("sqs").send_message(QueueUrl=url, MessageBody="{}", DelaySeconds=5)
        aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "MessageBody": "{}"}, {"Id": "2", "MessageBody": "{}"}])
    json.dump(access_recorder.recorded()["functions"], sys.stdout)
""")


def test_queueing_a_delivery_is_recorded_for_the_function_that_sends_it() -> None:
    """Run in a process of its own: install() changes botocore for good."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    for name in ("AWS_PROFILE", "SQS_ENDPOINT"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", _QUEUEING], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = json.loads(result.stdout)
    # Creating the queue (before any function ran) is nobody's.
    assert recorded == {"app.app": [
        {"service": "sqs", "action": "sqs:SendMessage", "resource": "webhook-queue"}]}
