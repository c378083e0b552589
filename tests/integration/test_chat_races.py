"""The chat engine's races on DynamoDB Local, with real threads (R-RT-2, R-CH-2):
conditional writes and transactions, not luck, keep the rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chalicelib.models import Chat, ChatHead, Customer, Message, Operator
from chalicelib.services import chats, messages
from tests.chat_helpers import (
    NOW,
    RecordingPusher,
    add_operator,
    all_at_once,
    connect_customer,
    connect_operator,
    start_chat,
)
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration



def _raise_caps(service_id: str) -> None:
    from chalicelib.services import settings, tenants

    change = settings.SettingsChange({"max_open_chats_per_address": 1000, "max_queue": 1000})
    settings.update(tenants.get_service(service_id), change)


def test_200_chat_starts_against_10_operators_of_5_assign_exactly_50_and_none_twice(
    local_tables,
):
    make_tenant("acme")
    # 200 customers from the tests' one address, 150 of them waiting: above the
    # default caps against abuse, which are raced in test_abuse_caps_races.py.
    _raise_caps("acme")
    push = RecordingPusher()
    team = [add_operator("acme", f"Op {n}", max_chats=5) for n in range(10)]
    customers = [connect_customer("acme") for _ in range(200)]

    started = all_at_once([lambda c=c: start_chat(c, push) for c in customers])

    listed = [c.chat_id for c in Chat.by_service.query("acme")]  # the history index
    every = [Chat.get(chat_id, consistent_read=True) for chat_id in listed]
    assert len(every) == 200 == len({c.chat_id for c in started})
    by_status = Counter(Chat.get(c.chat_id, consistent_read=True).status for c in every)
    assert by_status == {"assigned": 50, "waiting": 150}
    held = Counter(Chat.get(c.chat_id, consistent_read=True).operator_id for c in every)
    del held[None]
    assert held == {op.operator_id: 5 for op in team}
    for op in team:
        assert Operator.get("acme", op.operator_id, consistent_read=True).open_chats == 5
    # One open chat per customer, and each customer's points at it.
    assert sorted(c.customer_id for c in every) == sorted(c.subject_id for c in customers)
    for chat in started:
        customer = Customer.get("acme", chat.customer_id, consistent_read=True)
        assert customer.open_chat_id == chat.chat_id
    # Each assigned customer was told once, and only they were (a waiting one
    # learns its place from its `chat.started` reply, then from pushes to the
    # front of the queue and the minute sweep).
    told = [len(push.frames(c.connection_id, "chat.assigned")) for c in customers]
    assert sorted(told) == [0] * 150 + [1] * 50


def test_20_concurrent_senders_in_one_chat_get_seq_1_to_n_without_a_gap(local_tables):
    make_tenant("acme")
    push = RecordingPusher()
    operator = add_operator("acme", max_chats=5)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    tabs = [customer, *[connect_customer("acme", customer.subject_id) for _ in range(9)]]
    for tab in tabs[1:]:
        chats.resume(tab, chat.chat_id, 0)
    consoles = [connect_operator(operator) for _ in range(10)]
    senders = tabs + consoles
    per_sender = 5

    def talk(sender: Any) -> list[int]:
        return [
            messages.send(sender, messages.NewMessage(chat.chat_id, f"{sender.connection_id}-{n}",
                                                      f"message {n}"), now=NOW, push=push).seq
            for n in range(per_sender)
        ]

    acked = all_at_once([lambda s=s: talk(s) for s in senders])

    total = 1 + len(senders) * per_sender
    stored = [int(m.seq) for m in Message.query(chat.chat_id, consistent_read=True)]
    assert stored == list(range(1, total + 1))
    assert sorted(seq for seqs in acked for seq in seqs) == list(range(2, total + 1))
    assert ChatHead.get(chat.chat_id, consistent_read=True).last_seq == total
    for seqs in acked:
        assert seqs == sorted(seqs)  # one sender's messages keep their order


def test_the_same_client_msg_id_sent_concurrently_is_stored_once(local_tables):
    make_tenant("acme")
    push = RecordingPusher()
    add_operator("acme")
    customer = connect_customer("acme")
    chat = start_chat(customer, push)

    acks = all_at_once([
        lambda: messages.send(customer, messages.NewMessage(chat.chat_id, "retry-me", "hello"),
                              now=NOW, push=push)
        for _ in range(12)
    ])

    assert {ack.seq for ack in acks} == {2}
    assert sum(not ack.duplicate for ack in acks) == 1
    assert [int(m.seq) for m in Message.query(chat.chat_id, consistent_read=True)] == [1, 2]
