"""A pytest plugin that records what each Lambda of the app does on AWS, as IAM actions.

    ACCESS_RECORD_OUT=out.json pytest -p tests.deploy.access_recorder tests/api tests/unit

(`make iam-access` writes infra/iam-access.json this way.) It installs a botocore
handler before any session exists, so it reaches boto3's and pynamodb's sessions
alike, and notes each DynamoDB, S3, Lambda, `@connections`, SQS and secret call with
the table (by its key in infra/tables.yaml), index, bucket prefix, queue or function
it touches, mapped to the IAM action AWS authorizes it as. A bucket is named by its
alias (`exports`, `files`) and an object by its key's first segment
(`files/uploads/*`); the webhook queue (WEBHOOK_QUEUE_URL) is `webhook-queue`.

A presigned link is no call, but AWS authorizes the request made with it as the
function that signed it: `generate_presigned_url` is recorded as the action of
its ClientMethod (botocore builds its parameters as for the call), and
`generate_presigned_post` as `s3:PutObject` on the key it signs for (botocore
builds it on CreateBucket's parameters, which are not recorded).

Each call is attributed to the Lambda it runs under: the innermost *entry frame* on
the stack (ENTRIES: the REST view, the WebSocket handlers, the sweep, the export
worker) names the function's handler. A call with no entry frame (a unit test
calling a service, a fixture creating tables) belongs to no function and is left
out, as is a call test code makes from inside the app (a fake a test put in).
Worker threads the app starts inherit the function of the thread that started them.

Two needs make no AWS call in tests and are recorded where they are met instead:
reading the token secret (tests set TOKEN_SECRET, a literal; on AWS the app fetches
TOKEN_SECRET_ID) and starting the export worker (EXPORT_INVOKE=inline and
MAIL_INVOKE=inline run it in the request; on AWS the function asks Lambda to).

The output is {"functions": {handler: [{service, action, resource}, …]}}; the
packaged template gives each function's role exactly its list (infra/package.py).
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote

from botocore import handlers

_ROOT = Path(__file__).resolve().parents[2]
_CHALICELIB = _ROOT / "chalicelib"
_TABLES = str(_ROOT / "infra" / "tables.py")
_TESTS = str(_ROOT / "tests") + os.sep

# The innermost of these on the stack names the Lambda (its handler, as the
# template's `Handler`) a call runs under. The chalicelib entries come first in
# practice (they are inner); app.py's functions and Chalice's REST dispatch stand in
# when a route or handler does not pass through them. An export run inline in a
# REST request (EXPORT_INVOKE=inline) is the export worker's: exports.run is inner.
ENTRIES: dict[tuple[str, str], str] = {
    ("chalicelib/api/common.py", "view"): "app.app",
    ("chalicelib/api/ws.py", "on_connect"): "app.ws_connect",
    ("chalicelib/api/ws.py", "on_message"): "app.ws_message",
    ("chalicelib/api/ws.py", "on_disconnect"): "app.ws_disconnect",
    ("chalicelib/services/sweep.py", "run"): "app.sweep",
    ("chalicelib/services/exports.py", "run"): "app.export_worker",
    # The webhook sender, however it is reached (its SQS handler, or its service).
    ("chalicelib/api/hooks.py", "run_sender"): "app.webhook_sender",
    ("chalicelib/services/hook_sender.py", "handle_records"): "app.webhook_sender",
    # Mail sent inline in a request (MAIL_INVOKE=inline) is the worker's, which
    # the request starts on AWS (R-MAIL-1); the sweep sends what is left itself.
    ("chalicelib/services/mail.py", "run_worker"): "app.export_worker",
    ("app.py", "ws_connect"): "app.ws_connect",
    ("app.py", "ws_message"): "app.ws_message",
    ("app.py", "ws_disconnect"): "app.ws_disconnect",
    ("app.py", "sweep"): "app.sweep",
    ("app.py", "export_worker"): "app.export_worker",
    ("app.py", "webhook_sender"): "app.webhook_sender",
}
# Chalice's own REST dispatch (the Lambda entry of `app.app`), by qualified name.
_CHALICE_APP = str(Path("chalice") / "app.py")
_CHALICE_ENTRY = "Chalice.__call__"

HANDLERS = ("app.app", "app.ws_connect", "app.ws_message", "app.ws_disconnect",
            "app.sweep", "app.export_worker", "app.webhook_sender")

# The export worker, as the recording names it (infra/package.py maps it to the
# function the stack creates).
EXPORT_WORKER = "export_worker"
TOKEN_SECRET = {"service": "token-secret", "action": "read", "resource": "TOKEN_SECRET_ID"}
START_EXPORT = {"service": "lambda", "action": "lambda:InvokeFunction", "resource": EXPORT_WORKER}
# Sending mail is authorized on the SES identity of MAIL_FROM (the stack's parameter).
MAIL_IDENTITY = "mail-identity"
# The webhook queue (WEBHOOK_QUEUE_URL), as the recording names it (infra/package.py
# maps it to the stack's WebhookQueue).
WEBHOOK_QUEUE = "webhook-queue"

_ENTRY_FILES = {str(_ROOT / path): path for path, _ in ENTRIES}
_RECORDED: set[tuple[str, str, str, str]] = set()  # (handler, service, action, resource)
_LOCK = threading.Lock()

# TransactWriteItems is authorized item by item as these actions.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# S3 operations authorized as another action: the multipart steps of an upload
# as s3:PutObject, HEAD as s3:GetObject, a batch delete key by key, a listing as
# s3:ListBucket (on the bucket).
_S3_ACTIONS = {
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "HeadObject": "s3:GetObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
}
# Operations that may set an object's tags (`Tagging`), which needs s3:PutObjectTagging.
_S3_TAGGING = {"PutObject", "CopyObject", "CreateMultipartUpload"}
# SQS batch operations are authorized as their single-message action (IAM has no
# sqs:SendMessageBatch).
_SQS_ACTIONS = {
    "SendMessageBatch": "sqs:SendMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# @connections operations, authorized as ManageConnections on METHOD/@connections/*.
_CONNECTION_METHODS = {
    "PostToConnection": "POST",
    "DeleteConnection": "DELETE",
    "GetConnection": "GET",
}


# --- which function is running ------------------------------------------------------


class _NotTheApps:
    """A call test code makes itself: belongs to no function."""


_NOT_THE_APPS = _NotTheApps()


def _entry_of(frame: FrameType) -> str | _NotTheApps | None:
    """The handler this frame is the entry of, _NOT_THE_APPS for test code, else None."""
    code = frame.f_code
    filename = code.co_filename
    if filename == _TABLES or filename.startswith(_TESTS):
        return _NOT_THE_APPS
    relative = _ENTRY_FILES.get(filename)
    if relative is not None:
        return ENTRIES.get((relative, code.co_name))
    if filename.endswith(_CHALICE_APP) and code.co_qualname == _CHALICE_ENTRY:
        return "app.app"
    return None


def current_function(frame: FrameType | None) -> str | None:
    """The handler of the innermost entry frame from `frame` outwards; else the
    function the current thread inherited; None for test code or no function."""
    while frame is not None:
        entry = _entry_of(frame)
        if entry is _NOT_THE_APPS:
            return None
        if isinstance(entry, str):
            return entry
        frame = frame.f_back
    return getattr(threading.current_thread(), "_access_function", None)


def _inherit_function(start: Callable[[threading.Thread], None]) -> Callable[..., None]:
    """Thread.start that hands the starting thread's function to the new thread
    (the export worker's reader pool, s3transfer's upload threads)."""

    @functools.wraps(start)
    def started(thread: threading.Thread) -> None:
        thread._access_function = current_function(sys._getframe(1))  # type: ignore[attr-defined]
        start(thread)

    return started


def _note(handler: str | None, entries: list[dict[str, str]]) -> None:
    if handler is None:
        return
    with _LOCK:
        _RECORDED.update(
            (handler, e["service"], e["action"], e["resource"]) for e in entries
        )


# --- AWS calls, as IAM actions ------------------------------------------------------


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


def s3_resource(bucket: str | None, key: str | None) -> str:
    """`alias` for a bucket, `alias/<first key segment>/*` for an object."""
    name = _bucket_aliases().get(bucket or "", bucket or "*")
    if key is None:
        return name
    prefix = key.split("/", 1)[0] + "/*" if "/" in key else key
    return f"{name}/{prefix}"


def _copy_source(source: str | dict[str, str]) -> tuple[str, str]:
    """(bucket, key) of CopyObject's CopySource, a dict or `bucket/key[?versionId=…]`."""
    if isinstance(source, dict):
        return source["Bucket"], source["Key"]
    bucket, _, key = unquote(source.split("?versionId=", 1)[0]).lstrip("/").partition("/")
    return bucket, key


def s3_accesses(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, `bucket/prefix/*`) pairs for one S3 call."""
    action = _S3_ACTIONS.get(operation, f"s3:{operation}")
    bucket = params.get("Bucket")
    if operation == "DeleteObjects":
        objects = params.get("Delete", {}).get("Objects", [])
        return [(action, s3_resource(bucket, o["Key"])) for o in objects]
    if action == "s3:ListBucket":
        return [(action, s3_resource(bucket, None))]
    target = s3_resource(bucket, params.get("Key"))
    if operation in ("CopyObject", "UploadPartCopy"):
        # Reading the source and writing the copy (TaggingDirective COPY would
        # read the source's tags too: the app never copies tags).
        pairs = [("s3:PutObject", target),
                 ("s3:GetObject", s3_resource(*_copy_source(params["CopySource"])))]
    else:
        pairs = [(action, target)]
    if operation in _S3_TAGGING and params.get("Tagging"):
        pairs.append(("s3:PutObjectTagging", target))
    return pairs


def presigned_post_accesses(
    bucket: str, key: str, fields: dict[str, str] | None
) -> list[dict[str, str]]:
    """What a presigned POST lets its bearer do, as the signer: upload to `key`
    (and tag the upload, when its form sets `tagging`)."""
    target = s3_resource(bucket, key)
    pairs = [("s3:PutObject", target)]
    if any(name.lower() == "tagging" for name in fields or {}):
        pairs.append(("s3:PutObjectTagging", target))
    return [{"service": "s3", "action": a, "resource": r} for a, r in pairs]


def _bucket_aliases() -> dict[str, str]:
    """Bucket name → the alias the recording uses (infra/package.py maps it back)."""
    from chalicelib import config

    return {config.exports_bucket(): "exports", config.files_bucket(): "files"}


def sqs_resource(params: dict[str, Any]) -> str:
    """`webhook-queue` for the webhook queue, else the queue's URL (or name)."""
    from chalicelib import config

    queue = params.get("QueueUrl") or params.get("QueueName") or "*"
    return WEBHOOK_QUEUE if queue == config.webhook_queue_url() else str(queue)


def _export_function() -> str:
    return os.environ.get("EXPORT_FUNCTION", EXPORT_WORKER)


def accesses(service: str, operation: str, params: dict[str, Any]) -> list[dict[str, str]]:
    """The IAM (action, resource) one botocore call is authorized as."""
    if service == "dynamodb":
        pairs = dynamodb_accesses(operation, params)
    elif service == "s3":
        pairs = s3_accesses(operation, params)
    elif service == "apigatewaymanagementapi":
        method = _CONNECTION_METHODS.get(operation, operation)
        pairs = [("execute-api:ManageConnections", f"{method}/@connections/*")]
    elif service == "lambda" and operation == "Invoke":
        name = params.get("FunctionName")
        pairs = [("lambda:InvokeFunction", EXPORT_WORKER if name == _export_function() else name)]
    elif (service, operation) == ("sesv2", "SendEmail"):
        pairs = [("ses:SendEmail", MAIL_IDENTITY)]
    elif service == "sqs":
        pairs = [(_SQS_ACTIONS.get(operation, f"sqs:{operation}"), sqs_resource(params))]
    elif (service, operation) in (("ssm", "GetParameter"), ("secretsmanager", "GetSecretValue")):
        return [TOKEN_SECRET]  # the only secret the app reads
    else:
        pairs = [(f"{service}:{operation}", "*")]
    return [{"service": service, "action": a, "resource": r} for a, r in pairs]


def _record(
    params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
) -> None:
    if model.name == "CreateBucket" and (context or {}).get("is_presign_request"):
        return  # generate_presigned_post's stand-in: recorded as the upload it signs
    handler = current_function(sys._getframe(1))
    if handler is not None:
        _note(handler, accesses(model.service_model.service_name, model.name, params))


def _record_presigned_posts(class_attributes: dict[str, Any], **_: Any) -> None:
    """Runs as botocore builds the S3 client class, after it added
    `generate_presigned_post`: the class gets it noting the upload it signs."""
    post = class_attributes.get("generate_presigned_post")
    if post is None or getattr(post, "_access_records", False):
        return

    @functools.wraps(post)
    def recorded(
        self: Any, Bucket: str, Key: str, Fields: dict[str, str] | None = None,
        Conditions: list[Any] | None = None, ExpiresIn: int = 3600,
    ) -> Any:
        _note(current_function(sys._getframe(1)), presigned_post_accesses(Bucket, Key, Fields))
        return post(self, Bucket, Key, Fields=Fields, Conditions=Conditions, ExpiresIn=ExpiresIn)

    recorded._access_records = True  # type: ignore[attr-defined]
    class_attributes["generate_presigned_post"] = recorded


# --- needs that make no AWS call in tests -------------------------------------------


def _recording(function: Callable[..., Any], entry: dict[str, str]) -> Callable[..., Any]:
    """`function`, noting `entry` for the running Lambda on every call. A cached
    function keeps its cache_clear (chalicelib.aws.reset calls it)."""

    @functools.wraps(function)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        _note(current_function(sys._getframe(1)), [entry])
        return function(*args, **kwargs)

    for name in ("cache_clear", "cache_info", "cache_parameters"):
        if hasattr(function, name):
            setattr(recorded, name, getattr(function, name))
    return recorded


def secret_readers() -> list[tuple[str, str]]:
    """(module, function) for every module-level function of chalicelib that
    asks config for the token secret's id (`config.token_secret_id()`, which
    reads TOKEN_SECRET_ID): where the app gets its signing keys, whatever the
    function is called, and whether or not a test's literal TOKEN_SECRET makes
    it return before fetching. Found from the source, so nothing is imported
    early."""
    found = []
    for path in sorted(_CHALICELIB.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(_ROOT).with_suffix("").parts)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                isinstance(n, ast.Attribute) and n.attr == "token_secret_id"
                for n in ast.walk(node)
            ):
                found.append((module, node.name))
    return found


def _wrap(module_name: str, name: str, entry: dict[str, str]) -> None:
    module = importlib.import_module(module_name)
    function = getattr(module, name)
    if getattr(function, "_access_entry", None) == entry:
        return
    wrapped = _recording(function, entry)
    wrapped._access_entry = entry  # type: ignore[attr-defined]
    setattr(module, name, wrapped)


def install() -> None:
    for service in ("dynamodb", "s3", "lambda", "apigatewaymanagementapi", "ssm",
                    "secretsmanager", "sesv2", "sqs"):
        entry = (f"before-parameter-build.{service}", _record)
        if entry not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(entry)
    # After botocore's own handler of the same event (the list's order is the
    # order a session registers, and calls, them).
    presigned_posts = ("creating-client-class.s3", _record_presigned_posts)
    if presigned_posts not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(presigned_posts)
    if not getattr(threading.Thread.start, "_access_inherits", False):
        started = _inherit_function(threading.Thread.start)
        started._access_inherits = True  # type: ignore[attr-defined]
        threading.Thread.start = started  # type: ignore[method-assign]
    readers = secret_readers()
    if not readers:
        raise RuntimeError("access_recorder: no chalicelib function reads TOKEN_SECRET_ID")
    for module_name, name in readers:
        _wrap(module_name, name, TOKEN_SECRET)
    # Whoever asks for the launcher starts the worker (inline in tests, Lambda on AWS).
    _wrap("chalicelib.services.exports", "launcher", START_EXPORT)
    # Whoever dispatches mail starts the same worker (inline in tests).
    _wrap("chalicelib.services.mail", "dispatch", START_EXPORT)


def recorded() -> dict[str, Any]:
    with _LOCK:
        rows = sorted(_RECORDED)
    functions: dict[str, list[dict[str, str]]] = {}
    for handler, service, action, resource in rows:
        functions.setdefault(handler, []).append(
            {"service": service, "action": action, "resource": resource}
        )
    return {
        "generated_by": "make iam-access (tests/deploy/access_recorder.py over "
                        "tests/api and tests/unit); do not edit by hand",
        "functions": functions,
    }


def pytest_configure(config: Any) -> None:
    """Installed when pytest loads the plugin (`-p`), before any test makes a
    boto3 session; importing this module alone changes nothing."""
    install()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("ACCESS_RECORD_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump(recorded(), handle, indent=1)
            handle.write("\n")
