"""Blocking an abusive visitor (R-BLK-1) over the real handlers: the chat ends
with a neutral message, the visitor's sockets close, their sessions, chats and
offline messages are refused `blocked` until the block expires or is lifted;
by address too when asked; per service; operators block, admins list and lift."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.models import Message
from tests.api.helpers import assert_error
from tests.api.ws_gateway import Desk

SHOP = "https://shop.example.com"


@pytest.fixture
def chat(desk: Desk) -> dict[str, Any]:
    operator, console = desk.operator()
    customer = desk.customer(ip="203.0.113.40")
    started = customer.request({"type": "chat.start", "consent": True, "name": "Troll",
                                "language": "ja"})
    assert started["type"] == "chat.started", started
    return {"chat_id": started["chat"]["chat_id"], "customer": customer,
            "operator": operator, "console": console}


def session(desk: Desk, ip: str, **body: Any) -> tuple[int, Any]:
    from chalice.local import LambdaEventConverter

    previous = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = ip
    try:
        return desk.public.post(f"/widget/{desk.tenant.widget_key}/session", body)
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = previous


def offline(desk: Desk, ip: str, n: int, **body: Any) -> tuple[int, Any]:
    from chalice.local import LambdaEventConverter

    previous = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = ip
    try:
        return desk.public.post(f"/widget/{desk.tenant.widget_key}/offline-message", {
            "name": "Troll", "email": "troll@example.test", "text": "hello", "consent": True,
            "submission_id": f"block-sub-{n:04d}", **body})
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = previous


def test_a_blocked_visitor_is_refused_everywhere_and_the_chat_ends_neutrally(chat, desk):
    customer, operator, chat_id = chat["customer"], chat["operator"], chat["chat_id"]
    status, block = operator.post(f"/chats/{chat_id}/block",
                                  {"reason": "abusive language", "days": 7})
    assert status == 201, block
    assert block["customer_id"] == customer.customer_id and block["ip"] is None
    assert block["customer_name"] == "Troll"
    assert block["reason"] == "abusive language"
    # The chat ended; the customer read only a neutral line, in their language.
    assert operator.get(f"/chats/{chat_id}")[1]["status"] == "ended"
    system = [f["message"]["text"] for f in customer.frames("message")
              if f["message"]["sender"]["role"] == "system"]
    assert system[-1] == "このチャットは終了しました。"
    assert not any("abusive" in str(f) or "block" in str(f) for f in customer.frames())
    assert customer.closed
    # Their next session, chat and offline message: refused.
    token = customer.visitor_token
    assert_error(session(desk, "203.0.113.40", visitor_token=token), 403, "blocked")
    assert_error(offline(desk, "198.51.100.9", 1, visitor_token=token), 403, "blocked")
    # Another visitor on the same address is not blocked (the address was not).
    assert session(desk, "203.0.113.40")[0] == 200
    # Nothing in the message log says "blocked" either.
    assert all("block" not in m.text for m in Message.query(chat_id))


def test_a_block_with_the_address_refuses_new_visitors_from_it(chat, desk):
    status, block = chat["operator"].post(f"/chats/{chat['chat_id']}/block",
                                          {"include_ip": True})
    assert status == 201 and block["ip"] == "203.0.113.40"
    assert_error(session(desk, "203.0.113.40"), 403, "blocked")
    assert_error(offline(desk, "203.0.113.40", 2), 403, "blocked")
    assert session(desk, "203.0.113.41")[0] == 200


def test_a_customer_blocked_mid_session_cannot_start_a_chat(chat, desk):
    """Their sockets are closed by the block; one that connected in the
    meantime is refused at chat.start."""
    from chalicelib.errors import Blocked
    from chalicelib.services import chats
    from tests.chat_helpers import RecordingPusher, connect_customer

    tab = desk.customer(ip="203.0.113.40", visitor_token=chat["customer"].visitor_token)
    chat["operator"].post(f"/chats/{chat['chat_id']}/block", {})
    assert tab.closed
    late = connect_customer(desk.tenant.service_id, chat["customer"].customer_id,
                            now=clock.now())
    with pytest.raises(Blocked):
        chats.start(late, chats.StartRequest(), ip="198.51.100.1", device=None,
                    now=clock.now(), push=RecordingPusher())


def test_admins_list_and_lift_blocks_and_the_visitor_is_back(chat, desk):
    operator = chat["operator"]
    block = operator.post(f"/chats/{chat['chat_id']}/block", {"days": 3, "include_ip": True})[1]
    assert_error(operator.get("/blocks"), 403)
    assert_error(operator.delete(f"/blocks/{block['block_id']}"), 403)
    status, listed = desk.admin.get("/blocks")
    assert status == 200 and [b["block_id"] for b in listed["blocks"]] == [block["block_id"]]
    assert listed["blocks"][0]["created_by_name"] == "Operator 1"
    assert desk.admin.delete(f"/blocks/{block['block_id']}")[0] == 204
    assert desk.admin.get("/blocks")[1]["blocks"] == []
    assert_error(desk.admin.delete(f"/blocks/{block['block_id']}"), 404)
    assert session(desk, "203.0.113.40",
                   visitor_token=chat["customer"].visitor_token)[0] == 200


def test_a_block_expires_by_itself(chat, desk, monkeypatch):
    block = chat["operator"].post(f"/chats/{chat['chat_id']}/block", {"days": 1})[1]
    token = chat["customer"].visitor_token
    later = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert session(desk, "203.0.113.40", visitor_token=token)[0] == 200
    assert block["block_id"] not in [b["block_id"] for b in desk.admin.get("/blocks")[1]["blocks"]]


def test_blocks_are_per_service_and_only_for_chats_one_handles(chat, client, desk):
    from tests.conftest import make_tenant

    other = Desk(client, make_tenant("globex"))
    assert_error(other.admin.post(f"/chats/{chat['chat_id']}/block", {}), 404)
    bystander, _ = desk.operator()
    assert_error(bystander.post(f"/chats/{chat['chat_id']}/block", {}), 403)
    block = chat["operator"].post(f"/chats/{chat['chat_id']}/block", {})[1]
    assert other.admin.get("/blocks")[1]["blocks"] == []
    assert_error(other.admin.delete(f"/blocks/{block['block_id']}"), 404)
    # The same visitor token means nothing in the other service anyway; its
    # visitors are not blocked by this service's block of an address.
    assert other.public.post(f"/widget/{other.tenant.widget_key}/session", {})[0] == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"days": 0}, "days"), ({"days": 366}, "days"), ({"days": "7"}, "days"),
    ({"days": 1.5}, "days"), ({"reason": "x" * 501}, "reason"), ({"reason": 5}, "reason"),
    ({"include_ip": "yes"}, "include_ip"), ({"until": "forever"}, "until"),
])
def test_bad_blocks_are_400_and_block_nothing(chat, desk, body, field):
    result = assert_error(chat["operator"].post(f"/chats/{chat['chat_id']}/block", body), 400)
    assert result["message"].startswith(field)
    assert desk.admin.get("/blocks")[1]["blocks"] == []
    assert chat["operator"].get(f"/chats/{chat['chat_id']}")[1]["status"] != "ended"


def test_lifting_one_block_leaves_a_later_block_of_the_same_visitor_in_force(chat, desk):
    """A later block takes the visitor's lookup over; lifting the earlier one
    does not free the visitor."""
    first = chat["operator"].post(f"/chats/{chat['chat_id']}/block", {"days": 1})[1]
    token = chat["customer"].visitor_token
    # An admin blocks the same visitor again (from the same, ended chat), longer.
    from chalicelib.services import blocking
    from chalicelib.services.access import Actor
    from tests.chat_helpers import RecordingPusher

    admin = Actor(service_id=desk.tenant.service_id, role="admin",
                  subject_id=desk.tenant.admin_id, name="Admin")
    second = blocking.block(admin, chat["chat_id"], blocking.BlockRequest("again", 30, False),
                            now=clock.now(), push=RecordingPusher(), close=lambda _: None)
    assert desk.admin.delete(f"/blocks/{first['block_id']}")[0] == 204
    assert_error(session(desk, "203.0.113.40", visitor_token=token), 403, "blocked")
    assert desk.admin.delete(f"/blocks/{second.block_id}")[0] == 204
    assert session(desk, "203.0.113.40", visitor_token=token)[0] == 200
