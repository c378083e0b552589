"""A pytest plugin: the suite's tables come from CloudFormation, not boto3 calls.

    pytest tests/api/test_categories_api.py -p tests.deploy.cfn_tables

replaces `infra.tables.create_tables` (which the `aws` fixture of tests/conftest.py
calls inside moto) with deploying infra/tables.yaml as a stack in moto's
CloudFormation, then pointing TABLE_<KEY> at the table names the stack made. The
tests then run unchanged against those tables.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from chalicelib import aws, config, models
from infra import package, tables

_stacks = itertools.count(1)


def deploy_tables_stack(stack_name: str) -> dict[str, str]:
    """Create the tables stack in the current (moto) account; table key → name."""
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName=stack_name, TemplateBody=tables.TABLES_YAML.read_text())
    status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name}: {status}")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    return {key: physical[logical_id] for key, logical_id in package.table_logical_ids().items()}


def create_tables_from_stack(client: Any, *, wait: bool = True) -> list[str]:
    names = deploy_tables_stack(f"helpdesk-tables-{next(_stacks)}")
    for key, name in names.items():
        os.environ[config.env_var_for_table(key)] = name
    models.reset_connections()
    return list(names.values())


def pytest_configure() -> None:
    # Only as a plugin (-p): importing this module changes nothing.
    tables.create_tables = create_tables_from_stack


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    report = os.environ.get("CFN_TABLES_REPORT")
    if report:
        with open(report, "w") as handle:
            handle.write(f"{next(_stacks) - 1}\n")
