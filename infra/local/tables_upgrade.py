"""Keep a persistent local database in step with the code: a table made by an
older checkout gets the indexes added since (tables.create_tables only creates
tables that are missing). Data upgrades, shared with deployed stacks, are in
infra/upgrade.py."""

from __future__ import annotations

import time
from typing import Any

from infra import tables

INDEX_BUILD_TIMEOUT_S = 60.0


def add_missing_indexes(client: Any) -> list[str]:
    """Create each global secondary index the YAML has and the table lacks;
    returns `table/index` for each one added."""
    added = []
    for key in tables.table_resources():
        wanted = tables.create_request(key)
        name = wanted["TableName"]
        existing = client.describe_table(TableName=name)["Table"]
        have = {index["IndexName"] for index in existing.get("GlobalSecondaryIndexes", [])}
        for index in wanted.get("GlobalSecondaryIndexes", []):
            if index["IndexName"] not in have:
                _create_index(client, name, wanted["AttributeDefinitions"], index)
                added.append(f"{name}/{index['IndexName']}")
    return added


def enable_missing_ttls(client: Any) -> list[str]:
    """Turn on the TTL the YAML gives a table made before it had one; returns
    the tables changed."""
    enabled = []
    for key in tables.table_resources():
        wanted = tables.create_request(key)
        ttl = tables.table_resources()[key]["Properties"].get("TimeToLiveSpecification")
        if not ttl:
            continue
        name = wanted["TableName"]
        status = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            continue
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        enabled.append(name)
    return enabled


def _create_index(
    client: Any, table: str, definitions: list[dict[str, str]], index: dict[str, Any]
) -> None:
    key_names = {part["AttributeName"] for part in index["KeySchema"]}
    client.update_table(
        TableName=table,
        AttributeDefinitions=[d for d in definitions if d["AttributeName"] in key_names],
        GlobalSecondaryIndexUpdates=[{"Create": index}],
    )
    # One index at a time: DynamoDB refuses a second while one is being built.
    deadline = time.monotonic() + INDEX_BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        described = client.describe_table(TableName=table)["Table"]
        statuses = [gsi.get("IndexStatus") for gsi in described.get("GlobalSecondaryIndexes", [])]
        if all(status == "ACTIVE" for status in statuses):
            return
        time.sleep(0.2)
    raise TimeoutError(f"index {index['IndexName']} on {table} did not become active")
