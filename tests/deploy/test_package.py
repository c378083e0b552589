"""`chalice package` + infra/package.py: one template with every table, the buckets,
the secret and one environment for every Lambda (R-RUN-1). IAM is checked in
test_package_iam.py, the API's edges and limits in test_package_edges.py, the
static sites in test_package_sites.py, the webhook queues in test_package_queues.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chalicelib import config
from infra import package, tables
from tests.deploy.template import environment, functions, of_type

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = {
    "app.app", "app.ws_connect", "app.ws_message", "app.ws_disconnect",
    "app.sweep", "app.export_worker", "app.webhook_sender",
}


def test_package_writes_template_and_code(template_path: Path) -> None:
    assert template_path.name == "sam.yaml"
    assert (template_path.parent / "deployment.zip").stat().st_size > 0


def test_cfn_lint_is_clean(template_path: Path) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(template_path)  # SAM globals merged, then every rule
    assert not matches, "\n".join(str(m) for m in matches)


def test_every_table_and_index_once(template: dict[str, Any]) -> None:
    expected = yaml.safe_load((ROOT / "infra" / "tables.yaml").read_text())["Resources"]
    found = of_type(template, "AWS::DynamoDB::Table")
    assert sorted(found) == sorted(expected)
    keys = [t["Metadata"]["TableKey"] for t in found.values()]
    assert sorted(keys) == sorted(config.TABLE_KEYS)
    for logical_id, resource in found.items():
        assert resource["Properties"] == expected[logical_id]["Properties"], logical_id
        assert "TableName" not in resource["Properties"]  # CloudFormation names them
        assert resource["DeletionPolicy"] == "Retain"
        indexes = [i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])]
        assert len(indexes) == len(set(indexes)), logical_id


def test_every_lambda_has_the_one_environment(template: dict[str, Any]) -> None:
    ids = package.table_logical_ids()
    found = functions(template)
    assert {f["Properties"]["Handler"] for f in found.values()} == HANDLERS
    for name, function in found.items():
        env = environment(template, function)
        for key in config.TABLE_KEYS:
            assert env[config.env_var_for_table(key)] == {"Ref": ids[key]}, (name, key)
        assert env["EXPORTS_BUCKET"] == {"Ref": "ExportsBucket"}
        assert env["EXPORT_FUNCTION"] == {"Fn::Sub": package.EXPORT_FUNCTION_NAME}
        assert "TOKEN_SECRET" not in env  # never a literal: an id to fetch it by
        assert env["TOKEN_SECRET_ID"]["Fn::If"][0] == "UseSsmParameter"
        assert "WebsocketAPI" in env["WS_MANAGEMENT_ENDPOINT"]["Fn::Sub"]
        # The widget's files (PUBLIC_BASE_URL/widget/loader.js) and the console
        # are on two origins; operator routes answer CORS for the console only.
        assert env["PUBLIC_BASE_URL"] == {"Fn::Sub": "https://${WidgetDistribution.DomainName}"}
        assert env["CONSOLE_ORIGIN"] == {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}
        assert "DYNAMODB_ENDPOINT" not in env and "TABLE_PREFIX" not in env
        # Deliveries go to the stack's queue; loopback receivers are for the local stage.
        assert env["WEBHOOK_QUEUE_URL"] == {"Ref": package.WEBHOOK_QUEUE}
        assert "SQS_ENDPOINT" not in env and "WEBHOOKS_ALLOW_LOOPBACK" not in env
    sweep = template["Resources"]["Sweep"]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in sweep.values()] == ["rate(1 minute)"]


def test_every_function_has_a_fixed_name_in_the_stack(template: dict[str, Any]) -> None:
    names = {
        logical_id: function["Properties"]["FunctionName"]["Fn::Sub"]
        for logical_id, function in functions(template).items()
    }
    assert names["ExportWorker"] == package.EXPORT_FUNCTION_NAME
    assert len(set(names.values())) == len(names)
    for name in names.values():
        suffix = name.removeprefix("${AWS::StackName}-")
        assert suffix != name and suffix.replace("-", "").isalnum(), name


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


def test_outputs_name_every_table_and_both_sites(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for key in config.TABLE_KEYS:
        assert outputs[tables.output_name(key)]["Value"] == {
            "Ref": package.table_logical_ids()[key]
        }
    assert outputs["ConsoleURL"]["Value"] == {
        "Fn::Sub": "https://${ConsoleDistribution.DomainName}"
    }
    assert outputs["WidgetURL"]["Value"] == {"Fn::Sub": "https://${WidgetDistribution.DomainName}"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}
    assert outputs["WidgetDistributionId"]["Value"] == {"Ref": "WidgetDistribution"}
    assert {"RestApiURL", "WebSocketURL", "SiteBucketName", "TokenSecretId"} <= set(outputs)
    assert outputs["WebhookQueueUrl"]["Value"] == {"Ref": package.WEBHOOK_QUEUE}
    assert outputs["WebhookDeadLetterQueueUrl"]["Value"] == {
        "Ref": package.WEBHOOK_DEAD_LETTER_QUEUE}


def test_prod_stage_packages_too(tmp_path: Path) -> None:
    template = package.load_template(package.package("prod", tmp_path / "prod"))
    assert len(functions(template)) == 7
    assert template["Resources"]["ExportWorker"]["Properties"]["Timeout"] == 900
    sender = template["Resources"]["WebhookSender"]["Properties"]
    assert (sender["Timeout"], sender["MemorySize"]) == (60, 256)
    queue = template["Resources"][package.WEBHOOK_QUEUE]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * 60
