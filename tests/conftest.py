"""Shared fixtures: tables created from infra/tables.yaml on moto, a seeded
service, and a Chalice test client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Test settings are set before anything reads them (config reads lazily anyway).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("TOKEN_SECRET", "test-signing-secret-not-for-production-use")
os.environ.setdefault("TABLE_PREFIX", "test")
os.environ.setdefault("WS_URL", "ws://127.0.0.1:8080/ws")
# Mail is sent in the request under test (the local stack uses the worker Lambda).
os.environ.setdefault("MAIL_INVOKE", "inline")

ADMIN_PASSWORD = "admin-password-1"


class ScanRefused(RuntimeError):
    """The app must never Scan a table; the suite's DynamoDB refuses it."""


def _refuse_scan(**_: Any) -> None:
    raise ScanRefused("DynamoDB Scan is not allowed in this product")


def _install_scan_guard() -> None:
    from botocore import handlers

    entry = ("before-call.dynamodb.Scan", _refuse_scan)
    if entry not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(entry)


_install_scan_guard()
OPERATOR_PASSWORD = "operator-password-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-memory AWS with every table from infra/tables.yaml."""
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib import config, models
    from infra import tables

    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    from chalicelib.services import webhooks

    with mock_aws():
        aws_clients.reset()
        models.reset_connections()
        webhooks.forget_subscriptions()  # read per process: a fresh table each test
        tables.create_tables(aws_clients.client("dynamodb"))
        # SES sends only from a verified identity (as on AWS).
        aws_clients.client("sesv2").create_email_identity(EmailIdentity=config.mail_from())
        aws_clients.client("s3").create_bucket(Bucket=config.files_bucket())
        yield
    aws_clients.reset()
    models.reset_connections()


@dataclass
class Tenant:
    service_id: str
    widget_key: str
    admin_email: str
    admin_id: str


def make_tenant(service_id: str, widget_key: str | None = None) -> Tenant:
    from chalicelib.services import tenants

    service, admin = tenants.create_service(
        service_id,
        name=f"Service {service_id}",
        admin_email=f"admin@{service_id}.test",
        admin_password=ADMIN_PASSWORD,
        widget_key=widget_key or f"key-{service_id}",
    )
    return Tenant(service.service_id, service.widget_key, admin.email, admin.operator_id)


@pytest.fixture
def tenant(aws: None) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def client(aws: None) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in
    the main thread for the rest of the session, which asyncio-based tests after it
    would trip over."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))
