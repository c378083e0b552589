"""The integration tier's own footing: DynamoDB Local answers, each test gets
its own tables, and the database is reachable on loopback only."""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import urlparse

import pytest

from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.integration


def test_a_service_round_trips_through_dynamodb_local(local_tables):
    from chalicelib.models import Operator, Service
    from chalicelib.services import operators, tenants

    service, admin = tenants.create_service(
        "acme", name="Acme", admin_email="admin@acme.test", admin_password=ADMIN_PASSWORD
    )

    stored = Service.get("acme", consistent_read=True)
    assert (stored.name, stored.widget_key, stored.admin_count) == ("Acme", service.widget_key, 1)
    found = operators.find_by_email("acme", "admin@acme.test")
    assert found is not None and found.operator_id == admin.operator_id
    assert Operator.get("acme", admin.operator_id).role == "admin"


def test_a_conditional_transaction_is_refused_as_dynamodb_refuses_it(local_tables):
    from chalicelib.errors import Conflict
    from chalicelib.services import tenants

    tenants.create_service(
        "acme", name="Acme", admin_email="admin@acme.test", admin_password=ADMIN_PASSWORD
    )

    with pytest.raises(Conflict):
        tenants.create_service(
            "acme", name="Again", admin_email="other@acme.test", admin_password=ADMIN_PASSWORD
        )


def test_each_test_has_tables_of_its_own(local_tables):
    from chalicelib import aws, config

    names = aws.client("dynamodb", endpoint_url=local_tables.endpoint).list_tables()["TableNames"]

    for key in config.TABLE_KEYS:
        assert config.table_name(key) == f"{local_tables.prefix}-{key}"
        assert config.table_name(key) in names


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_dynamodb_local_listens_on_loopback_only(dynamodb_local):
    port = urlparse(dynamodb_local).port
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")

    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    with pytest.raises(OSError), contextlib.closing(
        socket.create_connection((address, port), timeout=2)
    ):
        pass
