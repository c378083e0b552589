"""A chat's head (models.ChatHead) says what sending needs, and always agrees
with the chat: every change of the chat's operator, end or customer leaving
changes the head in the same transaction."""

import pytest

from chalicelib import realtime
from chalicelib.errors import Conflict, NotAllowed
from chalicelib.models import Chat, ChatHead, Message
from chalicelib.services import chat_views, chats, heads, messages, routing
from infra import upgrade
from tests.chat_helpers import (
    add_operator,
    as_operator,
    connect_customer,
    connect_operator,
    later,
    start_chat,
)


def _head(chat_id: str) -> ChatHead:
    return ChatHead.get(chat_id, consistent_read=True)


def test_a_new_chat_has_a_head_with_its_greeting_and_its_customer_listening(tenant, push):
    customer = connect_customer("acme")
    chat = start_chat(customer, push, name="Kim")
    head = _head(chat.chat_id)
    assert (head.service_id, head.customer_id, head.customer_name) == (
        "acme", customer.subject_id, "Kim")
    assert (head.last_seq, head.ended, head.customer_left, head.operator_id) == (
        1, False, False, None)
    assert realtime.conns(head) == {customer.connection_id}


def test_assignment_gives_the_head_its_operator_and_the_consoles(tenant, push):
    operator = add_operator("acme")
    console = connect_operator(operator)
    chat = start_chat(connect_customer("acme"), push)
    head = _head(chat.chat_id)
    assert head.operator_id == operator.operator_id
    assert realtime.listener(head, console.connection_id) == {
        "role": "operator", "subject": operator.operator_id, "name": operator.name,
        "sid": console.session_id}


def test_a_requeue_takes_the_operator_and_its_consoles_off_the_head(tenant, push):
    operator = add_operator("acme")
    console = connect_operator(operator)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    assert routing.requeue(Chat.get(chat.chat_id, consistent_read=True), now=later(1), push=push)
    head = _head(chat.chat_id)
    assert head.operator_id is None
    assert realtime.conns(head) == {customer.connection_id}
    assert push.frames(console.connection_id, "chat.unassigned")


def test_end_closes_the_head_and_writes_the_last_seq_to_the_chat(tenant, push):
    operator = add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    for n in range(3):
        messages.send(customer, messages.NewMessage(chat.chat_id, f"c{n}", "hello"),
            now=later(n), push=push)
    chats.end(as_operator(operator), chat.chat_id, now=later(9), push=push)
    ended = Chat.get(chat.chat_id, consistent_read=True)
    assert (ended.status, ended.last_seq) == ("ended", 4)
    assert _head(chat.chat_id).ended is True
    assert chat_views.view(ended).last_seq == 4
    with pytest.raises(Conflict) as refused:
        messages.send(customer, messages.NewMessage(chat.chat_id, "late", "anyone?"),
            now=later(10), push=push)
    assert refused.value.code == "chat_ended"


def test_a_customer_leaving_a_waiting_chat_ends_it_and_its_head(tenant, push):
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    left = chats.leave(customer, chat.chat_id, now=later(1), push=push)
    assert (left.status, left.last_seq) == ("ended", 1)
    head = _head(chat.chat_id)
    assert head.ended is True and head.customer_left is True


def test_a_customer_leaving_an_assigned_chat_marks_only_the_head_left(tenant, push):
    add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    chats.leave(customer, chat.chat_id, now=later(1), push=push)
    head = _head(chat.chat_id)
    assert head.customer_left is True and head.ended is False


def test_a_name_an_operator_saves_is_never_the_name_on_the_customers_messages(tenant, push):
    """R-SEC-1: operators see what they saved; the customer's messages keep the
    name the customer gave."""
    operator = add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push, name="anon")
    saved = chats.save_info(as_operator(operator), chat.chat_id,
                            chats.InfoChange.checked({"customer": {"name": "Kim (angry)"}}))
    assert saved.customer["name"] == "Kim (angry)"
    assert _head(chat.chat_id).customer_name == "anon"
    sent = messages.send(customer, messages.NewMessage(chat.chat_id, "c1", "hi"),
        now=later(2), push=push)
    assert Message.get(chat.chat_id, sent.seq).sender_name == "anon"


def test_an_open_chats_json_shows_the_heads_last_seq(tenant, push):
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    messages.send(customer, messages.NewMessage(chat.chat_id, "c1", "hello"),
        now=later(1), push=push)
    current = Chat.get(chat.chat_id, consistent_read=True)
    assert chat_views.view(current).last_seq == 2
    assert heads.last_seqs([current]) == {chat.chat_id: 2}
    assert [v.last_seq for v in chat_views.views([current])] == [2]


def test_open_chats_from_before_heads_get_one_at_start_up(tenant):
    from chalicelib import aws

    old = Chat(chat_id="ch_old", service_id="acme", customer_id="cu_old", status="assigned",
               operator_id="op_1", customer={"name": "Old"}, last_seq=7,
               created_at="2026-01-01T00:00:00.000Z")
    old.save()
    Chat(chat_id="ch_done", service_id="acme", customer_id="cu_x", status="ended", last_seq=3,
         created_at="2026-01-01T00:00:00.000Z").save()
    client = aws.client("dynamodb")
    # This suite refuses Scan to the app; the start-up upgrade is not the app.
    client.meta.events.unregister("before-call.dynamodb.Scan", unique_id=None,
                                  handler=_scan_guard())
    assert upgrade.add_missing_heads(client) == 1
    head = _head("ch_old")
    assert (head.last_seq, head.operator_id, head.customer_name, head.ended) == (
        7, "op_1", "Old", False)
    assert heads.get("ch_done") is None
    assert upgrade.add_missing_heads(client) == 0


def _scan_guard():
    from tests.conftest import _refuse_scan

    return _refuse_scan


def test_opening_a_chat_already_replied_to_settles_the_head(tenant, push):
    """R-CH-1 the other way round: replied first, opened after. The open makes the
    chat processed and marks the head, so later replies touch only the head."""
    operator = add_operator("acme")
    connect_operator(operator)
    chat = start_chat(connect_customer("acme"), push)
    actor = as_operator(operator)
    messages.send(actor, messages.NewMessage(chat.chat_id, "o1", "hello"), now=later(1), push=push)
    assert _head(chat.chat_id).replied is False  # not processed until opened
    chats.open_chat(actor, chat.chat_id, now=later(2))
    assert Chat.get(chat.chat_id, consistent_read=True).processed is True
    assert _head(chat.chat_id).replied is True


def test_a_message_landing_while_the_chat_ends_is_in_its_last_seq(tenant, push, monkeypatch):
    """End freezes the head's last seq on the chat only if no message took a seq
    since End read the head; otherwise it reads again."""
    operator = add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    read_head = heads.require
    raced = []

    def head_then_a_message(chat_id, **kw):
        head = read_head(chat_id, **kw)
        if not raced:
            raced.append(messages.send(customer, messages.NewMessage(chat_id, "c1", "wait!"),
                now=later(1), push=push))
        return head

    monkeypatch.setattr(heads, "require", head_then_a_message)
    chats.end(as_operator(operator), chat.chat_id, now=later(2), push=push)
    assert raced[0].seq == 2
    assert Chat.get(chat.chat_id, consistent_read=True).last_seq == 2
    assert Message.get(chat.chat_id, 2).text == "wait!"


def test_typing_keeps_to_who_may_speak_in_the_chat(tenant, push):
    """Typing follows the sending rule (heads.require_speaker): another operator,
    a customer who left and anyone after End are refused, and nothing is pushed."""
    operator = add_operator("acme")
    other = add_operator("acme", "Oscar", online=False)
    console = connect_operator(operator)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    assert _head(chat.chat_id).operator_id == operator.operator_id
    push.clear()

    with pytest.raises(NotAllowed):
        chats.typing(connect_operator(other), chat.chat_id, push=push)
    chats.leave(customer, chat.chat_id, now=later(1), push=push)
    push.clear()
    with pytest.raises(Conflict) as left:
        chats.typing(customer, chat.chat_id, push=push)
    assert left.value.code == "customer_left"
    chats.typing(console, chat.chat_id, push=push)  # the operator still may, until End
    chats.end(as_operator(operator), chat.chat_id, now=later(2), push=push)
    push.clear()
    with pytest.raises(Conflict) as ended:
        chats.typing(console, chat.chat_id, push=push)
    assert ended.value.code == "chat_ended"
    assert not push.frames(customer.connection_id, "typing")
    assert not push.frames(console.connection_id, "typing")
