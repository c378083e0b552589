"""Scheduled work: the minute sweep of routing (R-RT-3, R-RT-4), mail left
waiting (R-MAIL-1), webhook deliveries due (R-HOOK-1), background jobs left
unfinished and the day's deletion of files past retention (R-PRIV-1, R-PRIV-2)."""

from __future__ import annotations

import logging

from chalicelib import clock, realtime

log = logging.getLogger("helpdesk.sweep")


def run_sweep() -> None:
    from chalicelib.services import jobs, mail, retention_jobs, sweep, webhooks

    report = sweep.run(now=clock.now(), push=realtime.pusher())
    log.info(
        "sweep: looked at %d chats (%d waiting), requeued %d, %d operators offline",
        report.looked_at, report.waiting, report.requeued, report.operators_offline,
    )
    # Mail the worker did not send (never started, failed for now, or its worker
    # died): sent here, on the retry schedule (R-MAIL-1).
    sent = mail.send_due(clock.now())
    if sent:
        log.info("sweep: sent %d mail(s) left waiting", sent)
    # Webhook deliveries whose queue message was lost, or whose retry is further
    # off than SQS delays (R-HOOK-1): back on the queue.
    queued = webhooks.enqueue_due(clock.now())
    if queued:
        log.info("sweep: queued %d webhook deliveries due", queued)
    # Retention and erasure jobs whose worker died or timed out: carried on.
    try:
        resumed = jobs.resume_due(clock.now())
        # Once a day: every service's files older than its retention (R-PRIV-1).
        started = retention_jobs.start_daily(clock.now())
    except Exception:  # the routing above is done; the next minute tries again
        log.exception("sweep: could not look at background jobs")
        return
    if resumed or started:
        log.info("sweep: resumed %d background job(s), started the files retention of "
                 "%d service(s)", resumed, started)
