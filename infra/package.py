"""Package the app for AWS: one CloudFormation (SAM) template.

    python -m infra.package [--stage dev] [--out build/package-dev]

runs `chalice package` with a merge template built here from:

- every table of infra/tables.yaml (the one definition of the tables);
- the exports bucket (private, encrypted, objects expire) and the static-site bucket
  for the console and the widget, served by CloudFront;
- the token-signing secret: a generated Secrets Manager secret, or an existing SSM
  SecureString parameter (parameter `TokenSecretParameter`); never a literal;
- one environment for every Lambda (SAM `Globals`): TABLE_<KEY>, EXPORTS_BUCKET,
  TOKEN_SECRET_ID, WS_URL, WS_MANAGEMENT_ENDPOINT, PUBLIC_BASE_URL, API_BASE_URL,
  EXPORT_FUNCTION;
- least-privilege IAM: each Lambda role gets the CloudWatch Logs statement of
  .chalice/policy-base.json plus only the DynamoDB actions on the tables and indexes,
  and the S3 actions on the prefix, that infra/iam-access.json lists (recorded from
  the test suite by tests/deploy/access_recorder.py), execute-api:ManageConnections
  on this stack's WebSocket API, reading the token secret and invoking the export
  worker;
- Outputs: every table name, the buckets, the REST, WebSocket and site URLs.

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
from pathlib import Path
from typing import Any

import yaml

from infra.tables import output_name

ROOT = Path(__file__).resolve().parents[1]
TABLES_YAML = ROOT / "infra" / "tables.yaml"
ACCESS_JSON = ROOT / "infra" / "iam-access.json"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"

EXPORTS_PREFIX = "exports"
EXPORT_WORKER = "ExportWorker"
EXPORT_FUNCTION_NAME = "${AWS::StackName}-export-worker"
ROUTE_RESPONSE = "WebsocketMessageRouteResponse"
EXPORT_EXPIRY_DAYS = 7  # chalicelib/services/exports.py JOB_TTL
# CloudFront's managed "CachingOptimized" cache policy.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _sub(text: str) -> dict[str, str]:
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


def recorded_access() -> list[dict[str, str]]:
    return json.loads(ACCESS_JSON.read_text())


# --- IAM ---------------------------------------------------------------------------


def dynamodb_statements(access: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per table: the recorded actions on the table, and Query on the recorded
    indexes. Nothing else, and no wildcard action or table."""
    ids = table_logical_ids()
    table_actions: dict[str, set[str]] = {}
    index_actions: dict[str, set[str]] = {}
    indexes: dict[str, set[str]] = {}
    for entry in access:
        if entry["service"] != "dynamodb":
            continue
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


def s3_statements(access: list[dict[str, str]]) -> list[dict[str, Any]]:
    actions = sorted({
        e["action"] for e in access
        if e["service"] == "s3" and e["resource"] == f"exports/{EXPORTS_PREFIX}/*"
    })
    other = [
        e for e in access
        if e["service"] == "s3" and e["resource"] != f"exports/{EXPORTS_PREFIX}/*"
    ]
    if other:
        raise SystemExit(f"infra/iam-access.json: S3 access outside the exports prefix: {other}")
    if not actions:
        return []
    return [{
        "Sid": "ExportsObjects",
        "Effect": "Allow",
        "Action": actions,
        "Resource": [_sub(f"${{ExportsBucket.Arn}}/{EXPORTS_PREFIX}/*")],
    }]


def app_statements(access: list[dict[str, str]]) -> list[dict[str, Any]]:
    stage = api_stage()
    connections = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketAPI}"
    )
    return [
        *dynamodb_statements(access),
        *s3_statements(access),
        {
            "Sid": "PushToWebSockets",
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections"],
            "Resource": [
                _sub(f"{connections}/{stage}/POST/@connections/*"),
                _sub(f"{connections}/{stage}/DELETE/@connections/*"),
            ],
        },
        {
            "Sid": "StartExportWorker",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [_sub(
                "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
                + EXPORT_FUNCTION_NAME
            )],
        },
        {
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
        },
    ]


def role_policies(role_ids: list[str], access: list[dict[str, str]]) -> dict[str, Any]:
    """Each chalice-made role's Policies, replaced (the merge replaces lists) by the
    base statements of the stage's iam_policy_file plus the app's."""
    base_file = chalice_config().get("iam_policy_file", "policy-base.json")
    base = json.loads((ROOT / ".chalice" / base_file).read_text())["Statement"]
    statements = [*base, *app_statements(access)]
    return {
        role_id: {
            "Properties": {
                "Policies": [{
                    "PolicyName": f"{role_id}Policy",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }]
            }
        }
        for role_id in role_ids
    }


# --- the merge template ------------------------------------------------------------


def environment() -> dict[str, Any]:
    """The one environment of every Lambda."""
    stage = api_stage()
    variables: dict[str, Any] = {
        f"TABLE_{key.upper()}": _ref(logical_id) for key, logical_id in table_logical_ids().items()
    }
    variables.update({
        "EXPORTS_BUCKET": _ref("ExportsBucket"),
        "EXPORT_FUNCTION": _sub(EXPORT_FUNCTION_NAME),
        "TOKEN_SECRET_ID": {
            "Fn::If": ["UseSsmParameter", _sub("ssm:${TokenSecretParameter}"), _ref("TokenSecret")]
        },
        "WS_URL": _sub(f"wss://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"),
        "WS_MANAGEMENT_ENDPOINT": _sub(
            f"https://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"
        ),
        "PUBLIC_BASE_URL": _sub("https://${SiteDistribution.DomainName}"),
        # The REST API's own URL would make every function depend on the API that
        # depends on it; `make deploy` passes it in as a parameter once it is known.
        "API_BASE_URL": {"Fn::If": ["HasApiBaseUrl", _ref("ApiBaseUrl"), _ref("AWS::NoValue")]},
    })
    return variables


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


def storage_resources() -> dict[str, Any]:
    return {
        "ExportsBucket": _private_bucket(
            LifecycleConfiguration={
                "Rules": [
                    {
                        "Id": "ExpireExports",
                        "Status": "Enabled",
                        "Prefix": f"{EXPORTS_PREFIX}/",
                        "ExpirationInDays": EXPORT_EXPIRY_DAYS,
                    },
                    {
                        "Id": "AbortIncompleteUploads",
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            }
        ),
        "ExportsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("ExportsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [_tls_only("ExportsBucket")],
                },
            },
        },
        "TokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Condition": "CreateTokenSecret",
            "Properties": {
                "Description": _sub("Token-signing secret of ${AWS::StackName}"),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
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
        "SiteDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": _sub("${AWS::StackName} console and widget"),
                    "DefaultRootObject": "console/index.html",
                    "HttpVersion": "http2",
                    "PriceClass": "PriceClass_100",
                    "Origins": [{
                        "Id": "site",
                        "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]},
                    }],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "site",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "CachePolicyId": CACHING_OPTIMIZED,
                        "Compress": True,
                    },
                }
            },
        },
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("SiteBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudFrontReads",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": _sub("${SiteBucket.Arn}/*"),
                            "Condition": {"StringEquals": {"AWS:SourceArn": _sub(
                                "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                                "distribution/${SiteDistribution}"
                            )}},
                        },
                        _tls_only("SiteBucket"),
                    ],
                },
            },
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
        "SiteBucketName": {"Value": _ref("SiteBucket")},
        "SiteURL": {"Value": _sub("https://${SiteDistribution.DomainName}")},
        "SiteDistributionId": {"Value": _ref("SiteDistribution")},
        "RestApiURL": {
            "Value": _sub(f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}")
        },
        "WebSocketURL": {
            "Value": _sub(f"wss://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}")
        },
        "TokenSecretId": {
            "Value": {"Fn::If": ["UseSsmParameter", _sub("ssm:${TokenSecretParameter}"),
                                 _ref("TokenSecret")]}
        },
    })
    return result


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


def merge_template(
    chalice_resources: dict[str, Any], access: list[dict[str, str]]
) -> dict[str, Any]:
    """What `chalice package --merge-template` adds to (or replaces in) its template."""
    role_ids = sorted(k for k, r in chalice_resources.items() if r["Type"] == "AWS::IAM::Role")
    if EXPORT_WORKER not in chalice_resources:
        raise SystemExit(f"chalice package made no {EXPORT_WORKER} function")
    tables = {}
    for logical_id, resource in table_resources().items():
        tables[logical_id] = {
            **resource,
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        }
    return {
        "Parameters": {
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
                "Description": (
                    "The REST API's URL as browsers see it (set by `make deploy` from "
                    "the RestApiURL output after the first deploy)."
                ),
            },
        },
        "Conditions": {
            "UseSsmParameter": {"Fn::Not": [{"Fn::Equals": [_ref("TokenSecretParameter"), ""]}]},
            "CreateTokenSecret": {"Fn::Equals": [_ref("TokenSecretParameter"), ""]},
            "HasApiBaseUrl": {"Fn::Not": [{"Fn::Equals": [_ref("ApiBaseUrl"), ""]}]},
        },
        "Globals": {"Function": {"Environment": {"Variables": environment()}}},
        "Resources": {
            **tables,
            **storage_resources(),
            **role_policies(role_ids, access),
            **two_way_message_route(chalice_resources),
            EXPORT_WORKER: {"Properties": {"FunctionName": _sub(EXPORT_FUNCTION_NAME)}},
        },
        "Outputs": outputs(),
    }


# --- running chalice ---------------------------------------------------------------


def _chalice(stage: str, out: Path, merge: Path | None = None) -> None:
    command = [
        str(Path(sys.executable).with_name("chalice")), "package",
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
