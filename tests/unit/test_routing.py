"""Routing rules R-RT-1…3 on the services (moto)."""

import pytest

from chalicelib import observe
from chalicelib.models import Chat, Customer, Operator
from chalicelib.services import chat_views, chats, presence, routing
from tests.chat_helpers import (
    add_customer,
    add_operator,
    as_operator,
    connect_customer,
    connect_operator,
    later,
    start_chat,
)
from tests.emf import metrics_written


def _set_sticky(service_id, on):
    from chalicelib.models import Service

    service = Service.get(service_id)
    service.update(actions=[Service.settings.set({**service.settings, "sticky_assignment": on})])


def _open_chats(operator):
    return int(Operator.get(operator.service_id, operator.operator_id).open_chats)


def test_a_chat_goes_to_the_operator_with_the_fewest_open_chats(tenant, push):
    busy = add_operator("acme", "Busy")
    start_chat(connect_customer("acme"), push)  # the only one online: Busy takes it
    idle = add_operator("acme", "Idle")
    chat = start_chat(connect_customer("acme"), push)
    assert chat.operator_id == idle.operator_id
    assert (_open_chats(busy), _open_chats(idle)) == (1, 1)


def test_ties_go_to_the_operator_longest_since_last_assignment(tenant, push):
    first = add_operator("acme", "First")
    second = add_operator("acme", "Second")
    Operator(service_id="acme", operator_id=first.operator_id).update(
        actions=[Operator.last_assigned_at.set("2026-11-25T06:59:00.000Z")])
    Operator(service_id="acme", operator_id=second.operator_id).update(
        actions=[Operator.last_assigned_at.set("2026-11-25T06:00:00.000Z")])
    assert start_chat(connect_customer("acme"), push).operator_id == second.operator_id
    # Now both have one chat; First was assigned longer ago than Second's new chat.
    assert start_chat(connect_customer("acme"), push).operator_id == first.operator_id


def test_only_online_operators_are_assigned(tenant, push):
    on_break = add_operator("acme", "Break")
    presence.set_status("acme", on_break.operator_id, "break", now=later(1), push=push)
    add_operator("acme", "Offline", online=False)
    chat = start_chat(connect_customer("acme"), push)
    assert chat.status == "waiting" and chat.operator_id is None


def test_no_operator_gets_more_than_max_chats(tenant, push):
    op = add_operator("acme", max_chats=2)
    results = [start_chat(connect_customer("acme"), push) for _ in range(3)]
    assert [c.status for c in results] == ["assigned", "assigned", "waiting"]
    assert _open_chats(op) == 2


def test_the_service_default_capacity_applies_without_an_own_max(tenant, push):
    from chalicelib.models import Service

    service = Service.get("acme")
    service.update(actions=[Service.settings.set({**service.settings,
                                                  "max_chats_per_operator": 1})])
    add_operator("acme")
    first = start_chat(connect_customer("acme"), push)
    second = start_chat(connect_customer("acme"), push)
    assert (first.status, second.status) == ("assigned", "waiting")


@pytest.mark.parametrize("sticky", [True, False])
def test_sticky_assignment_prefers_the_customers_last_operator_only_when_on(
    tenant, push, sticky
):
    _set_sticky("acme", sticky)
    usual = add_operator("acme", "Usual")
    customer_id = add_customer("acme")
    customer = connect_customer("acme", customer_id)
    first = start_chat(customer, push)
    assert first.operator_id == usual.operator_id
    assert Customer.get("acme", customer_id).last_operator_id == usual.operator_id
    chats.leave(customer, first.chat_id, now=later(1), push=push)
    add_operator("acme", "Fresh")  # fewer open chats than Usual (who still holds one)
    second = start_chat(customer, push, now=later(2))
    assert (second.operator_id == usual.operator_id) is sticky


def test_sticky_falls_back_when_the_last_operator_is_full(tenant, push):
    usual = add_operator("acme", "Usual", max_chats=1)
    customer = connect_customer("acme")
    first = start_chat(customer, push)
    chats.leave(customer, first.chat_id, now=later(1), push=push)
    other = add_operator("acme", "Other")
    assert start_chat(customer, push, now=later(2)).operator_id == other.operator_id
    assert _open_chats(usual) == 1


def test_waiting_chats_queue_first_come_with_positions_pushed(tenant, push):
    customers = [connect_customer("acme") for _ in range(3)]
    started = [start_chat(c, push, now=later(n)) for n, c in enumerate(customers)]
    assert [v.queue_position for v in chat_views.views(started)] == [1, 2, 3]
    assert [push.frames(c.connection_id, "chat.queued")[-1]["queue_position"]
            for c in customers] == [1, 2, 3]
    op = add_operator("acme", max_chats=1, push=push, now=later(10))
    assert Chat.get(started[0].chat_id).operator_id == op.operator_id
    assert [push.frames(c.connection_id, "chat.queued")[-1]["queue_position"]
            for c in customers[1:]] == [1, 2]


def test_a_queued_chat_is_assigned_the_moment_capacity_frees(tenant, push):
    op = add_operator("acme", max_chats=1)
    first = start_chat(connect_customer("acme"), push)
    second = start_chat(connect_customer("acme"), push, now=later(1))
    assert second.status == "waiting"
    chats.end(as_operator(op), first.chat_id, now=later(2), push=push)
    assert Chat.get(second.chat_id).status == "assigned"
    assert _open_chats(op) == 1


def test_assignment_tells_the_operators_console(tenant, push):
    op = add_operator("acme")
    console = connect_operator(op)
    chat = start_chat(connect_customer("acme"), push)
    [frame] = push.frames(console.connection_id, "chat.assigned")
    assert frame["chat"]["chat_id"] == chat.chat_id
    assert frame["chat"]["status"] == "assigned"


def test_a_chat_is_never_assigned_twice(tenant, push):
    op_a = add_operator("acme", "A")
    op_b = add_operator("acme", "B", online=False)
    chat = start_chat(connect_customer("acme"), push)
    presence.set_status("acme", op_b.operator_id, "online", now=later(1), push=push)
    settings = {"unopened_timeout_s": 120, "max_chats_per_operator": 5}
    outcome = routing.try_assign(Chat.get(chat.chat_id), Operator.get("acme", op_b.operator_id),
                                 settings, later(2), {})
    assert outcome is routing.Outcome.CHAT_TAKEN
    assert Chat.get(chat.chat_id).operator_id == op_a.operator_id
    assert (_open_chats(op_a), _open_chats(op_b)) == (1, 0)


def test_a_full_operator_refuses_by_condition_even_on_a_stale_read(tenant, push):
    op = add_operator("acme", max_chats=1)
    stale = Operator.get("acme", op.operator_id)  # open_chats == 0 as read
    start_chat(connect_customer("acme"), push)
    waiting = start_chat(connect_customer("acme"), push, now=later(1))
    settings = {"unopened_timeout_s": 120, "max_chats_per_operator": 5}
    outcome = routing.try_assign(Chat.get(waiting.chat_id), stale, settings, later(2), {})
    assert outcome is routing.Outcome.OPERATOR_FULL
    assert _open_chats(op) == 1


def test_an_assignment_that_lost_a_race_is_counted_and_the_drain_goes_on(tenant, push, capsys):
    first = add_operator("acme", "First", max_chats=1, online=False)
    waiting = [start_chat(connect_customer("acme"), push, now=later(n)) for n in range(3)]
    stale = Chat.get(waiting[0].chat_id)  # as a drain read it: waiting
    presence.set_status("acme", first.operator_id, "online", now=later(5), push=push)
    second = add_operator("acme", "Second", max_chats=1, now=later(6))
    assert [Chat.get(c.chat_id).status for c in waiting] == ["assigned", "assigned", "waiting"]
    Operator(service_id="acme", operator_id=second.operator_id).update(
        actions=[Operator.max_chats.set(5)])
    capsys.readouterr()

    with observe.invocation(request_id="req-drain"):
        # The stale chat first (it was queued first): taken meanwhile, so the
        # write's condition fails; then the next chat, on a second attempt.
        assigned = routing.drain("acme", now=later(7), push=push, known=[stale])

    assert assigned == [waiting[2].chat_id]
    assert metrics_written(capsys.readouterr().out) == {"AssignmentConflicts": [1.0],
                                                        "AssignmentRetries": [1.0]}
