"""Every REST route, fed bad bodies, bad ids and bad query strings by a signed-in
admin: always a clean 4xx in API.md's error shape (or a normal answer), never a
5xx, and a bad request stores nothing."""

import json

import pytest

from app import app
from chalicelib.models import Category, Operator, Ticket
from tests.api.helpers import login

BODIES = [
    "",
    "null",
    "[]",
    '"text"',
    "42",
    "{bad json",
    json.dumps({"name": None, "email": [], "password": {}, "subject": 7, "status": True}),
    json.dumps({"name": "x" * 100_000}),
    json.dumps({"text": "\ud800", "name": "\u0000\u202e<script>alert(1)</script>"}),
    json.dumps({"customer": "x", "inquiry": [], "from": "not-a-date", "rating": "NaN"}),
    json.dumps({"timezone": "../../etc/localtime", "language": {"$ne": 1},
                "greeting": {"ja": None, "xx": "y"}, "consent_text": {"__proto__": "x"},
                "from": "2026-02-30", "to": "9999-12-31"}),
    "{" * 5000,
    "[" * 100_000,
]
IDS = ["nope", "%00", "..%2F..%2Fetc", "x" * 300, "ch_' OR 1=1 --", "%F0%9F%98%80"]
QUERIES = ["?from=%00&to=1e309", "?limit=-5&cursor=%%%", "?after_seq=99999999999999",
           "?status=%3Cscript%3E&rating=1.5&q=" + "a" * 400,
           "?from=2026-12-06T25:00&to=0001-01-01", "?from=9998-12-31&to=9998-12-31"]


def _routes():
    for path, methods in app.routes.items():
        for method in methods:
            yield path, method


def _fill(path, value):
    return path.replace("{chat_id}", value).replace("{ticket_id}", value).replace(
        "{export_id}", value).replace("{category_id}", value).replace(
        "{operator_id}", value).replace("{key}", value).replace("{customer_id}", value)


def _counts(service_id):
    return (sum(1 for _ in Category.query(service_id)), sum(1 for _ in Operator.query(service_id)),
            sum(1 for _ in Ticket.by_service.query(service_id)))


@pytest.mark.parametrize(("path", "method"), sorted(_routes()))
def test_no_route_answers_5xx_to_hostile_input(client, tenant, path, method, monkeypatch):
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "hostile-exports")
    from chalicelib import aws

    aws.client("s3").create_bucket(Bucket="hostile-exports")
    admin = login(client, tenant.service_id, tenant.admin_email)
    before = _counts(tenant.service_id)
    for value in IDS[:3] if "{" in path else ["-"]:
        target = _fill(path, value)
        for body in BODIES if method in ("POST", "PUT") else [""]:
            status, payload = admin.call(method, target, body)
            assert status < 500, (method, target, body[:40], payload)
            if status >= 400:
                assert set(payload) == {"code", "message"}, payload
        for query in QUERIES if method == "GET" else []:
            status, payload = admin.call(method, target + query)
            assert status < 500, (method, target + query, payload)
    assert _counts(tenant.service_id) == before


@pytest.mark.parametrize("value", IDS)
def test_strange_ids_are_404_or_400_never_5xx(client, tenant, value):
    admin = login(client, tenant.service_id, tenant.admin_email)
    for path in ("/chats/{chat_id}", "/tickets/{ticket_id}", "/history/exports/{export_id}",
                 "/operators/{operator_id}", "/widget/{key}/config"):
        status, payload = admin.get(_fill(path, value))
        assert status in (400, 404), (path, value, payload)
