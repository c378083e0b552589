"""Resumable background jobs over many items (models.Job): retention recomputed
after `retention_days` changes, files past retention deleted, a customer's
data erased (services/retention.py, services/erasure.py).

A job is one item. Its worker claims it with a lease (a conditional update:
nobody else holds an unexpired one), then does a page of work at a time and
records, after each, where it is (`stage`, `cursor`) and what it did
(`counts`) — conditionally on still holding the lease for the same `run`.
So a worker that dies, or times out, loses at most one page, which the next
worker (started by the minute sweep from the sparse `jobs-due` index once the
lease has passed) does again: every page's writes must be safe to repeat.
Asking for a job again (`restart`) bumps `run` and starts it from the
beginning; a worker of the earlier run stops at its next record.

Workers are the export worker Lambda, invoked asynchronously with
`{"job_id": …}` (or in-process when EXPORT_INVOKE=inline, the tests).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import aws, clock, config, observe
from chalicelib.models import Job

log = logging.getLogger("helpdesk.jobs")

LEASE_S = 120
# A finished job's record (its counts) is kept this long.
KEEP_DONE = timedelta(days=30)
DUE = "due"
# How long one invocation of the worker works before it hands over to another:
# well inside the export worker's 15 minutes.
WORKER_BUDGET_S = 600.0


@dataclass
class Step:
    """What one page of a job did: where the job is now, counts to add, and
    whether it has finished."""

    stage: str | None
    cursor: Any = None
    counts: dict[str, int] = field(default_factory=dict)
    done: bool = False


# kind → the function doing the next page of a job of that kind.
Stepper = Callable[[Job], Step]
_STEPPERS: dict[str, Stepper] = {}


# Where each kind's page function is (the module registers it when loaded:
# loaded here on first use, so a worker needs no import list of its own).
_MODULES = {
    "retention": "chalicelib.services.retention_jobs",
    "files": "chalicelib.services.retention_jobs",
    "erasure": "chalicelib.services.erasure",
}


def _stepper_of(kind: str) -> Stepper:
    if kind not in _STEPPERS and kind in _MODULES:
        importlib.import_module(_MODULES[kind])
    if kind not in _STEPPERS:
        raise RuntimeError(f"no worker for jobs of kind {kind!r}")
    return _STEPPERS[kind]


def stepper(kind: str) -> Callable[[Stepper], Stepper]:
    def register(func: Stepper) -> Stepper:
        _STEPPERS[kind] = func
        return func
    return register


def _due_at(epoch: float) -> str:
    return clock.iso(datetime.fromtimestamp(epoch, clock.now().tzinfo)) or ""


def _restart_actions(kind: str, service_id: str, params: dict[str, Any], at: str,
                     created_by: str | None) -> list[Any]:
    # An update, never a put: a worker of an earlier run keeps its lease (so no
    # two workers overlap) but its next record fails on the new `run`.
    return [Job.kind.set(kind), Job.service_id.set(service_id), Job.params.set(params),
            Job.status.set("pending"), Job.run.add(1), Job.stage.remove(), Job.cursor.remove(),
            Job.counts.set({}), Job.error.remove(), Job.due.set(DUE), Job.due_at.set(at),
            Job.created_at.set(at), Job.updated_at.set(at),
            Job.finished_at.remove(), Job.expires_at.remove(),
            Job.created_by.set(created_by) if created_by else Job.created_by.remove()]


def add_to(writes: TransactWrite, job_id: str, kind: str, service_id: str,
           params: dict[str, Any], *, created_by: str | None = None,
           now: datetime | None = None, condition: Any = None) -> None:
    """The job (new, or asked for again from the beginning), in the transaction
    of the change that needs it: it cannot be lost between the two."""
    at = clock.iso(now or clock.now()) or ""
    writes.update(Job(job_id=job_id),
                  actions=_restart_actions(kind, service_id, params, at, created_by),
                  condition=condition)


def start(job_id: str, kind: str, service_id: str, params: dict[str, Any], *,
          created_by: str | None = None, now: datetime | None = None) -> Job:
    """The job, new or asked for again: a new run from the beginning (a job
    that is running stops at its next page and this run takes over once its
    lease is given back or has passed)."""
    at = clock.iso(now or clock.now()) or ""
    job = Job(job_id=job_id)
    job.update(actions=_restart_actions(kind, service_id, params, at, created_by))
    return job


def get(job_id: str) -> Job | None:
    try:
        return Job.get(job_id, consistent_read=True)
    except Job.DoesNotExist:
        return None


def _claim(job_id: str, now_s: float) -> tuple[Job, str] | None:
    holder = secrets.token_hex(8)
    try:
        job = Job(job_id=job_id)
        job.update(
            actions=[Job.holder.set(holder), Job.lease_until.set(int(now_s) + LEASE_S),
                     Job.status.set("running"), Job.due_at.set(_due_at(now_s + LEASE_S))],
            condition=Job.job_id.exists() & Job.due.exists()
            & (Job.lease_until.does_not_exist() | (Job.lease_until < int(now_s))),
        )
    except UpdateError:
        return None  # finished, or another worker holds it
    return Job.get(job_id, consistent_read=True), holder


def _record(job: Job, holder: str, step: Step, now_s: float) -> bool:
    """The page's outcome, if this worker still holds the job for its run."""
    counts = dict(job.counts or {})
    for name, value in step.counts.items():
        counts[name] = int(counts.get(name, 0)) + int(value)
    at = clock.iso(clock.now()) or ""
    actions: list[Any] = [Job.counts.set(counts), Job.updated_at.set(at)]
    if step.done:
        actions += [Job.status.set("done"), Job.due.remove(), Job.due_at.remove(),
                    Job.holder.remove(), Job.lease_until.remove(), Job.stage.remove(),
                    Job.cursor.remove(), Job.error.remove(), Job.finished_at.set(at),
                    Job.expires_at.set(clock.now() + KEEP_DONE)]
    else:
        actions += [Job.stage.set(step.stage) if step.stage else Job.stage.remove(),
                    Job.cursor.set(step.cursor) if step.cursor is not None else Job.cursor.remove(),
                    Job.lease_until.set(int(now_s) + LEASE_S),
                    Job.due_at.set(_due_at(now_s + LEASE_S))]
    try:
        job.update(actions=actions,
                   condition=(Job.holder == holder) & (Job.run == int(job.run or 1)))
    except UpdateError:
        return False
    return True


def _release(job: Job, holder: str, *, error: str | None = None) -> None:
    """Give the lease back (another run was asked for, the budget is spent, or
    a page failed: `error`), so the next worker need not wait for it to pass."""
    actions: list[Any] = [Job.holder.remove(), Job.lease_until.remove(),
                          Job.due_at.set(clock.iso(clock.now()) or "")]
    if error:
        actions.append(Job.error.set(error))
    with contextlib.suppress(UpdateError):
        job.update(actions=actions, condition=Job.holder == holder)


def work(job_id: str, *, budget_s: float = WORKER_BUDGET_S) -> Job | None:
    """Do the job's pages until it is done or `budget_s` has passed; returns the
    job as it is then (None when another worker holds it or it is finished)."""
    deadline = time.monotonic() + budget_s
    while True:
        claimed = _claim(job_id, time.time())
        if claimed is None:
            return None
        job, holder = claimed
        observe.tag(service_id=job.service_id)
        func = _stepper_of(str(job.kind))
        while True:
            try:
                step = func(job)
            except Exception as error:
                # Given back with what went wrong: the next worker (the sweep's,
                # within a minute) does the page again.
                log.exception("job %s (%s) failed a page: %s", job_id, job.kind,
                              type(error).__name__)
                _release(job, holder, error=type(error).__name__)
                raise
            if not _record(job, holder, step, time.time()):
                break  # asked for again: start over with the new run
            job = Job.get(job_id, consistent_read=True)
            if step.done:
                return job
            if time.monotonic() >= deadline:
                _release(job, holder)
                return job
        _release(job, holder)
        if time.monotonic() >= deadline:
            return get(job_id)


# --- starting workers ---------------------------------------------------------------


Launcher = Callable[[str], None]


def _work_here(job_id: str) -> None:
    work(job_id)


def launcher() -> Launcher:
    """How a job's worker is started: an asynchronous invocation of the export
    worker Lambda (on AWS, or the local gateway's), or in-process when
    EXPORT_INVOKE=inline (tests)."""
    if config.exports_inline():
        return _work_here

    def invoke(job_id: str) -> None:
        import json

        client = aws.client("lambda", endpoint_url=config.lambda_endpoint())
        client.invoke(FunctionName=config.export_function(), InvocationType="Event",
                      Payload=json.dumps({"job_id": job_id}).encode())

    return invoke


def launch(job_id: str, launch_with: Launcher | None = None) -> None:
    """Start a worker for the job; a failure to start is left to the sweep."""
    try:
        (launch_with or launcher())(job_id)
    except Exception as error:  # the sweep starts it within a minute or two
        log.warning("could not start a worker for job %s: %s", job_id, type(error).__name__)


def resume_due(now: datetime, *, launch_with: Launcher | None = None, limit: int = 20) -> int:
    """The minute sweep: start a worker for each unfinished job whose lease has
    passed (its worker died or timed out) or that never started."""
    found = 0
    for item in Job.by_due.query(DUE, Job.due_at <= (clock.iso(now) or ""), limit=limit):
        launch(item.job_id, launch_with)
        found += 1
    return found
