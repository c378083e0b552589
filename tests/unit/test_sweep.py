"""Nothing is left stuck (R-RT-3, R-RT-4): the minute sweep and presence."""


from chalicelib import realtime
from chalicelib.models import Chat, ChatHead, Operator
from chalicelib.services import chats, connections, presence, sweep
from tests.chat_helpers import (
    add_operator,
    as_operator,
    connect_customer,
    connect_operator,
    later,
    start_chat,
)


def _status(chat):
    return Chat.get(chat.chat_id, consistent_read=True).status


def test_a_chat_not_opened_in_time_goes_to_another_operator(tenant, push):
    slow = add_operator("acme", "Slow")
    connect_operator(slow)
    chat = start_chat(connect_customer("acme"), push)
    assert chat.operator_id == slow.operator_id
    quick = add_operator("acme", "Quick", now=later(1))
    connect_operator(quick)
    sweep.run(now=later(119), push=push)  # unopened_timeout_s is 120
    assert Chat.get(chat.chat_id).operator_id == slow.operator_id
    report = sweep.run(now=later(121), push=push)
    assert report.requeued == 1
    moved = Chat.get(chat.chat_id)
    assert (moved.status, moved.operator_id) == ("assigned", quick.operator_id)
    assert Operator.get("acme", slow.operator_id).open_chats == 0


def test_an_opened_chat_is_not_taken_back(tenant, push):
    op = add_operator("acme")
    connect_operator(op)
    chat = start_chat(connect_customer("acme"), push)
    chats.open_chat(as_operator(op), chat.chat_id, now=later(10))
    sweep.run(now=later(600), push=push)
    assert (_status(chat), Chat.get(chat.chat_id).operator_id) == ("active", op.operator_id)


def test_an_unopened_chat_with_nobody_else_waits_in_the_queue(tenant, push):
    op = add_operator("acme")
    connect_operator(op)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    sweep.run(now=later(121), push=push)
    # Requeued, then given back to the only operator with capacity (skipped only
    # when anyone else can take it).
    assert Chat.get(chat.chat_id).skip_operator_id == op.operator_id
    assert Chat.get(chat.chat_id).operator_id == op.operator_id


def test_an_operator_whose_console_is_gone_past_the_grace_goes_offline(tenant, push):
    away = add_operator("acme", "Away")
    console = connect_operator(away)
    chat = start_chat(connect_customer("acme"), push)
    chats.open_chat(as_operator(away), chat.chat_id, now=later(1))
    connections.disconnect(console.connection_id, now=later(2))
    sweep.run(now=later(2 + presence.DISCONNECT_GRACE_S - 1), push=push)
    assert Operator.get("acme", away.operator_id).status == "online"
    report = sweep.run(now=later(2 + presence.DISCONNECT_GRACE_S + 1), push=push)
    assert report.operators_offline == 1
    assert Operator.get("acme", away.operator_id).status == "offline"
    assert Operator.get("acme", away.operator_id).online_service_id is None
    assert (_status(chat), Chat.get(chat.chat_id).operator_id) == ("waiting", None)


def test_a_console_reload_within_the_grace_keeps_the_chats(tenant, push):
    op = add_operator("acme")
    console = connect_operator(op)
    chat = start_chat(connect_customer("acme"), push)
    chats.open_chat(as_operator(op), chat.chat_id, now=later(1))
    connections.disconnect(console.connection_id, now=later(2))
    reloaded = connect_operator(op, now=later(5))
    sweep.run(now=later(200), push=push)
    kept = Chat.get(chat.chat_id)
    assert (kept.status, kept.operator_id) == ("active", op.operator_id)
    assert reloaded.connection_id in realtime.conns(ChatHead.get(chat.chat_id), "operator")
    assert kept.sweep_at is None


def test_the_sweep_drains_a_queue_left_behind(tenant, push):
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    # An operator comes online without the drain (as if that Lambda had died).
    op = add_operator("acme", online=False)
    Operator(service_id="acme", operator_id=op.operator_id).update(actions=[
        Operator.status.set("online"), Operator.online_service_id.set("acme")])
    sweep.run(now=later(61), push=push)
    assert Chat.get(chat.chat_id).operator_id == op.operator_id


def test_chats_whose_customer_left_stay_with_the_offline_operator_until_end(tenant, push):
    op = add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    chats.leave(customer, chat.chat_id, now=later(1), push=push)
    presence.set_status("acme", op.operator_id, "offline", now=later(2), push=push)
    sweep.run(now=later(900), push=push)
    kept = Chat.get(chat.chat_id)
    assert (kept.status, kept.operator_id) == ("assigned", op.operator_id)
    assert chats.end(as_operator(op), chat.chat_id, now=later(901), push=push).status == "ended"
    assert Operator.get("acme", op.operator_id).open_chats == 0
