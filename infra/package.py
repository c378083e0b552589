"""Package the app for AWS: one CloudFormation (SAM) template.

    python -m infra.package [--stage dev] [--out build/package-dev]

runs `chalice package` (under Python 3.13, so the functions get Lambda's python3.13
runtime, on arm64 as .chalice/config.json says: infra/build_python.py) with a merge
template built here from:

- every table of infra/tables.yaml (the one definition of the tables);
- the exports bucket (private, encrypted, objects expire), the files bucket
  (files sent in chats: private, encrypted, CORS for the chat frame and the
  console, unsent uploads expire) and the static-site bucket, served by two
  CloudFront distributions on two origins: the console's (strict CSP, never
  framed) and the widget's (CORS for the chat frame's modules), each with a
  response-headers policy (HSTS, nosniff, referrer policy);
- the token-signing secret: a generated Secrets Manager secret, or an existing SSM
  SecureString parameter (parameter `TokenSecretParameter`); never a literal;
- the webhook queue (encrypted, a dead-letter queue after 5 receives) feeding the
  webhook sender through an event source mapping that reports partial failures;
- one environment for every Lambda (SAM `Globals`): TABLE_<KEY>, EXPORTS_BUCKET,
  FILES_BUCKET, TOKEN_SECRET_ID, WS_URL, WS_MANAGEMENT_ENDPOINT, PUBLIC_BASE_URL
  (the widget's origin), CONSOLE_ORIGIN, API_BASE_URL, EXPORT_FUNCTION,
  WEBHOOK_QUEUE_URL;
- least privilege per function: each function has a fixed name, its own log group
  (with a retention) and a role allowed only that log group plus what
  infra/iam-access.json says its handler was recorded doing (DynamoDB actions per
  table and index, S3 actions on the exports prefix and on the files bucket's
  uploads/ and files/, `@connections` methods, reading the token secret, starting
  the export worker, sending to the webhook queue), for the webhook sender
  what its event source mapping needs to read the queue, and for the export
  worker sending its failed asynchronous invocations to the on-failure queue;
- limits: REST stage throttling, WebSocket stage throttling, reserved concurrency
  for the export worker (all template parameters);
- alarms (R-OPS-1) to one SNS topic (its own KMS key; an email subscription when
  the `AlarmEmail` parameter is set): Lambda errors and throttles per function,
  the REST API's 5xx, the WebSocket API's integration and execution errors,
  DynamoDB throttled requests and system errors per table, and anything in the
  webhook dead-letter queue or the on-failure queue the export worker's failed
  asynchronous invocations go to (after two retries);
- the REST API's gateway responses in the API's error shape (a missing route is a
  404 `not_found` that echoes nothing); CORS preflights of everything but the
  public widget routes are the app's own (they answer only the console's origin);
- Outputs: every table name, the buckets, the REST, WebSocket, console and widget
  URLs, the webhook queues' URLs, the alarm topic, the on-failure queue's URL.

The result is `<out>/sam.yaml` plus `<out>/deployment.zip`; `make deploy` uploads
and deploys them (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Container
from pathlib import Path
from typing import Any

import yaml

from infra import build_python
from infra.tables import output_name

ROOT = Path(__file__).resolve().parents[1]
TABLES_YAML = ROOT / "infra" / "tables.yaml"
ACCESS_JSON = ROOT / "infra" / "iam-access.json"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"

EXPORTS_PREFIX = "exports"
# The files bucket (R-ATT-1): browsers upload to uploads/ with a presigned POST
# (unchecked; deleted after a day unless sent), the API copies a checked file to
# files/ (chalicelib/services/attachments.py).
UPLOADS_PREFIX = "uploads"
SENT_FILES_PREFIX = "files"
UPLOAD_EXPIRY_DAYS = 1
# A day past the longest retention_days (R-PRIV-1, services/retention.py).
FILES_EXPIRY_DAYS = 3651
# Its CORS: the browser POSTs the upload form (XMLHttpRequest, whose upload
# progress listener makes it preflight) and may GET a file; the multipart body's
# Content-Type is the only header it sends.
FILES_CORS_METHODS = ("GET", "POST")
FILES_CORS_HEADERS = ("Content-Type",)
FILES_CORS_EXPOSED = ("ETag",)
FILES_CORS_MAX_AGE_S = 3600
# The files bucket's name, derived from the stack's id (lowercase hex, unique,
# fixed for the stack's life) rather than chosen by CloudFormation: the console's
# CSP names the bucket's hosts, and a reference to the bucket would make the
# console's distribution depend on the bucket whose CORS names the console.
FILES_BUCKET_NAME = {"Fn::Join": ["-", [
    "helpdesk-files", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]},
]]}
EXPORT_WORKER = "ExportWorker"
ROUTE_RESPONSE = "WebsocketMessageRouteResponse"
EXPORT_EXPIRY_DAYS = 7  # chalicelib/services/exports.py JOB_TTL
# CloudFront's managed "CachingOptimized" cache policy.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
HSTS_MAX_AGE_S = 2 * 365 * 24 * 3600  # two years (at least one, for preload lists)

# Each function's name in the stack is `<stack>-<suffix>`: a fixed name gives it a
# log group known in advance (/aws/lambda/<name>, made by the stack), the only one
# its role may write to, and gives the API a worker to invoke by name.
FUNCTION_NAMES = {
    "APIHandler": "api",
    "WebsocketConnect": "ws-connect",
    "WebsocketMessage": "ws-message",
    "WebsocketDisconnect": "ws-disconnect",
    "Sweep": "sweep",
    EXPORT_WORKER: "export-worker",
    "WebhookSender": "webhooks",
}
EXPORT_FUNCTION_NAME = "${AWS::StackName}-" + FUNCTION_NAMES[EXPORT_WORKER]
# What the recorder calls the export worker when a function starts it.
RECORDED_EXPORT_WORKER = "export_worker"

# Webhook deliveries (R-HOOK-1): the app queues them on WebhookQueue (env
# WEBHOOK_QUEUE_URL); Lambda's event source mapping hands them to the sender in
# batches, and the sender reports the records to retry (ReportBatchItemFailures).
# A delivery received WEBHOOK_MAX_RECEIVES times without being deleted goes to
# WebhookDeadLetterQueue.
WEBHOOK_QUEUE_NAME = "helpdesk-webhooks"  # app.py's @app.on_sqs_message(queue=…)
WEBHOOK_QUEUE = "WebhookQueue"
WEBHOOK_DEAD_LETTER_QUEUE = "WebhookDeadLetterQueue"
WEBHOOK_QUEUE_ARN = f"${{{WEBHOOK_QUEUE}.Arn}}"  # as a Fn::Sub text
WEBHOOK_MAX_RECEIVES = 5
WEBHOOK_RETENTION_S = 4 * 24 * 3600
WEBHOOK_DEAD_LETTER_RETENTION_S = 14 * 24 * 3600
# AWS's advice for a queue feeding a function: a visibility timeout of six times
# the function's timeout, so a batch Lambda is still retrying (throttled, or
# timed out) is not handed out again meanwhile.
VISIBILITY_PER_FUNCTION_TIMEOUT = 6
# What the recorder calls the queue (tests/deploy/access_recorder.py).
RECORDED_WEBHOOK_QUEUE = "webhook-queue"
# What an SQS event source mapping does with its queue, authorized as the
# function's role (chalice's generated policy grants the same).
QUEUE_POLLING_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")

# Asynchronous invocations (R-OPS-1): the app starts the export worker with
# InvocationType Event (exports, mail, transcripts). Lambda retries a failed one
# ASYNC_RETRIES times, then sends the event to ASYNC_FAILURE_QUEUE (its on-failure
# destination), as the function's own role. The sweep is invoked asynchronously
# too (by its schedule), but a failed sweep is redone by the next minute's and
# its event says nothing worth keeping: its Errors alarm is enough.
ASYNC_FUNCTIONS = (EXPORT_WORKER,)
ASYNC_FAILURE_QUEUE = "AsyncFailureQueue"
ASYNC_RETRIES = 2
ASYNC_FAILURE_RETENTION_S = 14 * 24 * 3600  # SQS's longest: time to look and replay

# REST routes called cross-origin from any shop's page (the widget's loader):
# chalice's own preflight answers any origin. Every other route answers its
# preflight in the app, for the console's origin only (chalicelib/api/common.py).
PUBLIC_CORS_PREFIXES = ("/widget/", "/health")

# The two static sites: distribution → its origin path, the prefix of the site
# bucket it may read (infra/deploy.py uploads there). The widget keeps /widget/ in
# its URLs (PUBLIC_BASE_URL + /widget/loader.js), so its files are under
# widget/widget/ in the bucket.
SITE_ORIGINS = {
    "ConsoleDistribution": "console",
    "WidgetDistribution": "widget",
}

REST_HOST = "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
# The REST API's name (a Fn::Sub text). API Gateway reports a REST API's metrics
# by ApiName, and chalice names it after the app, the same in every stack of an
# account (dev and prod): the stack's name keeps each stack's alarms its own.
REST_API_NAME = "${AWS::StackName}-rest-api"
WS_HOST = "${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
# What CloudWatch Logs accepts as a retention.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def chalice_config() -> dict[str, Any]:
    return json.loads(CHALICE_CONFIG.read_text())


def api_stage() -> str:
    return chalice_config().get("api_gateway_stage", "api")


@functools.cache
def table_resources() -> dict[str, dict[str, Any]]:
    """Logical id → resource, as infra/tables.yaml has them."""
    document = yaml.safe_load(TABLES_YAML.read_text())
    return {
        logical_id: resource
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


@functools.cache
def table_logical_ids() -> dict[str, str]:
    """Table key (e.g. `chats`) → logical id (e.g. `ChatsTable`)."""
    return {
        resource["Metadata"]["TableKey"]: logical_id
        for logical_id, resource in table_resources().items()
    }


Access = list[dict[str, str]]


def recorded_access() -> dict[str, Access]:
    """Handler (e.g. `app.sweep`) → what it was recorded doing (infra/iam-access.json)."""
    return json.loads(ACCESS_JSON.read_text())["functions"]


def function_name(logical_id: str) -> str:
    """The function's FunctionName, as a Fn::Sub text."""
    return "${AWS::StackName}-" + FUNCTION_NAMES[logical_id]


def log_group_id(logical_id: str) -> str:
    return f"{logical_id}LogGroup"


def _origin(host: str) -> dict[str, Any]:
    return _sub(f"https://{host}")


# --- IAM: what each function was recorded doing --------------------------------------


def _of(access: Access, service: str) -> Access:
    return [e for e in access if e["service"] == service]


def dynamodb_statements(access: Access) -> list[dict[str, Any]]:
    """Per table: the recorded actions on the table, and those on the recorded
    indexes. Nothing else, and no wildcard action or table."""
    ids = table_logical_ids()
    table_actions: dict[str, set[str]] = {}
    index_actions: dict[str, set[str]] = {}
    indexes: dict[str, set[str]] = {}
    for entry in _of(access, "dynamodb"):
        key, _, index = entry["resource"].partition("/index/")
        if key not in ids:
            raise SystemExit(f"infra/iam-access.json: unknown table {entry['resource']!r}")
        if index:
            index_actions.setdefault(key, set()).add(entry["action"])
            indexes.setdefault(key, set()).add(index)
        else:
            table_actions.setdefault(key, set()).add(entry["action"])
    statements = []
    for key, logical_id in ids.items():
        if key in table_actions:
            statements.append({
                "Sid": f"{logical_id}Items",
                "Effect": "Allow",
                "Action": sorted(table_actions[key]),
                "Resource": [_arn(logical_id)],
            })
        if key in index_actions:
            statements.append({
                "Sid": f"{logical_id}Indexes",
                "Effect": "Allow",
                "Action": sorted(index_actions[key]),
                "Resource": [
                    _sub(f"${{{logical_id}.Arn}}/index/{index}") for index in sorted(indexes[key])
                ],
            })
    return statements


# What the recorder writes for an object under a bucket's first key segment
# (`<bucket alias>/<segment>/*`) → (statement id, bucket logical id, segment).
S3_PREFIXES = {
    f"exports/{EXPORTS_PREFIX}/*": ("ExportsObjects", "ExportsBucket", EXPORTS_PREFIX),
    f"files/{UPLOADS_PREFIX}/*": ("FileUploads", "FilesBucket", UPLOADS_PREFIX),
    f"files/{SENT_FILES_PREFIX}/*": ("SentFiles", "FilesBucket", SENT_FILES_PREFIX),
}


# Listing a bucket (the recorder writes the bucket's alias) → (statement id,
# bucket logical id, the key prefix a listing may name): retention's daily job
# lists the chat days under files/ (R-PRIV-1).
S3_LISTINGS = {
    "files": ("ListSentFiles", "FilesBucket", SENT_FILES_PREFIX),
}


def s3_statements(access: Access) -> list[dict[str, Any]]:
    """Per recorded prefix (exports/, uploads/, files/), exactly the actions
    recorded on it, and listing only under the prefix it is recorded for; any
    other S3 access refuses to package."""
    entries = _of(access, "s3")
    other = [e for e in entries if e["resource"] not in S3_PREFIXES
             and not (e["resource"] in S3_LISTINGS and e["action"] == "s3:ListBucket")]
    if other:
        raise SystemExit(
            f"infra/iam-access.json: S3 access outside {sorted(S3_PREFIXES)}: {other}"
        )
    statements: list[dict[str, Any]] = []
    for resource, (sid, bucket, prefix) in S3_PREFIXES.items():
        actions = sorted({e["action"] for e in entries if e["resource"] == resource})
        if actions:
            statements.append({
                "Sid": sid,
                "Effect": "Allow",
                "Action": actions,
                "Resource": [_sub(f"${{{bucket}.Arn}}/{prefix}/*")],
            })
    for resource, (sid, bucket, prefix) in S3_LISTINGS.items():
        if any(e["resource"] == resource for e in entries):
            statements.append({
                "Sid": sid,
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [_sub(f"${{{bucket}.Arn}}")],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
            })
    return statements


def connection_statements(access: Access) -> list[dict[str, Any]]:
    """`@connections` of this stack's WebSocket API, only with the methods
    recorded (POST pushes a frame, DELETE closes a socket)."""
    entries = _of(access, "apigatewaymanagementapi")
    methods = set()
    for entry in entries:
        method, _, rest = entry["resource"].partition("/")
        if entry["action"] != "execute-api:ManageConnections" or rest != "@connections/*":
            raise SystemExit(f"infra/iam-access.json: unexpected WebSocket access {entry}")
        methods.add(method)
    if not methods:
        return []
    connections = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketAPI}"
    )
    return [{
        "Sid": "ManageWebSockets",
        "Effect": "Allow",
        "Action": ["execute-api:ManageConnections"],
        "Resource": [
            _sub(f"{connections}/{api_stage()}/{method}/@connections/*")
            for method in sorted(methods)
        ],
    }]


def invoke_statements(access: Access) -> list[dict[str, Any]]:
    entries = _of(access, "lambda")
    unknown = [
        e for e in entries
        if (e["action"], e["resource"]) != ("lambda:InvokeFunction", RECORDED_EXPORT_WORKER)
    ]
    if unknown:
        raise SystemExit(f"infra/iam-access.json: unexpected Lambda access {unknown}")
    if not entries:
        return []
    return [{
        "Sid": "StartExportWorker",
        "Effect": "Allow",
        "Action": ["lambda:InvokeFunction"],
        "Resource": [_sub(
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
            + EXPORT_FUNCTION_NAME
        )],
    }]


MAIL_IDENTITY = "mail-identity"
MAIL_IDENTITY_ARN = (
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailIdentityName}"
)


def mail_statements(access: Access) -> list[dict[str, Any]]:
    """Sending mail (R-MAIL-1) as the configured SES identity only."""
    entries = _of(access, "sesv2")
    unknown = [e for e in entries if (e["action"], e["resource"]) != ("ses:SendEmail",
                                                                       MAIL_IDENTITY)]
    if unknown:
        raise SystemExit(f"infra/iam-access.json: unexpected SES access {unknown}")
    if not entries:
        return []
    return [{
        "Sid": "SendMailAsTheIdentity",
        "Effect": "Allow",
        "Action": ["ses:SendEmail"],
        "Resource": [{"Fn::Sub": [MAIL_IDENTITY_ARN, {"MailIdentityName": {
            "Fn::If": ["HasMailIdentity", _ref("MailIdentity"),
                       {"Fn::Select": [1, {"Fn::Split": ["@", _ref("MailFrom")]}]}]}}]}],
    }]


def secret_statements(access: Access) -> list[dict[str, Any]]:
    """Reading the token secret: the SSM parameter or the generated secret,
    whichever the stack uses."""
    if not _of(access, "token-secret"):
        return []
    return [{
        "Fn::If": [
            "UseSsmParameter",
            {
                "Sid": "ReadTokenSecret",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [_sub(
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                    "parameter${TokenSecretParameter}"
                )],
            },
            {
                "Sid": "ReadTokenSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [_ref("TokenSecret")],
            },
        ]
    }]


def sqs_statements(access: Access) -> list[dict[str, Any]]:
    """Exactly the SQS actions recorded (sending deliveries), on the webhook
    queue only; any other queue refuses to package."""
    entries = _of(access, "sqs")
    unknown = [e for e in entries if e["resource"] != RECORDED_WEBHOOK_QUEUE
               or not e["action"].startswith("sqs:")]
    if unknown:
        raise SystemExit(f"infra/iam-access.json: unexpected SQS access {unknown}")
    if not entries:
        return []
    return [{
        "Sid": "UseWebhookQueue",
        "Effect": "Allow",
        "Action": sorted({e["action"] for e in entries}),
        "Resource": [_arn(WEBHOOK_QUEUE)],
    }]


def queue_polling_statements() -> list[dict[str, Any]]:
    """What Lambda's event source mapping does as the sender's role: receive
    the queue's messages, delete those handled, read the queue's settings. Not
    recorded (Lambda does it, not the handler), so granted here."""
    return [{
        "Sid": "PollWebhookQueue",
        "Effect": "Allow",
        "Action": list(QUEUE_POLLING_ACTIONS),
        "Resource": [_arn(WEBHOOK_QUEUE)],
    }]


def async_failure_statements() -> list[dict[str, Any]]:
    """What Lambda does as the function's role when an asynchronous invocation
    has failed every retry: send the event to its on-failure destination. Not
    recorded (Lambda sends it, not the handler), so granted here."""
    return [{
        "Sid": "ReportAsyncFailures",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [_arn(ASYNC_FAILURE_QUEUE)],
    }]


def log_statement(logical_id: str) -> dict[str, Any]:
    """Writing to the function's own log group and nothing else (the group is a
    resource of the stack, so no CreateLogGroup)."""
    return {
        "Sid": "OwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [_sub(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
            f"${{{log_group_id(logical_id)}}}:*"
        )],
    }


KNOWN_SERVICES = {"dynamodb", "s3", "apigatewaymanagementapi", "lambda", "token-secret",
                  "sesv2", "sqs"}


def function_statements(
    logical_id: str, access: Access, polls_queue: bool = False,
    reports_async_failures: bool = False,
) -> list[dict[str, Any]]:
    unknown = [e for e in access if e["service"] not in KNOWN_SERVICES]
    if unknown:
        raise SystemExit(
            f"infra/iam-access.json: no policy for {unknown}; teach infra/package.py"
        )
    return [
        log_statement(logical_id),
        *dynamodb_statements(access),
        *s3_statements(access),
        *connection_statements(access),
        *invoke_statements(access),
        *mail_statements(access),
        *sqs_statements(access),
        *(queue_polling_statements() if polls_queue else []),
        *(async_failure_statements() if reports_async_failures else []),
        *secret_statements(access),
    ]


def chalice_functions(chalice_resources: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Function logical id → its `handler` and `role` (logical id), as chalice made them."""
    functions = {}
    for logical_id, resource in chalice_resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if logical_id not in FUNCTION_NAMES:
            raise SystemExit(f"give the new function {logical_id} a name in FUNCTION_NAMES")
        properties = resource["Properties"]
        functions[logical_id] = {
            "handler": properties["Handler"],
            "role": properties["Role"]["Fn::GetAtt"][0],
        }
    return functions


def queue_event_sources(chalice_resources: dict[str, Any]) -> dict[str, str]:
    """Function logical id → its SQS event source (the event's id in `Events`).
    chalice names the queue in an ARN it builds from the queue's name (a packaged
    template: the stack's queue already); the only queue the stack has is the
    webhook queue."""
    found: dict[str, str] = {}
    for logical_id, resource in chalice_resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event_id, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] != "SQS":
                continue
            queue = event["Properties"]["Queue"]
            name = (queue.get("Fn::Sub", "") if isinstance(queue, dict) else queue)
            ours = name.rsplit(":", 1)[-1] == WEBHOOK_QUEUE_NAME or name == WEBHOOK_QUEUE_ARN
            if not ours or logical_id in found:
                raise SystemExit(
                    f"{logical_id} reads SQS queue {queue}: the stack has only "
                    f"{WEBHOOK_QUEUE_NAME!r} ({WEBHOOK_QUEUE}), once per function"
                )
            found[logical_id] = event_id
    return found


def role_policies(
    functions: dict[str, dict[str, str]], access: dict[str, Access],
    pollers: Container[str] = (), async_functions: Container[str] = (),
) -> dict[str, Any]:
    """Each chalice-made role's Policies, replaced (the merge replaces lists) by
    its own function's statements; `pollers` (logical ids) read the webhook
    queue through an event source mapping, `async_functions` send their failed
    asynchronous invocations to the on-failure queue."""
    handlers = {f["handler"] for f in functions.values()}
    if set(access) != handlers:
        raise SystemExit(
            "infra/iam-access.json does not match the app's functions "
            f"(recorded {sorted(access)}, functions {sorted(handlers)}): run `make iam-access`"
        )
    return {
        function["role"]: {
            "Properties": {
                "Policies": [{
                    "PolicyName": f"{function['role']}Policy",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": function_statements(
                            logical_id, access[function["handler"]], logical_id in pollers,
                            logical_id in async_functions,
                        ),
                    },
                }]
            }
        }
        for logical_id, function in functions.items()
    }


# --- functions, their log groups and limits -----------------------------------------


def function_resources(
    functions: dict[str, dict[str, str]], queue_events: dict[str, str]
) -> dict[str, Any]:
    """A fixed name for each function, its log group, the export worker's
    reserved concurrency (at most that many exports run at once, and they can
    never take the whole account's concurrency from the API), and the webhook
    sender's event source pointed at the stack's queue, reporting the records
    it failed (only those come back; the rest of the batch is deleted)."""
    resources: dict[str, Any] = {}
    for logical_id in functions:
        properties: dict[str, Any] = {"FunctionName": _sub(function_name(logical_id))}
        if logical_id == EXPORT_WORKER:
            properties["ReservedConcurrentExecutions"] = _ref("ExportWorkerConcurrency")
        if logical_id in queue_events:
            # Fn::Sub, as chalice's own Queue is: the merge keeps a dict's
            # other keys, so a Fn::GetAtt would sit beside chalice's Fn::Sub.
            properties["Events"] = {queue_events[logical_id]: {"Properties": {
                "Queue": _sub(WEBHOOK_QUEUE_ARN),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            }}}
        resources[logical_id] = {"Properties": properties}
        resources[log_group_id(logical_id)] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub("/aws/lambda/" + function_name(logical_id)),
                "RetentionInDays": _ref("LogRetentionDays"),
            },
        }
    return resources


# --- the REST API: gateway responses, throttling, preflights -------------------------


def _error_body(code: str, message: str) -> str:
    return json.dumps({"code": code, "message": message}, separators=(",", ":"))


def gateway_responses() -> dict[str, Any]:
    """What API Gateway itself answers, in the API's error shape. Static bodies
    only: API Gateway's defaults quote $context.error.messageString, which for a
    missing route echoes the Authorization header."""

    def response(body: str, status: str | None = None, **headers: str) -> dict[str, Any]:
        parameters = {
            "gatewayresponse.header.Cache-Control": "'no-store'",
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
            **{f"gatewayresponse.header.{k.replace('_', '-')}": f"'{v}'"
               for k, v in headers.items()},
        }
        answer: dict[str, Any] = {
            "responseParameters": parameters,
            "responseTemplates": {"application/json": body},
        }
        if status:
            answer["statusCode"] = status
        return answer

    return {
        # API Gateway's answer to a path or method no route has.
        "MISSING_AUTHENTICATION_TOKEN": response(
            _error_body("not_found", "no such route"), "404"
        ),
        "THROTTLED": response(
            _error_body("rate_limited", "too many requests; try again shortly"), "429",
            Retry_After="1",
        ),
        "REQUEST_TOO_LARGE": response(
            _error_body("too_large", "the request is too large"), "413"
        ),
        # Anything else API Gateway refuses keeps its status, with a body that says
        # nothing of the request.
        "DEFAULT_4XX": response(_error_body("bad_request", "the request was refused")),
        "DEFAULT_5XX": response(
            _error_body("internal_error", "something went wrong on our side; try again")
        ),
    }


def rest_api() -> dict[str, Any]:
    return {
        "Properties": {
            "Name": _sub(REST_API_NAME),
            # CORS: the widget's public routes answer any site with chalice's own
            # preflight (a mock); every other route answers its preflight in the
            # app (an OPTIONS route per path, chalicelib/api/common.py), for the
            # console's origin (CONSOLE_ORIGIN) only.
            "DefinitionBody": {
                "x-amazon-apigateway-gateway-responses": gateway_responses(),
            },
            # Every method of the stage: a burst, then a steady rate, per second
            # (requests beyond them get the THROTTLED response, 429).
            "MethodSettings": [{
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingBurstLimit": _ref("RestThrottleBurst"),
                "ThrottlingRateLimit": _ref("RestThrottleRate"),
            }],
        }
    }


def websocket_stage() -> dict[str, Any]:
    """Every route of the WebSocket stage ($connect and every frame) throttled."""
    return {
        "Properties": {
            "DefaultRouteSettings": {
                "ThrottlingBurstLimit": _ref("WsThrottleBurst"),
                "ThrottlingRateLimit": _ref("WsThrottleRate"),
            }
        }
    }


def two_way_message_route(chalice_resources: dict[str, Any]) -> dict[str, Any]:
    """Make `$default` two-way: with a route response, API Gateway sends the body
    the message handler returns to the sender, so a frame's reply costs no
    `@connections` post (chalicelib/api/ws.py answers that way). The deployment
    must come after the route response, or the stage would lack it."""
    route = "WebsocketMessageRoute"
    if route not in chalice_resources:
        raise SystemExit(f"chalice package made no {route}")
    deployment = chalice_resources["WebsocketAPIDeployment"]
    return {
        route: {"Properties": {"RouteResponseSelectionExpression": "$default"}},
        ROUTE_RESPONSE: {
            "Type": "AWS::ApiGatewayV2::RouteResponse",
            "Properties": {
                "ApiId": _ref("WebsocketAPI"),
                "RouteId": _ref(route),
                "RouteResponseKey": "$default",
            },
        },
        "WebsocketAPIDeployment": {
            "DependsOn": sorted({*deployment.get("DependsOn", []), ROUTE_RESPONSE}),
        },
    }


# --- storage and the environment -----------------------------------------------------


def environment() -> dict[str, Any]:
    """The one environment of every Lambda."""
    stage = api_stage()
    variables: dict[str, Any] = {
        f"TABLE_{key.upper()}": _ref(logical_id) for key, logical_id in table_logical_ids().items()
    }
    variables.update({
        "EXPORTS_BUCKET": _ref("ExportsBucket"),
        "FILES_BUCKET": _ref("FilesBucket"),
        "EXPORT_FUNCTION": _sub(EXPORT_FUNCTION_NAME),
        "MAIL_FROM": _ref("MailFrom"),
        "TOKEN_SECRET_ID": {
            "Fn::If": ["UseSsmParameter", _sub("ssm:${TokenSecretParameter}"), _ref("TokenSecret")]
        },
        "WS_URL": _sub(f"wss://{WS_HOST}/{stage}"),
        "WS_MANAGEMENT_ENDPOINT": _sub(f"https://{WS_HOST}/{stage}"),
        # Where /widget/loader.js and the chat frame's modules are served.
        "PUBLIC_BASE_URL": _origin("${WidgetDistribution.DomainName}"),
        # The one origin operator and admin routes answer CORS for.
        "CONSOLE_ORIGIN": _origin("${ConsoleDistribution.DomainName}"),
        # The REST API's own URL would make every function depend on the API that
        # depends on it; `make deploy` passes it in as a parameter once it is known.
        "API_BASE_URL": {"Fn::If": ["HasApiBaseUrl", _ref("ApiBaseUrl"), _ref("AWS::NoValue")]},
        # Where webhook deliveries are queued for the sender (R-HOOK-1).
        "WEBHOOK_QUEUE_URL": _ref(WEBHOOK_QUEUE),
    })
    return variables


def webhook_queues(sender_timeout_s: int) -> dict[str, Any]:
    """The webhook queue and its dead-letter queue, encrypted with SQS's own
    keys (no KMS grants needed). A delivery stays at most 4 days in the queue;
    one received WEBHOOK_MAX_RECEIVES times without being deleted (the sender
    failed it every time, or crashed) waits 14 days in the dead-letter queue."""
    return {
        WEBHOOK_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": VISIBILITY_PER_FUNCTION_TIMEOUT * sender_timeout_s,
                "MessageRetentionPeriod": WEBHOOK_RETENTION_S,
                "RedrivePolicy": {
                    "deadLetterTargetArn": _arn(WEBHOOK_DEAD_LETTER_QUEUE),
                    "maxReceiveCount": WEBHOOK_MAX_RECEIVES,
                },
            },
        },
        WEBHOOK_DEAD_LETTER_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": WEBHOOK_DEAD_LETTER_RETENTION_S,
            },
        },
    }


def _private_bucket(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            **extra,
        },
    }


def _tls_only(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [_arn(bucket), _sub(f"${{{bucket}.Arn}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _tls_only_policy(bucket: str) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": _ref(bucket),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [_tls_only(bucket)]},
        },
    }


def _expiry(rule_id: str, prefix: str, days: int) -> dict[str, Any]:
    return {"Id": rule_id, "Status": "Enabled", "Prefix": f"{prefix}/", "ExpirationInDays": days}


def _abort_incomplete_uploads() -> dict[str, Any]:
    return {
        "Id": "AbortIncompleteUploads",
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }


def exports_lifecycle_rules() -> list[dict[str, Any]]:
    """The exports bucket's lifecycle (CloudFormation's shape; the local stack
    puts the same rules on its bucket and carries them out: infra/local/buckets.py)."""
    return [_expiry("ExpireExports", EXPORTS_PREFIX, EXPORT_EXPIRY_DAYS),
            _abort_incomplete_uploads()]


def files_lifecycle_rules() -> list[dict[str, Any]]:
    """Uploads never sent go after a day (a sent file is copied to files/ and
    its upload deleted at once). files/ follows each service's retention
    (R-PRIV-1: the sweep's daily `files` job, services/retention_jobs.py); this
    rule removes whatever is left after the longest retention there is."""
    return [_expiry("ExpireUnsentUploads", UPLOADS_PREFIX, UPLOAD_EXPIRY_DAYS),
            _expiry("ExpireFilesPastLongestRetention", "files", FILES_EXPIRY_DAYS),
            _abort_incomplete_uploads()]


def files_cors_rule(origins: list[Any]) -> dict[str, Any]:
    """The files bucket's one CORS rule (CloudFormation's shape) for `origins`."""
    return {
        "Id": "ChatFrameAndConsole",
        "AllowedMethods": list(FILES_CORS_METHODS),
        "AllowedOrigins": origins,
        "AllowedHeaders": list(FILES_CORS_HEADERS),
        "ExposedHeaders": list(FILES_CORS_EXPOSED),
        "MaxAge": FILES_CORS_MAX_AGE_S,
    }


def files_bucket() -> dict[str, Any]:
    """Files sent in chats: private like the others, with CORS for the two pages
    that upload and show files (the chat frame, served by the REST API, and the
    console), and kept when the stack goes, like the tables: they are chat content."""
    bucket = _private_bucket(
        BucketName=FILES_BUCKET_NAME,
        CorsConfiguration={"CorsRules": [files_cors_rule([
            *api_origins(), _origin("${ConsoleDistribution.DomainName}"),
        ])]},
        LifecycleConfiguration={"Rules": files_lifecycle_rules()},
    )
    return {**bucket, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def storage_resources() -> dict[str, Any]:
    return {
        "ExportsBucket": _private_bucket(
            LifecycleConfiguration={"Rules": exports_lifecycle_rules()}
        ),
        "ExportsBucketPolicy": _tls_only_policy("ExportsBucket"),
        "FilesBucket": files_bucket(),
        "FilesBucketPolicy": _tls_only_policy("FilesBucket"),
        "TokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Condition": "CreateTokenSecret",
            "Properties": {
                "Description": _sub("Token-signing secret of ${AWS::StackName}"),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
    }


# --- the static sites: two origins, each with its headers ----------------------------


def api_origin() -> dict[str, Any]:
    """The REST API's origin, from the ApiBaseUrl parameter (`https://host/api` →
    `https://host`); empty until `make deploy` sets it. Not `${RestAPI}`: the API
    depends on its function, whose environment names the console's distribution,
    whose headers would then depend on the API."""
    host = {"Fn::Select": [2, {"Fn::Split": ["/", _ref("ApiBaseUrl")]}]}
    return {"Fn::If": ["HasApiBaseUrl", {"Fn::Join": ["", ["https://", host]]}, ""]}


def api_origins() -> list[Any]:
    """The REST API's origin as a list item: nothing until ApiBaseUrl is set."""
    return [{"Fn::If": ["HasApiBaseUrl", api_origin()["Fn::If"][1], _ref("AWS::NoValue")]}]


# The files bucket's two hosts (boto3 signs for the regional or the global one
# depending on the region), from its name: see FILES_BUCKET_NAME.
FILES_HOSTS = (
    "https://${FilesBucketName}.s3.${AWS::Region}.${AWS::URLSuffix}",
    "https://${FilesBucketName}.s3.${AWS::URLSuffix}",
)


def console_csp() -> dict[str, Any]:
    """The console's Content-Security-Policy: its own code and styles only, and
    requests only to this stack's REST API, WebSocket API, exports bucket (an
    export downloads from a presigned S3 URL in a hidden frame; boto3 signs it for
    the bucket's regional or global name depending on the region, so both) and
    files bucket (uploads are POSTed to it, images shown from it)."""
    exports = "https://${ExportsBucket.RegionalDomainName} https://${ExportsBucket.DomainName}"
    files = " ".join(FILES_HOSTS)
    directives = (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {files}",
        f"connect-src 'self' ${{ApiOrigin}} wss://{WS_HOST} {exports} {files}",
        f"frame-src {exports}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    )
    return {"Fn::Sub": ["; ".join(directives), {
        "ApiOrigin": api_origin(), "FilesBucketName": FILES_BUCKET_NAME,
    }]}


def _security_headers(referrer_policy: str) -> dict[str, Any]:
    return {
        "StrictTransportSecurity": {
            "AccessControlMaxAgeSec": HSTS_MAX_AGE_S,
            "IncludeSubdomains": True,
            "Override": True,
        },
        "ContentTypeOptions": {"Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": referrer_policy, "Override": True},
    }


def headers_policies() -> dict[str, Any]:
    console = _security_headers("no-referrer")
    console["ContentSecurityPolicy"] = {"ContentSecurityPolicy": console_csp(), "Override": True}
    console["FrameOptions"] = {"FrameOption": "DENY", "Override": True}
    widget = _security_headers("strict-origin-when-cross-origin")
    return {
        "ConsoleHeaders": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {"ResponseHeadersPolicyConfig": {
                "Name": _sub("${AWS::StackName}-console"),
                "Comment": "Operator console: strict CSP, never framed",
                "SecurityHeadersConfig": console,
            }},
        },
        "WidgetHeaders": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {"ResponseHeadersPolicyConfig": {
                "Name": _sub("${AWS::StackName}-widget"),
                "Comment": "Widget loader and chat modules: CORS for the chat frame",
                "SecurityHeadersConfig": widget,
                # The chat frame (on the REST API's origin, or a custom domain in
                # front of it) loads these files as module scripts, which needs
                # CORS; they are public code, fetched without credentials, so any
                # origin may read them. No frame-ancestors: nothing here is framed.
                "CorsConfig": {
                    "AccessControlAllowCredentials": False,
                    "AccessControlAllowHeaders": {"Items": ["*"]},
                    "AccessControlAllowMethods": {"Items": ["GET", "HEAD"]},
                    "AccessControlAllowOrigins": {"Items": ["*"]},
                    "AccessControlMaxAgeSec": 86400,
                    "OriginOverride": True,
                },
                # Shop pages that isolate themselves (COEP) may still load loader.js.
                "CustomHeadersConfig": {"Items": [{
                    "Header": "Cross-Origin-Resource-Policy",
                    "Value": "cross-origin",
                    "Override": True,
                }]},
            }},
        },
    }


def distribution(name: str, prefix: str, headers: str, **extra: Any) -> dict[str, Any]:
    """A distribution serving only `prefix/` of the site bucket, HTTPS only."""
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": _sub(f"${{AWS::StackName}} {name}"),
                "HttpVersion": "http2",
                "PriceClass": "PriceClass_100",
                "Origins": [{
                    "Id": "site",
                    "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
                    "OriginPath": f"/{prefix}",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]},
                }],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "AllowedMethods": ["GET", "HEAD"],
                    "CachedMethods": ["GET", "HEAD"],
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "ResponseHeadersPolicyId": _ref(headers),
                    "Compress": True,
                },
                **extra,
            }
        },
    }


def _cloudfront_reads(distribution_id: str, prefix: str) -> dict[str, Any]:
    """A distribution may read its own prefix of the site bucket, nothing else."""
    return {
        "Sid": f"{distribution_id}Reads",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": _sub(f"${{SiteBucket.Arn}}/{prefix}/*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": _sub(
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
            f"distribution/${{{distribution_id}}}"
        )}},
    }


def site_resources() -> dict[str, Any]:
    console_prefix = SITE_ORIGINS["ConsoleDistribution"]
    widget_prefix = SITE_ORIGINS["WidgetDistribution"]
    return {
        "SiteBucket": _private_bucket(),
        "SiteOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": _sub("${AWS::StackName}-site"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        **headers_policies(),
        "ConsoleDistribution": distribution(
            "console", console_prefix, "ConsoleHeaders", DefaultRootObject="index.html"
        ),
        "WidgetDistribution": distribution("widget", widget_prefix, "WidgetHeaders"),
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("SiteBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        _cloudfront_reads("ConsoleDistribution", console_prefix),
                        _cloudfront_reads("WidgetDistribution", widget_prefix),
                        _tls_only("SiteBucket"),
                    ],
                },
            },
        },
    }


# --- alarms (R-OPS-1) ---------------------------------------------------------------

# Every alarm notifies this topic (ALARM and back to OK); its email subscriber is
# the AlarmEmail parameter.
ALARM_TOPIC = "AlarmTopic"
ALARM_TOPIC_KEY = "AlarmTopicKey"
ALARM_EMAIL_SUBSCRIPTION = "AlarmEmailSubscription"
ALARM_PERIOD_S = 300  # every alarm judges one period of 5 minutes
# A 5xx now and then is one client's bad luck; five in 5 minutes is a pattern.
API_ERRORS_THRESHOLD = 5
# DynamoDB reports ThrottledRequests and SystemErrors per table *and operation*
# (there is no series with TableName alone), so a table's alarm sums one series
# per operation with metric math. Which operations: those the app was recorded
# making on the table (infra/iam-access.json, the same list its roles are
# granted: an operation no role may make cannot be throttled), as CloudWatch
# names them. A transaction is recorded item by item as these actions, so a
# table written at all is watched under TransactWriteItems too (the app has no
# TransactGetItems; it too would be recorded as GetItem).
DYNAMODB_OPERATIONS = {
    "dynamodb:GetItem": ("GetItem",),
    "dynamodb:BatchGetItem": ("BatchGetItem",),
    "dynamodb:Query": ("Query",),
    "dynamodb:Scan": ("Scan",),
    "dynamodb:PutItem": ("PutItem", "TransactWriteItems"),
    "dynamodb:UpdateItem": ("UpdateItem", "TransactWriteItems"),
    "dynamodb:DeleteItem": ("DeleteItem", "TransactWriteItems"),
    "dynamodb:ConditionCheckItem": ("TransactWriteItems",),
    "dynamodb:BatchWriteItem": ("BatchWriteItem",),
}
# Alarm id suffix → DynamoDB metric: two alarms per table.
DYNAMODB_ALARMS = {"Throttles": "ThrottledRequests", "SystemErrors": "SystemErrors"}
# An alarm on metric math reads at most 10 metrics (a hard CloudWatch limit);
# DYNAMODB_OPERATIONS names 9 operations, so one alarm always covers a table.
MAX_ALARM_METRICS = 10


def alarm_topic() -> dict[str, Any]:
    """The topic, encrypted with a key of the stack's own: CloudWatch publishes
    to an encrypted topic only with a customer managed key whose policy lets it
    use the key (the AWS managed alias/aws/sns key's policy cannot, so alarms
    sent to a topic under it are dropped). Only this account may publish to the
    topic (SNS's default topic policy), and the key protects nothing else. The
    email subscription exists only when AlarmEmail is set; SNS mails the address
    a link to confirm first."""
    return {
        ALARM_TOPIC_KEY: {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": _sub("${AWS::StackName}: encrypts the alarm topic"),
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # KMS's default: the account's IAM policies decide who
                            # manages the key (without it nobody could).
                            "Sid": "AccountManagesTheKey",
                            "Effect": "Allow",
                            "Principal": {"AWS": _sub(
                                "arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "CloudWatchPublishesAlarms",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        ALARM_TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "DisplayName": _sub("${AWS::StackName} alarms"),
                "KmsMasterKeyId": _ref(ALARM_TOPIC_KEY),
            },
        },
        ALARM_EMAIL_SUBSCRIPTION: {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": _ref(ALARM_TOPIC),
                "Protocol": "email",
                "Endpoint": _ref("AlarmEmail"),
            },
        },
    }


def _alarm(description: str, threshold: int, **metric: Any) -> dict[str, Any]:
    """An alarm on one period that notifies the topic when it fires and when it
    clears. These services report errors only when there are some, so a period
    without data is a good one (notBreaching)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": _sub(description),
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": threshold,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [_ref(ALARM_TOPIC)],
            "OKActions": [_ref(ALARM_TOPIC)],
            **metric,
        },
    }


def _dimensions(dimensions: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Name": name, "Value": value} for name, value in dimensions.items()]


def _metric(
    namespace: str, name: str, dimensions: dict[str, Any], statistic: str = "Sum"
) -> dict[str, Any]:
    """An alarm's properties for one metric over ALARM_PERIOD_S."""
    return {
        "Namespace": namespace,
        "MetricName": name,
        "Dimensions": _dimensions(dimensions),
        "Statistic": statistic,
        "Period": ALARM_PERIOD_S,
    }


def function_alarms(functions: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Per function: an invocation failed, or one was throttled, in 5 minutes."""
    alarms: dict[str, Any] = {}
    for logical_id in functions:
        name = function_name(logical_id)
        metric = {"FunctionName": _ref(logical_id)}
        alarms[f"{logical_id}ErrorsAlarm"] = _alarm(
            f"Lambda {name}: an invocation failed (Errors >= 1 in 5 minutes); "
            f"its log group /aws/lambda/{name} says why.",
            1, **_metric("AWS/Lambda", "Errors", metric),
        )
        alarms[f"{logical_id}ThrottlesAlarm"] = _alarm(
            f"Lambda {name}: an invocation was throttled (Throttles >= 1 in 5 minutes): "
            "the account's concurrency, or the function's reserved concurrency, was used "
            "up. Lambda retries asynchronous invocations; a synchronous caller got an error.",
            1, **_metric("AWS/Lambda", "Throttles", metric),
        )
    return alarms


def api_alarms() -> dict[str, Any]:
    """5xx answers of the REST API (by its name and stage, how API Gateway
    reports REST APIs) and failed integrations of the WebSocket API (by id and
    stage)."""
    stage = api_stage()
    websocket = {"ApiId": _ref("WebsocketAPI"), "Stage": stage}
    return {
        "RestApi5xxAlarm": _alarm(
            f"REST API {REST_API_NAME} (stage {stage}): {API_ERRORS_THRESHOLD} or more 5xx "
            "answers in 5 minutes: the API function failing or timing out, or API "
            "Gateway's own errors.",
            API_ERRORS_THRESHOLD,
            **_metric("AWS/ApiGateway", "5XXError",
                      {"ApiName": _sub(REST_API_NAME), "Stage": stage}),
        ),
        "WebSocketIntegrationErrorsAlarm": _alarm(
            f"WebSocket API ${{WebsocketAPI}} (stage {stage}): {API_ERRORS_THRESHOLD} or more "
            "frames or connects in 5 minutes whose function answered with an error "
            "(IntegrationError).",
            API_ERRORS_THRESHOLD,
            **_metric("AWS/ApiGateway", "IntegrationError", websocket),
        ),
        "WebSocketExecutionErrorsAlarm": _alarm(
            f"WebSocket API ${{WebsocketAPI}} (stage {stage}): {API_ERRORS_THRESHOLD} or more "
            "errors in 5 minutes calling the functions at all (ExecutionError: not "
            "invoked, throttled, timed out).",
            API_ERRORS_THRESHOLD,
            **_metric("AWS/ApiGateway", "ExecutionError", websocket),
        ),
    }


def table_operations(access: dict[str, Access]) -> dict[str, list[str]]:
    """Table key → the operations (CloudWatch's Operation dimension) any
    function was recorded making on the table or its indexes."""
    found: dict[str, set[str]] = {}
    for entries in access.values():
        for entry in _of(entries, "dynamodb"):
            if entry["action"] not in DYNAMODB_OPERATIONS:
                raise SystemExit(
                    f"infra/iam-access.json: no alarm watches {entry['action']}; "
                    "add it to DYNAMODB_OPERATIONS in infra/package.py"
                )
            key = entry["resource"].partition("/index/")[0]
            found.setdefault(key, set()).update(DYNAMODB_OPERATIONS[entry["action"]])
    return {key: sorted(operations) for key, operations in sorted(found.items())}


def table_alarms(access: dict[str, Access]) -> dict[str, Any]:
    """Per table, two alarms (throttled requests, system errors), each summing
    the table's series of every operation the app makes on it: one alarm per
    table rather than tables grouped, so the mail names the table, and at no
    extra cost (CloudWatch bills an alarm per metric it reads)."""
    ids = table_logical_ids()
    alarms: dict[str, Any] = {}
    for key, operations in table_operations(access).items():
        if key not in ids:
            raise SystemExit(f"infra/iam-access.json: unknown table {key!r}")
        if len(operations) > MAX_ALARM_METRICS:
            raise SystemExit(f"table {key}: more operations than one alarm can read")
        logical_id = ids[key]
        for suffix, metric_name in DYNAMODB_ALARMS.items():
            ids_in_sum = [f"m{number}" for number in range(1, len(operations) + 1)]
            series: list[dict[str, Any]] = [
                {
                    "Id": series_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/DynamoDB",
                            "MetricName": metric_name,
                            "Dimensions": _dimensions(
                                {"TableName": _ref(logical_id), "Operation": operation}
                            ),
                        },
                        "Period": ALARM_PERIOD_S,
                        "Stat": "Sum",
                    },
                    "ReturnData": False,
                }
                for series_id, operation in zip(ids_in_sum, operations, strict=True)
            ]
            total = {
                "Id": "total",
                "Expression": "SUM([" + ",".join(ids_in_sum) + "])",
                "Label": f"{metric_name}, {key}, all operations",
                "ReturnData": True,
            }
            what = ("requests throttled (a hot key, or a burst above the table's "
                    "on-demand limits)" if metric_name == "ThrottledRequests"
                    else "requests failed inside DynamoDB (HTTP 500)")
            alarms[f"{logical_id}{suffix}Alarm"] = _alarm(
                f"DynamoDB table {key} (${{{logical_id}}}): {what}, at least one in 5 "
                f"minutes ({metric_name} of {', '.join(operations)}).",
                1, Metrics=[*series, total],
            )
    return alarms


def _queue_depth(queue: str) -> dict[str, Any]:
    return _metric("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                   {"QueueName": {"Fn::GetAtt": [queue, "QueueName"]}}, statistic="Maximum")


def queue_alarms() -> dict[str, Any]:
    """Anything waiting in a queue no function reads: webhook deliveries given
    up on, asynchronous invocations that failed every retry."""
    return {
        f"{WEBHOOK_DEAD_LETTER_QUEUE}Alarm": _alarm(
            "Webhook deliveries wait in the dead-letter queue "
            f"${{{WEBHOOK_DEAD_LETTER_QUEUE}.QueueName}} (at least one in the last 5 "
            f"minutes): each was received {WEBHOOK_MAX_RECEIVES} times without being "
            "sent. Kept 14 days.",
            1, **_queue_depth(WEBHOOK_DEAD_LETTER_QUEUE),
        ),
        f"{ASYNC_FAILURE_QUEUE}Alarm": _alarm(
            "Asynchronous invocations of the export worker (exports, mail, transcripts) "
            f"wait in ${{{ASYNC_FAILURE_QUEUE}.QueueName}} (at least one in the last 5 "
            f"minutes): each failed {ASYNC_RETRIES + 1} times; the message holds the "
            "event and the error. Kept 14 days.",
            1, **_queue_depth(ASYNC_FAILURE_QUEUE),
        ),
    }


def async_failure_resources(functions: list[str]) -> dict[str, Any]:
    """The on-failure queue (encrypted with SQS's own keys: no KMS grants for
    Lambda to send) and, for each function the app invokes asynchronously,
    ASYNC_RETRIES retries, then the event and its error go to that queue."""
    resources: dict[str, Any] = {
        ASYNC_FAILURE_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": ASYNC_FAILURE_RETENTION_S,
            },
        },
    }
    for logical_id in functions:
        resources[f"{logical_id}EventInvokeConfig"] = {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": _ref(logical_id),
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": ASYNC_RETRIES,
                "DestinationConfig": {"OnFailure": {"Destination": _arn(ASYNC_FAILURE_QUEUE)}},
            },
        }
    return resources


def alarm_resources(
    functions: dict[str, dict[str, str]], access: dict[str, Access]
) -> dict[str, Any]:
    return {
        **alarm_topic(),
        **function_alarms(functions),
        **api_alarms(),
        **table_alarms(access),
        **queue_alarms(),
    }


# --- the merge template ------------------------------------------------------------


def parameters() -> dict[str, Any]:
    def number(default: int, description: str, **extra: Any) -> dict[str, Any]:
        return {"Type": "Number", "Default": default, "MinValue": 1,
                "Description": description, **extra}

    return {
        "TokenSecretParameter": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^(/[A-Za-z0-9_.-]+)+$",
            "Description": (
                "Name (starting with /) of an existing SSM SecureString parameter "
                "holding the token-signing secret; empty: create a Secrets Manager "
                "secret with a generated value."
            ),
        },
        "ApiBaseUrl": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^https://[A-Za-z0-9.-]+(:[0-9]+)?(/.*)?$",
            "Description": (
                "The REST API's URL as browsers see it (set by `make deploy` from "
                "the RestApiURL output after the first deploy); the console's CSP "
                "allows its origin."
            ),
        },
        "MailFrom": {
            "Type": "String",
            "Default": "no-reply@example.com",
            "AllowedPattern": "^[^@\\s]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$",
            "Description": (
                "The sender of every mail (MAIL_FROM): an address of an identity verified "
                "in Amazon SES in this region (docs/deploy.md)."
            ),
        },
        "MailIdentity": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^[^\\s]+$",
            "Description": (
                "The SES identity the functions may send as: the verified domain or "
                "address; empty: the domain of MailFrom."
            ),
        },
        "RestThrottleBurst": number(200, "REST API: requests at once above the rate."),
        "RestThrottleRate": number(100, "REST API: steady requests per second."),
        "WsThrottleBurst": number(500, "WebSocket API: messages at once above the rate."),
        "WsThrottleRate": number(250, "WebSocket API: steady messages per second."),
        "ExportWorkerConcurrency": number(
            2, "Exports that may run at once (reserved concurrency of the export worker).",
            MaxValue=50,
        ),
        "LogRetentionDays": {
            "Type": "Number",
            "Default": 30,
            "AllowedValues": list(LOG_RETENTION_DAYS),
            "Description": "Days the functions' logs are kept.",
        },
        "AlarmEmail": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^[^@\\s]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$",
            "Description": (
                "Where the alarms are mailed (an SNS email subscription to AlarmTopic, "
                "confirmed from the address first); empty: no subscription."
            ),
        },
    }


def outputs() -> dict[str, Any]:
    stage = api_stage()
    result: dict[str, Any] = {
        output_name(key): {
            "Description": f"TABLE_{key.upper()}",
            "Value": _ref(logical_id),
        }
        for key, logical_id in table_logical_ids().items()
    }
    result.update({
        "ExportsBucketName": {"Value": _ref("ExportsBucket")},
        "FilesBucketName": {"Description": "FILES_BUCKET", "Value": _ref("FilesBucket")},
        "SiteBucketName": {"Value": _ref("SiteBucket")},
        "ConsoleURL": {"Value": _origin("${ConsoleDistribution.DomainName}")},
        "ConsoleDistributionId": {"Value": _ref("ConsoleDistribution")},
        "WidgetURL": {
            "Description": "PUBLIC_BASE_URL: the loader is WidgetURL/widget/loader.js",
            "Value": _origin("${WidgetDistribution.DomainName}"),
        },
        "WidgetDistributionId": {"Value": _ref("WidgetDistribution")},
        "RestApiURL": {"Value": _sub(f"https://{REST_HOST}/{stage}")},
        "WebSocketURL": {"Value": _sub(f"wss://{WS_HOST}/{stage}")},
        "TokenSecretId": {
            "Value": {"Fn::If": ["UseSsmParameter", _sub("ssm:${TokenSecretParameter}"),
                                 _ref("TokenSecret")]}
        },
        "WebhookQueueUrl": {"Description": "WEBHOOK_QUEUE_URL",
                            "Value": _ref(WEBHOOK_QUEUE)},
        "WebhookDeadLetterQueueUrl": {"Value": _ref(WEBHOOK_DEAD_LETTER_QUEUE)},
        "AlarmTopicArn": {"Description": "Where every alarm is sent",
                          "Value": _ref(ALARM_TOPIC)},
        "AsyncFailureQueueUrl": {"Description": "Asynchronous invocations that failed",
                                 "Value": _ref(ASYNC_FAILURE_QUEUE)},
    })
    return result


def merge_template(
    chalice_resources: dict[str, Any], access: dict[str, Access]
) -> dict[str, Any]:
    """What `chalice package --merge-template` adds to (or replaces in) its template."""
    functions = chalice_functions(chalice_resources)
    if EXPORT_WORKER not in functions:
        raise SystemExit(f"chalice package made no {EXPORT_WORKER} function")
    queue_events = queue_event_sources(chalice_resources)
    if not queue_events:
        raise SystemExit(f"chalice package made no function reading {WEBHOOK_QUEUE_NAME!r}")
    sender_timeout_s = max(
        int(chalice_resources[logical_id]["Properties"]["Timeout"]) for logical_id in queue_events
    )
    tables = {
        logical_id: {**resource, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
        for logical_id, resource in table_resources().items()
    }
    async_functions = [logical_id for logical_id in functions if logical_id in ASYNC_FUNCTIONS]
    return {
        "Parameters": parameters(),
        "Conditions": {
            "UseSsmParameter": {"Fn::Not": [{"Fn::Equals": [_ref("TokenSecretParameter"), ""]}]},
            "CreateTokenSecret": {"Fn::Equals": [_ref("TokenSecretParameter"), ""]},
            "HasApiBaseUrl": {"Fn::Not": [{"Fn::Equals": [_ref("ApiBaseUrl"), ""]}]},
            "HasMailIdentity": {"Fn::Not": [{"Fn::Equals": [_ref("MailIdentity"), ""]}]},
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [_ref("AlarmEmail"), ""]}]},
        },
        "Globals": {"Function": {"Environment": {"Variables": environment()}}},
        "Resources": {
            **tables,
            **storage_resources(),
            **webhook_queues(sender_timeout_s),
            **site_resources(),
            **function_resources(functions, queue_events),
            **role_policies(functions, access, pollers=queue_events,
                            async_functions=async_functions),
            **async_failure_resources(async_functions),
            **two_way_message_route(chalice_resources),
            "RestAPI": rest_api(),
            "WebsocketAPIStage": websocket_stage(),
            **alarm_resources(functions, access),
        },
        "Outputs": outputs(),
    }


# --- running chalice ---------------------------------------------------------------


def _chalice(stage: str, out: Path, merge: Path | None = None) -> None:
    # Run under LAMBDA_PYTHON: chalice takes the runtime and the wheels' ABI from it.
    command = [
        str(build_python.chalice_python().with_name("chalice")), "package",
        "--stage", stage, "--pkg-format", "cloudformation", "--template-format", "yaml",
    ]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    command.append(str(out))
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice wants one; unused
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def load_template(path: Path) -> dict[str, Any]:
    """A template chalice wrote (plain YAML: it spells intrinsics as Fn::…)."""
    return yaml.safe_load(path.read_text())


def package(stage: str, out: Path) -> Path:
    """Package the app for a stage; returns the template's path."""
    out = out.resolve()
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "plain"
        _chalice(stage, plain)
        resources = load_template(plain / "sam.yaml")["Resources"]
    merge = merge_template(resources, recorded_access())
    out.parent.mkdir(parents=True, exist_ok=True)
    merge_path = out.parent / f"merge-{stage}.json"
    merge_path.write_text(json.dumps(merge, indent=1) + "\n")
    if out.exists():
        for stale in out.iterdir():
            stale.unlink()
    _chalice(stage, out, merge_path)
    return out / "sam.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", help="output directory (default build/package-STAGE)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "build" / f"package-{args.stage}"
    template = package(args.stage, out)
    print(template)
    return 0


if __name__ == "__main__":
    sys.exit(main())
