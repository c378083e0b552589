"""Operator REST endpoints of the chat screen (R-CON-2…9, R-CH-1), end to end."""

import pytest

from chalicelib.models import Category, Chat, Customer, Operator
from tests.api.helpers import assert_error, login
from tests.conftest import make_tenant


def _start(customer, **fields):
    return customer.request({"type": "chat.start", "consent": True, **fields})["chat"]


# --- status ------------------------------------------------------------------------


def test_status_online_break_offline_maintains_the_online_index(desk):
    api, _ = desk.operator(online=False)
    for status, indexed in (("online", True), ("break", False), ("online", True),
                            ("offline", False)):
        assert api.put("/me/status", {"status": status}) == (200, {"status": status})
        operator = Operator.get("acme", api.operator_id)
        assert operator.status == status and operator.status_changed_at
        online = [op.operator_id for op in Operator.online.query("acme")]
        assert (api.operator_id in online) is indexed
        assert api.get("/me")[1]["status"] == status


@pytest.mark.parametrize("body", [{}, {"status": "away"}, {"status": None}])
def test_an_unknown_status_is_400(desk, body):
    api, _ = desk.operator(online=False)
    assert_error(api.put("/me/status", body), 400, "bad_request")


def test_status_needs_a_signed_in_operator(desk):
    assert_error(desk.public.put("/me/status", {"status": "online"}), 401)


def test_coming_online_takes_the_waiting_chat_and_the_console_is_told(desk):
    api, console = desk.operator(online=False)
    customer = desk.customer()
    chat = _start(customer)
    assert chat["status"] == "waiting"
    api.put("/me/status", {"status": "online"})
    assert [f["chat"]["chat_id"] for f in console.frames("chat.assigned")] == [chat["chat_id"]]
    assert customer.frames("chat.assigned")[0]["chat"]["status"] == "assigned"


def test_going_offline_gives_chats_back_to_the_queue(desk):
    api, console = desk.operator()
    customer = desk.customer()
    chat = _start(customer)
    api.put("/me/status", {"status": "offline"})
    assert Chat.get(chat["chat_id"]).status == "waiting"
    assert Operator.get("acme", api.operator_id).open_chats == 0
    assert customer.frames("chat.queued")[-1]["queue_position"] == 1
    assert console.frames("chat.unassigned") == [
        {"type": "chat.unassigned", "chat_id": chat["chat_id"]}]


# --- reading ----------------------------------------------------------------------------


def test_chats_lists_the_callers_open_chats_with_counts(desk):
    api, _ = desk.operator(max_chats=1)
    first, second = desk.customer(name=None), desk.customer()
    mine = _start(first, name="Ann")
    _start(second)
    status, body = api.get("/chats")
    assert status == 200
    assert [c["chat_id"] for c in body["chats"]] == [mine["chat_id"]]
    assert body["chats"][0]["customer"]["name"] == "Ann"
    assert (body["in_chat"], body["waiting"]) == (1, 1)


def test_any_operator_of_the_service_reads_a_chat_and_its_messages(desk):
    _api, _console = desk.operator()
    other, _ = desk.operator()
    customer = desk.customer()
    chat = _start(customer)
    customer.request({"type": "message.send", "chat_id": chat["chat_id"],
                      "client_msg_id": "c1", "text": "hello"})
    status, body = other.get(f"/chats/{chat['chat_id']}")
    assert status == 200 and body["chat_id"] == chat["chat_id"] and body["last_seq"] == 2
    status, body = other.get(f"/chats/{chat['chat_id']}/messages?after_seq=1")
    assert status == 200
    assert [(m["seq"], m["text"]) for m in body["messages"]] == [(2, "hello")]
    assert len(other.get(f"/chats/{chat['chat_id']}/messages")[1]["messages"]) == 2
    assert_error(other.get(f"/chats/{chat['chat_id']}/messages?after_seq=x"), 400)


def test_another_services_chat_is_404(desk, client):
    customer = desk.customer()
    chat = _start(customer)
    other = make_tenant("globex")
    stranger = login(client, other.service_id, other.admin_email)
    chat_id = chat["chat_id"]
    assert_error(stranger.get(f"/chats/{chat_id}"), 404, "not_found")
    assert_error(stranger.get(f"/chats/{chat_id}/messages"), 404)
    assert_error(stranger.post(f"/chats/{chat_id}/end"), 404)
    assert_error(stranger.put(f"/chats/{chat_id}/info", {}), 404)
    assert_error(stranger.post(f"/chats/{chat_id}/open"), 404)
    assert_error(stranger.post(f"/chats/{chat_id}/rating-request"), 404)


# --- handling: open, reply, save, rate, end -----------------------------------------------


def test_processed_once_opened_and_answered(desk):
    api, console = desk.operator()
    customer = desk.customer()
    chat = _start(customer)
    chat_id = chat["chat_id"]
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c",
                      "text": "hi"})
    opened = api.post(f"/chats/{chat_id}/open")[1]
    assert (opened["status"], opened["processed"], bool(opened["opened_at"])) == (
        "active", False, True)
    console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o",
                     "text": "hello!"})
    body = api.get(f"/chats/{chat_id}")[1]
    assert body["processed"] is True and body["first_response_at"]


def test_a_reply_before_opening_is_processed_when_opened(desk):
    api, console = desk.operator()
    chat_id = _start(desk.customer())["chat_id"]
    console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o",
                     "text": "hello!"})
    assert api.get(f"/chats/{chat_id}")[1]["processed"] is False
    assert api.post(f"/chats/{chat_id}/open")[1]["processed"] is True


def test_only_the_assigned_operator_or_an_admin_handles_a_chat(desk):
    _api, _ = desk.operator()
    chat_id = _start(desk.customer())["chat_id"]
    other, _ = desk.operator()
    assert_error(other.post(f"/chats/{chat_id}/open"), 403, "forbidden")
    assert_error(other.put(f"/chats/{chat_id}/info", {"customer": {"notes": "x"}}), 403)
    assert_error(other.post(f"/chats/{chat_id}/rating-request"), 403)
    assert_error(other.post(f"/chats/{chat_id}/end"), 403)
    assert desk.admin.put(f"/chats/{chat_id}/info", {"customer": {"notes": "by admin"}})[0] == 200
    assert desk.admin.post(f"/chats/{chat_id}/end")[1]["status"] == "ended"


def test_save_stores_customer_and_inquiry_info(desk):
    api, _ = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)["chat_id"]
    billing = desk.admin.post("/categories", {"name": "Billing"})[1]
    refunds = desk.admin.post("/categories", {"name": "Refunds",
                                              "parent_id": billing["category_id"]})[1]
    status, body = api.put(f"/chats/{chat_id}/info", {
        "customer": {"name": "Kim Lee", "email": "KIM@example.com", "notes": "Prefers email"},
        "inquiry": {"category_id": refunds["category_id"]}})
    assert status == 200
    assert {k: body["customer"][k] for k in ("name", "email", "notes")} == {
        "name": "Kim Lee", "email": "kim@example.com", "notes": "Prefers email"}
    assert body["inquiry"]["category_id"] == refunds["category_id"]
    assert body["inquiry"]["category_path"] == ["Billing", "Refunds"]
    stored = Customer.get("acme", customer.customer_id)
    assert (stored.name, stored.notes) == ("Kim Lee", "Prefers email")
    # Fields left out keep their value.
    assert api.put(f"/chats/{chat_id}/info", {"customer": {"notes": "VIP"}})[1]["customer"][
        "name"] == "Kim Lee"
    # Only an absent or null part means "no change": any other non-object is refused.
    for wrong in (False, 0, "", []):
        assert_error(api.put(f"/chats/{chat_id}/info", {"customer": wrong}), 400)
        assert_error(api.put(f"/chats/{chat_id}/info", {"inquiry": wrong}), 400)


def test_a_category_in_use_by_a_chat_cannot_be_deleted(desk):
    api, _ = desk.operator()
    chat_id = _start(desk.customer())["chat_id"]
    first = desk.admin.post("/categories", {"name": "Orders"})[1]["category_id"]
    second = desk.admin.post("/categories", {"name": "Returns"})[1]["category_id"]
    api.put(f"/chats/{chat_id}/info", {"inquiry": {"category_id": first}})
    assert_error(desk.admin.delete(f"/categories/{first}"), 409, "in_use")
    api.put(f"/chats/{chat_id}/info", {"inquiry": {"category_id": second}})
    assert Category.get("acme", first).usage_count == 0
    assert Category.get("acme", second).usage_count == 1
    assert desk.admin.delete(f"/categories/{first}")[0] == 204


@pytest.mark.parametrize("body", [
    {"inquiry": {"category_id": "cat_nope"}},
    {"customer": {"email": "not-an-email"}},
    {"customer": {"name": "x" * 101}},
    {"customer": {"shoe_size": 44}},
    {"customer": "Kim"},
])
def test_save_with_bad_info_is_400(desk, body):
    api, _ = desk.operator()
    chat_id = _start(desk.customer())["chat_id"]
    assert_error(api.put(f"/chats/{chat_id}/info", body), 400, "bad_request")


def test_rating_request_sends_the_guidance_message_and_opens_the_rating_screen(desk):
    desk.admin.put("/settings", {"rating_message": "How did we do?"})
    api, console = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)["chat_id"]
    status, _ = api.post(f"/chats/{chat_id}/rating-request")
    assert status == 204
    [message] = customer.frames("message")
    assert (message["message"]["sender"]["role"], message["message"]["text"],
            message["message"]["seq"]) == ("system", "How did we do?", 2)
    assert customer.frames("rating.requested") == [
        # One string is every language's, marked as the default language's.
        {"type": "rating.requested", "chat_id": chat_id, "text": "How did we do?", "lang": "ja"}]
    assert len(console.frames("message")) == 1


def test_rating_request_after_the_customer_left_is_409(desk):
    api, _ = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)["chat_id"]
    customer.request({"type": "chat.leave", "chat_id": chat_id})
    assert_error(api.post(f"/chats/{chat_id}/rating-request"), 409, "customer_left")


def test_end_tells_both_sides_frees_capacity_and_takes_the_next_in_queue(desk):
    api, console = desk.operator(max_chats=1)
    first, second = desk.customer(), desk.customer()
    a = _start(first)["chat_id"]
    b = _start(second)["chat_id"]
    assert Chat.get(b).status == "waiting"
    status, ended = api.post(f"/chats/{a}/end")
    assert status == 200 and ended["status"] == "ended" and ended["ended_at"]
    assert first.frames("chat.ended") == [{"type": "chat.ended", "chat_id": a}]
    assert {"type": "chat.ended", "chat_id": a} in console.frames()
    assert Chat.get(b).operator_id == api.operator_id
    assert Operator.get("acme", api.operator_id).open_chats == 1
    assert [c["chat_id"] for c in api.get("/chats")[1]["chats"]] == [b]
    # After End the chat is gone from the chat screen, and only history edits remain.
    assert_error(api.post(f"/chats/{a}/open"), 409, "chat_ended")
    status, saved = api.put(f"/chats/{a}/info", {"customer": {"notes": "from history"}})
    assert status == 200 and saved["customer"]["notes"] == "from history"
    first.request({"type": "message.send", "chat_id": a, "client_msg_id": "x", "text": "hi"})
    assert first.frames("error")[-1]["code"] == "chat_ended"
