"""The operator's workbench over the real handlers (R-NOTE-1, R-TR-1, R-ALERT-1):
internal notes, transfer, the chat list's unread count and last message."""

import json
from urllib.parse import urlencode

import pytest

from chalicelib.models import Chat, ChatHead, Customer, Message, Note, Operator
from tests.api.helpers import assert_error, login
from tests.conftest import make_tenant


@pytest.fixture
def held(desk):
    """A customer chatting with operator 1 (who opened it); operator 2 online, free."""
    api1, console1 = desk.operator()
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True, "name": "Kim"})["chat"]
    assert api1.post(f"/chats/{chat['chat_id']}/open")[0] == 200
    api2, console2 = desk.operator()
    for socket in (customer, console1, console2):
        socket.new_frames()
    return chat["chat_id"], customer, (api1, console1), (api2, console2)


def _send(socket, chat_id, text, cmid):
    return socket.request(
        {"type": "message.send", "chat_id": chat_id, "client_msg_id": cmid, "text": text}
    )


def _open_chats(service_id, operator_id):
    return int(Operator.get(service_id, operator_id, consistent_read=True).open_chats)


# --- notes ---------------------------------------------------------------------------


def test_a_note_is_stored_apart_and_heard_by_the_operator_side_only(desk, held):
    chat_id, customer, (api1, console1), (api2, _console2) = held
    status, note = api2.post(f"/chats/{chat_id}/notes", {"text": "VIP: refund approved"})
    assert status == 201, note
    assert note["author"] == {"operator_id": api2.operator_id, "name": "Operator 2"}
    assert note["text"] == "VIP: refund approved" and note["kind"] == "note"
    # Not a message: the chat's seq did not move and no message holds the text.
    assert ChatHead.get(chat_id).last_seq == 1
    assert all("VIP" not in m.text for m in Message.query(chat_id))
    assert [n.text for n in Note.query(chat_id)] == ["VIP: refund approved"]
    # The chat's operator hears it; the customer hears nothing.
    assert [f["note"]["text"] for f in console1.new_frames("note")] == ["VIP: refund approved"]
    assert customer.new_frames() == []
    status, listed = api1.get(f"/chats/{chat_id}/notes")
    assert status == 200 and [n["note_id"] for n in listed["notes"]] == [note["note_id"]]
    assert api1.get(f"/chats/{chat_id}")[1]["note_count"] == 1


def test_notes_are_listed_oldest_first(desk, held):
    chat_id, _, (api1, _), _ = held
    for text in ("first", "second", "third"):
        assert api1.post(f"/chats/{chat_id}/notes", {"text": text})[0] == 201
    assert [n["text"] for n in api1.get(f"/chats/{chat_id}/notes")[1]["notes"]] == [
        "first", "second", "third"]


@pytest.mark.parametrize("body, field", [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": 5}, "text"),
    ({"text": "x" * 5001}, "text"), ({"text": "ok", "seq": 3}, "seq"), ([], "body"),
])
def test_a_bad_note_is_refused_and_nothing_is_stored(desk, held, body, field):
    chat_id, _, (api1, _), _ = held
    error = assert_error(api1.post(f"/chats/{chat_id}/notes", body), 400)
    assert field in error["message"]
    assert list(Note.query(chat_id)) == []


def test_another_services_chat_cannot_be_noted_or_read(desk, held, client):
    chat_id, *_ = held
    other = make_tenant("other")
    stranger = login(client, other.service_id, other.admin_email)
    assert_error(stranger.post(f"/chats/{chat_id}/notes", {"text": "hi"}), 404, "not_found")
    assert_error(stranger.get(f"/chats/{chat_id}/notes"), 404, "not_found")
    assert_error(stranger.post("/chats/nope/notes", {"text": "hi"}), 404, "not_found")
    assert list(Note.query(chat_id)) == []


def test_notes_never_reach_a_customer_path(desk, held):
    """Hostile: notes written while the customer is on, resumes, reconnects and
    reads every endpoint a widget can read; none carries a note's text."""
    chat_id, customer, (api1, console1), _ = held
    secret = "INTERNAL-NOTE-7f3a"
    api1.post(f"/chats/{chat_id}/notes", {"text": secret})
    _send(console1, chat_id, "a reply", "c1")
    api1.post(f"/chats/{chat_id}/notes", {"text": secret + " again"})
    api1.post(f"/chats/{chat_id}/transfer", {"note": secret + " handover"})
    seen = [json.dumps(customer.frames())]
    seen.append(json.dumps(customer.request({"type": "chat.resume", "chat_id": chat_id,
                                             "after_seq": 0})))
    status, session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                                       {"visitor_token": customer.visitor_token})
    assert status == 200
    seen.append(json.dumps(session))
    seen.append(json.dumps(desk.public.get(f"/widget/{desk.tenant.widget_key}/config")[1]))
    assert not any(secret in text for text in seen)
    assert any("a reply" in text for text in seen)  # the customer did read the chat


# --- transfer ------------------------------------------------------------------------


def test_a_transfer_moves_the_chat_and_both_counts_at_once(desk, held):
    chat_id, customer, (api1, console1), (api2, console2) = held
    service = desk.tenant.service_id
    status, chat = api1.post(f"/chats/{chat_id}/transfer",
                             {"operator_id": api2.operator_id, "note": "Needs billing"})
    assert status == 200, chat
    assert chat["operator_id"] == api2.operator_id and chat["status"] == "assigned"
    assert chat["transferred_from"] == api1.operator_id
    assert (_open_chats(service, api1.operator_id), _open_chats(service, api2.operator_id)) == (
        0, 1)
    assert console1.new_frames("chat.unassigned") == [
        {"type": "chat.unassigned", "chat_id": chat_id}]
    assigned = console2.new_frames("chat.assigned")
    assert len(assigned) == 1
    assert assigned[0]["transferred_from"] == api1.operator_id
    assert assigned[0]["transferred_from_name"] == "Operator 1"
    assert assigned[0]["note"]["text"] == "Needs billing"
    assert assigned[0]["note"]["kind"] == "transfer"
    # The customer sees who joined, in their own view.
    to_customer = customer.new_frames("chat.assigned")
    assert [f["chat"]["operator_name"] for f in to_customer] == ["Operator 2"]
    assert "operator_id" not in to_customer[0]["chat"]
    # Sticky assignment remembers the new operator.
    customer_id = Chat.get(chat_id).customer_id
    assert Customer.get(service, customer_id).last_operator_id == api2.operator_id
    # The handover note is a note.
    assert [n["text"] for n in api2.get(f"/chats/{chat_id}/notes")[1]["notes"]] == [
        "Needs billing"]


def test_the_old_operator_can_no_longer_send_or_hear_the_chat(desk, held):
    chat_id, customer, (api1, console1), (api2, console2) = held
    api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api2.operator_id})
    console1.new_frames()
    reply = _send(console1, chat_id, "still here?", "old1")
    assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    assert_error(api1.post(f"/chats/{chat_id}/end"), 403, "forbidden")
    _send(customer, chat_id, "hello?", "cust1")
    assert console1.new_frames("message") == []
    assert [f["message"]["text"] for f in console2.new_frames("message")] == ["hello?"]
    assert _send(console2, chat_id, "I'm here", "new1")["type"] == "message.ack"
    assert "I'm here" in [f["message"]["text"] for f in customer.new_frames("message")]


def test_back_to_the_queue_goes_to_someone_else_first(desk, held):
    chat_id, _customer, (api1, console1), (api2, _console2) = held
    status, chat = api1.post(f"/chats/{chat_id}/transfer", {})
    assert status == 200, chat
    # Operator 2 is free: the chat went to them at once, not back to operator 1.
    assert chat["operator_id"] == api2.operator_id
    assert chat["transferred_from"] == api1.operator_id
    assert _open_chats(desk.tenant.service_id, api1.operator_id) == 0
    assert console1.new_frames("chat.unassigned")


def test_back_to_the_queue_waits_at_its_front_and_never_returns_to_the_giver(desk, held):
    chat_id, _customer, (api1, _console1), (api2, _) = held
    api2.put("/me/status", {"status": "offline"})
    earlier = desk.customer()
    waiting = earlier.request({"type": "chat.start", "consent": True})["chat"]
    assert desk.admin.put("/settings", {"max_chats_per_operator": 1})[0] == 200
    status, chat = api1.post(f"/chats/{chat_id}/transfer", {})
    assert status == 200, chat
    # Operator 1 (the only one online) got the other waiting chat, not this one.
    assert chat["status"] == "waiting" and chat["queue_position"] == 1
    assert Chat.get(waiting["chat_id"]).operator_id == api1.operator_id
    api1.post(f"/chats/{waiting['chat_id']}/end")
    assert Chat.get(chat_id).status == "waiting"  # still not offered to operator 1
    api2.put("/me/status", {"status": "online"})
    assert Chat.get(chat_id, consistent_read=True).operator_id == api2.operator_id


@pytest.mark.parametrize("body, status, code", [
    ({"operator_id": 5}, 400, "bad_request"),
    ({"operator_id": ""}, 400, "bad_request"),
    ({"operator_id": "x" * 101}, 400, "bad_request"),
    ({"note": "x" * 5001}, 400, "too_large"),
    ({"note": 7}, 400, "bad_request"),
    ({"to": "someone"}, 400, "bad_request"),
    ({"operator_id": "no-such-operator"}, 404, "not_found"),
])
def test_a_bad_transfer_is_refused_and_changes_nothing(desk, held, body, status, code):
    chat_id, _, (api1, _), _ = held
    assert_error(api1.post(f"/chats/{chat_id}/transfer", body), status, code)
    chat = Chat.get(chat_id)
    assert chat.operator_id == api1.operator_id and not chat.transferred_from
    assert list(Note.query(chat_id)) == []


def test_transfer_to_self_is_refused(desk, held):
    chat_id, _, (api1, _), _ = held
    error = assert_error(api1.post(f"/chats/{chat_id}/transfer",
                                   {"operator_id": api1.operator_id}), 400, "bad_request")
    assert "operator_id" in error["message"]


def test_transfer_to_an_operator_offline_full_deleted_or_of_another_service(desk, held, client):
    chat_id, _, (api1, _), (_api2, _) = held
    api3, _ = desk.operator(online=False)
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api3.operator_id}),
                 409, "operator_unavailable")
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {"operator_id": "gone"}),
                 404, "not_found")
    other = make_tenant("other")
    other_admin = login(client, other.service_id, other.admin_email)
    assert_error(api1.post(f"/chats/{chat_id}/transfer",
                           {"operator_id": other_admin.get("/me")[1]["operator_id"]}),
                 404, "not_found")
    desk.admin.delete(f"/operators/{api3.operator_id}")
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api3.operator_id}),
                 404, "not_found")
    assert Chat.get(chat_id).operator_id == api1.operator_id


def test_transfer_to_a_full_operator_is_refused(desk, held):
    chat_id, _, (api1, _), (api2, _) = held
    api2.put("/me/status", {"status": "offline"})
    full, _ = desk.operator(max_chats=1)
    desk.customer(ip="203.0.113.78").request({"type": "chat.start", "consent": True})
    assert _open_chats(desk.tenant.service_id, full.operator_id) == 1
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {"operator_id": full.operator_id}),
                 409, "operator_unavailable")
    assert _open_chats(desk.tenant.service_id, full.operator_id) == 1
    assert Chat.get(chat_id).operator_id == api1.operator_id


def test_only_the_holder_or_an_admin_transfers(desk, held):
    chat_id, _, (_api1, _), (api2, _) = held
    assert_error(api2.post(f"/chats/{chat_id}/transfer", {}), 403, "forbidden")
    status, chat = desk.admin.post(f"/chats/{chat_id}/transfer",
                                   {"operator_id": api2.operator_id})
    assert status == 200 and chat["operator_id"] == api2.operator_id


def test_an_ended_chat_is_not_transferred(desk, held):
    chat_id, _, (api1, _), (api2, _) = held
    api1.post(f"/chats/{chat_id}/end")
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api2.operator_id}),
                 409, "chat_ended")


def test_a_chat_whose_customer_left_goes_to_an_operator_but_not_the_queue(desk, held):
    chat_id, customer, (api1, _), (api2, _) = held
    customer.request({"type": "chat.leave", "chat_id": chat_id})
    assert_error(api1.post(f"/chats/{chat_id}/transfer", {}), 409, "customer_left")
    status, chat = api1.post(f"/chats/{chat_id}/transfer", {"operator_id": api2.operator_id})
    assert status == 200 and chat["operator_id"] == api2.operator_id


def test_transfer_targets_list_online_operators_with_their_loads(desk, held):
    chat_id, _, (api1, _), (api2, _) = held
    desk.operator(online=False)
    status, body = api1.get(f"/chats/{chat_id}/transfer-targets")
    assert status == 200
    rows = {o["operator_id"]: o for o in body["operators"]}
    assert set(rows) == {api1.operator_id, api2.operator_id}
    assert rows[api1.operator_id]["open_chats"] == 1
    assert rows[api1.operator_id]["available"] is False  # holds the chat
    assert rows[api2.operator_id]["available"] is True
    assert_error(api1.get("/chats/nope/transfer-targets"), 404, "not_found")


# --- the chat list: unread and last message -------------------------------------------


def test_the_chat_list_has_unread_counts_and_last_messages_after_a_reload(desk, held):
    chat_id, customer, (api1, console1), _ = held
    _send(customer, chat_id, "first", "c1")
    _send(customer, chat_id, "second", "c2")
    listed = {c["chat_id"]: c for c in api1.get("/chats")[1]["chats"]}
    assert listed[chat_id]["unread"] == 2
    assert listed[chat_id]["last_message"]["text"] == "second"
    assert listed[chat_id]["last_message"]["sender"]["role"] == "customer"
    # Read up to an older seq: a later message keeps the count.
    assert api1.post(f"/chats/{chat_id}/read", {"seq": 2})[0] == 204
    assert api1.get("/chats")[1]["chats"][0]["unread"] == 2
    assert api1.post(f"/chats/{chat_id}/read", {"seq": 3})[0] == 204
    assert api1.get("/chats")[1]["chats"][0]["unread"] == 0
    _send(customer, chat_id, "third", "c3")
    assert api1.get("/chats")[1]["chats"][0]["unread"] == 1
    _send(console1, chat_id, "answer", "o1")  # answering reads it
    chat = api1.get("/chats")[1]["chats"][0]
    assert chat["unread"] == 0 and chat["last_message"]["text"] == "answer"


def test_someone_elses_read_mark_changes_nothing(desk, held):
    chat_id, customer, (api1, _), (api2, _) = held
    _send(customer, chat_id, "first", "c1")
    assert api2.post(f"/chats/{chat_id}/read", {"seq": 99})[0] == 204
    assert api1.get("/chats")[1]["chats"][0]["unread"] == 1


@pytest.mark.parametrize("body", [{}, {"seq": -1}, {"seq": "2"}, {"seq": True},
                                  {"seq": 1.5}, {"seq": 1, "x": 1}])
def test_a_bad_read_mark_is_refused(desk, held, body):
    chat_id, *_ = held
    api1 = held[2][0]
    assert_error(api1.post(f"/chats/{chat_id}/read", body), 400, "bad_request")


def test_read_marks_of_another_service_are_not_found(desk, held, client):
    chat_id, *_ = held
    other = make_tenant("other")
    stranger = login(client, other.service_id, other.admin_email)
    assert_error(stranger.post(f"/chats/{chat_id}/read", {"seq": 1}), 404, "not_found")


# --- partial search (R-CH-3b) -----------------------------------------------------------


def _found(api, q):
    status, body = api.get("/history?" + urlencode({"q": q}))
    assert status == 200, body
    return sorted(c["customer"]["name"] or c["customer"]["email"] for c in body["chats"])


@pytest.fixture
def named(desk):
    people = [("山田 花子", "hanako@example.jp"), ("ヤマモト タロウ", "taro@shop.example.com"),
              ("Tanaka Ichiro", "ichiro.tanaka@example.jp"), ("ﾀﾅｶ ｼﾞﾛｳ", None)]
    chat_ids = []
    for n, (name, email) in enumerate(people):
        customer = desk.customer(ip=f"203.0.113.{100 + n}")
        frame = {"type": "chat.start", "consent": True, "name": name}
        if email:
            frame["email"] = email
        chat_ids.append(customer.request(frame)["chat"]["chat_id"])
    return chat_ids


def test_any_two_characters_of_a_name_find_it(desk, named):
    admin = desk.admin
    assert _found(admin, "山花") == []  # not consecutive
    assert _found(admin, "田花") == ["山田 花子"]  # white space is not part of a name
    assert _found(admin, "田 花") == ["山田 花子"]
    assert _found(admin, "花子") == ["山田 花子"]
    assert _found(admin, "山") == []  # one character: the exact-name index only
    assert _found(admin, "やま") == ["ヤマモト タロウ"]  # kana-insensitive
    assert _found(admin, "ﾔﾏﾓﾄ") == ["ヤマモト タロウ"]  # width-insensitive
    assert _found(admin, "たなか") == ["ﾀﾅｶ ｼﾞﾛｳ"]
    assert _found(admin, "じろう") == ["ﾀﾅｶ ｼﾞﾛｳ"]
    assert _found(admin, "TANAKA") == ["Tanaka Ichiro"]
    assert _found(admin, "naka ich") == ["Tanaka Ichiro"]


def test_any_part_of_an_email_finds_it(desk, named):
    admin = desk.admin
    assert _found(admin, "example.jp") == ["Tanaka Ichiro", "山田 花子"]
    assert _found(admin, "shop.") == ["ヤマモト タロウ"]
    assert _found(admin, "ichiro.t") == ["Tanaka Ichiro"]
    assert _found(admin, "HANAKO@EXAMPLE.JP") == ["山田 花子"]


def test_a_saved_name_moves_the_search_pieces(desk, named):
    admin = desk.admin
    chat_id = named[0]
    status, _ = admin.put(f"/chats/{chat_id}/info", {"customer": {"name": "佐藤 次郎",
                                                                  "email": ""}})
    assert status == 200
    assert _found(admin, "花子") == []
    assert _found(admin, "hanako") == []
    assert _found(admin, "藤次") == ["佐藤 次郎"]
    assert _found(admin, "example.jp") == ["Tanaka Ichiro"]


def test_partial_search_never_crosses_services(desk, named, client):
    other = make_tenant("other")
    stranger = login(client, other.service_id, other.admin_email)
    assert _found(stranger, "花子") == []
    assert _found(stranger, "example") == []


def test_partial_search_combines_with_other_filters(desk, named):
    admin = desk.admin
    status, body = admin.get("/history?q=example&status=processed")
    assert status == 200 and body["chats"] == []
    period = {"from": "2026-01-01", "to": "2099-12-31"}
    status, body = admin.get("/history?" + urlencode({
        "q": "example", "status": "unprocessed", "limit": 1, **period}))
    assert status == 200 and len(body["chats"]) == 1 and body["next_cursor"]
    status, more = admin.get("/history?" + urlencode({
        "q": "example", "status": "unprocessed", "limit": 1, **period,
        "cursor": body["next_cursor"]}))
    assert status == 200 and len(more["chats"]) == 1
    assert more["chats"][0]["chat_id"] != body["chats"][0]["chat_id"]


def test_hostile_bodies_on_a_real_chat_store_nothing(desk, held):
    """The hostile corpus on notes, transfer and read marks of a chat that
    exists: a clean 4xx, no note, the chat unmoved. (An empty body is `{}`: a
    transfer back to the queue, which is no bad input.)"""
    from tests.api.test_hostile_rest import BODIES

    chat_id, _, (api1, _), _ = held
    for path in ("notes", "transfer", "read"):
        for body in BODIES[1:]:
            status, payload = api1.call("POST", f"/chats/{chat_id}/{path}", body)
            assert 400 <= status < 500, (path, body[:40], payload)
            assert set(payload) == {"code", "message"}, payload
    assert list(Note.query(chat_id)) == []
    assert Chat.get(chat_id).operator_id == api1.operator_id


def test_tickets_are_found_by_part_of_the_customers_name_or_email(desk, named):
    admin = desk.admin
    for chat_id in named:
        assert admin.post(f"/chats/{chat_id}/tickets", {"subject": "Follow up"})[0] == 201

    def tickets(q, **extra):
        status, body = admin.get("/tickets?" + urlencode({"q": q, **extra}))
        assert status == 200, body
        return body

    assert sorted(t["customer"]["name"] for t in tickets("example.jp")["tickets"]) == [
        "Tanaka Ichiro", "山田 花子"]
    assert [t["customer"]["name"] for t in tickets("ﾔﾏﾓﾄ")["tickets"]] == ["ヤマモト タロウ"]
    first = tickets("example.jp", limit=1)
    assert len(first["tickets"]) == 1 and first["next_cursor"]
    second = tickets("example.jp", limit=1, cursor=first["next_cursor"])
    assert len(second["tickets"]) == 1
    assert second["tickets"][0]["ticket_id"] != first["tickets"][0]["ticket_id"]
    # A cursor of another search, or of the plain list, is refused.
    assert_error(admin.get("/tickets?" + urlencode({"q": "shop.", "cursor": first[
        "next_cursor"]})), 400, "bad_request")
    assert_error(admin.get("/tickets?" + urlencode({"cursor": first["next_cursor"]})), 400)
    assert_error(admin.get("/tickets?q=a"), 400, "bad_request")
    assert_error(admin.get("/tickets?q=" + "a" * 255), 400, "bad_request")
