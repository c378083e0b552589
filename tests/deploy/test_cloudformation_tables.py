"""The tables part of the template, deployed by moto's CloudFormation, makes working
tables: their indexes are there, the app runs on them, and so do the app's tests.

moto's CloudFormation accepts TimeToLiveSpecification and
PointInTimeRecoverySpecification but does not apply them (TTL reads DISABLED);
cfn-lint checks them instead, and nothing in the tests depends on expiry."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chalicelib import config
from tests.deploy import cfn_tables

ROOT = Path(__file__).resolve().parents[2]

# Existing tests run with their tables from the stack (tests.deploy.cfn_tables).
SUITE_ON_STACK = (
    "tests/api/test_categories_api.py",
    "tests/unit/test_sweep.py",
)


@pytest.fixture
def stack_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib import models

    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("TABLE_PREFIX", "not-from-the-stack")
    with mock_aws():
        aws_clients.reset()
        models.reset_connections()
        names = cfn_tables.deploy_tables_stack("helpdesk-dev")
        for key, name in names.items():
            monkeypatch.setenv(config.env_var_for_table(key), name)
        models.reset_connections()
        yield names
    aws_clients.reset()
    models.reset_connections()


def test_stack_creates_every_table_with_its_indexes(stack_tables: dict[str, str]) -> None:
    from chalicelib import aws

    expected = yaml.safe_load((ROOT / "infra" / "tables.yaml").read_text())["Resources"]
    client = aws.client("dynamodb")
    assert sorted(client.list_tables()["TableNames"]) == sorted(stack_tables.values())
    for logical_id, resource in expected.items():
        name = stack_tables[resource["Metadata"]["TableKey"]]
        assert name.startswith(f"helpdesk-dev-{logical_id}-")
        table = client.describe_table(TableName=name)["Table"]
        wanted = {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
        assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == wanted
        assert table["KeySchema"] == resource["Properties"]["KeySchema"]


def test_the_app_works_on_the_stack_tables(stack_tables: dict[str, str]) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib.models import Chat
    from tests.api.helpers import login
    from tests.chat_helpers import RecordingPusher, add_operator, connect_customer, start_chat
    from tests.conftest import make_tenant

    tenant = make_tenant("acme")
    with Client(app) as client:
        admin = login(client, tenant.service_id, tenant.admin_email)
        status, category = admin.post("/categories", {"name": "Billing"})
        assert status == 201, category
        status, listed = admin.get("/categories")
        assert status == 200, listed
        assert "Billing" in str(listed)
    push = RecordingPusher()
    add_operator("acme", push=push)
    chat = start_chat(connect_customer("acme"), push)
    stored = Chat.get(chat.chat_id, consistent_read=True)
    assert stored.service_id == "acme"


def test_the_app_tests_pass_on_tables_from_the_stack(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TABLE_")}
    env["CFN_TABLES_REPORT"] = str(tmp_path / "stacks")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider",
         "-p", "tests.deploy.cfn_tables", *SUITE_ON_STACK],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
    assert int((tmp_path / "stacks").read_text()) > 10  # a stack per test
