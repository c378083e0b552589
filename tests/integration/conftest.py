"""The integration tier: the same code against Amazon's DynamoDB Local (moto is
lenient where DynamoDB is not: conditions, transactions, index rules).

DynamoDB Local starts once per test session, in memory, on a free port. Without
Java 17+ or the jar (`make dynamodb-local`) every test here fails loudly: CI
has both, and a silent skip would hide the tier."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.stack_runner import free_port


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a DynamoDB Local (in memory) shared by the session."""
    from infra.local import dynamodb_local as ddb

    reason = ddb.unavailable_reason()
    if reason:
        pytest.fail(f"the integration tier needs DynamoDB Local: {reason}", pytrace=False)
    log_path = Path(tmp_path_factory.mktemp("dynamodb-local")) / "dynamodb-local.log"
    server = ddb.start(free_port(), log_path=log_path)
    yield server.endpoint
    server.stop()


@dataclass(frozen=True)
class LocalTables:
    endpoint: str  # DynamoDB Local's URL
    prefix: str  # this test's TABLE_PREFIX


@pytest.fixture
def local_tables(dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalTables]:
    """Every table from infra/tables.yaml, fresh for this test, on DynamoDB Local.

    The app is pointed at it the way a deployment is, through the environment:
    DYNAMODB_ENDPOINT is DynamoDB Local's URL and TABLE_PREFIX a prefix unique to
    this test (any TABLE_<KEY> override is removed), and the cached boto3 clients
    and pynamodb connections are dropped so the next call uses them. So any code
    under test (services, models, handlers) runs against real DynamoDB semantics,
    and tests never see each other's items, even in one shared DynamoDB Local.
    Tables are deleted afterwards. Use it instead of the moto `aws` fixture, e.g.
    for races between threads on conditional writes and transactions.
    """
    from chalicelib import aws, config, models
    from infra import tables

    prefix = f"it-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_local)
    monkeypatch.setenv("TABLE_PREFIX", prefix)
    for key in config.TABLE_KEYS:
        monkeypatch.delenv(config.env_var_for_table(key), raising=False)
    aws.reset()
    models.reset_connections()
    client = aws.client("dynamodb", endpoint_url=dynamodb_local)
    tables.create_tables(client)
    try:
        yield LocalTables(endpoint=dynamodb_local, prefix=prefix)
    finally:
        tables.delete_tables(client)
        aws.reset()
        models.reset_connections()
