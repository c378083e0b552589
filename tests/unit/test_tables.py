"""infra/tables.yaml is the one definition: the models agree with it, and no
code path uses a DynamoDB Scan."""

import re
from pathlib import Path

import pytest

from chalicelib import config, models
from infra import tables

ROOT = Path(__file__).resolve().parents[2]


def _yaml_schema(key):
    properties = tables.table_resources()[key]["Properties"]
    indexes = {
        index["IndexName"]: (
            frozenset((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
            index["Projection"]["ProjectionType"],
            frozenset(index["Projection"].get("NonKeyAttributes", [])),
        )
        for index in properties.get("GlobalSecondaryIndexes", [])
    }
    keys = frozenset((k["AttributeName"], k["KeyType"]) for k in properties["KeySchema"])
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    return keys, indexes, types


def _model_schema(model):
    schema = model._get_schema()
    keys = frozenset((k["AttributeName"], k["KeyType"]) for k in schema["key_schema"])
    indexes = {
        index["index_name"]: (
            frozenset((k["AttributeName"], k["KeyType"]) for k in index["key_schema"]),
            index["projection"]["ProjectionType"],
            frozenset(index["projection"].get("NonKeyAttributes", [])),
        )
        for index in schema["global_secondary_indexes"]
    }
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return keys, indexes, types


def test_every_table_has_a_model_and_config_key():
    assert {m.Meta.table_key for m in models.all_models()} == set(tables.table_resources())
    assert set(config.TABLE_KEYS) == set(tables.table_resources())


@pytest.mark.parametrize("model", models.all_models(), ids=lambda m: m.__name__)
def test_model_keys_and_indexes_match_tables_yaml(model):
    yaml_keys, yaml_indexes, yaml_types = _yaml_schema(model.Meta.table_key)
    model_keys, model_indexes, model_types = _model_schema(model)
    assert model_keys == yaml_keys
    assert model_indexes == yaml_indexes
    for name, kind in model_types.items():
        assert yaml_types.get(name) == kind, name


def test_tables_are_on_demand_and_expiring_tables_have_ttl():
    for key, resource in tables.table_resources().items():
        properties = resource["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", key
    ttl = {key for key, r in tables.table_resources().items()
           if r["Properties"].get("TimeToLiveSpecification", {}).get("Enabled")}
    assert {"connections", "tokens"} <= ttl


def test_table_names_follow_configuration(monkeypatch):
    monkeypatch.setenv("TABLE_PREFIX", "p")
    assert models.Chat.Meta.table_name == "p-chats"
    monkeypatch.setenv("TABLE_CHATS", "explicit-chats")
    assert models.Chat.Meta.table_name == "explicit-chats"


def test_no_dynamodb_scan_in_the_app():
    pattern = re.compile(r"\.scan\(|\bScan\b|\bscan\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in [*ROOT.joinpath("chalicelib").rglob("*.py"), ROOT / "app.py"]
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_scan_is_refused_at_run_time_too(aws):
    """The test suite's DynamoDB refuses Scan, so no test can pass by scanning."""
    from tests.conftest import ScanRefused

    with pytest.raises(ScanRefused):
        list(models.Operator.scan())


def test_every_model_shares_one_connection_and_client(aws):
    """One botocore client (one HTTP pool, one load of botocore's data) for all
    tables and transactions, until the connections are reset."""
    shared = {id(model._get_connection().connection) for model in models.all_models()}
    assert len(shared) == 1
    connection = models.Chat._get_connection().connection
    assert models.transaction()._connection is connection
    assert models.ChatHead._get_connection().connection.client is connection.client
    # Each table still knows its own keys on the shared connection.
    for model in models.all_models():
        assert connection.get_meta_table(model.Meta.table_name).table_name == model.Meta.table_name

    models.reset_connections()
    assert models.Chat._get_connection().connection is not connection


def test_the_shared_connection_follows_the_endpoint_after_a_reset(aws, monkeypatch):
    models.Service._get_connection()
    monkeypatch.setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
    models.reset_connections()
    assert models.Message._get_connection().connection.host == "http://127.0.0.1:9"
