"""In front of moto's S3: what AWS does with a browser's upload and moto does not.

- **The POST policy.** moto stores whatever a presigned POST form sends; S3 checks
  the form against the policy the server signed: not expired, every condition met
  (`content-length-range` on the file's size, exact `Content-Type`, the key, …),
  no field the policy does not name. Here too, with S3's answers: 400
  `EntityTooLarge` / `EntityTooSmall`, 403 `AccessDenied` ("Invalid according to
  Policy: …"). The signature itself is not checked (moto checks none).
- **CORS on answers.** moto answers a preflight from the bucket's CORS rules (its
  server's blanket CORS is off: moto_servers.start_s3) and adds the headers to a
  GET, but not to a POST's answer, which a browser then cannot read: they are
  added here from the same rules, as S3 does.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Form fields the policy need not name (S3's list, for SigV4 and SigV2 forms).
UNCONDITIONED_FIELDS = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"}


@dataclass(frozen=True)
class S3Error:
    """An S3 error answer."""

    status: int
    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.details.items())
        request_id = secrets.token_hex(8).upper()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>"
            f"{extra}<RequestId>{request_id}</RequestId><HostId>local</HostId></Error>"
        ).encode()


def _denied(reason: str) -> S3Error:
    return S3Error(403, "AccessDenied", f"Invalid according to Policy: {reason}")


def _policy_document(encoded: str) -> dict[str, Any] | None:
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("conditions"), list):
        return None
    return document


def _expired(document: dict[str, Any], now: datetime) -> bool:
    text = str(document.get("expiration", ""))
    try:
        expiration = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return True
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return expiration <= now


def _size_refusal(condition: list[Any], size: int) -> S3Error | None:
    low, high = int(condition[1]), int(condition[2])
    if size > high:
        return S3Error(400, "EntityTooLarge",
                       "Your proposed upload exceeds the maximum allowed size",
                       {"ProposedSize": str(size), "MaxSizeAllowed": str(high)})
    if size < low:
        return S3Error(400, "EntityTooSmall",
                       "Your proposed upload is smaller than the minimum allowed size",
                       {"ProposedSize": str(size), "MinSizeAllowed": str(low)})
    return None


def policy_refusal(
    fields: Mapping[str, str], file_size: int | None, bucket: str, now: datetime
) -> S3Error | None:
    """Why S3 would refuse this POST form (`fields`: every form field but the
    file; `file_size`: the file's bytes, None without one); None: accepted."""
    values = {name.lower(): value for name, value in fields.items()}
    values["bucket"] = bucket  # the bucket is the URL's, not a field
    if "policy" not in values:
        return S3Error(403, "AccessDenied", "Access Denied")
    document = _policy_document(values["policy"])
    if document is None:
        return S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if file_size is None:
        return S3Error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    if _expired(document, now):
        return _denied("Policy expired.")
    named = set()
    for condition in document["conditions"]:
        if isinstance(condition, dict) and len(condition) == 1:
            [(name, expected)] = condition.items()
            named.add(name.lower())
            if values.get(name.lower()) != expected:
                return _denied(f'Policy Condition failed: ["eq", "${name}", "{expected}"]')
        elif isinstance(condition, list) and condition and condition[0] == "content-length-range":
            refusal = _size_refusal(condition, file_size)
            if refusal is not None:
                return refusal
        elif (isinstance(condition, list) and len(condition) == 3
              and condition[0] in ("eq", "starts-with") and str(condition[1]).startswith("$")):
            operator, name, expected = condition[0], condition[1][1:].lower(), condition[2]
            named.add(name)
            value = values.get(name)
            met = value is not None and (
                value == expected if operator == "eq" else value.startswith(expected)
            )
            if not met:
                return _denied(f"Policy Condition failed: {json.dumps(condition)}")
        else:
            return S3Error(400, "InvalidPolicyDocument",
                           f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
    extra = sorted(
        name for name in values
        if name not in named | UNCONDITIONED_FIELDS | {"bucket"}
        and not name.startswith("x-ignore-")
    )
    if extra:
        return _denied(f"Extra input fields: {', '.join(extra)}")
    return None


# --- CORS ------------------------------------------------------------------------


def _origin_matches(origin: str, allowed: str) -> bool:
    if allowed == "*" or allowed == origin:
        return True
    head, star, tail = allowed.partition("*")  # S3 allows one wildcard
    return bool(star) and origin.startswith(head) and origin.endswith(tail) and (
        len(origin) >= len(head) + len(tail))


def cors_headers(rules: Iterable[Mapping[str, Any]], origin: str, method: str) -> dict[str, str]:
    """The CORS headers S3 adds to an answer: those of the first rule that
    allows `origin` and `method`; none when no rule does."""
    for rule in rules:
        if method not in rule.get("AllowedMethods", []):
            continue
        if not any(_origin_matches(origin, o) for o in rule.get("AllowedOrigins", [])):
            continue
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(rule["AllowedMethods"]),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if rule.get("ExposeHeaders"):
            headers["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
        if rule.get("MaxAgeSeconds") is not None:
            headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
        return headers
    return {}


# --- the WSGI app ----------------------------------------------------------------


def _read_form(body: bytes, environ: dict[str, Any]) -> tuple[dict[str, str], int | None]:
    """The form's fields and the size of its file (None without one)."""
    from werkzeug.formparser import parse_form_data

    probe = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    _, form, files = parse_form_data(probe, silent=True)
    upload = files.get("file")
    size = None
    if upload is not None:
        upload.stream.seek(0, io.SEEK_END)
        size = upload.stream.tell()
    return {name: form[name] for name in form}, size


class BucketFront:
    """moto's WSGI app, with S3's POST policy checks and CORS on every answer
    (`cors_rules`: a bucket's CORS rules in S3 API's shape, by name)."""

    def __init__(
        self,
        app: WsgiApp,
        cors_rules: Mapping[str, list[dict[str, Any]]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.cors_rules = cors_rules
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        bucket, _, key = path.lstrip("/").partition("/")
        method = environ.get("REQUEST_METHOD", "")
        origin = environ.get("HTTP_ORIGIN")
        cors = (
            cors_headers(self.cors_rules.get(bucket, []), origin, method)
            if origin and method != "OPTIONS" else {}
        )
        if method == "POST" and bucket and not key and self._is_form(environ):
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            fields, size = _read_form(body, environ)
            refusal = policy_refusal(fields, size, bucket, self.clock())
            if refusal is not None:
                payload = refusal.body()
                start_response(f"{refusal.status} {_REASONS[refusal.status]}", [
                    ("Content-Type", "application/xml"),
                    ("Content-Length", str(len(payload))),
                    *cors.items(),
                ])
                return [payload]
            environ["wsgi.input"] = io.BytesIO(body)

        def answer(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            if "access-control-allow-origin" not in present:
                headers = [*headers, *cors.items()]
            return start_response(status, headers, *rest)

        return self.app(environ, answer)

    @staticmethod
    def _is_form(environ: dict[str, Any]) -> bool:
        content_type = environ.get("CONTENT_TYPE", "")
        return content_type.startswith("multipart/form-data") and bool(
            environ.get("CONTENT_LENGTH")
        )


_REASONS = {400: "Bad Request", 403: "Forbidden"}
