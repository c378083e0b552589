"""`GET /chats` costs a fixed number of DynamoDB requests, however many chats
the operator holds: the heads of the chats come in one BatchGetItem, their last
messages in another (R-ALERT-1's preview) and the category paths in one Query,
never one read per chat (serializers read nothing)."""

from pynamodb.connection import base

from tests.api.ws_gateway import Desk


def _requests_for(api, monkeypatch) -> list[str]:
    sent: list[str] = []
    original = base.Connection._make_api_call

    def counted(connection, operation, kwargs):
        sent.append(operation)
        return original(connection, operation, kwargs)

    monkeypatch.setattr(base.Connection, "_make_api_call", counted)
    try:
        status, body = api.get("/chats")
    finally:
        monkeypatch.setattr(base.Connection, "_make_api_call", original)
    assert status == 200
    return sent, body


def test_listing_10_chats_costs_what_listing_2_does(client, tenant, monkeypatch):
    monkeypatch.setenv("WS_MANAGEMENT_ENDPOINT",
                       "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws")
    desk = Desk(client, tenant)
    _, category = desk.admin.post("/categories", {"name": "Billing"})
    api, _console = desk.operator(max_chats=10)
    costs = {}
    for held in (2, 10):
        while True:
            listed = api.get("/chats")[1]["chats"]
            if len(listed) >= held:
                break
            customer = desk.customer(ip=f"203.0.113.{len(listed) + 1}")
            chat_id = customer.request({"type": "chat.start",
                                        "consent": True})["chat"]["chat_id"]
            api.put(f"/chats/{chat_id}/info",
                    {"inquiry": {"category_id": category["category_id"]}})
        sent, body = _requests_for(api, monkeypatch)
        assert len(body["chats"]) == held
        assert {tuple(c["inquiry"]["category_path"]) for c in body["chats"]} == {("Billing",)}
        costs[held] = sorted(sent)
    assert costs[10] == costs[2], costs
    assert costs[10].count("BatchGetItem") == 2
