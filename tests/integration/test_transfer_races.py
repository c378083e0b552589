"""Transfer's races on DynamoDB Local with real threads (R-TR-1): however many
transfers, ends and leaves run at once, a chat has one operator and nobody goes
over capacity."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from chalicelib.errors import DomainError
from chalicelib.models import HELD_STATUSES, Chat, ChatHead, Note, Operator
from chalicelib.services import chats, presence, settings, tenants, transfers
from chalicelib.services.access import Actor
from tests.chat_helpers import (
    NOW,
    RecordingPusher,
    add_operator,
    all_at_once,
    connect_customer,
    start_chat,
)
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration


def _actor(operator: Operator) -> Actor:
    return Actor(service_id=operator.service_id, role=operator.role,
                 subject_id=operator.operator_id, name=operator.name)


def _raise_caps(service_id: str) -> None:
    change = settings.SettingsChange({"max_open_chats_per_address": 1000, "max_queue": 1000})
    settings.update(tenants.get_service(service_id), change)


def _assert_counts_match(service_id: str, team: list[Operator]) -> None:
    """Every operator's open_chats is the number of chats they hold."""
    for op in team:
        fresh = Operator.get(service_id, op.operator_id, consistent_read=True)
        held = [c for c in Chat.by_operator.query(op.operator_id)
                if Chat.get(c.chat_id, consistent_read=True).operator_id == op.operator_id
                and Chat.get(c.chat_id, consistent_read=True).status in HELD_STATUSES]
        assert int(fresh.open_chats) == len(held), fresh.name
        assert int(fresh.open_chats) <= int(fresh.max_chats or 99)


def _transfer(actor: Actor, chat_id: str, to: str | None, push: RecordingPusher):
    return transfers.transfer(actor, chat_id, transfers.TransferRequest(to, f"to {to}"),
                              now=NOW, push=push)


def test_50_concurrent_transfers_of_one_chat_exactly_one_wins(local_tables, monkeypatch):
    make_tenant("acme")
    push = RecordingPusher()
    giver = add_operator("acme", "Giver", max_chats=5)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    assert chat.operator_id == giver.operator_id
    team = [add_operator("acme", f"Op {n}", max_chats=5) for n in range(50)]
    admin = Actor(service_id="acme", role="admin", subject_id="op_admin", name="Admin")
    callers = [_actor(giver)] * 25 + [admin] * 25
    # Every transfer reads the chat (with the giver) before any writes: a thread
    # the machine starts late would otherwise read the winner's chat and, as an
    # admin may, rightly transfer it again (make test saw that under load).
    read_all = threading.Barrier(len(callers), timeout=60)
    write = transfers._to_operator

    def after_every_read(*args, **kwargs):
        read_all.wait()
        return write(*args, **kwargs)

    monkeypatch.setattr(transfers, "_to_operator", after_every_read)

    results = all_at_once(
        [lambda who=who, op=op: _transfer(who, chat.chat_id, op.operator_id, push)
         for who, op in zip(callers, team, strict=True)],
        returning=(DomainError,),
    )

    won = [r for r in results if isinstance(r, Chat)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1, Counter(type(r).__name__ for r in results)
    assert {e.code for e in lost} <= {"chat_moved", "forbidden", "busy"}
    final = Chat.get(chat.chat_id, consistent_read=True)
    assert final.operator_id == won[0].operator_id
    assert ChatHead.get(chat.chat_id, consistent_read=True).operator_id == final.operator_id
    _assert_counts_match("acme", [giver, *team])
    assert sum(int(Operator.get("acme", op.operator_id, consistent_read=True).open_chats)
               for op in [giver, *team]) == 1
    # One handover note: the winner's.
    assert [n.text for n in Note.query(chat.chat_id)] == [f"to {final.operator_id}"]


@pytest.mark.parametrize("rival", ["end", "leave"])
def test_transfers_racing_with_end_or_leave_end_consistent(local_tables, rival):
    make_tenant("acme")
    push = RecordingPusher()
    for round_ in range(5):
        giver = add_operator("acme", f"Giver {round_}", max_chats=5)
        customer = connect_customer("acme")
        chat = start_chat(customer, push)
        assert chat.operator_id == giver.operator_id
        takers = [add_operator("acme", f"Taker {round_}-{n}", max_chats=5) for n in range(4)]
        # (Later rounds: earlier givers and takers are offline, so routing is clear.)
        holder, chat_id = _actor(giver), chat.chat_id
        calls = [lambda op=op, h=holder, c=chat_id: _transfer(h, c, op.operator_id, push)
                 for op in takers[:3]]
        calls.append(lambda h=holder, c=chat_id: _transfer(h, c, None, push))
        if rival == "end":
            calls += [lambda h=holder, c=chat_id: chats.end(h, c, now=NOW, push=push)] * 2
        else:
            calls += [lambda who=customer, c=chat_id: chats.leave(who, c, now=NOW, push=push)] * 2

        all_at_once(calls, returning=(DomainError,))

        final = Chat.get(chat.chat_id, consistent_read=True)
        head = ChatHead.get(chat.chat_id, consistent_read=True)
        team = [giver, *takers]
        _assert_counts_match("acme", team)
        if final.status == "ended":
            assert head.ended
            assert sum(int(Operator.get("acme", op.operator_id, consistent_read=True)
                           .open_chats) for op in team) == 0
        else:
            assert final.status in HELD_STATUSES
            assert head.operator_id == final.operator_id
            assert final.operator_id in {op.operator_id for op in team}
            if rival == "leave":
                assert final.customer_left_at and head.customer_left
        for op in team:  # out of the next round's way
            for held in list(Chat.by_operator.query(op.operator_id)):
                fresh = Chat.get(held.chat_id, consistent_read=True)
                if fresh.status != "ended" and fresh.operator_id == op.operator_id:
                    chats.end(_actor(op), fresh.chat_id, now=NOW, push=push)
            presence.set_status("acme", op.operator_id, "offline", now=NOW, push=push)


def test_20_chats_transferred_at_once_into_operators_one_place_from_full(local_tables):
    make_tenant("acme")
    _raise_caps("acme")
    push = RecordingPusher()
    givers = [add_operator("acme", f"Giver {n}", max_chats=5) for n in range(4)]
    started = [start_chat(connect_customer("acme"), push) for _ in range(20)]
    assert all(c.operator_id for c in started)
    # Three receivers with 3 places, each holding 2 chats already: 1 place each.
    receivers = [add_operator("acme", f"Receiver {n}", max_chats=3, online=False)
                 for n in range(3)]
    for op in givers:
        presence.set_status("acme", op.operator_id, "break", now=NOW, push=push)
    for op in receivers:
        presence.set_status("acme", op.operator_id, "online", now=NOW, push=push)
    for _ in range(2 * len(receivers)):
        start_chat(connect_customer("acme"), push)
    for op in receivers:
        assert Operator.get("acme", op.operator_id, consistent_read=True).open_chats == 2
    holders = {g.operator_id: g for g in givers}

    results = all_at_once(
        [lambda c=c, n=n: _transfer(_actor(holders[c.operator_id]), c.chat_id,
                                    receivers[n % 3].operator_id, push)
         for n, c in enumerate(started)],
        returning=(DomainError,),
    )

    won = [r for r in results if isinstance(r, Chat)]
    assert len(won) == 3, Counter(getattr(r, "code", "ok") for r in results)
    assert {r.code for r in results if isinstance(r, DomainError)} <= {
        "operator_unavailable", "busy"}
    for op in receivers:
        assert Operator.get("acme", op.operator_id, consistent_read=True).open_chats == 3
    _assert_counts_match("acme", [*givers, *receivers])
