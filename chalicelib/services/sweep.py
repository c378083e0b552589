"""The minute sweep (R-RT-3, R-RT-4): nothing is left stuck.

It reads only the chats due for a look (the sparse chats-due-for-sweep index):
- a waiting chat: drain its service's queue (a safety net for races);
- an assigned chat not opened within the service's `unopened_timeout_s`:
  requeue it, to someone else when anyone else can take it;
- a chat whose operator is offline, or has had no console connected for the
  grace period: the operator goes offline and their chats are requeued.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock, observe, realtime
from chalicelib.models import Chat, ChatStatus, Operator
from chalicelib.realtime import Pusher
from chalicelib.services import presence, routing, settings, tenants


@dataclass
class SweepReport:
    looked_at: int = 0
    waiting: int = 0  # of those, chats in a queue
    requeued: int = 0
    operators_offline: int = 0
    drained: set[str] = field(default_factory=set)


def run(*, now: datetime, push: Pusher) -> SweepReport:
    report = SweepReport()
    settings_cache: dict[str, dict[str, Any]] = {}
    for shard in range(routing.SWEEP_SHARDS):
        due = Chat.due_for_sweep.query(f"sweep#{shard}", Chat.sweep_at <= clock.iso(now))
        for key in list(due):
            report.looked_at += 1
            with observe.tagged(chat_id=key.chat_id):
                _review(key.chat_id, now=now, push=push, report=report, cache=settings_cache)
    # Each waiting chat is due for a look at least every QUEUE_RECHECK_S.
    observe.measure(observe.QUEUE_LENGTH, report.waiting)
    return report


def _service_settings(service_id: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if service_id not in cache:
        cache[service_id] = settings.current(tenants.get_service(service_id))
    return cache[service_id]


def _drain_once(service_id: str, *, now: datetime, push: Pusher, report: SweepReport) -> None:
    """A service with waiting chats: drain its queue, and tell every waiting
    customer their place (a queue change tells only the first few at once)."""
    if service_id not in report.drained:
        report.drained.add(service_id)
        routing.drain(service_id, now=now, push=push)
        routing.push_positions(service_id, push, everyone=True)


def _requeue(chat: Chat, *, now: datetime, push: Pusher, report: SweepReport) -> None:
    if routing.requeue(chat, now=now, push=push):
        report.requeued += 1
        report.drained.add(chat.service_id)
        routing.drain(chat.service_id, now=now, push=push, queue_changed=True)


def _set_sweep(chat: Chat, actions: list[Any]) -> None:
    """Re-arm or clear, unless something re-armed it meanwhile."""
    with contextlib.suppress(UpdateError):
        chat.update(actions=actions, condition=Chat.sweep_at == chat.sweep_at)


def _review(
    chat_id: str,
    *,
    now: datetime,
    push: Pusher,
    report: SweepReport,
    cache: dict[str, dict[str, Any]],
) -> None:
    try:
        chat = Chat.get(chat_id, consistent_read=True)
    except Chat.DoesNotExist:
        return
    if not chat.sweep_at or chat.sweep_at > clock.iso(now):
        return
    observe.tag(service_id=chat.service_id)
    if chat.status == ChatStatus.WAITING:
        report.waiting += 1
        _drain_once(chat.service_id, now=now, push=push, report=report)
        _set_sweep(chat, routing.sweep_actions(
            chat.chat_id, now + timedelta(seconds=routing.QUEUE_RECHECK_S)))
        return
    if chat.status == ChatStatus.ENDED or chat.customer_left_at or not chat.operator_id:
        _set_sweep(chat, routing.no_sweep_actions())
        return
    try:
        operator = Operator.get(chat.service_id, chat.operator_id, consistent_read=True)
    except Operator.DoesNotExist:
        operator = None
    if operator is not None and operator.status != "offline" \
            and not realtime.connections_of(operator.operator_id):
        presence.set_status(
            chat.service_id, operator.operator_id, "offline", now=now, push=push
        )
        report.operators_offline += 1
        return
    if operator is None or operator.status == "offline":
        _requeue(chat, now=now, push=push, report=report)
        return
    service_settings = _service_settings(chat.service_id, cache)
    timeout = timedelta(seconds=int(service_settings["unopened_timeout_s"]))
    if chat.status == ChatStatus.ASSIGNED:
        deadline = clock.parse_iso(chat.assigned_at) + timeout
        if deadline <= now:
            _requeue(chat, now=now, push=push, report=report)
            return
        _set_sweep(chat, routing.sweep_actions(chat.chat_id, deadline))
        return
    _set_sweep(chat, routing.no_sweep_actions())
