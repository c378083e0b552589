"""Alarms (R-OPS-1) in the template: every alarm notifies one SNS topic (its own
KMS key, an email subscription when the AlarmEmail parameter is set), and they
watch each function's errors and throttles, the REST API's 5xx, the WebSocket
API's failed integrations, every table's throttled requests and system errors,
the webhook dead-letter queue, and the queue the export worker's failed
asynchronous invocations go to."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import package
from tests.deploy.template import functions, listed, of_type, statements
from tests.deploy.test_package_iam import recorder_terms

TOPIC = {"Ref": package.ALARM_TOPIC}
FAILURE_QUEUE_ARN = {"Fn::GetAtt": [package.ASYNC_FAILURE_QUEUE, "Arn"]}


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = of_type(template, "AWS::CloudWatch::Alarm")
    assert found
    return {name: alarm["Properties"] for name, alarm in found.items()}


def _key(namespace: str, metric: str, dimensions: list[dict[str, Any]]) -> str:
    """One series: its namespace, name and dimensions, in any order."""
    return json.dumps([namespace, metric, sorted(dimensions, key=lambda d: d["Name"])],
                      sort_keys=True)


def _series(namespace: str, metric: str, **dimensions: Any) -> str:
    return _key(namespace, metric, [{"Name": k, "Value": v} for k, v in dimensions.items()])


def _single_metric(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Series → the alarm that watches it alone."""
    return {
        _key(a["Namespace"], a["MetricName"], a.get("Dimensions", [])): a
        for a in _alarms(template).values() if "MetricName" in a
    }


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in alarm["Metrics"] if "MetricStat" in q]


def _watched(template: dict[str, Any], namespace: str, metric: str, **dimensions: Any) -> (
        dict[str, Any]):
    alarm = _single_metric(template).get(_series(namespace, metric, **dimensions))
    assert alarm, f"no alarm watches {namespace} {metric} {dimensions}"
    return alarm


# --- the topic and who hears it ------------------------------------------------------


def test_alarms_go_to_a_topic_encrypted_with_a_key_cloudwatch_may_use(
    template: dict[str, Any],
) -> None:
    """CloudWatch can publish to an encrypted topic only under a customer managed
    key whose policy lets it: with the AWS managed alias/aws/sns, alarms are
    dropped."""
    resources = template["Resources"]
    topic = resources[package.ALARM_TOPIC]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": package.ALARM_TOPIC_KEY}
    key = resources[package.ALARM_TOPIC_KEY]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    policy = key["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in policy
                    if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch["Effect"] == "Allow"
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # The only other statement is KMS's default: the account's own IAM decides.
    [account] = [s for s in policy if s is not cloudwatch]
    assert account["Principal"] == {"AWS": {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    assert not [r for r in of_type(template, "AWS::SNS::TopicPolicy").values()
                if TOPIC in r["Properties"]["Topics"]]  # SNS's default: this account


def test_the_alarm_email_is_a_parameter_subscribed_only_when_set(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Type"] == "String" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("ops@example.co.jp")
    assert not pattern.fullmatch("ops") and not pattern.fullmatch("a b@example.com")
    assert template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    [subscription] = of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": TOPIC, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    # No other way for an address to get in: the topic lists no subscribers.
    assert "Subscription" not in template["Resources"][package.ALARM_TOPIC]["Properties"]
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == TOPIC


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(
    template: dict[str, Any],
) -> None:
    for name, alarm in _alarms(template).items():
        assert alarm["AlarmActions"] == [TOPIC], name
        assert alarm["OKActions"] == [TOPIC], name
        assert "InsufficientDataActions" not in alarm, name
        # These services report errors only when there are some: no data is good.
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name
        assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 1, name
        assert alarm["Threshold"] >= 1, name
        description = alarm["AlarmDescription"]["Fn::Sub"]
        assert len(description) > 40 and "minutes" in description, name
        periods = ([alarm["Period"]] if "MetricName" in alarm
                   else [q["MetricStat"]["Period"] for q in _metric_stats(alarm)])
        assert periods and set(periods) == {300}, name


# --- what they watch -----------------------------------------------------------------


def test_every_function_has_an_errors_and_a_throttles_alarm(template: dict[str, Any]) -> None:
    found = functions(template)
    assert len(found) == len(package.FUNCTION_NAMES)
    for logical_id in found:
        for metric in ("Errors", "Throttles"):
            alarm = _watched(template, "AWS/Lambda", metric,
                             FunctionName={"Ref": logical_id})
            assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1), (logical_id, metric)
            assert package.FUNCTION_NAMES[logical_id] in alarm["AlarmDescription"]["Fn::Sub"]


def test_the_rest_apis_5xx_alarm_names_this_stacks_api(template: dict[str, Any]) -> None:
    """API Gateway reports a REST API by its name: chalice's (the app's) would be
    the same for every stack of the account, so the API is named after the stack."""
    name = template["Resources"]["RestAPI"]["Properties"]["Name"]
    assert name == {"Fn::Sub": "${AWS::StackName}-rest-api"}
    stage = template["Resources"]["RestAPI"]["Properties"]["StageName"]
    alarm = _watched(template, "AWS/ApiGateway", "5XXError", ApiName=name, Stage=stage)
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 5)


def test_the_websocket_api_alarms_on_integration_and_execution_errors(
    template: dict[str, Any],
) -> None:
    stage = template["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"]
    for metric in ("IntegrationError", "ExecutionError"):
        alarm = _watched(template, "AWS/ApiGateway", metric,
                         ApiId={"Ref": "WebsocketAPI"}, Stage=stage)
        assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 5), metric


def _table_alarms(template: dict[str, Any], metric: str) -> dict[str, dict[str, Any]]:
    """Table logical id → the alarm summing its `metric`."""
    found: dict[str, dict[str, Any]] = {}
    for name, alarm in _alarms(template).items():
        if "Metrics" not in alarm:
            continue
        stats = _metric_stats(alarm)
        if {q["MetricStat"]["Metric"]["MetricName"] for q in stats} != {metric}:
            continue
        tables = {d["Value"]["Ref"] for q in stats
                  for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "TableName"}
        assert len(tables) == 1, name  # one alarm per table: the mail names it
        [table] = tables
        assert table not in found, (table, metric)
        found[table] = alarm
    return found


def _granted_operations(template: dict[str, Any]) -> dict[str, set[str]]:
    """Table logical id → the operations (CloudWatch's names) some role may make
    on it or its indexes."""
    ids = package.table_logical_ids()
    found: dict[str, set[str]] = {}
    for role_statements in statements(template).values():
        for statement in role_statements:
            for action in listed(statement["Action"]):
                if not action.startswith("dynamodb:"):
                    continue
                for resource in listed(statement["Resource"]):
                    key = recorder_terms(action, resource)[1].split("/index/")[0]
                    found.setdefault(ids[key], set()).update(package.DYNAMODB_OPERATIONS[action])
    return found


@pytest.mark.parametrize("metric", ["ThrottledRequests", "SystemErrors"])
def test_every_table_has_an_alarm_over_every_operation_it_may_see(
    template: dict[str, Any], metric: str,
) -> None:
    """DynamoDB reports both per table and operation (no series has TableName
    alone), so each table's alarm sums a series per operation any role may make
    on it, within CloudWatch's 10 metrics per alarm."""
    tables = of_type(template, "AWS::DynamoDB::Table")
    by_table = _table_alarms(template, metric)
    assert set(by_table) == set(tables)
    granted = _granted_operations(template)
    for table, alarm in by_table.items():
        stats = _metric_stats(alarm)
        assert 1 <= len(stats) <= 10, table
        operations = set()
        for query in stats:
            stat = query["MetricStat"]
            assert stat["Metric"]["Namespace"] == "AWS/DynamoDB"
            assert stat["Stat"] == "Sum" and query["ReturnData"] is False
            dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            assert set(dimensions) == {"TableName", "Operation"}, table
            assert dimensions["TableName"] == {"Ref": table}
            operations.add(dimensions["Operation"])
        assert len(operations) == len(stats), table
        assert granted[table] <= operations, (table, granted[table] - operations)
        [total] = [q for q in alarm["Metrics"] if "Expression" in q]
        assert total["ReturnData"] is True
        assert total["Expression"] == "SUM([" + ",".join(q["Id"] for q in stats) + "])"
        assert alarm["Threshold"] == 1, table


def test_the_hot_tables_are_watched_for_what_a_message_does(template: dict[str, Any]) -> None:
    """A message is a transaction on its chat's head and the messages table, and
    a history page a Query: their throttles reach the mail."""
    ids = package.table_logical_ids()
    alarms = _table_alarms(template, "ThrottledRequests")

    def operations(key: str) -> set[str]:
        return {d["Value"] for q in _metric_stats(alarms[ids[key]])
                for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "Operation"}

    assert {"TransactWriteItems", "Query"} <= operations("messages")
    assert {"TransactWriteItems", "GetItem"} <= operations("chat_heads")
    assert {"Query", "GetItem"} <= operations("chats")
    assert "GetItem" in operations("tokens") and "PutItem" in operations("connections")


def test_table_operations_follow_the_recording() -> None:
    access = {
        "app.app": [
            {"service": "dynamodb", "action": "dynamodb:ConditionCheckItem", "resource": "chats"},
            {"service": "dynamodb", "action": "dynamodb:Query",
             "resource": "chats/index/chat-queue"},
            {"service": "s3", "action": "s3:GetObject", "resource": "files/files/*"},
        ],
        "app.sweep": [{"service": "dynamodb", "action": "dynamodb:GetItem", "resource": "chats"}],
    }
    assert package.table_operations(access) == {
        "chats": ["GetItem", "Query", "TransactWriteItems"]}
    unknown = {"app.app": [{"service": "dynamodb", "action": "dynamodb:PartiQLSelect",
                            "resource": "chats"}]}
    with pytest.raises(SystemExit, match="DYNAMODB_OPERATIONS"):
        package.table_operations(unknown)
    # Every operation the map knows fits one alarm.
    every = {op for ops in package.DYNAMODB_OPERATIONS.values() for op in ops}
    assert len(every) <= package.MAX_ALARM_METRICS


def test_anything_in_the_webhook_dead_letter_queue_alarms(template: dict[str, Any]) -> None:
    alarm = _watched(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName={
        "Fn::GetAtt": [package.WEBHOOK_DEAD_LETTER_QUEUE, "QueueName"]})
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", 1)


def test_failed_async_invocations_of_the_export_worker_go_to_a_queue_that_alarms(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    configs = of_type(template, "AWS::Lambda::EventInvokeConfig")
    assert {c["Properties"]["FunctionName"]["Ref"] for c in configs.values()} == {
        package.EXPORT_WORKER}
    [config] = configs.values()
    assert config["Properties"] == {
        "FunctionName": {"Ref": package.EXPORT_WORKER},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": FAILURE_QUEUE_ARN}},
    }
    queue = resources[package.ASYNC_FAILURE_QUEUE]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True  # no KMS grants for Lambda
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    alarm = _watched(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName={
        "Fn::GetAtt": [package.ASYNC_FAILURE_QUEUE, "QueueName"]})
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", 1)
    assert template["Outputs"]["AsyncFailureQueueUrl"]["Value"] == {
        "Ref": package.ASYNC_FAILURE_QUEUE}
    # Lambda sends to the destination as the function's role, which may do so.
    role = functions(template)[package.EXPORT_WORKER]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert {"Sid": "ReportAsyncFailures", "Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": [FAILURE_QUEUE_ARN]} in statements(template)[role]


def test_every_function_the_app_starts_has_an_on_failure_destination(
    template: dict[str, Any],
) -> None:
    """The functions some role may invoke (InvocationType Event) are the ones
    with an EventInvokeConfig."""
    invoked = {
        resource["Fn::Sub"]
        for role_statements in statements(template).values() for s in role_statements
        if "lambda:InvokeFunction" in listed(s["Action"]) for resource in listed(s["Resource"])
    }
    assert invoked
    started = {
        name for name, f in functions(template).items()
        if any(text.endswith(":function:" + f["Properties"]["FunctionName"]["Fn::Sub"])
               for text in invoked)
    }
    configured = {c["Properties"]["FunctionName"]["Ref"]
                  for c in of_type(template, "AWS::Lambda::EventInvokeConfig").values()}
    assert started == configured == set(package.ASYNC_FUNCTIONS)


def test_the_stack_stays_well_within_cloudformations_500_resources(
    template: dict[str, Any],
) -> None:
    # SAM adds a few per function (permissions, the schedule, the mapping) and the
    # REST API's deployment and stage.
    assert len(template["Resources"]) + 5 * len(functions(template)) < 400
