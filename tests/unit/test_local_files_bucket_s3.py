"""The local stack's S3 as a browser meets it (infra/local/moto_servers.start_s3 and
s3_front.py): CORS answered from the bucket's own rules, presigned POST forms
held to their policy as S3 holds them (too big → 400 EntityTooLarge, another type →
403), exports and SES unchanged."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from infra.local import buckets, moto_servers, s3_front

EXPORTS, FILES = "local-exports", "local-files"
ORIGIN = "http://127.0.0.1:8080"
KEY = "uploads/s1/att1"
LIMIT = 10
# Never through a proxy: the server is on loopback.
http = requests.Session()
http.trust_env = False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack_s3() -> Iterator[tuple[str, Any]]:
    """moto's S3 as the local stack serves it, with its buckets; (endpoint, client)."""
    local = buckets.local_buckets(EXPORTS, FILES, ORIGIN)
    server = moto_servers.start_s3(_free_port(), {b.name: b.cors_rules for b in local})
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(signature_version="s3v4"),
    )
    buckets.prepare(client, local)
    yield server.endpoint, client
    server.stop()


@pytest.fixture
def endpoint(stack_s3: tuple[str, Any]) -> str:
    return stack_s3[0]


@pytest.fixture
def s3(stack_s3: tuple[str, Any]) -> Any:
    client = stack_s3[1]
    for found in client.list_objects_v2(Bucket=FILES).get("Contents", []):
        client.delete_object(Bucket=FILES, Key=found["Key"])
    return client


def _presigned_post(s3: Any, content_type: str = "image/png", expires: int = 300,
                    key: str = KEY) -> dict[str, Any]:
    """The form the API hands out (chalicelib/services/attachments.py's shape)."""
    return s3.generate_presigned_post(
        FILES, key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, LIMIT]],
        ExpiresIn=expires,
    )


def _upload(post: dict[str, Any], body: bytes, part_type: str = "image/png",
            **extra: str) -> requests.Response:
    return http.post(
        post["url"], data={**post["fields"], **extra},
        files={"file": ("a.png", body, part_type)}, headers={"Origin": ORIGIN}, timeout=10,
    )


def _stored(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=FILES).get("Contents", [])}


# --- CORS from the bucket's rules -------------------------------------------------------


def test_the_preflight_of_an_upload_is_answered_from_the_bucket_rules(endpoint: str) -> None:
    answer = http.options(f"{endpoint}/{FILES}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"}, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert set(answer.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "POST"}
    assert answer.headers["Access-Control-Max-Age"] == "3600"


def test_another_origin_gets_no_cors(endpoint: str, s3: Any) -> None:
    answer = http.options(f"{endpoint}/{FILES}", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10)
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
    # moto's blanket CORS (any origin, any bucket) is off.
    answer = http.options(f"{endpoint}/{EXPORTS}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in answer.headers
    post = _presigned_post(s3)
    upload = http.post(post["url"], data=post["fields"], files={"file": ("a", b"png")},
                           headers={"Origin": "https://evil.example"}, timeout=10)
    assert upload.status_code == 204  # S3 stores it; the page just cannot read the answer
    assert "Access-Control-Allow-Origin" not in upload.headers


def test_an_upload_within_its_policy_is_stored_and_readable_cross_origin(s3: Any) -> None:
    answer = _upload(_presigned_post(s3), b"\x89PNG12345")
    assert answer.status_code == 204, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in answer.headers["Vary"]
    stored = s3.head_object(Bucket=FILES, Key=KEY)
    assert (stored["ContentLength"], stored["ContentType"]) == (9, "image/png")
    link = s3.generate_presigned_url("get_object", Params={"Bucket": FILES, "Key": KEY})
    read = http.get(link, headers={"Origin": ORIGIN}, timeout=10)
    assert read.content == b"\x89PNG12345"
    assert read.headers["Access-Control-Allow-Origin"] == ORIGIN


# --- the POST policy, as S3 holds it -------------------------------------------------


def test_a_file_larger_than_the_policy_allows_is_refused_as_s3_does(s3: Any) -> None:
    answer = _upload(_presigned_post(s3), b"x" * (LIMIT + 1))
    assert answer.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in answer.text
    assert f"<MaxSizeAllowed>{LIMIT}</MaxSizeAllowed>" in answer.text
    assert answer.headers["Content-Type"] == "application/xml"
    # The widget reads the refusal: CORS on errors too.
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert _stored(s3) == set()


def test_an_empty_file_is_refused(s3: Any) -> None:
    answer = _upload(_presigned_post(s3), b"")
    assert answer.status_code == 400 and "<Code>EntityTooSmall</Code>" in answer.text
    assert _stored(s3) == set()


def test_another_content_type_than_signed_is_refused(s3: Any) -> None:
    post = _presigned_post(s3)
    answer = _upload(post, b"<html>", **{"Content-Type": "text/html"})
    assert answer.status_code == 403
    assert "<Code>AccessDenied</Code>" in answer.text
    assert "Policy Condition failed" in answer.text and "Content-Type" in answer.text
    assert _stored(s3) == set()


def test_another_key_or_a_field_the_policy_does_not_name_is_refused(s3: Any) -> None:
    post = _presigned_post(s3)
    assert _upload(post, b"png", key="files/s1/elsewhere").status_code == 403
    answer = _upload(post, b"png", **{"Content-Disposition": "inline"})
    assert answer.status_code == 403 and "Extra input fields: content-disposition" in answer.text
    assert _upload(post, b"png", **{"x-ignore-note": "anything"}).status_code == 204
    assert _stored(s3) == {KEY}


def test_an_expired_form_is_refused(s3: Any) -> None:
    fields = _presigned_post(s3, expires=60)["fields"]
    assert s3_front.policy_refusal(fields, 3, FILES, datetime.now(UTC)) is None
    later = datetime.now(UTC) + timedelta(seconds=61)
    refusal = s3_front.policy_refusal(fields, 3, FILES, later)
    assert refusal is not None and refusal.status == 403
    assert refusal.message == "Invalid according to Policy: Policy expired."


def test_a_form_without_a_file_or_a_policy_is_refused(endpoint: str, s3: Any) -> None:
    post = _presigned_post(s3)
    no_file = http.post(post["url"], files={k: (None, v) for k, v in post["fields"].items()},
                            timeout=10)
    assert no_file.status_code == 400 and "InvalidArgument" in no_file.text
    fields = {k: v for k, v in post["fields"].items() if k != "policy"}
    anonymous = http.post(post["url"], data=fields, files={"file": ("a", b"png")}, timeout=10)
    assert anonymous.status_code == 403
    assert _stored(s3) == set()


def test_the_policy_conditions_as_s3_reads_them() -> None:
    import base64
    import json

    def form(conditions: list[Any], **fields: str) -> dict[str, str]:
        policy = {"expiration": "2099-01-01T00:00:00Z", "conditions": conditions}
        return {"policy": base64.b64encode(json.dumps(policy).encode()).decode(), **fields}

    now = datetime.now(UTC)
    starts = form([["starts-with", "$key", "uploads/"], {"bucket": FILES}], key="uploads/a")
    assert s3_front.policy_refusal(starts, 1, FILES, now) is None
    assert s3_front.policy_refusal(starts, 1, "other-bucket", now) is not None
    wrong = form([["starts-with", "$key", "uploads/"]], key="files/a")
    assert s3_front.policy_refusal(wrong, 1, FILES, now) is not None
    # Field names are matched whatever their case.
    cased = form([{"content-type": "image/png"}], **{"Content-Type": "image/png"})
    assert s3_front.policy_refusal(cased, 1, FILES, now) is None
    odd = form([["between", "$key", 1]])
    refusal = s3_front.policy_refusal(odd, 1, FILES, now)
    assert refusal is not None and refusal.code == "InvalidPolicyDocument"
    garbled = s3_front.policy_refusal({"policy": "not base64!"}, 1, FILES, now)
    assert garbled is not None and garbled.code == "InvalidPolicyDocument"


def test_cors_headers_follow_the_first_matching_rule() -> None:
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://*.example.com"],
              "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]
    assert s3_front.cors_headers(rules, "https://shop.example.com", "GET")[
        "Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert s3_front.cors_headers(rules, "https://shop.example.com", "POST") == {}
    assert s3_front.cors_headers(rules, "https://example.org", "GET") == {}


# --- everything else on that server still works ------------------------------------------


def test_exports_and_mail_work_as_before(endpoint: str, s3: Any) -> None:
    s3.put_object(Bucket=EXPORTS, Key="exports/s1/job.xlsx", Body=b"xlsx")
    link = s3.generate_presigned_url(
        "get_object", Params={"Bucket": EXPORTS, "Key": "exports/s1/job.xlsx"})
    assert http.get(link, timeout=10).content == b"xlsx"  # the console's hidden frame
    ses = boto3.client("sesv2", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ses.create_email_identity(EmailIdentity="desk@example.com")
    sent = ses.send_email(
        FromEmailAddress="desk@example.com",
        Destination={"ToAddresses": ["customer@example.com"]},
        Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}},
    )
    assert sent["MessageId"]
    # A batch delete is a POST to the bucket too, not a form: moto handles it.
    s3.delete_objects(Bucket=EXPORTS, Delete={"Objects": [{"Key": "exports/s1/job.xlsx"}]})
    assert "Contents" not in s3.list_objects_v2(Bucket=EXPORTS)
