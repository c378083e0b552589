"""R-SEC-1: a customer only ever gets their own view of a chat. Whatever operators
write or set about them (notes, the name as an operator edited it, the processing
type, IP, device, operator ids) never reaches the widget: not in `chat.started`,
`chat.assigned`, `chat.history`, `chat.ended`, a `message`, nor the session's
`open_chat`, and not in a returning customer's next chat."""

import json

CUSTOMER_VIEW = {"chat_id", "status", "queue_position", "operator_name", "created_at",
                 "assigned_at", "ended_at", "customer_left_at", "rating", "last_seq"}
NOTES = "PRIVATE: suspected fraud, refund denied"
EDITED_NAME = "Carol (VIP, threatened chargeback)"
SECRETS = (NOTES, "suspected fraud", "VIP", "chargeback", "Billing", "Refunds")


def _category(desk):
    status, parent = desk.admin.post("/categories", {"name": "Billing"})
    assert status == 201
    status, child = desk.admin.post("/categories", {"name": "Refunds",
                                                    "parent_id": parent["category_id"]})
    assert status == 201
    return child["category_id"]


def _leaks(frames):
    """Every operator-only thing found in what a customer received."""
    text = json.dumps(frames, ensure_ascii=False)
    found = [secret for secret in SECRETS if secret in text]
    for frame in frames:
        chat = frame.get("chat") or {}
        if chat and set(chat) - CUSTOMER_VIEW:
            found.append(f"{frame['type']} carries {sorted(set(chat) - CUSTOMER_VIEW)}")
    return found


def test_what_operators_save_never_reaches_the_customer_and_not_the_next_chat(desk):
    api, console = desk.operator()
    customer = desk.customer(user={"name": "Carol"})
    started = customer.request({"type": "chat.start", "consent": True, "name": "Carol"})
    chat_id = started["chat"]["chat_id"]
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    saved = api.put(f"/chats/{chat_id}/info", {
        "customer": {"name": EDITED_NAME, "notes": NOTES, "email": "carol@example.com"},
        "inquiry": {"category_id": _category(desk)},
    })
    assert saved[0] == 200, saved
    # Operators keep their own view: the notes, the edited name, the category.
    assert saved[1]["customer"]["notes"] == NOTES
    assert saved[1]["customer"]["name"] == EDITED_NAME
    assert saved[1]["inquiry"]["category_path"] == ["Billing", "Refunds"]

    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "Where is my refund?"})
    api_send = console.request({"type": "message.send", "chat_id": chat_id,
                                "client_msg_id": "o1", "text": "Looking into it"})
    assert api_send["type"] == "message.ack"
    history = customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    assert set(history["chat"]) == CUSTOMER_VIEW
    mine = [m for m in history["messages"] if m["sender"]["role"] == "customer"]
    assert [m["sender"]["name"] for m in mine] == ["Carol"]  # the name the customer gave
    # The operator sees the customer's messages under the name the customer gave too.
    messages = api.get(f"/chats/{chat_id}/messages")[1]["messages"]
    assert {m["sender"]["name"] for m in messages if m["sender"]["role"] == "customer"} == {
        "Carol"}

    assert api.post(f"/chats/{chat_id}/end")[0] == 200
    # The same person comes back (same browser): a new session, a new chat.
    again = desk.customer(visitor_token=customer.visitor_token)
    assert again.customer_id == customer.customer_id
    second = again.request({"type": "chat.start", "consent": True})
    assert set(second["chat"]) == CUSTOMER_VIEW
    again.request({"type": "message.send", "chat_id": second["chat"]["chat_id"],
                   "client_msg_id": "c2", "text": "Hello again"})
    resumed = again.request({"type": "chat.resume", "chat_id": second["chat"]["chat_id"],
                             "after_seq": 0})
    assert {m["sender"]["name"] for m in resumed["messages"]
            if m["sender"]["role"] == "customer"} <= {"Carol", None}
    # Operators still have what they wrote about this customer.
    operator_view = api.get(f"/chats/{second['chat']['chat_id']}")[1]
    assert operator_view["customer"]["notes"] == NOTES

    leaks = _leaks(customer.frames() + again.frames())
    assert not leaks, leaks


def test_the_session_open_chat_and_chat_assigned_are_the_customer_view(desk):
    customer = desk.customer()
    started = customer.request({"type": "chat.start", "consent": True, "name": "Kim"})["chat"]
    assert set(started) == CUSTOMER_VIEW
    assert started["status"] == "waiting" and started["queue_position"] == 1
    api, console = desk.operator()  # comes online: the queue drains to them
    assigned = customer.frames("chat.assigned")
    assert [set(f["chat"]) for f in assigned] == [CUSTOMER_VIEW]
    assert assigned[0]["chat"]["operator_name"] == "Operator 1"
    # The operator's console gets the operators' view of the same assignment.
    to_console = console.frames("chat.assigned")
    assert to_console[0]["chat"]["operator_id"] == api.operator_id
    assert "customer" in to_console[0]["chat"]

    status, session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                                       {"visitor_token": customer.visitor_token})
    assert status == 200
    assert set(session["open_chat"]) == CUSTOMER_VIEW
    assert session["open_chat"]["chat_id"] == started["chat_id"]


def test_an_operator_edited_name_is_not_the_name_on_the_customers_messages(desk):
    api, console = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True,
                                "name": "Dan"})["chat"]["chat_id"]
    assert api.put(f"/chats/{chat_id}/info", {"customer": {"name": EDITED_NAME}})[0] == 200
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "hi"})
    pushed = [f["message"] for f in console.frames("message")
              if f["message"]["sender"]["role"] == "customer"]
    assert [m["sender"]["name"] for m in pushed] == ["Dan"]
    assert not _leaks(customer.frames())


def test_a_rating_the_customer_gave_is_in_their_view(desk):
    desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    saved = customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 4,
                              "comment": "quick"})
    assert saved["type"] == "rating.saved"
    history = customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    assert history["chat"]["rating"]["score"] == 4
    assert set(history["chat"]) == CUSTOMER_VIEW
