"""`chalice package` + infra/package.py: one template with every table, the buckets,
the secret, one environment for every Lambda and least-privilege IAM (R-RUN-1)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib import config
from infra import package

ROOT = Path(__file__).resolve().parents[2]

# Test files whose app calls the IAM check records, chosen to stay under a minute:
# chats, messages, every history index, statistics, exports to S3 and their
# presigned links, the sweep, widget sessions and logins. infra/iam-access.json, from
# which the policy is built, is the same recording over all of tests/api and
# tests/unit; DEPLOY_ACCESS_FULL=1 checks against that whole run here (~5 minutes).
ACCESS_SUBSET = (
    "tests/api/test_records_api.py",
    "tests/api/test_widget_api.py",
    "tests/unit/test_sweep.py",
)

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


@pytest.fixture(scope="module")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.package("dev", tmp_path_factory.mktemp("package") / "dev")


@pytest.fixture(scope="module")
def template(template_path: Path) -> dict[str, Any]:
    return package.load_template(template_path)


def _of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] in types}


def test_package_writes_template_and_code(template_path: Path) -> None:
    assert template_path.name == "sam.yaml"
    assert (template_path.parent / "deployment.zip").stat().st_size > 0


def test_cfn_lint_is_clean(template_path: Path) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(template_path)  # runs the SAM transform, then every rule
    assert not matches, "\n".join(str(m) for m in matches)


def test_every_table_and_index_once(template: dict[str, Any]) -> None:
    expected = yaml.safe_load((ROOT / "infra" / "tables.yaml").read_text())["Resources"]
    tables = _of_type(template, "AWS::DynamoDB::Table")
    assert sorted(tables) == sorted(expected)
    keys = [t["Metadata"]["TableKey"] for t in tables.values()]
    assert sorted(keys) == sorted(config.TABLE_KEYS)
    for logical_id, resource in tables.items():
        assert resource["Properties"] == expected[logical_id]["Properties"], logical_id
        assert "TableName" not in resource["Properties"]  # CloudFormation names them
        assert resource["DeletionPolicy"] == "Retain"
        indexes = [i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])]
        assert len(indexes) == len(set(indexes)), logical_id


def _environment(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A function's environment as SAM makes it: Globals merged with its own."""
    globals_ = template.get("Globals", {}).get("Function", {})
    merged = dict(globals_.get("Environment", {}).get("Variables", {}))
    merged.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return merged


def test_every_lambda_has_every_table_and_the_bucket_in_its_environment(
    template: dict[str, Any],
) -> None:
    ids = package.table_logical_ids()
    functions = _of_type(template, *FUNCTION_TYPES)
    handlers = {f["Properties"]["Handler"] for f in functions.values()}
    assert handlers == {
        "app.app", "app.ws_connect", "app.ws_message", "app.ws_disconnect",
        "app.sweep", "app.export_worker",
    }
    for name, function in functions.items():
        env = _environment(template, function)
        for key in config.TABLE_KEYS:
            assert env[config.env_var_for_table(key)] == {"Ref": ids[key]}, (name, key)
        assert env["EXPORTS_BUCKET"] == {"Ref": "ExportsBucket"}
        assert env["EXPORT_FUNCTION"] == {"Fn::Sub": package.EXPORT_FUNCTION_NAME}
        assert "TOKEN_SECRET" not in env  # never a literal: an id to fetch it by
        assert env["TOKEN_SECRET_ID"]["Fn::If"][0] == "UseSsmParameter"
        assert "WebsocketAPI" in env["WS_MANAGEMENT_ENDPOINT"]["Fn::Sub"]
        assert "DYNAMODB_ENDPOINT" not in env and "TABLE_PREFIX" not in env
    worker = template["Resources"]["ExportWorker"]["Properties"]
    assert worker["FunctionName"] == {"Fn::Sub": package.EXPORT_FUNCTION_NAME}
    sweep = template["Resources"]["Sweep"]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in sweep.values()] == ["rate(1 minute)"]


def test_message_route_is_two_way_so_replies_ride_the_route_response(
    template: dict[str, Any],
) -> None:
    """chalicelib/api/ws.py answers a frame with the handler's body, which API
    Gateway only sends back when `$default` has a route response."""
    resources = template["Resources"]
    route = resources["WebsocketMessageRoute"]["Properties"]
    assert route["RouteKey"] == "$default"
    assert route["RouteResponseSelectionExpression"] == "$default"
    response = resources[package.ROUTE_RESPONSE]
    assert response["Type"] == "AWS::ApiGatewayV2::RouteResponse"
    assert response["Properties"] == {
        "ApiId": {"Ref": "WebsocketAPI"},
        "RouteId": {"Ref": "WebsocketMessageRoute"},
        "RouteResponseKey": "$default",
    }
    depends = resources["WebsocketAPIDeployment"]["DependsOn"]
    assert package.ROUTE_RESPONSE in depends
    assert {"WebsocketConnectRoute", "WebsocketMessageRoute", "WebsocketDisconnectRoute"} <= set(
        depends
    )


def test_token_secret_is_generated_or_an_ssm_parameter(template: dict[str, Any]) -> None:
    secret = template["Resources"]["TokenSecret"]
    assert secret["Condition"] == "CreateTokenSecret"
    assert "SecretString" not in secret["Properties"]
    assert "GenerateSecretString" in secret["Properties"]
    assert template["Parameters"]["TokenSecretParameter"]["Default"] == ""


def test_exports_bucket_is_private_encrypted_and_expires(template: dict[str, Any]) -> None:
    for name in ("ExportsBucket", "SiteBucket"):
        props = template["Resources"][name]["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = template["Resources"]["ExportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") and r["Prefix"] == "exports/" for r in rules)


# --- IAM -------------------------------------------------------------------------------


def _statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role → its statements, both branches of any Fn::If."""
    by_role = {}
    for role_id, role in _of_type(template, "AWS::IAM::Role").items():
        statements = []
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement:
                    statements.extend(statement["Fn::If"][1:])
                else:
                    statements.append(statement)
        by_role[role_id] = statements
    return by_role


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_TABLE_ARN = re.compile(r"^\$\{(\w+)\.Arn\}/index/([\w.-]+)$")


def _resource(resource: Any) -> str:
    """A statement's resource in the recorder's terms: `key`, `key/index/name`,
    `exports/<prefix>/*`, or the raw text for anything else."""
    keys = {logical_id: key for key, logical_id in package.table_logical_ids().items()}
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        if attribute == "Arn" and logical_id in keys:
            return keys[logical_id]
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        match = _TABLE_ARN.match(text)
        if match and match.group(1) in keys:
            return f"{keys[match.group(1)]}/index/{match.group(2)}"
        if text.startswith("${ExportsBucket.Arn}/"):
            return "exports/" + text.removeprefix("${ExportsBucket.Arn}/")
        return text
    return json.dumps(resource)


def _grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (action, _resource(resource))
        for s in statements if s["Effect"] == "Allow"
        for action in _listed(s["Action"])
        for resource in _listed(s["Resource"])
    }


def test_iam_grants_no_wildcard_on_dynamodb_or_s3(template: dict[str, Any]) -> None:
    keys = set(config.TABLE_KEYS)
    roles = _statements(template)
    assert len(roles) == len(_of_type(template, *FUNCTION_TYPES))
    for role_id, statements in roles.items():
        for statement in statements:
            assert "NotAction" not in statement and "NotResource" not in statement
            actions = _listed(statement["Action"])
            resources = _listed(statement["Resource"])
            assert "*" not in resources, (role_id, statement)
            for action in actions:
                assert "*" not in action, (role_id, action)
                if action.startswith("dynamodb:"):
                    for resource in map(_resource, resources):
                        assert resource.split("/index/")[0] in keys, (role_id, resource)
                        assert "*" not in resource, (role_id, resource)
                elif action.startswith("s3:"):
                    for resource in map(_resource, resources):
                        assert resource == "exports/exports/*", (role_id, resource)
    # Every Lambda may push to this stack's WebSocket API, and nothing broader.
    for statements in roles.values():
        pushes = [s for s in statements if "execute-api:ManageConnections" in s["Action"]]
        assert pushes
        for resource in pushes[0]["Resource"]:
            assert "${WebsocketAPI}/api/" in resource["Fn::Sub"]
            assert resource["Fn::Sub"].endswith("/@connections/*")


def _record(tmp_path: Path, paths: tuple[str, ...]) -> list[dict[str, str]]:
    out = tmp_path / "access.json"
    env = {**os.environ, "ACCESS_RECORD_OUT": str(out)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "-p", "tests.deploy.access_recorder", *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(out.read_text())


def test_iam_covers_every_aws_call_the_code_makes(
    template: dict[str, Any], tmp_path: Path
) -> None:
    full = os.environ.get("DEPLOY_ACCESS_FULL") == "1"
    recorded = _record(tmp_path, ("tests/api", "tests/unit") if full else ACCESS_SUBSET)
    dynamodb = [(e["action"], e["resource"]) for e in recorded if e["service"] == "dynamodb"]
    s3 = [(e["action"], e["resource"]) for e in recorded if e["service"] == "s3"]
    # The recording reaches the tables, their indexes and the exports bucket.
    assert {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"} <= {a for a, _ in dynamodb}
    assert any("/index/" in resource for _, resource in dynamodb)
    assert s3
    for role_id, statements in _statements(template).items():
        missing = sorted(set(dynamodb + s3) - _grants(statements))
        assert not missing, f"{role_id} lacks {missing}: run the recorder (docs/deploy.md)"
    # Anything else the code calls is one of the services the policy covers.
    others = {e["action"] for e in recorded if e["service"] not in ("dynamodb", "s3")}
    assert others <= {
        "execute-api:PostToConnection", "execute-api:DeleteConnection",
        "lambda:Invoke", "ssm:GetParameter", "secretsmanager:GetSecretValue",
    }, others


def test_committed_access_list_is_what_the_policy_grants(template: dict[str, Any]) -> None:
    """The policy is exactly the recorded list, for DynamoDB and S3: nothing more."""
    access = {
        (e["action"], e["resource"])
        for e in package.recorded_access() if e["service"] in ("dynamodb", "s3")
    }
    for statements in _statements(template).values():
        granted = {
            (action, resource) for action, resource in _grants(statements)
            if action.startswith(("dynamodb:", "s3:"))
        }
        assert granted == access


def test_the_coverage_check_notices_a_missing_grant(template: dict[str, Any]) -> None:
    """The checker itself: drop the chats indexes' statement and it is missed."""
    access = {
        (e["action"], e["resource"])
        for e in package.recorded_access() if e["service"] == "dynamodb"
    }
    statements = _statements(template)["ApiHandlerRole"]
    assert access <= _grants(statements)
    fewer = [s for s in statements if s.get("Sid") != "ChatsTableIndexes"]
    missing = access - _grants(fewer)
    assert ("dynamodb:Query", "chats/index/chat-queue") in missing


def test_prod_stage_packages_too(tmp_path: Path) -> None:
    template = package.load_template(package.package("prod", tmp_path / "prod"))
    functions = _of_type(template, *FUNCTION_TYPES)
    assert len(functions) == 6
    assert template["Resources"]["ExportWorker"]["Properties"]["Timeout"] == 900
