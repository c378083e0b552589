"""Create DynamoDB tables from infra/tables.yaml (tests, the local stack, manage)."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

import yaml

from chalicelib import config

TABLES_YAML = Path(__file__).with_name("tables.yaml")

_CREATE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


@functools.cache
def table_resources() -> dict[str, dict[str, Any]]:
    """Table key (e.g. `chats`) → its CloudFormation resource, with `LogicalId`."""
    document = yaml.safe_load(TABLES_YAML.read_text())
    tables = {}
    for logical_id, resource in document["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        key = resource["Metadata"]["TableKey"]
        tables[key] = {**resource, "LogicalId": logical_id}
    return tables


def output_name(key: str) -> str:
    """The stack output holding a table's name: `chat_heads` → `TableChatHeads`
    (CloudFormation allows only letters and digits in output names)."""
    return "Table" + "".join(part.title() for part in key.split("_"))


def create_request(key: str, name: str | None = None) -> dict[str, Any]:
    """The boto3 `create_table` arguments for one table."""
    properties = table_resources()[key]["Properties"]
    request = {k: properties[k] for k in _CREATE_KEYS if k in properties}
    request["TableName"] = name or config.table_name(key)
    return request


def create_tables(client: Any, *, wait: bool = True) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    existing = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for key in table_resources():
        name = config.table_name(key)
        if name in existing:
            continue
        client.create_table(**create_request(key, name))
        created.append(name)
    for key, resource in table_resources().items():
        name = config.table_name(key)
        if name not in created:
            continue
        if wait:
            client.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
            )
        ttl = resource["Properties"].get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return created


def delete_tables(client: Any) -> None:
    for key in table_resources():
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_table(TableName=config.table_name(key))
