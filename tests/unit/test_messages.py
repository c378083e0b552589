"""Messages (R-CH-2) on the services: stored before acked, gapless seq,
idempotent client ids, pushes to both sides, gone connections dropped."""

import json

import pytest
from pynamodb.connection import base

from chalicelib import realtime
from chalicelib.api import ws
from chalicelib.errors import Conflict, InvalidInput, NotAllowed
from chalicelib.models import Chat, ChatHead, Connection, Message, Token
from chalicelib.services import chats, messages
from tests.chat_helpers import (
    RecordingPusher,
    add_operator,
    as_operator,
    connect_customer,
    connect_operator,
    later,
    start_chat,
)


@pytest.fixture
def conversation(tenant, push):
    operator = add_operator("acme")
    console = connect_operator(operator)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    push.clear()
    return chat, customer, operator, console


def _send(actor, chat, text, cmid, push):
    message = messages.NewMessage.checked({"chat_id": chat.chat_id, "client_msg_id": cmid,
                                           "text": text})
    return messages.send(actor, message, now=later(5), push=push)


def test_the_message_is_stored_when_the_send_returns(conversation, push):
    chat, customer, _, _ = conversation
    sent = _send(customer, chat, "hello", "c1", push)
    stored = Message.get(chat.chat_id, sent.seq, consistent_read=True)
    assert (stored.text, stored.sender_role, stored.client_msg_id) == ("hello", "customer", "c1")


def test_seq_counts_up_from_the_greeting_without_gaps(conversation, push):
    chat, customer, _, console = conversation
    seqs = [_send(who, chat, f"m{n}", f"id{n}", push).seq
            for n, who in enumerate([customer, console, customer, customer])]
    assert seqs == [2, 3, 4, 5]
    assert [m.seq for m in Message.query(chat.chat_id)] == [1, 2, 3, 4, 5]
    assert ChatHead.get(chat.chat_id).last_seq == 5


def test_a_repeated_client_msg_id_returns_the_original_seq_and_stores_nothing(
    conversation, push
):
    chat, customer, _, console = conversation
    first = _send(customer, chat, "hello", "same", push)
    again = _send(customer, chat, "hello (retry)", "same", push)
    assert (again.seq, again.duplicate) == (first.seq, True)
    assert [m.text for m in Message.query(chat.chat_id)][1:] == ["hello"]
    assert len(push.frames(console.connection_id, "message")) == 1
    assert Token.get(f"cmid#{chat.chat_id}#same").expires_at is not None


def test_the_same_client_msg_id_in_another_chat_is_another_message(tenant, push):
    add_operator("acme")
    a, b = connect_customer("acme"), connect_customer("acme")
    chat_a, chat_b = start_chat(a, push), start_chat(b, push)
    assert _send(a, chat_a, "x", "c1", push).seq == 2
    assert _send(b, chat_b, "y", "c1", push) == messages.Sent(seq=2, duplicate=False)


def test_a_message_reaches_every_connection_of_both_sides_but_the_senders_own(
    conversation, push
):
    chat, customer, operator, console = conversation
    second_console = connect_operator(operator)
    second_tab = connect_customer("acme", customer.subject_id)
    chats.resume(second_tab, chat.chat_id, 0)
    _send(customer, chat, "hello", "c1", push)
    for listener in (console, second_console, second_tab):
        assert [f["message"]["text"] for f in push.frames(listener.connection_id, "message")] \
            == ["hello"]
    assert push.frames(customer.connection_id, "message") == []


def test_a_gone_connection_is_dropped_and_the_sender_never_fails(conversation, push):
    chat, customer, _, console = conversation
    push.gone.add(console.connection_id)
    sent = _send(customer, chat, "anyone?", "c1", push)
    assert sent.seq == 2
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(console.connection_id)
    assert console.connection_id not in realtime.conns(ChatHead.get(chat.chat_id))


def test_the_customer_cannot_send_after_leaving_nor_anyone_after_end(conversation, push):
    chat, customer, operator, console = conversation
    chats.leave(customer, chat.chat_id, now=later(1), push=push)
    with pytest.raises(Conflict) as left:
        _send(customer, chat, "wait", "c1", push)
    assert left.value.code == "customer_left"
    chats.end(as_operator(operator), chat.chat_id, now=later(2), push=push)
    with pytest.raises(Conflict) as ended:
        _send(console, chat, "bye", "o1", push)
    assert ended.value.code == "chat_ended"


def test_only_the_assigned_operator_or_an_admin_sends(conversation, push):
    chat, _, _, _ = conversation
    other = connect_operator(add_operator("acme", "Other"))
    with pytest.raises(NotAllowed):
        _send(other, chat, "hi", "x1", push)
    admin = connect_operator(add_operator("acme", "Boss", role="admin", online=False))
    assert _send(admin, chat, "hi from admin", "a1", push).seq == 2


@pytest.mark.parametrize(("text", "code"), [("", "bad_request"), ("   ", "bad_request"),
                                            ("x" * 5001, "too_large"), (None, "bad_request")])
def test_text_must_be_1_to_5000_characters(conversation, push, text, code):
    chat, customer, _, _ = conversation
    with pytest.raises(InvalidInput) as error:
        _send(customer, chat, text, "c1", push)
    assert error.value.code == code


def test_system_messages_take_the_next_seq(conversation, push):
    chat, customer, _, _console = conversation
    _send(customer, chat, "hi", "c1", push)
    head = messages.post_system(chat.chat_id, "Please rate us", now=later(9), push=push)
    assert head.last_seq == 3
    message = Message.get(chat.chat_id, 3)
    assert (message.text, message.sender_role) == ("Please rate us", "system")
    assert push.frames(customer.connection_id, "message")[-1]["message"]["seq"] == 3


def _counting(monkeypatch) -> list[tuple[str, dict]]:
    sent = []
    original = base.Connection._make_api_call

    def counted(connection, operation, kwargs):
        sent.append((operation, kwargs))
        return original(connection, operation, kwargs)

    monkeypatch.setattr(base.Connection, "_make_api_call", counted)
    return sent


def test_a_message_frame_costs_two_dynamodb_requests(conversation, push, monkeypatch):
    """From a connection listening to its chat: the chat's head, then one
    transaction of three items (head, message, client-id guard); the chat item
    itself is neither read nor written."""
    chat, customer, _, _ = conversation
    sent = _counting(monkeypatch)
    frame = {"type": "message.send", "chat_id": chat.chat_id, "client_msg_id": "m1", "text": "hi"}
    reply = ws.handle_frame(customer.connection_id, json.dumps(frame), now=later(5), push=push)
    assert reply["type"] == "message.ack"
    assert [operation for operation, _ in sent] == ["GetItem", "TransactWriteItems"]
    assert sent[0][1]["TableName"] == ChatHead.Meta.table_name
    items = sent[1][1]["TransactItems"]
    assert sorted(next(iter(i.values()))["TableName"] for i in items) == sorted(
        [ChatHead.Meta.table_name, Message.Meta.table_name, Token.Meta.table_name])


def test_an_operators_first_reply_also_marks_the_chat_then_replies_do_not(
    conversation, push, monkeypatch
):
    """R-CH-1: the first reply to an opened chat sets its first response and
    `processed` on the chat item; after that, replies touch only the head."""
    chat, _, operator, console = conversation
    chats.open_chat(as_operator(operator), chat.chat_id, now=later(1))
    # The console's first frame also checks its sign-in session (kept for a few
    # seconds after): a ping, as the console sends, before counting.
    assert ws.handle_frame(console.connection_id, '{"type": "ping"}', now=later(4),
                           push=push)["type"] == "pong"
    sent = _counting(monkeypatch)

    def reply(cmid):
        sent.clear()
        frame = {"type": "message.send", "chat_id": chat.chat_id, "client_msg_id": cmid,
                 "text": "how can I help?"}
        assert ws.handle_frame(console.connection_id, json.dumps(frame), now=later(5),
                               push=push)["type"] == "message.ack"
        return [operation for operation, _ in sent]

    assert reply("o1") == ["GetItem", "GetItem", "TransactWriteItems"]
    marked = Chat.get(chat.chat_id)
    assert marked.processed and marked.first_response_at
    assert ChatHead.get(chat.chat_id).replied is True
    assert reply("o2") == ["GetItem", "TransactWriteItems"]
    assert Chat.get(chat.chat_id).first_response_at == marked.first_response_at


def test_a_connection_not_listening_sends_on_its_own_record(conversation, push, monkeypatch):
    """The customer's second tab, before it resumed the chat: the connection
    record says who it is, and its own allowance is spent in the transaction."""
    chat, customer, _, _ = conversation
    second_tab = connect_customer("acme", customer.subject_id)
    sent = _counting(monkeypatch)
    frame = {"type": "message.send", "chat_id": chat.chat_id, "client_msg_id": "t2",
             "text": "from my phone"}
    reply = ws.handle_frame(second_tab.connection_id, json.dumps(frame), now=later(5), push=push)
    assert reply["type"] == "message.ack"
    assert [operation for operation, _ in sent] == ["GetItem", "GetItem", "TransactWriteItems"]
    assert len(sent[2][1]["TransactItems"]) == 4
    assert Connection.get(second_tab.connection_id).rate_tat is not None


def test_a_message_frame_for_another_customers_chat_is_not_found(conversation, push, tenant):
    chat, _, _, _ = conversation
    stranger = connect_customer("acme")
    frame = {"type": "message.send", "chat_id": chat.chat_id, "client_msg_id": "x", "text": "hi"}
    reply = ws.handle_frame(stranger.connection_id, json.dumps(frame), now=later(5), push=push)
    assert (reply["type"], reply["code"]) == ("error", "not_found")
    assert [m.client_msg_id for m in Message.query(chat.chat_id)] == [None]  # the greeting


# --- the allowance of a connection listening to its chat ---------------------------


def _frame(actor, chat, cmid, at=5.0, text="hi"):
    frame = {"type": "message.send", "chat_id": chat.chat_id, "client_msg_id": cmid,
             "text": text, "id": cmid}
    return ws.handle_frame(actor.connection_id, json.dumps(frame), now=later(at),
                           push=RecordingPusher())


def test_a_message_flood_is_limited_by_the_allowance_in_the_chat(conversation):
    chat, customer, _, _ = conversation
    replies = [_frame(customer, chat, f"f{n}", at=5 + n * 0.001) for n in range(70)]
    acked = [r for r in replies if r["type"] == "message.ack"]
    limited = [r for r in replies if r["type"] == "error"]
    assert len(acked) == realtime.FRAME_BURST
    assert {r["code"] for r in limited} == {"rate_limited"} and len(limited) == 10
    assert len(list(Message.query(chat.chat_id))) == 1 + realtime.FRAME_BURST
    # The allowance is the sender's in this chat (whatever socket), kept on its head.
    senders = ChatHead.get(chat.chat_id).senders.as_dict()
    assert senders[customer.subject_id] > later(5).timestamp()
    assert Connection.get(customer.connection_id).rate_tat is None  # not the connection's


def test_a_limited_sender_may_send_again_as_the_allowance_refills(conversation):
    chat, customer, _, _ = conversation
    for n in range(realtime.FRAME_BURST):
        assert _frame(customer, chat, f"f{n}")["type"] == "message.ack"
    assert _frame(customer, chat, "over")["code"] == "rate_limited"
    assert _frame(customer, chat, "later", at=5 + 1.5)["type"] == "message.ack"


def test_resuming_the_chat_does_not_refill_the_allowance_in_it(conversation):
    chat, customer, _, _ = conversation
    for n in range(realtime.FRAME_BURST):
        assert _frame(customer, chat, f"f{n}")["type"] == "message.ack"
    chats.resume(customer, chat.chat_id, 0)
    assert _frame(customer, chat, "after-resume")["code"] == "rate_limited"


def test_a_refused_message_from_a_listener_spends_the_connections_allowance(
    conversation, push
):
    chat, customer, _, _ = conversation
    chats.leave(customer, chat.chat_id, now=later(1), push=push)
    reply = _frame(customer, chat, "late")
    assert (reply["type"], reply["code"], reply["re"]) == ("error", "customer_left", "late")
    assert Connection.get(customer.connection_id).rate_tat is not None


def test_a_repeat_from_a_listener_is_acked_with_the_first_seq_and_stored_once(conversation):
    chat, customer, _, _ = conversation
    first = _frame(customer, chat, "same")
    again = _frame(customer, chat, "same")
    assert first["type"] == again["type"] == "message.ack"
    assert first["seq"] == again["seq"] == 2
    assert [m.client_msg_id for m in Message.query(chat.chat_id)] == [None, "same"]
    # The repeat was answered the connection's way, and spent its allowance.
    assert Connection.get(customer.connection_id).rate_tat is not None


def test_an_operator_whose_chat_was_requeued_no_longer_speaks_in_it(conversation, push):
    chat, customer, operator, console = conversation
    from chalicelib.services import routing

    chats.open_chat(as_operator(operator), chat.chat_id, now=later(1))
    assert routing.requeue(Chat.get(chat.chat_id, consistent_read=True), now=later(2), push=push)
    requeued = ChatHead.get(chat.chat_id, consistent_read=True)
    assert console.connection_id not in realtime.conns(requeued)
    assert customer.connection_id in realtime.conns(requeued, "customer")
    reply = _frame(console, chat, "still here?")
    assert (reply["type"], reply["code"]) == ("error", "forbidden")
    assert len(list(Message.query(chat.chat_id))) == 1


def test_a_listener_entry_names_who_is_on_the_connection(conversation):
    chat, customer, operator, console = conversation
    current = ChatHead.get(chat.chat_id)
    assert realtime.listener(current, customer.connection_id) == {
        "role": "customer", "subject": customer.subject_id}
    assert realtime.listener(current, console.connection_id) == {
        "role": "operator", "subject": operator.operator_id, "name": operator.name,
        "sid": console.session_id}
    reply = _frame(console, chat, "o1", text="how can I help?")
    stored = Message.get(chat.chat_id, reply["seq"])
    assert (stored.sender_role, stored.sender_id, stored.sender_name) == (
        "operator", operator.operator_id, operator.name)
