"""The local stack's buckets (infra/local/buckets.py): the template's CORS and
lifecycle rules put on moto's buckets, and the lifecycle carried out, since moto
never does: uploads never sent go after a day, exports after seven, sent files stay."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import package
from infra.local import buckets, static
from infra.local.settings import LocalSettings, stage_environment

EXPORTS, FILES = "local-exports", "local-files"
ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        buckets.prepare(client, buckets.local_buckets(EXPORTS, FILES, ORIGIN))
        yield client


def _put(s3: Any, bucket: str, *keys: str) -> datetime:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    return s3.head_object(Bucket=bucket, Key=keys[-1])["LastModified"]


def _keys(s3: Any, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _midnight_after(moment: datetime, days: int) -> datetime:
    day = (moment + timedelta(days=days)).astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- the buckets are configured as on AWS --------------------------------------------


def test_the_local_buckets_get_the_templates_lifecycle_and_cors(s3: Any) -> None:
    files = s3.get_bucket_lifecycle_configuration(Bucket=FILES)["Rules"]
    expiring = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in files if "Expiration" in r}
    # files/ past the longest retention (R-PRIV-1): a net under the daily files job.
    assert expiring == {"uploads/": package.UPLOAD_EXPIRY_DAYS,
                        "files/": package.FILES_EXPIRY_DAYS} == {"uploads/": 1, "files/": 3651}
    assert any(r.get("AbortIncompleteMultipartUpload") for r in files)
    exports = s3.get_bucket_lifecycle_configuration(Bucket=EXPORTS)["Rules"]
    assert {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in exports
            if "Expiration" in r} == {"exports/": package.EXPORT_EXPIRY_DAYS}

    [rule] = s3.get_bucket_cors(Bucket=FILES)["CORSRules"]
    assert rule["AllowedOrigins"] == [ORIGIN]  # API, chat frame and console: one origin
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert rule["AllowedHeaders"] == list(package.FILES_CORS_HEADERS)
    assert rule["MaxAgeSeconds"] == package.FILES_CORS_MAX_AGE_S
    # Exports download in a hidden frame: no CORS.
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchCORSConfiguration"):
        s3.get_bucket_cors(Bucket=EXPORTS)


def test_preparing_again_changes_nothing(s3: Any) -> None:
    _put(s3, FILES, "uploads/s1/a1")
    buckets.prepare(s3, buckets.local_buckets(EXPORTS, FILES, ORIGIN))
    assert _keys(s3, FILES) == {"uploads/s1/a1"}
    assert len(s3.get_bucket_cors(Bucket=FILES)["CORSRules"]) == 1


def test_the_stack_hands_the_app_its_files_bucket() -> None:
    settings = LocalSettings.from_env({"FILES_BUCKET": "my-files", "S3_PORT": "9100"})
    assert settings.files_bucket == "my-files"
    env = stage_environment(settings)
    assert env["FILES_BUCKET"] == "my-files"
    assert env["S3_ENDPOINT"] == "http://127.0.0.1:9100"
    assert LocalSettings.from_env({}).files_bucket == "helpdesk-local-files"


def test_the_console_may_upload_to_and_show_images_from_the_s3_endpoint() -> None:
    settings = LocalSettings(port=8080, s3_port=9100)
    policy = static.console_headers(settings)["Content-Security-Policy"]
    directives = {d.split(" ")[0]: d.split(" ")[1:] for d in policy.split("; ")}
    assert directives["img-src"] == ["'self'", "data:", "http://127.0.0.1:9100"]
    assert "http://127.0.0.1:9100" in directives["connect-src"]
    assert directives["script-src"] == ["'self'"]  # nothing else loosened


# --- S3's lifecycle, carried out --------------------------------------------------------


def test_expiry_is_rounded_up_to_the_next_midnight_utc_as_s3_does() -> None:
    made = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)
    assert buckets.expires_at(made, 1) == datetime(2026, 12, 8, tzinfo=UTC)
    assert buckets.expires_at(made, 7) == datetime(2026, 12, 14, tzinfo=UTC)
    sharp = datetime(2026, 12, 6, tzinfo=UTC)
    assert buckets.expires_at(sharp, 1) == datetime(2026, 12, 7, tzinfo=UTC)
    # Midnight in UTC, whatever zone the time is given in (08:00 UTC on the 7th).
    tokyo = datetime(2026, 12, 7, 17, 0, tzinfo=timezone(timedelta(hours=9)))
    assert buckets.expires_at(tokyo, 1) == datetime(2026, 12, 9, tzinfo=UTC)


def test_an_upload_never_sent_is_deleted_once_its_day_is_over(s3: Any) -> None:
    made = _put(s3, FILES, "uploads/s1/a1", "uploads/s1/a2", "files/s1/2026-12-06/c1/a0")
    due = _midnight_after(made, 1)
    assert buckets.expire(s3, FILES, due - timedelta(seconds=1)) == []
    assert _keys(s3, FILES) == {"uploads/s1/a1", "uploads/s1/a2", "files/s1/2026-12-06/c1/a0"}

    assert sorted(buckets.expire(s3, FILES, due)) == ["uploads/s1/a1", "uploads/s1/a2"]
    # A sent file follows the service's retention, never the bucket's rules.
    assert _keys(s3, FILES) == {"files/s1/2026-12-06/c1/a0"}
    assert buckets.expire(s3, FILES, due + timedelta(days=400)) == []


def test_exports_expire_after_seven_days(s3: Any) -> None:
    made = _put(s3, EXPORTS, "exports/s1/job1.xlsx")
    assert buckets.expire(s3, EXPORTS, _midnight_after(made, 6)) == []
    assert buckets.expire(s3, EXPORTS, _midnight_after(made, 7)) == ["exports/s1/job1.xlsx"]
    assert _keys(s3, EXPORTS) == set()


def test_a_multipart_upload_left_unfinished_is_aborted_after_a_day(s3: Any) -> None:
    started = s3.create_multipart_upload(Bucket=EXPORTS, Key="exports/s1/big.xlsx")
    initiated = s3.list_multipart_uploads(Bucket=EXPORTS)["Uploads"][0]["Initiated"]
    assert buckets.expire(s3, EXPORTS, initiated + timedelta(hours=1)) == []
    assert buckets.expire(s3, EXPORTS, _midnight_after(initiated, 1)) == ["exports/s1/big.xlsx"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=EXPORTS)
    assert started["UploadId"]


def test_many_expired_uploads_go_in_batches(s3: Any) -> None:
    keys = [f"uploads/s1/a{n:04d}" for n in range(1005)]
    made = _put(s3, FILES, *keys)
    assert len(buckets.expire(s3, FILES, _midnight_after(made, 1))) == 1005
    assert _keys(s3, FILES) == set()


def test_a_bucket_without_rules_keeps_everything(s3: Any) -> None:
    s3.create_bucket(Bucket="plain")
    made = _put(s3, "plain", "uploads/x")
    assert buckets.expire(s3, "plain", made + timedelta(days=30)) == []


def test_a_rule_switched_off_or_filtering_on_tags_is_left_alone(s3: Any) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=FILES, LifecycleConfiguration={"Rules": [
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "uploads/"},
         "Expiration": {"Days": 1}},
        {"ID": "tagged", "Status": "Enabled",
         "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}},
    ]})
    made = _put(s3, FILES, "uploads/s1/a1")
    assert buckets.expire(s3, FILES, made + timedelta(days=30)) == []


def test_the_runner_expires_at_start_then_every_interval(s3: Any) -> None:
    made = _put(s3, FILES, "uploads/s1/a1")
    later = [_midnight_after(made, 1)]
    runner = buckets.LifecycleRunner(s3, [EXPORTS, FILES], interval_s=0.05,
                                     clock=lambda: later[0])
    assert runner.run_once() == ["uploads/s1/a1"]
    _put(s3, FILES, "uploads/s1/a2")
    later[0] += timedelta(days=3)
    runner.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while _keys(s3, FILES) and datetime.now(UTC) < deadline:
            threading.Event().wait(0.02)
    finally:
        runner.stop()
    assert _keys(s3, FILES) == set()
    assert not runner._thread.is_alive()


def test_a_failing_turn_does_not_stop_the_runner(s3: Any) -> None:
    runner = buckets.LifecycleRunner(s3, ["no-such-bucket", FILES],
                                     clock=lambda: datetime.now(UTC) + timedelta(days=3))
    _put(s3, FILES, "uploads/s1/a1")
    assert runner.run_once() == ["uploads/s1/a1"]
