"""The files bucket (R-ATT-1): files sent in chats, uploaded by browsers with a
presigned POST and read through presigned links. Private, encrypted, TLS only,
CORS for the chat frame's and the console's origins only, uploads never sent
expire after a day, and only the functions recorded using it may, on its two
prefixes, with the actions recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra import package
from tests.deploy.template import environment, functions, of_type
from tests.deploy.test_package_iam import _by_handler

API_ORIGIN = {"Fn::Join": ["", ["https://", {
    "Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "ApiBaseUrl"}]}]}]]}
CONSOLE_ORIGIN = {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}
# What S3 accepts as a bucket name (and as a host label in its virtual-hosted URLs).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def _bucket(template: dict[str, Any]) -> dict[str, Any]:
    bucket = template["Resources"]["FilesBucket"]
    assert bucket["Type"] == "AWS::S3::Bucket"
    return bucket


def _evaluate(value: Any, stack_id: str) -> Any:
    """The few intrinsics of the bucket's name, evaluated for one stack id."""
    if isinstance(value, dict):
        [(name, argument)] = value.items()
        if name == "Ref":
            assert argument == "AWS::StackId"
            return stack_id
        argument = _evaluate(argument, stack_id)
        if name == "Fn::Join":
            return argument[0].join(argument[1])
        if name == "Fn::Split":
            return argument[1].split(argument[0])
        if name == "Fn::Select":
            return argument[1][argument[0]]
        raise AssertionError(name)
    if isinstance(value, list):
        return [_evaluate(v, stack_id) for v in value]
    return value


def test_the_files_bucket_is_private_encrypted_and_kept(template: dict[str, Any]) -> None:
    bucket = _bucket(template)
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "AccessControl" not in props and "WebsiteConfiguration" not in props
    # Chat content, like the tables: a deleted stack leaves it.
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_its_name_is_the_stacks_own_and_a_valid_bucket_name(template: dict[str, Any]) -> None:
    name = _bucket(template)["Properties"]["BucketName"]
    assert name == package.FILES_BUCKET_NAME
    stack_id = ("arn:aws:cloudformation:ap-northeast-1:123456789012:stack/"
                "Helpdesk-Chat-PROD/0f1e2d3c-4b5a-11ef-8a9b-0c1d2e3f4a5b")
    evaluated = _evaluate(name, stack_id)
    assert evaluated == "helpdesk-files-0f1e2d3c-4b5a-11ef-8a9b-0c1d2e3f4a5b"
    assert BUCKET_NAME.match(evaluated) and ".." not in evaluated


def test_cors_answers_the_chat_frame_and_the_console_only(template: dict[str, Any]) -> None:
    [rule] = _bucket(template)["Properties"]["CorsConfiguration"]["CorsRules"]
    # The presigned POST of an upload (and its preflight: XMLHttpRequest with an
    # upload progress listener always asks) and reading a file.
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert rule["AllowedHeaders"] == ["Content-Type"]
    assert rule["MaxAge"] > 0
    # The chat frame is a page of the REST API (its origin once ApiBaseUrl is
    # set, nothing before), and the console's distribution.
    assert rule["AllowedOrigins"] == [
        {"Fn::If": ["HasApiBaseUrl", API_ORIGIN, {"Ref": "AWS::NoValue"}]},
        CONSOLE_ORIGIN,
    ]
    assert "*" not in str(rule["AllowedOrigins"])
    # The same API origin the console's CSP allows.
    assert package.api_origin()["Fn::If"][1] == API_ORIGIN


def test_uploads_never_sent_expire_after_a_day(template: dict[str, Any]) -> None:
    rules = _bucket(template)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert all(r["Status"] == "Enabled" for r in rules)
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r}
    # Sent files (files/) follow the service's retention (the daily files job);
    # the bucket removes them only after the longest retention there is.
    assert expiring == {"uploads/": 1, "files/": 3651}
    aborts = [r["AbortIncompleteMultipartUpload"] for r in rules
              if "AbortIncompleteMultipartUpload" in r]
    assert aborts == [{"DaysAfterInitiation": 1}]


def test_the_files_bucket_refuses_plain_http(template: dict[str, Any]) -> None:
    policy = template["Resources"]["FilesBucketPolicy"]
    assert policy["Type"] == "AWS::S3::BucketPolicy"
    assert policy["Properties"]["Bucket"] == {"Ref": "FilesBucket"}
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["FilesBucket", "Arn"]}, {"Fn::Sub": "${FilesBucket.Arn}/*"}
    ]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Nothing else allows anyone anything on it: the functions' roles do.
    assert not [
        s for p in of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "FilesBucket"}
        for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]


def test_every_function_knows_the_files_bucket(template: dict[str, Any]) -> None:
    for name, function in functions(template).items():
        assert environment(template, function)["FILES_BUCKET"] == {"Ref": "FilesBucket"}, name
    assert template["Outputs"]["FilesBucketName"]["Value"] == {"Ref": "FilesBucket"}


# --- IAM: the two prefixes, the recorded actions ---------------------------------------


def _entry(action: str, resource: str) -> dict[str, str]:
    return {"service": "s3", "action": action, "resource": resource}


def test_a_function_gets_exactly_its_recorded_actions_on_each_prefix() -> None:
    access = [
        _entry("s3:PutObject", "files/uploads/*"),
        _entry("s3:GetObject", "files/uploads/*"),
        _entry("s3:DeleteObject", "files/uploads/*"),
        _entry("s3:PutObject", "files/files/*"),
        _entry("s3:PutObjectTagging", "files/files/*"),
        _entry("s3:GetObject", "files/files/*"),
    ]
    assert package.s3_statements(access) == [
        {"Sid": "FileUploads", "Effect": "Allow",
         "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
         "Resource": [{"Fn::Sub": "${FilesBucket.Arn}/uploads/*"}]},
        {"Sid": "SentFiles", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"],
         "Resource": [{"Fn::Sub": "${FilesBucket.Arn}/files/*"}]},
    ]
    reader = package.s3_statements([_entry("s3:GetObject", "files/files/*")])
    assert reader == [{"Sid": "SentFiles", "Effect": "Allow", "Action": ["s3:GetObject"],
                       "Resource": [{"Fn::Sub": "${FilesBucket.Arn}/files/*"}]}]
    assert package.s3_statements([]) == []


@pytest.mark.parametrize("resource", [
    "files/other/*",  # a prefix the bucket does not have
    "files",  # the bucket itself (a listing)
    "files/*",
    "exports/uploads/*",  # a prefix of the other bucket
    "helpdesk-local-files/uploads/*",  # a bucket the recorder did not know
])
def test_packaging_refuses_s3_access_anywhere_else(resource: str) -> None:
    with pytest.raises(SystemExit, match="S3 access outside"):
        package.s3_statements([_entry("s3:GetObject", resource)])


def test_only_the_functions_recorded_using_files_may(template: dict[str, Any]) -> None:
    by_handler = _by_handler(template)
    for handler, granted in by_handler.items():
        files = {resource for _, resource in granted if resource.startswith("files/")}
        assert files <= {"files/uploads/*", "files/files/*"}, handler
    # Customers ask for an upload over the WebSocket, operators over REST: both
    # sign the upload's POST (R-ATT-1); nothing else does.
    signers = {h for h, g in by_handler.items() if ("s3:PutObject", "files/uploads/*") in g}
    assert signers == {"app.app", "app.ws_message"}
    for handler in ("app.ws_connect", "app.ws_disconnect"):
        assert not any(r.startswith("files/") for _, r in by_handler[handler]), handler


def test_only_the_chat_days_under_files_may_be_listed(template: dict[str, Any]) -> None:
    """Retention's daily job lists files/<service>/ (R-PRIV-1): the grant is
    the bucket's ListBucket with the prefix held to files/, nothing wider."""
    from tests.deploy.template import statements

    listing = [st for found in statements(template).values() for st in found
               if isinstance(st, dict) and "s3:ListBucket" in st.get("Action", [])]
    assert listing, "the files job lists the bucket"
    for statement in listing:
        assert statement["Action"] == ["s3:ListBucket"]
        assert statement["Condition"] == {"StringLike": {"s3:prefix": ["files/*"]}}
