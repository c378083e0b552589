"""docs/openapi.yaml stays true: it is a valid OpenAPI document, it lists exactly
the app's routes, and the app's real answers to a day of realistic use (and to
its mistakes) are the statuses and bodies the document promises."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis

from chalicelib import auth, aws
from tests.api.helpers import Api, login
from tests.api.openapi_doc import (
    DOC_PATH,
    PREFIX,
    app_operations,
    document,
    documented_operations,
    operation_for,
    response_problems,
)
from tests.api.ws_gateway import Desk
from tests.conftest import ADMIN_PASSWORD, make_tenant

# --- (a) a valid OpenAPI document -----------------------------------------------------


def test_the_document_is_valid_openapi():
    schema = schemathesis.openapi.from_path(DOC_PATH)
    schema.validate()
    assert schema.specification.version.startswith("3.")
    assert len(list(schema.get_all_operations())) == len(documented_operations())


def test_the_validator_refuses_a_broken_document():
    broken = copy.deepcopy(document())
    broken["paths"]["/api/health"]["get"]["responses"] = {"200": {"content": 7}}
    with pytest.raises(Exception, match=r"content|description"):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_operation_says_who_may_call_it():
    doc = document()
    for method, path in documented_operations():
        operation = doc["paths"][path][method.lower()]
        role = operation.get("x-role")
        assert role in ("public", "operator", "admin"), (method, path)
        public = operation.get("security") == []
        assert public == (role == "public"), (method, path, "security does not match x-role")
        responses = operation["responses"]
        if role != "public":
            assert "401" in responses, (method, path)
        if role == "admin":
            assert "403" in responses, (method, path)


def test_every_error_response_is_the_error_shape():
    doc = document()
    for method, path in documented_operations():
        for status, response in doc["paths"][path][method.lower()]["responses"].items():
            if int(status) < 400:
                continue
            if "$ref" in response:
                response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


# --- (b) the document and the app list the same operations -------------------------


def test_every_route_of_the_app_is_documented():
    missing = app_operations() - documented_operations()
    assert not missing, f"routes without documentation: {sorted(missing)}"


def test_every_documented_operation_is_a_route_of_the_app():
    extra = documented_operations() - app_operations()
    assert not extra, f"documented but not served: {sorted(extra)}"


# --- (c) real responses conform -----------------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes | str | None


class RecordingHttp:
    """chalice.test's HTTP client, remembering every exchange."""

    def __init__(self, http: Any, exchanges: list[Exchange]) -> None:
        self.http = http
        self.exchanges = exchanges

    def request(self, method: str, path: str, headers: Any = None, body: Any = b"") -> Any:
        response = self.http.request(method, path, headers=headers, body=body)
        self.exchanges.append(
            Exchange(method, PREFIX + path, response.status_code, dict(response.headers),
                     response.body)
        )
        return response


class RecordingClient:
    def __init__(self, client: Any, exchanges: list[Exchange]) -> None:
        self.http = RecordingHttp(client.http, exchanges)
        self.lambda_ = client.lambda_


@pytest.fixture
def exchanges() -> list[Exchange]:
    return []


@pytest.fixture
def desk(client, tenant, monkeypatch, exchanges) -> Iterator[Desk]:
    monkeypatch.setenv(
        "WS_MANAGEMENT_ENDPOINT", "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws"
    )
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "openapi-exports")
    monkeypatch.setenv("WIDGET_SESSIONS_BURST", "40")
    aws.client("s3").create_bucket(Bucket="openapi-exports")
    yield Desk(RecordingClient(client, exchanges), tenant)


def _ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def _admin_day(desk: Desk) -> None:
    """Settings, categories, operators and the widget's doors, as an admin sets up."""
    admin, public, key = desk.admin, desk.public, desk.tenant.widget_key
    _ok(public.get("/health"))
    assert desk.client.http.request("GET", f"/widget/{key}/frame").status_code == 200
    _ok(public.post("/auth/login", {"service_id": "acme", "email": "x@y.z", "password": "p"}), 401)
    _ok(public.post("/auth/login", {"email": 3}), 400)
    _ok(public.post("/auth/login", "x" * (300 * 1024)), 413)
    _ok(admin.get("/me"))
    _ok(admin.post("/auth/ws-ticket"))
    _ok(admin.put("/me/status", {"status": "break"}))
    _ok(admin.put("/me/status", {"status": "asleep"}), 400)
    settings = _ok(admin.get("/settings"))
    _ok(admin.put("/settings", {**settings, "greeting": "Welcome!", "consent_text": "OK?"}))
    _ok(admin.put("/settings", {"colour": "red"}), 400)
    _ok(admin.get("/settings/widget-snippet"))
    secret = _ok(admin.post("/settings/identity-secret"))["identity_secret"]
    visitor = _ok(public.post(f"/widget/{key}/session", {}))["customer_id"]
    _ok(admin.post(f"/customers/{visitor}/sign-out"), 204)
    _ok(admin.post("/customers/cu_nobody/sign-out"), 404)

    root = _ok(admin.post("/categories", {"name": "Billing"}), 201)
    child = _ok(admin.post("/categories", {"name": "Refunds", "parent_id": root["category_id"]}),
                201)
    leaf = _ok(admin.post("/categories", {"name": "Late", "parent_id": child["category_id"]}), 201)
    _ok(admin.post("/categories", {"name": "Too deep", "parent_id": leaf["category_id"]}), 400)
    _ok(admin.post("/categories", {"name": "Shipping"}), 201)
    _ok(admin.get("/categories"))
    _ok(admin.put(f"/categories/{child['category_id']}", {"name": "Refund", "position": 0}))
    _ok(admin.put("/categories/nope", {"name": "x"}), 404)
    _ok(admin.delete(f"/categories/{root['category_id']}"), 409)
    _ok(admin.delete(f"/categories/{leaf['category_id']}"), 204)

    created = _ok(admin.post("/operators", {"email": "temp@acme.test", "name": "Temp",
                                            "password": "temporary-pw-1", "role": "operator"}),
                  201)
    _ok(admin.post("/operators", {"email": "temp@acme.test", "name": "Again",
                                  "password": "temporary-pw-1", "role": "operator"}), 409)
    _ok(admin.get("/operators"))
    _ok(admin.get(f"/operators/{created['operator_id']}"))
    _ok(admin.put(f"/operators/{created['operator_id']}", {"max_chats": 3, "name": "Tempo"}))
    _ok(admin.put(f"/operators/{desk.tenant.admin_id}", {"role": "operator"}), 409)
    _ok(admin.get("/operators/nope"), 404)
    temp = login(desk.client, "acme", "temp@acme.test", "temporary-pw-1")
    _ok(temp.get("/settings"), 403)
    _ok(temp.get("/team"))
    _ok(admin.delete(f"/operators/{created['operator_id']}"), 204)
    _ok(temp.get("/me"), 401)
    _ok(Api(desk.client, "not-a-token").get("/chats"), 401)

    _ok(public.get(f"/widget/{key}/config"))
    _ok(public.get("/widget/no-such-key/config"), 404)
    user = {"id": "u-1", "name": "Signed In", "email": "signed@example.jp",
            "hash": auth.identity_hash(secret, "u-1")}
    assert _ok(public.post(f"/widget/{key}/session", {"user": user, "language": "en"}))["verified"]
    _ok(public.post(f"/widget/{key}/session", {"user": {**user, "hash": "00"}}), 401)
    _ok(public.post(f"/widget/{key}/session", {"language": "fr"}), 400)
    _ok(public.post("/widget/no-such-key/session", {}), 404)
    _ok(admin.put("/settings", {"allowed_origins": ["https://shop.example.com"]}))
    _ok(public.post(f"/widget/{key}/session", {"page_origin": "https://evil.example"}), 403)
    _ok(admin.put("/settings", {"allowed_origins": []}))


def _chat_day(desk: Desk) -> None:
    """A chat from start to ticket, History, export and statistics."""
    admin, key = desk.admin, desk.tenant.widget_key
    operator, console = desk.operator(max_chats=3)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True, "name": "Hanako",
                                "email": "hanako@example.jp"})["chat"]["chat_id"]
    resumed = _ok(desk.public.post(f"/widget/{key}/session",
                                   {"visitor_token": customer.visitor_token}))
    assert resumed["open_chat"]["chat_id"] == chat_id
    assert _ok(operator.get("/chats"))["in_chat"] == 1
    _ok(operator.get(f"/chats/{chat_id}"))
    _ok(operator.post(f"/chats/{chat_id}/open"))
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "My order is late"})
    console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o1",
                     "text": "Sorry to hear that!"})
    _ok(operator.get(f"/chats/{chat_id}/messages?after_seq=1"))
    _ok(operator.get(f"/chats/{chat_id}/messages?after_seq=x"), 400)
    category_id = _ok(admin.get("/categories"))["categories"][0]["category_id"]
    _ok(operator.put(f"/chats/{chat_id}/info", {"customer": {"notes": "VIP", "email": ""},
                                                 "inquiry": {"category_id": category_id}}))
    _ok(operator.put(f"/chats/{chat_id}/info", {"inquiry": {"category_id": "nope"}}), 400)
    _ok(admin.delete(f"/categories/{category_id}"), 409)
    _ok(operator.post(f"/chats/{chat_id}/rating-request"), 204)
    customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 4})
    other, _ = desk.operator()
    _ok(other.post(f"/chats/{chat_id}/end"), 403)
    _ok(other.post(f"/chats/{chat_id}/tickets", {"subject": "Late order"}), 403)
    ticket = _ok(operator.post(f"/chats/{chat_id}/tickets", {"subject": "Late order",
                                                              "body": "Check courier"}), 201)
    _ok(operator.post(f"/chats/{chat_id}/tickets", {"subject": ""}), 400)
    ended = _ok(operator.post(f"/chats/{chat_id}/end"))
    assert ended["status"] == "ended"
    _ok(operator.post(f"/chats/{chat_id}/open"), 409)
    _ok(operator.post(f"/chats/{chat_id}/rating-request"), 409)
    _ok(operator.get("/chats/nope"), 404)

    _ok(operator.get("/tickets?limit=1"))
    _ok(operator.get("/tickets?cursor=garbage"), 400)
    _ok(operator.get(f"/tickets/{ticket['ticket_id']}"))
    _ok(operator.get(f"/tickets/{ticket['ticket_id']}/chat-history"))
    _ok(operator.get("/tickets/nope"), 404)
    _ok(operator.get("/tickets/nope/chat-history"), 404)
    assert _ok(operator.get("/history?status=processed&q=Hanako&rating=4"))["chats"]
    _ok(operator.get("/history?limit=500"), 400)
    job = _ok(operator.post("/history/exports", {"status": "processed"}), 202)
    assert _ok(operator.get(f"/history/exports/{job['export_id']}"))["status"] == "done"
    _ok(operator.post("/history/exports", {"rating": 9}), 400)
    _ok(operator.get("/history/exports/nope"), 404)
    _ok(operator.get("/stats"))
    _ok(operator.get("/stats?from=2020-01-01&to=2026-01-01"), 400)
    _ok(operator.put("/me/status", {"status": "offline"}))
    _ok(operator.post("/auth/logout"), 204)
    _ok(operator.get("/me"), 401)


def _workbench_day(desk: Desk) -> None:
    """Notes, read marks and transfers, with their refusals."""
    first, console = desk.operator(max_chats=3)
    customer = desk.customer(ip="203.0.113.61")
    chat_id = customer.request({"type": "chat.start", "consent": True,
                                "name": "Taro"})["chat"]["chat_id"]
    second, _ = desk.operator(max_chats=3)
    if _ok(desk.admin.get(f"/chats/{chat_id}"))["operator_id"] != first.operator_id:
        _ok(desk.admin.post(f"/chats/{chat_id}/transfer", {"operator_id": first.operator_id}))
    _ok(first.post(f"/chats/{chat_id}/open"))
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "w1",
                      "text": "Hello?"})
    assert _ok(first.get("/chats"))["chats"][0]["unread"] == 1
    _ok(first.post(f"/chats/{chat_id}/read", {"seq": 2}), 204)
    _ok(first.post(f"/chats/{chat_id}/read", {"seq": "2"}), 400)
    _ok(first.post(f"/chats/{chat_id}/notes", {"text": "Prefers email"}), 201)
    _ok(first.post(f"/chats/{chat_id}/notes", {"text": ""}), 400)
    _ok(first.get(f"/chats/{chat_id}/notes"))
    _ok(first.get("/chats/nope/notes"), 404)
    _ok(first.get(f"/chats/{chat_id}/transfer-targets"))
    _ok(first.get("/chats/nope/transfer-targets"), 404)
    _ok(second.post(f"/chats/{chat_id}/transfer", {}), 403)
    _ok(first.post(f"/chats/{chat_id}/transfer", {"operator_id": "nope"}), 404)
    _ok(first.post(f"/chats/{chat_id}/transfer", {"operator_id": 5}), 400)
    _ok(first.post(f"/chats/{chat_id}/transfer",
                   {"operator_id": second.operator_id, "note": "Over to you"}))
    _ok(first.post(f"/chats/{chat_id}/transfer", {}), 403)
    _ok(second.post(f"/chats/{chat_id}/end"))
    _ok(second.post(f"/chats/{chat_id}/transfer", {}), 409)
    console.close()


def _canned_day(desk: Desk) -> None:
    """Canned responses (R-CAN-1): the service's set, a personal one, their refusals."""
    admin = desk.admin
    operator, _ = desk.operator(online=False)
    hello = _ok(admin.post("/canned-responses", {"scope": "service", "shortcut": "hello",
                                                 "title": "Hello", "text": "Hi {{customer.name}}"}),
                201)
    mine = _ok(operator.post("/canned-responses", {"scope": "personal", "shortcut": "ﾍﾝﾋﾟﾝ",
                                                   "title": "返品", "text": "返品です"}), 201)
    _ok(admin.post("/canned-responses", {"scope": "service", "shortcut": "HELLO", "title": "x",
                                         "text": "x"}), 409)
    _ok(operator.post("/canned-responses", {"scope": "service", "shortcut": "x", "title": "x",
                                            "text": "x"}), 403)
    _ok(admin.post("/canned-responses", {"scope": "service", "shortcut": "x", "title": "x",
                                         "text": "{{constructor}}"}), 400)
    _ok(operator.get("/canned-responses?q=へんぴん"))
    _ok(operator.get("/canned-responses?q=" + "a" * 101), 400)
    _ok(operator.put(f"/canned-responses/{mine['canned_id']}", {"shortcut": "henpin"}))
    _ok(operator.put(f"/canned-responses/{hello['canned_id']}", {"title": "Hi"}), 403)
    _ok(admin.put("/canned-responses/s.nope", {"title": "x"}), 404)
    _ok(admin.put(f"/canned-responses/{hello['canned_id']}", {"shortcut": 3}), 400)
    _ok(operator.delete(f"/canned-responses/{hello['canned_id']}"), 403)
    _ok(admin.delete(f"/canned-responses/{hello['canned_id']}"), 204)
    _ok(admin.delete(f"/canned-responses/{hello['canned_id']}"), 404)


def _offline_day(desk: Desk) -> None:
    """Business hours, the offline form and the ticket workflow (R-BH-1, R-OFF-1,
    R-TK-2), with their refusals."""
    admin, public, key = desk.admin, desk.public, desk.tenant.widget_key
    operator, _ = desk.operator(online=False)
    assert _ok(operator.get("/settings/holiday-countries"))["countries"]
    _ok(admin.put("/settings", {"business_hours": {"enabled": False, "closed_dates": ["12-31"],
                                                   "weekly": {"mon": [["22:00", "02:00"]]}},
                                "offline_form": True}))
    _ok(admin.put("/settings", {"business_hours": {"weekly": {"mon": [["9:00", "10:00"]]}}}),
        400)
    form = {"page_origin": "https://shop.example.com", "name": "Hanako",
            "email": "hanako@example.jp", "text": "Where is my order?", "consent": True,
            "submission_id": "openapi-walk-1"}
    receipt = _ok(public.post(f"/widget/{key}/offline-message", form), 201)
    _ok(public.post(f"/widget/{key}/offline-message", form), 200)
    _ok(public.post(f"/widget/{key}/offline-message", {**form, "consent": False}), 400)
    _ok(public.post("/widget/nope/offline-message", form), 404)
    ticket_id = receipt["ticket_id"]
    assert _ok(operator.get("/tickets?status=open&channel=offline_form"))["tickets"]
    _ok(operator.get("/tickets?status=closed"), 400)
    _ok(operator.put(f"/tickets/{ticket_id}", {"status": "pending",
                                               "assignee_id": operator.operator_id}))
    _ok(operator.put(f"/tickets/{ticket_id}", {"assignee_id": "nobody"}), 400)
    _ok(operator.put("/tickets/nope", {"status": "open"}), 404)
    _ok(operator.post(f"/tickets/{ticket_id}/replies", {"text": "It ships today."}), 201)
    _ok(operator.post(f"/tickets/{ticket_id}/replies", {"text": ""}), 400)
    _ok(operator.post("/tickets/nope/replies", {"text": "x"}), 404)
    assert len(_ok(operator.get(f"/tickets/{ticket_id}/thread"))["entries"]) == 2
    _ok(operator.get("/tickets/nope/thread"), 404)
    _ok(admin.put("/settings", {"offline_form": False}))
    _ok(public.post(f"/widget/{key}/offline-message", {**form, "submission_id": "walk-2x"}),
        400)
    _ok(public.post(f"/widget/{key}/offline-message", {**form, "submission_id": "walk-0003"}),
        403)
    _ok(admin.put("/settings", {"offline_form": True}))


def _make_it_theirs(desk: Desk, operator: Api, chat_id: str) -> None:
    """Routing may give a new chat to an operator of an earlier day (as idle as
    the new one): an admin hands it over, so the day's operator handles it."""
    chat = _ok(desk.admin.get(f"/chats/{chat_id}"))
    if chat["operator_id"] != operator.operator_id:
        _ok(desk.admin.post(f"/chats/{chat_id}/transfer",
                            {"operator_id": operator.operator_id}))


def _files_day(desk: Desk) -> None:
    """Files in chats (R-ATT-1): an operator's upload asked for, sent, linked;
    the refusals."""
    import requests

    from tests.api.test_attachments_api import PDF

    operator, console = desk.operator()
    customer = desk.customer(ip="203.0.113.61")
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    _make_it_theirs(desk, operator, chat_id)
    answer = _ok(operator.post(f"/chats/{chat_id}/attachments", {
        "filename": "invoice.pdf", "content_type": "application/pdf", "size": len(PDF)}), 201)
    upload = answer["upload"]
    requests.post(upload["url"], data=upload["fields"],
                  files={"file": ("invoice.pdf", PDF, "application/pdf")}, timeout=10)
    assert console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "f1",
                            "attachment_id": answer["attachment_id"]})["type"] == "message.ack"
    _ok(operator.get(f"/chats/{chat_id}/attachments/{answer['attachment_id']}"))
    _ok(operator.get(f"/chats/{chat_id}/attachments/at_nope"), 400)
    assert _ok(operator.get(f"/chats/{chat_id}/messages"))["messages"][-1]["attachment"]
    _ok(operator.post(f"/chats/{chat_id}/attachments", {
        "filename": "x.svg", "content_type": "image/svg+xml", "size": 10}), 400)
    _ok(operator.post("/chats/nope/attachments", {
        "filename": "x.pdf", "content_type": "application/pdf", "size": 10}), 404)
    settings = _ok(desk.admin.get("/settings"))["attachments"]
    _ok(desk.admin.put("/settings", {"attachments": {**settings, "enabled": False}}))
    _ok(operator.post(f"/chats/{chat_id}/attachments", {
        "filename": "x.pdf", "content_type": "application/pdf", "size": 10}), 403)
    _ok(desk.admin.put("/settings", {"attachments": settings}))


def _floor_day(desk: Desk) -> None:
    """Blocks, visitor context and the monitor (R-BLK-1, R-VIS-1, R-SUP-1)."""
    admin = desk.admin
    operator, _ = desk.operator(max_chats=5)
    customer = desk.customer(ip="203.0.113.62")
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    customer.send({"type": "page.view", "chat_id": chat_id, "url": "https://shop.example.com/a"})
    assert _ok(operator.get(f"/chats/{chat_id}"))["visitor"]["pages"]
    _ok(operator.get(f"/history?customer_id={customer.customer_id}"))
    _ok(admin.get("/monitor"))
    _ok(operator.get("/monitor"), 403)
    _ok(admin.put("/settings", {"page_query_strings": False}))
    # The chat may have gone to an operator of an earlier day: an admin blocks any.
    _ok(admin.post(f"/chats/{chat_id}/block", {"days": 0}), 400)
    block = _ok(admin.post(f"/chats/{chat_id}/block", {"days": 2, "reason": "spam"}), 201)
    _ok(desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                         {"visitor_token": customer.visitor_token}), 403)
    assert _ok(admin.get("/blocks"))["blocks"]
    _ok(operator.get("/blocks"), 403)
    _ok(admin.delete(f"/blocks/{block['block_id']}"), 204)
    _ok(admin.delete(f"/blocks/{block['block_id']}"), 404)


def _hooks_day(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks (R-HOOK-1): made, changed, tried, logged, redelivered, gone."""
    from tests.api.test_webhooks_api import Receiver, pump

    admin = desk.admin
    operator, _ = desk.operator()
    monkeypatch.setenv("WEBHOOK_QUEUE_URL",
                       aws.client("sqs").create_queue(QueueName="helpdesk-webhooks")["QueueUrl"])
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    receiver = Receiver()
    try:
        _ok(admin.post("/webhooks", {"url": "http://169.254.169.254/", "events": ["ping"]}), 400)
        hook = _ok(admin.post("/webhooks", {"url": receiver.url, "events": ["chat.started"]}),
                   201)
        path = f"/webhooks/{hook['webhook_id']}"
        _ok(operator.get("/webhooks"), 403)
        assert _ok(admin.get("/webhooks"))["webhooks"]
        _ok(admin.put(path, {"events": ["chat.started", "message.created"]}))
        _ok(admin.post(f"{path}/secret"))
        delivery = _ok(admin.post(f"{path}/test"), 202)
        pump()
        assert _ok(admin.get(f"{path}/deliveries"))["deliveries"]
        again = f"{path}/deliveries/{delivery['delivery_id']}/redeliver"
        _ok(admin.post(again), 202)
        _ok(admin.post(again), 409)
        pump()
        _ok(admin.delete(path), 204)
        _ok(admin.delete(path), 404)
    finally:
        receiver.stop()
    # Erasure (R-PRIV-2): by id, by an email of nobody, its record.
    customer = desk.customer(ip="203.0.113.63")
    customer.request({"type": "chat.start", "consent": True, "name": "Ada"})
    erased = _ok(admin.post("/privacy/erase", {"customer_id": customer.customer_id}))
    assert erased["erased"]["customers"] == 1 and erased["status"] == "done"
    _ok(admin.post("/privacy/erase", {"email": "nobody@example.test"}))
    _ok(admin.get(f"/privacy/erasures/{erased['erasure_id']}"))
    _ok(admin.post("/privacy/erase", {}), 400)
    _ok(admin.post("/privacy/erase", {"customer_id": "cu_nobody"}), 404)
    _ok(admin.get("/privacy/erasures/nosuch"), 404)
    _ok(operator.post("/privacy/erase", {"email": "a@example.test"}), 403)
    # The audit log (R-AUD-1) of all of the above.
    page = _ok(admin.get("/audit?limit=5"))
    assert page["entries"] and page["next_cursor"]
    _ok(admin.get(f"/audit?limit=5&cursor={page['next_cursor']}"))
    _ok(admin.get("/audit?action=webhook.create&from=2020-01-01&to=2099-12-31"))
    _ok(admin.get("/audit?from=2026-03-05&to=2026-03-01"), 400)
    _ok(operator.get("/audit"), 403)


def _mistakes(desk: Desk) -> None:
    """Requests that once answered 500: odd digits, years out of range, a body
    in another media type (Chalice's own 415 was not the error shape)."""
    admin = desk.admin
    _ok(admin.get("/chats/nope/messages?after_seq=%C2%B2"), 400)  # "²".isdigit()
    for query in ("to=9999-12-31", "to=0001-01-01T00:00:00", "from=0001-01-01T00:00:00%2B01:00"):
        _ok(admin.get(f"/history?{query}"), 400)
        _ok(admin.get(f"/stats?{query}"), 400)
    _ok(admin.post("/history/exports", '{"rating": 1e999}'), 400)
    _ok(admin.post("/history/exports", {"to": {}}), 400)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    _ok(desk.public.post("/auth/login", "service_id=acme", headers=form), 415)
    _ok(admin.post("/auth/login", "{}", headers={"Content-Type": "text/plain"}), 400)


def _limits(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 429s and the 503 the document promises, with their headers."""
    public, key = desk.public, desk.tenant.widget_key
    for _ in range(5):
        _ok(public.post("/auth/login", {"service_id": "acme", "email": desk.tenant.admin_email,
                                        "password": "wrong-password"}), 401)
    _ok(public.post("/auth/login", {"service_id": "acme", "email": desk.tenant.admin_email,
                                    "password": ADMIN_PASSWORD}), 429)
    monkeypatch.setenv("WIDGET_SESSIONS_BURST", "1")
    monkeypatch.setenv("WIDGET_SESSIONS_PER_MINUTE", "1")
    while public.post(f"/widget/{key}/session", {})[0] == 200:
        pass
    monkeypatch.delenv("EXPORT_INVOKE")  # the worker Lambda does not exist here
    _ok(desk.admin.post("/history/exports", {}), 503)


def test_real_responses_are_what_the_document_promises(desk, exchanges, monkeypatch):
    make_tenant("other")
    _admin_day(desk)
    _chat_day(desk)
    _canned_day(desk)
    _workbench_day(desk)
    _offline_day(desk)
    _files_day(desk)
    _floor_day(desk)
    _hooks_day(desk, monkeypatch)
    _mistakes(desk)
    _limits(desk, monkeypatch)

    problems, answered = [], set()
    for exchange in exchanges:
        operation = operation_for(exchange.method, exchange.path)
        assert operation is not None, (exchange.method, exchange.path, "not documented")
        answered.add((operation, exchange.status))
        for problem in response_problems(operation, exchange.status, exchange.headers,
                                         exchange.body):
            problems.append(f"{exchange.method} {exchange.path} → {exchange.status}: {problem}")
    assert not problems, "\n".join(problems)
    succeeded = {operation for operation, status in answered if status < 300}
    assert succeeded == documented_operations(), (
        "operations never seen succeeding here: "
        f"{sorted(documented_operations() - succeeded)}"
    )
    for status in (400, 401, 403, 404, 409, 413, 415, 429, 503):
        assert any(got == status for _, got in answered), status


def test_a_response_off_the_document_is_caught():
    health = ("GET", "/api/health")
    json_type = {"Content-Type": "application/json"}
    assert response_problems(health, 200, json_type, json.dumps({"ok": True})) == []
    assert response_problems(health, 200, json_type, json.dumps({"ok": True, "extra": 1}))
    assert response_problems(health, 418, json_type, "{}")
    chats = ("GET", "/api/chats")
    assert response_problems(chats, 401, json_type, json.dumps({"code": "x", "message": "y"})) == []
    assert response_problems(chats, 401, json_type, json.dumps({"Code": "x", "Message": "y"}))
    login_op = ("POST", "/api/auth/login")
    error = json.dumps({"code": "rate_limited", "message": "wait"})
    assert response_problems(login_op, 429, json_type, error)  # no Retry-After
    assert response_problems(login_op, 429, {**json_type, "Retry-After": "3"}, error) == []

