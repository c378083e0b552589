"""Every REST route, fed bad bodies, bad ids and bad query strings by a signed-in
admin: always a clean 4xx in API.md's error shape (or a normal answer), never a
5xx, and a bad request stores nothing."""

import json

import pytest

from app import app
from chalicelib import aws, config
from chalicelib.models import CannedResponse, Category, Operator, Ticket
from tests.api.helpers import login
from tests.conftest import make_tenant

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
    # Canned responses (R-CAN-1): oversize, wrong types, templates that are not
    # the three variables.
    json.dumps({"scope": "service", "shortcut": "x" * 33, "title": "t" * 101,
                "text": "x" * 5001}),
    json.dumps({"scope": ["service"], "shortcut": 1, "title": None, "text": {"a": 1}}),
    json.dumps({"scope": "personal", "shortcut": "hi", "title": "t",
                "text": "{{<script>alert(1)</script>}}"}),
    json.dumps({"scope": "personal", "shortcut": "hi", "title": "t",
                "text": "{{constructor}} {{__proto__}} {{ customer.name"}),
    json.dumps({"scope": "personal", "shortcut": "<img\u00a0src=x>", "title": "t", "text": "t"}),
    # Notes, transfer and read marks (R-NOTE-1, R-TR-1): oversize, wrong types.
    json.dumps({"text": "x" * 5001, "note": "y" * 5001, "operator_id": "z" * 101}),
    json.dumps({"operator_id": {"$ne": None}, "note": ["x"], "seq": 1e309}),
    json.dumps({"seq": -1, "text": "<script>alert(1)</script>", "operator_id": "../admin"}),
    # Business hours, the offline form and tickets (R-BH-1, R-OFF-1, R-TK-2): header
    # injection, overlapping or impossible hours, wrong zones, oversize, wrong types.
    json.dumps({"business_hours": {"enabled": True, "weekly": {"mon": [["09:00", "12:00"],
                                                                       ["11:00", "13:00"]]}},
                "timezone": "Asia/Nowhere"}),
    json.dumps({"business_hours": {"weekly": {"sun": [["23:00", "03:00"]],
                                              "mon": [["01:00", "09:00"]]},
                                   "holiday_country": "../../JP", "closed_dates": ["13-45"]}}),
    json.dumps({"business_hours": {"weekly": {"mon": [["09:00"] * 3] * 11}, "enabled": 1}}),
    json.dumps({"name": "Eve\r\nBcc: victim@example.test", "email": "a@b.test\r\nBcc: c@d.test",
                "text": "hi", "consent": True, "submission_id": "hostile-000001",
                "subject": "x\r\nBcc: victim@example.test"}),
    json.dumps({"name": "E" * 101, "email": "eve@example.test", "text": "x" * 100_000,
                "consent": True, "submission_id": "hostile-000002", "status": "closed"}),
    json.dumps({"name": "E" * 101, "email": "eve@example.test", "text": "hi", "consent": "true",
                "submission_id": {"$ne": 1}, "assignee_id": ["x"], "category_id": 5}),
    # Files (R-ATT-1): types never taken, names with folders, bidi and markup,
    # sizes out of range, settings that would let SVG or HTML in.
    json.dumps({"filename": "../../evil.svg", "content_type": "image/svg+xml", "size": 10}),
    json.dumps({"filename": "x\u202egnp.html", "content_type": "text/html", "size": 10}),
    json.dumps({"filename": "<script>.png", "content_type": "image/png", "size": -1}),
    json.dumps({"filename": "a.png", "content_type": "image/png", "size": 10**30}),
    json.dumps({"filename": "a" * 1001, "content_type": ["image/png"], "size": "10"}),
    json.dumps({"filename": "a.pdf", "content_type": "application/pdf", "size": 0}),
    json.dumps({"attachments": {"enabled": True, "max_bytes": 10, "types": ["image/svg+xml"]}}),
    json.dumps({"attachments": {"enabled": "yes", "max_bytes": 1e309, "types": "all"}}),
    # Blocks (R-BLK-1): days out of range or of the wrong kind, oversize reasons.
    json.dumps({"days": 0, "reason": "x" * 501, "include_ip": "yes"}),
    json.dumps({"days": 10**9, "include_ip": 1, "page_query_strings": "yes"}),
    # Retention and erasure (R-PRIV-1, R-PRIV-2): out of range, both or neither
    # of the fields, injection, oversize, operators for a document store.
    json.dumps({"retention_days": 29}),
    json.dumps({"retention_days": 10**30, "customer_id": {"$ne": None}}),
    json.dumps({"customer_id": "cu_x", "email": "a@b.test"}),
    json.dumps({"email": "a@b.test\r\nBcc: c@d.test"}),
    json.dumps({"email": "x" * 300 + "@example.test"}),
    json.dumps({"email": "*"}),
    json.dumps({"customer_id": "../../cu_x\u0000"}),
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
        "{operator_id}", value).replace("{key}", value).replace("{customer_id}", value).replace(
        "{canned_id}", value).replace("{attachment_id}", value).replace(
        "{block_id}", value).replace("{webhook_id}", value).replace("{delivery_id}", value).replace(
        "{erasure_id}", value)


def _error_keys(payload):
    """API.md's error shape (a refused file also says why)."""
    return {"code", "message"} | ({"reason"} if payload.get("code") == "bad_attachment" else set())


def _counts(service_id):
    return (sum(1 for _ in Category.query(service_id)), sum(1 for _ in Operator.query(service_id)),
            sum(1 for _ in Ticket.by_service.query(service_id)),
            sum(1 for _ in CannedResponse.query(service_id)))


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
                assert set(payload) == _error_keys(payload), payload
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


def test_canned_ids_of_another_service_or_malformed_are_404(client, tenant):
    other = make_tenant("globex")
    theirs = login(client, other.service_id, other.admin_email)
    status, taken = theirs.post("/canned-responses", {"scope": "service", "shortcut": "hi",
                                                      "title": "Hi", "text": "Hello"})
    assert status == 201, taken
    admin = login(client, tenant.service_id, tenant.admin_email)
    for value in [taken["canned_id"], *IDS, "s.", "p..x", "s.unknown0000000",
                  f"p.{tenant.admin_id}.unknown", "s.a.b"]:
        target = _fill("/canned-responses/{canned_id}", value)
        status, payload = admin.put(target, {"title": "stolen"})
        assert status == 404, (target, payload)
        status, payload = admin.delete(target)
        assert status == 404, (target, payload)
    assert theirs.get("/canned-responses")[1]["canned_responses"] == [taken]
    assert admin.get("/canned-responses")[1]["canned_responses"] == []


def test_the_offline_form_and_ticket_routes_refuse_hostile_bodies_with_real_ids(client, tenant):
    """The routes above with a real widget key and ticket (not 404 before the body
    is read): every hostile body is a clean 4xx and nothing is stored or mailed."""
    from chalicelib.models import TicketEntry
    from tests.api.test_offline_tickets_api import outbox

    admin = login(client, tenant.service_id, tenant.admin_email)
    form = {"name": "Real", "email": "real@example.test", "text": "hello", "consent": True,
            "submission_id": "real-submission-1"}
    status, receipt = admin.post(f"/widget/{tenant.widget_key}/offline-message", form)
    assert status == 201, receipt
    ticket_id = receipt["ticket_id"]
    before = (_counts(tenant.service_id), len(list(TicketEntry.query(ticket_id))),
              len(outbox()), admin.get("/settings")[1], admin.get(f"/tickets/{ticket_id}")[1])
    for method, path in (("POST", f"/widget/{tenant.widget_key}/offline-message"),
                         ("PUT", f"/tickets/{ticket_id}"),
                         ("POST", f"/tickets/{ticket_id}/replies"),
                         ("PUT", "/settings")):
        for body in BODIES:
            status, payload = admin.call(method, path, body)
            assert status < 500, (method, path, body[:60], payload)
            if status >= 400:
                assert set(payload) == {"code", "message"}, payload
            else:  # an empty change changes nothing
                assert body in ("", "{}"), (method, path, body[:60], payload)
    after = (_counts(tenant.service_id), len(list(TicketEntry.query(ticket_id))),
             len(outbox()), admin.get("/settings")[1], admin.get(f"/tickets/{ticket_id}")[1])
    assert after == before


def test_the_attachment_route_refuses_hostile_bodies_with_a_real_chat(client, tenant):
    """POST /chats/{id}/attachments on a real open chat (an admin may speak in any): every
    hostile body is a clean 4xx and no upload is offered or recorded."""
    from tests.api.ws_gateway import Desk

    desk = Desk(client, tenant)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    table = config.table_name("attachments")
    for body in BODIES:
        status, payload = desk.admin.call("POST", f"/chats/{chat_id}/attachments", body)
        assert 400 <= status < 500, (body[:60], payload)
        assert set(payload) == _error_keys(payload), payload
    assert aws.client("dynamodb").describe_table(TableName=table)["Table"]["ItemCount"] == 0
    # The route works for a good body (the corpus was refused for its content).
    status, answer = desk.admin.post(f"/chats/{chat_id}/attachments", {
        "filename": "ok.pdf", "content_type": "application/pdf", "size": 10})
    assert status == 201, answer


HOSTILE_WEBHOOK_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/", "http://[::1]/", "https://10.0.0.1/",
    "https://localhost/", "file:///etc/passwd", "gopher://127.0.0.1:25/", "dict://x/",
    "https://" + "a" * 3000 + ".example/", "https://[fd00:ec2::254]/", "https://0x7f000001/",
    "https://user:pw@93.184.215.14/", "javascript:alert(1)", "https://93.184.215.14/\r\nX: y",
    "\u0000", {"url": "x"}, ["https://93.184.215.14/"],
]


@pytest.mark.parametrize("url", HOSTILE_WEBHOOK_URLS)
def test_webhooks_refuse_urls_into_the_network_and_store_nothing(client, tenant, url,
                                                                 monkeypatch):
    """R-HOOK-1's SSRF corpus, as on AWS (loopback refused too): 400 bad_url, no webhook."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")
    admin = login(client, tenant.service_id, tenant.admin_email)
    status, payload = admin.post("/webhooks", {"url": url, "events": ["chat.started"]})
    assert (status, payload["code"]) == (400, "bad_url"), (url, payload)
    assert set(payload) == {"code", "message"}
    assert admin.get("/webhooks")[1]["webhooks"] == []


@pytest.mark.parametrize("events", [["chat.exploded"], ["ping"], [None], [], "all", {"a": 1},
                                    ["message.created"] * 10_000])
def test_webhooks_refuse_unknown_events(client, tenant, events, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "false")
    admin = login(client, tenant.service_id, tenant.admin_email)
    status, payload = admin.post("/webhooks", {"url": "https://93.184.215.14/h", "events": events})
    if events == ["message.created"] * 10_000:
        # A repeated name is the one event (the body is within the size limit).
        assert status in (201, 400, 413), payload
        return
    assert (status, payload["code"]) == (400, "bad_request"), (events, payload)
