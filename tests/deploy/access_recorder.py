"""A pytest plugin that records every AWS call the app makes, as IAM actions.

    ACCESS_RECORD_OUT=out.json pytest tests/api tests/unit -p tests.deploy.access_recorder

installs a botocore handler (before any session exists, so it reaches boto3's and
pynamodb's sessions alike) that notes each DynamoDB, S3 and other call with the
table (by its key in infra/tables.yaml) or bucket it touches, mapped to the IAM
actions AWS authorizes it as, and writes the sorted set as JSON when the session
ends. infra/iam-access.json is this list for tests/api + tests/unit; the packaged
template's policy is built from it and tests/deploy checks it still covers the code.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from botocore import handlers

_RECORDED: set[tuple[str, str, str]] = set()
_LOCK = threading.Lock()
_ROOT = Path(__file__).resolve().parents[2]
_CHALICELIB = str(_ROOT / "chalicelib") + os.sep
_TABLES = str(_ROOT / "infra" / "tables.py")
_TESTS = str(_ROOT / "tests") + os.sep
_APP = str(_ROOT / "app.py")

# TransactWriteItems is authorized item by item as these actions.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _table_key(name: str) -> str:
    from chalicelib import config

    by_name = {config.table_name(key): key for key in config.TABLE_KEYS}
    return by_name.get(name, f"?{name}")


def dynamodb_accesses(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource) pairs for one DynamoDB call; the resource is the
    table key, or `key/index/<name>` for a query of an index."""
    if operation == "TransactWriteItems":
        pairs = []
        for item in params.get("TransactItems", []):
            for kind, action in _TRANSACT_ACTIONS.items():
                if kind in item:
                    pairs.append((action, _table_key(item[kind]["TableName"])))
        return pairs
    if operation == "TransactGetItems":
        return [
            ("dynamodb:GetItem", _table_key(item["Get"]["TableName"]))
            for item in params.get("TransactItems", [])
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [
            (f"dynamodb:{operation}", _table_key(name)) for name in params.get("RequestItems", {})
        ]
    if "TableName" not in params:
        return [(f"dynamodb:{operation}", "*")]
    resource = _table_key(params["TableName"])
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(f"dynamodb:{operation}", resource)]


def s3_accesses(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, `bucket/prefix/*`) pairs for one S3 call."""
    # The multipart steps of an upload are authorized as s3:PutObject.
    action = {
        "CreateMultipartUpload": "s3:PutObject",
        "UploadPart": "s3:PutObject",
        "CompleteMultipartUpload": "s3:PutObject",
    }.get(operation, f"s3:{operation}")
    bucket = "exports" if params.get("Bucket") == _exports_bucket() else params.get("Bucket", "*")
    key = params.get("Key")
    if key is None:
        return [(action, bucket)]
    prefix = key.split("/", 1)[0] + "/*" if "/" in key else key
    return [(action, f"{bucket}/{prefix}")]


def _exports_bucket() -> str:
    from chalicelib.services import exports

    return exports.bucket()


def _from_app_code() -> bool:
    """False for calls a test or fixture makes itself (tables from infra/tables.py,
    buckets or items a test sets up): those have a frame in tests/ or infra/tables.py
    and none in app.py or chalicelib/. Calls from worker threads (s3transfer's
    uploads) have neither and count as the app's."""
    frame: Any = sys._getframe(2)
    app_code = test_code = False
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == _TABLES:
            return False
        if filename.startswith(_CHALICELIB) or filename == _APP:
            app_code = True
        elif filename.startswith(_TESTS):
            test_code = True
        frame = frame.f_back
    return app_code or not test_code


def _record(params: dict[str, Any], model: Any, **_: Any) -> None:
    if not _from_app_code():
        return
    service = model.service_model.service_name
    operation = model.name
    if service == "dynamodb":
        pairs = dynamodb_accesses(operation, params)
    elif service == "s3":
        pairs = s3_accesses(operation, params)
    else:
        iam_prefix = model.service_model.signing_name or service
        pairs = [(f"{iam_prefix}:{operation}", "*")]
    with _LOCK:
        _RECORDED.update((service, action, resource) for action, resource in pairs)


def install() -> None:
    for service in ("dynamodb", "s3", "lambda", "apigatewaymanagementapi", "ssm",
                    "secretsmanager"):
        entry = (f"before-parameter-build.{service}", _record)
        if entry not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(entry)


def recorded() -> list[dict[str, str]]:
    with _LOCK:
        return [
            {"service": service, "action": action, "resource": resource}
            for service, action, resource in sorted(_RECORDED)
        ]


install()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("ACCESS_RECORD_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump(recorded(), handle, indent=1)
            handle.write("\n")
