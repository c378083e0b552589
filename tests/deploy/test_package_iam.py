"""Least privilege per function (R-SEC-6): each Lambda's role grants exactly what
its handler was recorded doing (infra/iam-access.json, made by
tests/deploy/access_recorder.py), and writes only to its own log group."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from infra import package
from tests.deploy.template import (
    function_statements,
    functions,
    listed,
    of_type,
    role_of,
    statements,
)

ROOT = Path(__file__).resolve().parents[2]

# Test files the coverage check records, chosen to stay under a minute and reach
# every function: chats, messages, every history index, statistics, exports to S3
# and their presigned links, the sweep and the export worker through their
# handlers, widget sessions, logins, sockets opening and closing, and files sent
# both ways (presigned POST, the check, the copy, links; a refused file deleted),
# and a webhook delivery queued by the API and sent (and retried) by the sender.
# infra/iam-access.json is the same recording over all of tests/api and
# tests/unit; DEPLOY_ACCESS_FULL=1 checks against that whole run (~5 minutes).
ACCESS_SUBSET = (
    "tests/api/test_records_api.py",
    "tests/api/test_widget_api.py",
    "tests/api/test_ws_connect.py",
    "tests/api/test_lambda_handlers_recorded.py",
    "tests/unit/test_sweep.py",
    "tests/api/test_attachments_api.py::"
    "test_a_customer_sends_a_png_and_both_sides_get_a_link_that_serves_it",
    "tests/api/test_attachments_api.py::"
    "test_the_operator_sends_a_pdf_that_downloads_as_an_attachment",
    "tests/api/test_attachments_api.py::"
    "test_a_file_that_is_not_what_it_claims_is_refused_and_deleted",
    "tests/api/test_webhooks_api.py::"
    "test_500_twice_then_200_is_the_same_delivery_three_times_and_delivered",
)
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}

Grant = tuple[str, str]
# The on-failure queue of asynchronous invocations, in the recorder's terms (Lambda
# sends to it, not a handler, so the recorder never writes it).
ASYNC_FAILURES = "async-failure-queue"
# A bucket's logical id → what the recorder calls it (tests/deploy/access_recorder.py).
BUCKET_ALIASES = {"ExportsBucket": "exports", "FilesBucket": "files"}
S3_GRANTABLE = {"exports/exports/*", "files/uploads/*", "files/files/*"}

# --- a granted (action, resource) in the recorder's terms ------------------------------

_TABLE_INDEX = re.compile(r"^\$\{(\w+)\.Arn\}/index/([\w.-]+)$")
_CONNECTIONS = re.compile(
    r"^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:"
    r"\$\{WebsocketAPI\}/api/(GET|POST|DELETE)/@connections/\*$"
)
_WORKER = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    + package.EXPORT_FUNCTION_NAME
)
_SSM_PARAMETER = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TokenSecretParameter}"
)


def _text(resource: Any) -> str:
    """A resource's `Fn::Sub` text (the template of the list form too)."""
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        return sub[0] if isinstance(sub, list) else sub
    return json.dumps(resource)


def recorder_terms(action: str, resource: Any) -> Grant:
    """(action, resource) as the recorder writes it: `key`, `key/index/name`,
    `exports/<prefix>/*`, `files/<prefix>/*`, `POST/@connections/*`, `export_worker`, or
    (`read`, `TOKEN_SECRET_ID`); the raw text for anything else."""
    keys = {logical_id: key for key, logical_id in package.table_logical_ids().items()}
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        if attribute == "Arn" and logical_id in keys:
            return action, keys[logical_id]
    text = _text(resource)
    if (match := _TABLE_INDEX.match(text)) and match.group(1) in keys:
        return action, f"{keys[match.group(1)]}/index/{match.group(2)}"
    for bucket, alias in BUCKET_ALIASES.items():
        if text == f"${{{bucket}.Arn}}" and action == "s3:ListBucket":
            return action, alias  # a listing, its prefix held by a condition
        if text.startswith(f"${{{bucket}.Arn}}/"):
            return action, f"{alias}/" + text.removeprefix(f"${{{bucket}.Arn}}/")
    if match := _CONNECTIONS.match(text):
        return action, f"{match.group(1)}/@connections/*"
    if (action, text) == ("lambda:InvokeFunction", _WORKER):
        return action, "export_worker"
    if (action, text) == ("ses:SendEmail", package.MAIL_IDENTITY_ARN):
        return action, package.MAIL_IDENTITY
    if resource == {"Fn::GetAtt": [package.WEBHOOK_QUEUE, "Arn"]}:
        return action, package.RECORDED_WEBHOOK_QUEUE
    if resource == {"Fn::GetAtt": [package.ASYNC_FAILURE_QUEUE, "Arn"]}:
        return action, ASYNC_FAILURES
    if (action, resource) == ("secretsmanager:GetSecretValue", {"Ref": "TokenSecret"}) or (
        action, text) == ("ssm:GetParameter", _SSM_PARAMETER):
        return "read", "TOKEN_SECRET_ID"
    return action, text


def grants(found: list[dict[str, Any]], *, logs: bool = False) -> set[Grant]:
    """What statements allow, in the recorder's terms; log statements only if asked."""
    return {
        recorder_terms(action, resource)
        for s in found if s["Effect"] == "Allow"
        for action in listed(s["Action"])
        for resource in listed(s["Resource"])
        if logs or not action.startswith("logs:")
    }


def recorded_terms(access: list[dict[str, str]]) -> set[Grant]:
    return {(e["action"], e["resource"]) for e in access}


def event_source_grants(template: dict[str, Any]) -> dict[str, set[Grant]]:
    """Handler → what Lambda's SQS event source mapping does as its role (not
    recorded: Lambda polls, not the handler), for the functions a queue feeds."""
    polling = {(action, package.RECORDED_WEBHOOK_QUEUE)
               for action in package.QUEUE_POLLING_ACTIONS}
    return {
        f["Properties"]["Handler"]: polling
        for f in functions(template).values()
        if any(e["Type"] == "SQS" for e in f["Properties"].get("Events", {}).values())
    }


def failure_destination_grants(template: dict[str, Any]) -> dict[str, set[Grant]]:
    """Handler → what Lambda does as its role when an asynchronous invocation
    failed every retry (not recorded: Lambda sends the event to the function's
    on-failure destination, not the handler)."""
    handlers = {name: f["Properties"]["Handler"] for name, f in functions(template).items()}
    found: dict[str, set[Grant]] = {}
    for invoke_config in of_type(template, "AWS::Lambda::EventInvokeConfig").values():
        properties = invoke_config["Properties"]
        destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
        found.setdefault(handlers[properties["FunctionName"]["Ref"]], set()).add(
            recorder_terms("sqs:SendMessage", destination)
        )
    return found


def _by_handler(template: dict[str, Any]) -> dict[str, set[Grant]]:
    """Handler → what its function's role grants (logs aside)."""
    found = function_statements(template)
    return {
        f["Properties"]["Handler"]: grants(found[name]) for name, f in functions(template).items()
    }


# --- the policy is the recording, per function -----------------------------------------


def test_the_recording_names_every_function_of_the_app(template: dict[str, Any]) -> None:
    handlers = {f["Properties"]["Handler"] for f in functions(template).values()}
    assert set(package.recorded_access()) == handlers


def test_each_function_has_its_own_role(template: dict[str, Any]) -> None:
    roles = [role_of(f) for f in functions(template).values()]
    assert len(set(roles)) == len(roles) == len(of_type(template, "AWS::IAM::Role"))


def test_each_role_grants_exactly_what_its_handler_was_recorded_doing(
    template: dict[str, Any],
) -> None:
    access = package.recorded_access()
    polling = event_source_grants(template)
    assert set(polling) == {"app.webhook_sender"}
    failures = failure_destination_grants(template)
    assert failures == {"app.export_worker": {("sqs:SendMessage", ASYNC_FAILURES)}}
    for handler, granted in _by_handler(template).items():
        expected = (recorded_terms(access[handler]) | polling.get(handler, set())
                    | failures.get(handler, set()))
        assert granted == expected, handler


def test_policies_differ_per_function(template: dict[str, Any]) -> None:
    by_handler = _by_handler(template)
    for (a, granted_a), (b, granted_b) in itertools.combinations(by_handler.items(), 2):
        assert granted_a != granted_b, (a, b)
    # What only some functions do stays with them.
    writers = {h for h, g in by_handler.items() if ("s3:PutObject", "exports/exports/*") in g}
    assert writers == {"app.export_worker"}
    starters = {h for h, g in by_handler.items() if ("lambda:InvokeFunction", "export_worker") in g}
    # The REST API (exports, ticket mail, retention and erasure jobs), the socket
    # (transcripts) and the sweep (jobs whose worker died) start the worker.
    assert starters == {"app.app", "app.ws_message", "app.sweep"}
    # Only the worker and the sweep send mail, as the configured identity (R-MAIL-1).
    senders = {h for h, g in by_handler.items() if ("ses:SendEmail", "mail-identity") in g}
    assert senders == {"app.export_worker", "app.sweep"}
    # The worker pushes nothing; an erasure it finishes closes the customer's sockets.
    assert {r for a, r in by_handler["app.export_worker"] if a.startswith("execute-api:")} \
        == {"DELETE/@connections/*"}
    assert not any(a.startswith(("s3:", "lambda:")) for a, _ in by_handler["app.ws_disconnect"])


def test_the_export_worker_may_run_every_search_the_api_offers(template: dict[str, Any]) -> None:
    """An export runs the history search it was given, on whichever index that
    search picks: what the API's history search was recorded querying."""
    by_handler = _by_handler(template)
    searches = {
        (action, resource) for action, resource in by_handler["app.app"]
        if resource.startswith("chats/index/history-by-")
    }
    assert searches
    assert searches <= by_handler["app.export_worker"]


def test_iam_grants_no_wildcard(template: dict[str, Any]) -> None:
    keys = set(config.TABLE_KEYS)
    for role_id, found in statements(template).items():
        for statement in found:
            assert "NotAction" not in statement and "NotResource" not in statement
            resources = listed(statement["Resource"])
            assert "*" not in resources, (role_id, statement)
            for action in listed(statement["Action"]):
                assert "*" not in action, (role_id, action)
                terms = [recorder_terms(action, r)[1] for r in resources]
                if action.startswith("dynamodb:"):
                    for resource in terms:
                        assert resource.split("/index/")[0] in keys, (role_id, resource)
                        assert "*" not in resource, (role_id, resource)
                elif action == "s3:ListBucket":
                    # Listing the files bucket, held to files/ by a condition (R-PRIV-1).
                    assert terms == ["files"], (role_id, terms)
                    assert statement["Condition"] == {
                        "StringLike": {"s3:prefix": ["files/*"]}}, (role_id, statement)
                elif action.startswith("s3:"):
                    # One prefix of one bucket per statement, never the bucket.
                    assert len(terms) == 1 and terms[0] in S3_GRANTABLE, (role_id, terms)
                elif action.startswith("sqs:"):
                    # The webhook queue, or sending a failed invocation to the
                    # on-failure queue; nothing else.
                    assert terms in ([package.RECORDED_WEBHOOK_QUEUE], [ASYNC_FAILURES]), (
                        role_id, terms)
                    if terms == [ASYNC_FAILURES]:
                        assert action == "sqs:SendMessage", (role_id, action)
                elif action == "execute-api:ManageConnections":
                    # This stack's WebSocket stage, a method at a time.
                    assert all(re.fullmatch(r"(POST|DELETE|GET)/@connections/\*", t)
                               for t in terms), (role_id, terms)


def test_no_role_may_change_or_delete_an_audit_entry(template: dict[str, Any]) -> None:
    """R-AUD-1: entries are only ever put (in the change's transaction) and
    read; they go by TTL, never by a grant."""
    may_put_or_read = {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:GetItem",
                       "dynamodb:ConditionCheckItem"}
    granted = {
        (role_id, action)
        for role_id, found in statements(template).items()
        for statement in found if statement["Effect"] == "Allow"
        for action in listed(statement["Action"])
        for resource in listed(statement["Resource"])
        if recorder_terms(action, resource)[1].split("/index/")[0] == "audit"
    }
    assert granted, "nobody writes the audit log?"
    assert {action for _, action in granted} <= may_put_or_read, sorted(granted)


def test_each_function_writes_only_to_its_own_log_group(template: dict[str, Any]) -> None:
    found = function_statements(template)
    resources = template["Resources"]
    for name, function in functions(template).items():
        group_id = package.log_group_id(name)
        group = resources[group_id]
        assert group["Type"] == "AWS::Logs::LogGroup"
        # Lambda writes to /aws/lambda/<FunctionName>: the group the stack makes.
        assert group["Properties"]["LogGroupName"] == {
            "Fn::Sub": "/aws/lambda/" + function["Properties"]["FunctionName"]["Fn::Sub"]
        }
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        logs = [s for s in found[name]
                if any(a.startswith("logs:") for a in listed(s["Action"]))]
        assert len(logs) == 1, (name, logs)
        assert set(listed(logs[0]["Action"])) == LOG_ACTIONS  # the group exists: no Create
        assert logs[0]["Resource"] == [{"Fn::Sub": (
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
            f"${{{group_id}}}:*"
        )}]


def test_no_role_may_log_anywhere_else(template: dict[str, Any]) -> None:
    for role_id, found in statements(template).items():
        for statement in found:
            if not any(a.startswith("logs:") for a in listed(statement["Action"])):
                continue
            for resource in listed(statement["Resource"]):
                text = _text(resource)
                assert "arn:aws:logs:*" not in text and ":*:*" not in text, (role_id, text)
                # One named group (a Ref to the stack's LogGroup), its streams only.
                assert re.fullmatch(r".*:log-group:\$\{\w+LogGroup\}:\*", text), (role_id, text)


# --- a fresh recording needs nothing more ---------------------------------------------


def _record(tmp_path: Path, paths: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    out = tmp_path / "access.json"
    env = {**os.environ, "ACCESS_RECORD_OUT": str(out)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "-p", "tests.deploy.access_recorder", *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(out.read_text())["functions"]


@pytest.fixture(scope="module")
def fresh_recording(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    full = os.environ.get("DEPLOY_ACCESS_FULL") == "1"
    paths = ("tests/api", "tests/unit") if full else ACCESS_SUBSET
    return _record(tmp_path_factory.mktemp("record"), paths)


def test_each_function_is_granted_every_call_it_makes(
    template: dict[str, Any], fresh_recording: dict[str, list[dict[str, str]]]
) -> None:
    by_handler = _by_handler(template)
    assert set(fresh_recording) == set(by_handler)  # the subset reaches every function
    for handler, access in fresh_recording.items():
        missing = sorted(recorded_terms(access) - by_handler[handler])
        assert not missing, f"{handler} lacks {missing}: run `make iam-access` (docs/deploy.md)"


def test_calls_are_recorded_for_the_function_they_run_under(
    fresh_recording: dict[str, list[dict[str, str]]],
) -> None:
    terms = {handler: recorded_terms(access) for handler, access in fresh_recording.items()}
    # Exports run inline in the REST request in tests: the worker's entry is the
    # innermost, so its upload is the worker's, not the API's.
    assert ("s3:PutObject", "exports/exports/*") in terms["app.export_worker"]
    assert ("s3:PutObject", "exports/exports/*") not in terms["app.app"]
    # Needs that make no AWS call in tests are recorded where they are met.
    assert ("lambda:InvokeFunction", "export_worker") in terms["app.app"]
    assert ("read", "TOKEN_SECRET_ID") in terms["app.app"]
    # The sweep pushes through @connections when run by its schedule.
    assert ("execute-api:ManageConnections", "POST/@connections/*") in terms["app.sweep"]
    # An export past one page follows a signed cursor: the worker reads the secret.
    assert ("read", "TOKEN_SECRET_ID") in terms["app.export_worker"]
    # A presigned POST is recorded as the upload it signs, for whoever signs it:
    # the socket for customers, the REST API for operators.
    for handler in ("app.app", "app.ws_message"):
        assert ("s3:PutObject", "files/uploads/*") in terms[handler], handler
        assert ("s3:GetObject", "files/files/*") in terms[handler], handler
    # A delivery is queued where it is made (here the API's test ping) and sent by
    # the sender, which queues a retry itself; the test's own queue pump is nobody's.
    assert ("sqs:SendMessage", "webhook-queue") in terms["app.app"]
    assert ("sqs:SendMessage", "webhook-queue") in terms["app.webhook_sender"]
    # Fixtures' calls (tables, buckets) belong to no function.
    every = set().union(*terms.values())
    assert not {a for a, _ in every} & {"dynamodb:CreateTable", "s3:CreateBucket",
                                        "sqs:CreateQueue", "sqs:ReceiveMessage"}


def test_the_coverage_check_notices_a_missing_grant(template: dict[str, Any]) -> None:
    """The checker itself: drop the REST role's chats indexes and it is missed."""
    access = recorded_terms(package.recorded_access()["app.app"])
    found = function_statements(template)["APIHandler"]
    assert access <= grants(found)
    fewer = [s for s in found if s.get("Sid") != "ChatsTableIndexes"]
    missing = access - grants(fewer)
    assert ("dynamodb:Query", "chats/index/chat-queue") in missing


def test_packaging_refuses_a_recording_of_other_functions(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    access = {**package.recorded_access()}
    access.pop("app.sweep")
    with pytest.raises(SystemExit, match="make iam-access"):
        package.merge_template(resources, access)
