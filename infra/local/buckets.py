"""The local stack's S3 buckets on moto's server, configured as the packaged
template configures them on AWS (infra/package.py is the one definition): the
exports bucket and the files bucket, each with its lifecycle rules, the files
bucket with its CORS rule for the stack's origin (the API, the chat frame and the
console are all served there).

moto stores lifecycle rules but never carries them out, so the stack does:
`expire` deletes what a rule has expired (as S3 counts it: the days from the
object's creation, rounded up to the next midnight UTC) and aborts multipart
uploads started too long ago; `LifecycleRunner` runs it at start and hourly."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra import package

log = logging.getLogger("local.buckets")

LIFECYCLE_INTERVAL_S = 3600.0  # S3 runs its rules about once a day; hourly is plenty here
_DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


@dataclass(frozen=True)
class LocalBucket:
    """A bucket as S3's API takes its configuration."""

    name: str
    lifecycle_rules: list[dict[str, Any]]
    cors_rules: list[dict[str, Any]] = field(default_factory=list)


def s3_lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule in CloudFormation's shape, in S3 API's."""
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = dict(rule["AbortIncompleteMultipartUpload"])
    return converted


def s3_cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CORS rule in CloudFormation's shape, in S3 API's."""
    return {
        "ID": rule["Id"],
        "AllowedMethods": list(rule["AllowedMethods"]),
        "AllowedOrigins": list(rule["AllowedOrigins"]),
        "AllowedHeaders": list(rule.get("AllowedHeaders", [])),
        "ExposeHeaders": list(rule.get("ExposedHeaders", [])),
        "MaxAgeSeconds": rule["MaxAge"],
    }


def local_buckets(exports_bucket: str, files_bucket: str, origin: str) -> list[LocalBucket]:
    """The stack's buckets with the template's rules; `origin` stands for both
    origins the files bucket answers CORS for on AWS (the API's, where the chat
    frame is, and the console's), which are one here."""
    return [
        LocalBucket(
            exports_bucket,
            [s3_lifecycle_rule(r) for r in package.exports_lifecycle_rules()],
        ),
        LocalBucket(
            files_bucket,
            [s3_lifecycle_rule(r) for r in package.files_lifecycle_rules()],
            [s3_cors_rule(package.files_cors_rule([origin]))],
        ),
    ]


def prepare(s3: Any, buckets: Iterable[LocalBucket]) -> None:
    """Create each bucket unless it is there, and (re)put its configuration."""
    for bucket in buckets:
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket.name)
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket.name, LifecycleConfiguration={"Rules": bucket.lifecycle_rules}
        )
        if bucket.cors_rules:
            s3.put_bucket_cors(
                Bucket=bucket.name, CORSConfiguration={"CORSRules": bucket.cors_rules}
            )
        else:
            s3.delete_bucket_cors(Bucket=bucket.name)


# --- lifecycle: what S3 does and moto does not ---------------------------------------


def expires_at(created: datetime, days: int) -> datetime:
    """When S3 expires an object `days` after `created`: that moment rounded up
    to the next midnight UTC (an object made at 00:00:00 sharp is not rounded)."""
    moment = created.astimezone(UTC) + timedelta(days=days)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + timedelta(days=1)


def _prefix(rule: dict[str, Any]) -> str | None:
    """The key prefix a rule applies to; None for a rule filtering on tags or
    sizes (none of the stack's rules does: left alone)."""
    found = rule.get("Filter")
    if found is None:
        return str(rule.get("Prefix", ""))
    if set(found) - {"Prefix"}:
        return None
    return str(found.get("Prefix", ""))


def _rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        configuration = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchLifecycleConfiguration":
            return []
        raise
    return [r for r in configuration.get("Rules", []) if r.get("Status") == "Enabled"]


def _expired_keys(s3: Any, bucket: str, prefix: str, days: int, now: datetime) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if expires_at(item["LastModified"], days) <= now:
                keys.append(item["Key"])
    return keys


def _stale_uploads(
    s3: Any, bucket: str, prefix: str, days: int, now: datetime
) -> list[tuple[str, str]]:
    found = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    return [(u["Key"], u["UploadId"]) for u in found if expires_at(u["Initiated"], days) <= now]


def expire(s3: Any, bucket: str, now: datetime) -> list[str]:
    """Carry out the bucket's enabled lifecycle rules as of `now`: delete the
    objects an expiration rule has expired, abort the multipart uploads an
    abort rule has. Returns the keys deleted (and aborted)."""
    removed: list[str] = []
    for rule in _rules(s3, bucket):
        prefix = _prefix(rule)
        if prefix is None:
            continue
        days = rule.get("Expiration", {}).get("Days")
        if days is not None:
            keys = _expired_keys(s3, bucket, prefix, days, now)
            for start in range(0, len(keys), _DELETE_BATCH):
                batch = keys[start:start + _DELETE_BATCH]
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            removed.extend(keys)
        abort = rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation")
        if abort is not None:
            for key, upload_id in _stale_uploads(s3, bucket, prefix, abort, now):
                s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                removed.append(key)
    return removed


class LifecycleRunner:
    """`expire` over the stack's buckets once at start, then every `interval_s`,
    in a thread of its own until stopped."""

    def __init__(
        self,
        s3: Any,
        buckets: Sequence[str],
        interval_s: float = LIFECYCLE_INTERVAL_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.s3 = s3
        self.buckets = tuple(buckets)
        self.interval_s = interval_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-lifecycle", daemon=True)

    def run_once(self) -> list[str]:
        removed = []
        for bucket in self.buckets:
            try:
                gone = expire(self.s3, bucket, self.clock())
            except Exception:  # a bad turn must not stop the next one
                log.exception("lifecycle of %s failed", bucket)
                continue
            if gone:
                log.info("lifecycle: removed %d expired object(s) from %s", len(gone), bucket)
            removed.extend(gone)
        return removed

    def _run(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
