"""Every client frame of API.md through the real `$default` handler, with the
pushes read back from what was posted to each connection (R-WID-3…6, R-CH-2)."""

import json

import pytest

from chalicelib.models import Chat, Customer, Message


@pytest.fixture
def chat(desk):
    """A customer chatting with an operator who opened the chat."""
    api, console = desk.operator()
    customer = desk.customer()
    started = customer.request({"type": "chat.start", "consent": True, "name": "Kim"})["chat"]
    assert api.post(f"/chats/{started['chat_id']}/open")[0] == 200
    customer.new_frames()
    console.new_frames()
    return started["chat_id"], customer, api, console


def _send(socket, chat_id, text, cmid):
    return socket.request(
        {"type": "message.send", "chat_id": chat_id, "client_msg_id": cmid, "text": text}
    )


def _error(reply, code):
    assert reply["type"] == "error", reply
    assert reply["code"] == code, reply
    assert reply["message"]
    return reply


# --- chat.start ------------------------------------------------------------------


@pytest.mark.parametrize("consent", [None, False, "yes", 1])
def test_chat_start_needs_consent_true(desk, consent):
    customer = desk.customer()
    frame = {"type": "chat.start"} if consent is None else {"type": "chat.start",
                                                              "consent": consent}
    reply = customer.request(frame)
    _error(reply, "bad_request")
    assert reply["re"].startswith("f")


def test_chat_start_stores_consent_with_time_and_text_version(desk):
    desk.admin.put("/settings", {"consent_text": "A newer consent text."})
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    consent = Chat.get(chat["chat_id"]).consent
    assert consent["agreed"] is True
    assert consent["version"] == 2
    assert consent["agreed_at"] == chat["created_at"]


def test_the_greeting_from_settings_is_message_1(desk):
    desk.admin.put("/settings", {"greeting": "Welcome to Acme!"})
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert chat["last_seq"] == 1
    history = customer.request({"type": "chat.resume", "chat_id": chat["chat_id"],
                                "after_seq": 0})
    assert [(m["seq"], m["sender"]["role"], m["text"]) for m in history["messages"]] == [
        (1, "system", "Welcome to Acme!")]


def test_chat_start_returns_the_customers_view_of_the_chat(desk):
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True, "name": "Kim",
                             "email": "kim@example.com", "page_url": "https://shop.example.com/a"})
    assert chat["type"] == "chat.started"
    body = chat["chat"]
    assert set(body) == {
        "chat_id", "status", "queue_position", "operator_name", "created_at", "assigned_at",
        "ended_at", "customer_left_at", "rating", "last_seq"}
    assert (body["status"], body["queue_position"]) == ("waiting", 1)  # nobody online
    full = desk.admin.get(f"/chats/{body['chat_id']}")[1]
    assert full["inquiry"] == {"channel": "widget", "category_id": None, "category_path": []}
    assert (full["customer"]["name"], full["customer"]["email"]) == ("Kim", "kim@example.com")


def test_chat_start_captures_ip_and_device_into_customer_info(desk):
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    full = desk.admin.get(f"/chats/{chat['chat_id']}")[1]
    assert full["customer"]["ip"] == customer.ip
    assert full["customer"]["device"] == "Chrome 126 on Windows (desktop)"
    stored = Customer.get("acme", customer.customer_id)
    assert (stored.ip, stored.device) == (customer.ip, "Chrome 126 on Windows (desktop)")


def test_a_second_start_returns_the_open_chat(desk):
    customer = desk.customer()
    first = customer.request({"type": "chat.start", "consent": True})["chat"]
    again = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert again["chat_id"] == first["chat_id"]
    assert Chat.by_service.count("acme") == 1


def test_operators_cannot_start_chats(desk):
    _, console = desk.operator()
    _error(console.request({"type": "chat.start", "consent": True}), "forbidden")


def test_an_online_operator_gets_the_chat_and_both_sides_hear_of_it(desk):
    api, console = desk.operator()
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert chat["status"] == "assigned" and chat["operator_name"] == "Operator 1"
    assert desk.admin.get(f"/chats/{chat['chat_id']}")[1]["operator_id"] == api.operator_id
    assert [f["chat"]["chat_id"] for f in console.frames("chat.assigned")] == [chat["chat_id"]]
    assert [f["chat"]["operator_name"] for f in customer.frames("chat.assigned")] == [
        "Operator 1"]


# --- message.send ------------------------------------------------------------------


def test_a_message_is_stored_acked_with_its_seq_and_pushed_to_the_other_side(chat):
    chat_id, customer, _api, console = chat
    ack = _send(customer, chat_id, "Where is my order?", "c1")
    assert ack == {"type": "message.ack", "chat_id": chat_id, "client_msg_id": "c1", "seq": 2,
                   "re": ack["re"]}
    assert Message.get(chat_id, 2).text == "Where is my order?"
    pushed = console.new_frames("message")
    assert [m["message"] for m in pushed] == [{
        "chat_id": chat_id, "seq": 2, "sender": {"role": "customer", "name": "Kim"},
        "text": "Where is my order?", "client_msg_id": "c1",
        "created_at": pushed[0]["message"]["created_at"]}]
    reply = _send(console, chat_id, "Let me check.", "o1")
    assert reply["seq"] == 3
    assert [m["message"]["sender"] for m in customer.new_frames("message")] == [
        {"role": "operator", "name": "Operator 1"}]


def test_a_repeated_client_msg_id_is_acked_with_the_original_seq_and_stored_once(chat):
    chat_id, customer, _, console = chat
    assert _send(customer, chat_id, "hello", "same")["seq"] == 2
    assert _send(customer, chat_id, "hello", "same")["seq"] == 2
    assert _send(customer, chat_id, "next", "other")["seq"] == 3
    assert [m.seq for m in Message.query(chat_id)] == [1, 2, 3]
    assert len(console.frames("message")) == 2


def test_every_connection_of_both_sides_hears_a_message(desk, chat):
    chat_id, customer, _api, console = chat
    second_tab = _second_customer_tab(desk, customer, chat_id)
    _send(console, chat_id, "hi both tabs", "o1")
    assert len(customer.frames("message")) == 1
    assert len(second_tab.frames("message")) == 1


def _second_customer_tab(desk, customer, chat_id):
    tab = desk.customer(visitor_token=customer.visitor_token)
    tab.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    return tab


def test_text_longer_than_5000_is_too_large_and_empty_is_bad_request(chat):
    chat_id, customer, _, _ = chat
    _error(_send(customer, chat_id, "x" * 5001, "big"), "too_large")
    _error(_send(customer, chat_id, "", "empty"), "bad_request")
    assert _send(customer, chat_id, "x" * 5000, "max")["seq"] == 2


@pytest.mark.parametrize("missing", ["chat_id", "client_msg_id", "text"])
def test_a_message_missing_a_field_is_bad_request(chat, missing):
    chat_id, customer, _, _ = chat
    frame = {"type": "message.send", "chat_id": chat_id, "client_msg_id": "c", "text": "t"}
    del frame[missing]
    _error(customer.request(frame), "bad_request")


def test_sending_into_someone_elses_chat_is_not_found_or_forbidden(desk, chat):
    chat_id, customer, _api, _console = chat
    stranger = desk.customer()
    _error(_send(stranger, chat_id, "hi", "s1"), "not_found")
    _, other_console = desk.operator()
    _error(_send(other_console, chat_id, "hi", "o1"), "forbidden")
    _error(_send(customer, "ch_does_not_exist", "hi", "c1"), "not_found")


# --- bad frames -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "42", "null", '{"no": "type"}',
                                 '{"type": "chat.explode"}'])
def test_a_bad_frame_gets_bad_request_and_the_socket_stays_open(desk, raw):
    customer = desk.customer()
    customer.send_raw(raw)
    [reply] = customer.new_frames()
    _error(reply, "bad_request")
    assert customer.request({"type": "ping"})["type"] == "pong"


def test_an_unknown_type_error_carries_re(desk):
    customer = desk.customer()
    assert _error(customer.request({"type": "chat.explode"}), "bad_request")["re"]


def test_ping_gets_pong(desk):
    customer = desk.customer()
    customer.send({"type": "ping", "id": 7})
    assert customer.new_frames() == [{"type": "pong", "re": 7}]


def test_flooding_is_rate_limited_and_normal_use_is_not(desk):
    customer = desk.customer()
    for _ in range(60):
        customer.send({"type": "ping"})
    assert customer.new_frames("error") == []
    for _ in range(20):
        customer.send({"type": "ping"})
    limited = customer.new_frames("error")
    assert limited and {f["code"] for f in limited} == {"rate_limited"}


# --- chat.resume ------------------------------------------------------------------------


def test_resume_returns_exactly_the_messages_after_after_seq(chat):
    chat_id, customer, _, console = chat
    for n in range(4):
        _send(customer if n % 2 else console, chat_id, f"m{n}", f"c{n}")
    history = customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 3})
    assert history["type"] == "chat.history"
    assert [m["seq"] for m in history["messages"]] == [4, 5]
    assert history["chat"]["last_seq"] == 5
    assert history["more"] is False


def test_a_long_history_comes_in_pages_that_each_fit_one_frame(chat):
    """API Gateway sends at most 128 KB a frame: 40 messages of 5,000 three-byte
    characters (600 KB) come in pages with `more`, every message exactly once."""
    chat_id, customer, _, console = chat
    for n in range(40):
        _send(console, chat_id, chr(0x3042 + n % 80) * 5000, f"long{n}")
    after, pages, seen = 0, [], []
    while True:
        page = customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": after})
        pages.append(len(json.dumps(page, ensure_ascii=False).encode()))
        seen += [m["seq"] for m in page["messages"]]
        if not page["more"]:
            break
        after = page["messages"][-1]["seq"]
    assert seen == list(range(1, 42))
    assert len(pages) > 4 and max(pages) < 128 * 1024


@pytest.mark.parametrize("frame", [{"chat_id": "x"}, {"after_seq": 0},
                                   {"chat_id": "x", "after_seq": -1},
                                   {"chat_id": "x", "after_seq": "3"}])
def test_resume_with_missing_or_bad_fields_is_bad_request(desk, frame):
    customer = desk.customer()
    _error(customer.request({"type": "chat.resume", **frame}), "bad_request")


def test_a_customer_who_drops_mid_chat_and_resumes_sees_every_message_once_in_order(desk, chat):
    chat_id, customer, _api, console = chat
    mine = _send(customer, chat_id, "first", "c1")["seq"]
    _send(console, chat_id, "reply 1", "o1")
    seen = {f["message"]["seq"]: f["message"]["text"] for f in customer.frames("message")}
    seen[mine] = "first"
    last_seen = max(seen)
    customer.close()  # dropped: not leaving
    _send(console, chat_id, "reply 2 (while away)", "o2")
    _send(console, chat_id, "reply 3 (while away)", "o3")
    back = desk.customer(visitor_token=customer.visitor_token)
    session_chat = Customer.get("acme", back.customer_id).open_chat_id
    assert session_chat == chat_id
    history = back.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": last_seen})
    _send(console, chat_id, "reply 4 (after resume)", "o4")
    for m in history["messages"]:
        seen.setdefault(m["seq"], m["text"])
    received_live = [f["message"]["seq"] for f in back.frames("message")]
    for f in back.frames("message"):
        seen.setdefault(f["message"]["seq"], f["message"]["text"])
    every = [m.seq for m in Message.query(chat_id) if m.seq > 1]
    assert sorted(seen) == every
    delivered = [m["seq"] for m in history["messages"]] + received_live
    assert delivered == sorted(set(delivered))  # each once, in order


# --- typing, rating, leaving ---------------------------------------------------------


def test_typing_reaches_only_the_other_side(chat):
    chat_id, customer, _, console = chat
    customer.send({"type": "typing", "chat_id": chat_id})
    assert customer.new_frames() == []
    assert console.new_frames() == [{"type": "typing", "chat_id": chat_id, "role": "customer"}]
    console.send({"type": "typing", "chat_id": chat_id})
    assert customer.new_frames() == [{"type": "typing", "chat_id": chat_id, "role": "operator"}]


def test_a_rating_is_saved_once_per_chat_and_the_operator_hears_it(chat):
    chat_id, customer, _, console = chat
    reply = customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 2})
    assert (reply["type"], reply["chat_id"]) == ("rating.saved", chat_id)
    customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 5,
                      "comment": "Great help"})
    rating = Chat.get(chat_id).rating
    assert (rating["score"], rating["comment"]) == (5, "Great help")
    assert [(f["score"], f["comment"]) for f in console.frames("chat.rated")] == [
        (2, None), (5, "Great help")]


@pytest.mark.parametrize("fields", [{"score": 0}, {"score": 6}, {"score": "5"}, {},
                                    {"score": 3, "comment": "x" * 1001}])
def test_a_rating_out_of_range_is_bad_request(chat, fields):
    chat_id, customer, _, _ = chat
    _error(customer.request({"type": "rating.submit", "chat_id": chat_id, **fields}),
           "bad_request")


def test_operators_cannot_submit_ratings_or_leave(chat):
    chat_id, _, _, console = chat
    _error(console.request({"type": "rating.submit", "chat_id": chat_id, "score": 5}),
           "forbidden")
    _error(console.request({"type": "chat.leave", "chat_id": chat_id}), "forbidden")


def test_leaving_tells_the_operator_and_closes_the_chat_for_the_customer(desk, chat):
    chat_id, customer, _api, console = chat
    reply = customer.request({"type": "chat.leave", "chat_id": chat_id})
    assert (reply["type"], reply["chat_id"]) == ("chat.left", chat_id)
    assert console.new_frames() == [{"type": "chat.customer_left", "chat_id": chat_id}]
    _error(_send(customer, chat_id, "one more thing", "late"), "customer_left")
    session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                               {"visitor_token": customer.visitor_token})[1]
    assert session["open_chat"] is None
    fresh = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert fresh["chat_id"] != chat_id


def test_the_operator_can_still_save_after_the_customer_left_and_from_history(chat):
    chat_id, customer, api, _console = chat
    customer.request({"type": "chat.leave", "chat_id": chat_id})
    status, saved = api.put(f"/chats/{chat_id}/info", {"customer": {"notes": "VIP"}})
    assert status == 200 and saved["customer"]["notes"] == "VIP"
    assert api.post(f"/chats/{chat_id}/end")[1]["status"] == "ended"
    # After End the chat is edited from Chat History, through the same Save.
    status, saved = api.put(f"/chats/{chat_id}/info", {"customer": {"notes": "late"}})
    assert status == 200 and saved["customer"]["notes"] == "late"


def test_leaving_a_waiting_chat_ends_it_and_moves_the_queue_up(desk):
    first, second = desk.customer(), desk.customer()
    a = first.request({"type": "chat.start", "consent": True})["chat"]
    second.request({"type": "chat.start", "consent": True})
    assert second.frames("chat.queued")[-1]["queue_position"] == 2
    first.request({"type": "chat.leave", "chat_id": a["chat_id"]})
    assert Chat.get(a["chat_id"]).status == "ended"
    assert second.frames("chat.queued")[-1]["queue_position"] == 1


def test_frames_are_json_objects_posted_one_per_push(chat):
    chat_id, customer, _, console = chat
    _send(customer, chat_id, "ünïcödé ✓", "u1")
    assert json.dumps(console.frames("message")[0], ensure_ascii=False).count("ünïcödé ✓") == 1


# --- replies ---------------------------------------------------------------------


def test_a_reply_is_the_route_response_not_a_connections_post(desk, chat, client):
    """`$default` is two-way: the ack comes back as the handler's answer, and the
    only post the frame costs is the message to the other side."""
    from tests.api.ws_gateway import _context, posted

    chat_id, customer, _, console = chat
    event = {
        "requestContext": _context(customer.connection_id, "$default", "MESSAGE", customer.ip),
        "body": json.dumps({"type": "message.send", "id": "a1", "chat_id": chat_id,
                            "client_msg_id": "route-1", "text": "hello"}),
        "isBase64Encoded": False,
    }
    before = len(posted(customer.connection_id))
    answer = client.lambda_.invoke("ws_message", event).payload

    assert answer["statusCode"] == 200
    ack = json.loads(answer["body"])
    assert ack["type"] == "message.ack" and ack["re"] == "a1" and ack["seq"] >= 2
    assert len(posted(customer.connection_id)) == before
    assert [f["message"]["seq"] for f in console.new_frames("message")] == [ack["seq"]]


def test_a_frame_without_a_reply_answers_no_body(desk, chat, client):
    from tests.api.ws_gateway import _context

    chat_id, customer, _, console = chat
    event = {
        "requestContext": _context(customer.connection_id, "$default", "MESSAGE", customer.ip),
        "body": json.dumps({"type": "typing", "chat_id": chat_id}),
        "isBase64Encoded": False,
    }
    assert client.lambda_.invoke("ws_message", event).payload == {"statusCode": 200}
    assert [f["type"] for f in console.new_frames()] == ["typing"]
