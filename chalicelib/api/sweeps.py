"""Scheduled work: the minute sweep of routing (R-RT-3, R-RT-4)."""

from __future__ import annotations

import logging

from chalicelib import clock, realtime
from chalicelib.services import sweep

log = logging.getLogger("helpdesk.sweep")


def run_sweep() -> None:
    report = sweep.run(now=clock.now(), push=realtime.pusher())
    log.info(
        "sweep: looked at %d chats, requeued %d, %d operators offline",
        report.looked_at, report.requeued, report.operators_offline,
    )
