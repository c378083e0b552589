"""Logs and metrics (R-OPS-1), through Powertools for AWS Lambda.

Logs: every record of the app's loggers (`helpdesk.*`) is one JSON line on
stdout, with the invocation's correlation keys: `request_id` (API Gateway's
request id, else Lambda's), `connection_id` (a WebSocket's), and `service_id`
and `chat_id` once known. What is logged never names a token, ticket, secret,
password, email address or message text (tests/api/test_log_hygiene.py greps
a full run). The level is INFO unless POWERTOOLS_LOG_LEVEL (or Lambda's own
log level setting) says otherwise.

Metrics: counted during an invocation and written when it ends, as one line
of CloudWatch's embedded metric format (EMF) on stdout: namespace `Helpdesk`,
the one dimension `service` = `helpdesk` (a dimension per tenant would make a
metric per tenant). Nothing is written when nothing was counted; a metric that
cannot be written is logged and dropped, never the request's failure.

Every Lambda invocation runs inside `invocation()` (api/observed.py, Chalice
middleware for all of them). Powertools is imported there, at the first
invocation, never by `import app` (cold start, docs/performance.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "helpdesk"  # the loggers' parent, the log field `service`, the metric dimension
NAMESPACE = "Helpdesk"

# What is counted, and where (docs/deploy.md, "Logs and metrics").
MESSAGES_RELAYED = "MessagesRelayed"  # services/messages.py: a message stored and pushed
ASSIGNMENT_CONFLICTS = "AssignmentConflicts"  # services/routing.py: an assignment lost a race
ASSIGNMENT_RETRIES = "AssignmentRetries"  # services/routing.py: tried again after one
FAILED_PUSHES = "FailedPushes"  # realtime.py: a post to a connection gone or failed
QUEUE_LENGTH = "QueueLength"  # services/sweep.py: waiting chats the sweep looked at
WEBHOOK_FAILURES = "WebhookFailures"  # services/hook_sender.py: an attempt not delivered
MAIL_FAILURES = "MailFailures"  # services/mail.py: SES refused or failed a send
EXPORT_DURATION = "ExportDuration"  # services/exports.py: a finished export, in ms

COUNT = "Count"
MILLISECONDS = "Milliseconds"

MAX_KEY_LENGTH = 100

log = logging.getLogger("helpdesk.observe")

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Invocation:
    """What one invocation counted, until it ends."""

    counts: dict[str, float] = field(default_factory=dict)
    values: list[tuple[str, str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  # a pool's threads share it


_current: contextvars.ContextVar[_Invocation | None] = contextvars.ContextVar(
    "helpdesk_invocation", default=None
)
_setup_lock = threading.Lock()
_write_lock = threading.Lock()  # Powertools keeps one metric set per process
_tools: tuple[Logger, Metrics] | None = None


class _Stdout(logging.StreamHandler[TextIO]):
    """stdout as it is when a line is written (pytest swaps it), not when set up."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def _powertools() -> tuple[Logger, Metrics]:
    """The one Logger and Metrics, made at the first invocation."""
    global _tools
    if _tools is None:
        with _setup_lock:
            if _tools is None:
                from aws_lambda_powertools import Logger, Metrics

                # A Logger named `helpdesk` formats every `helpdesk.*` record
                # (they propagate to it); `name` says which logger wrote it.
                logger = Logger(service=SERVICE, logger_handler=_Stdout(), name="%(name)s")
                _tools = logger, Metrics(namespace=NAMESPACE, service=SERVICE)
    return _tools


def _keys(given: dict[str, Any]) -> dict[str, str]:
    return {key: value[:MAX_KEY_LENGTH] for key, value in given.items()
            if isinstance(value, str) and value}


@contextlib.contextmanager
def invocation(
    *,
    request_id: str | None,
    connection_id: str | None = None,
    chat_id: str | None = None,
) -> Iterator[None]:
    """One Lambda invocation: its log lines carry these keys (and those `tag`
    adds); what it counted is written when it ends. The keys of an enclosing
    invocation (a worker run in-process, in tests) are back after it."""
    logger, _ = _powertools()
    outer = dict(logger.thread_safe_get_current_keys())
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(**_keys({"request_id": request_id,
                                            "connection_id": connection_id,
                                            "chat_id": chat_id}))
    this = _Invocation()
    token = _current.set(this)
    try:
        yield
    finally:
        _current.reset(token)
        _write_metrics(this, logger.thread_safe_get_current_keys())
        logger.thread_safe_clear_keys()
        if outer:
            logger.thread_safe_append_keys(**outer)


def tag(*, service_id: str | None = None, chat_id: str | None = None) -> None:
    """Add what became known (whose service, which chat) to the log lines of
    the rest of this invocation; nothing outside one."""
    if _current.get() is not None and _tools is not None:
        keys = _keys({"service_id": service_id, "chat_id": chat_id})
        if keys:
            _tools[0].thread_safe_append_keys(**keys)


@contextlib.contextmanager
def tagged(*, service_id: str | None = None, chat_id: str | None = None) -> Iterator[None]:
    """`tag` for a part of the invocation only (one chat of the sweep, one
    mail it sends): the keys before are back after it, whatever was tagged
    inside."""
    if _current.get() is None or _tools is None:
        yield
        return
    logger = _tools[0]
    before = dict(logger.thread_safe_get_current_keys())
    tag(service_id=service_id, chat_id=chat_id)
    try:
        yield
    finally:
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(**before)


def carried(work: Callable[[T], R]) -> Callable[[T], R]:
    """`work` for another thread of this invocation (a pool's): its log lines
    carry this invocation's keys and what it counts is counted here."""
    context = contextvars.copy_context()
    return lambda item: context.copy().run(work, item)


def count(name: str, n: float = 1) -> None:
    """Add `n` to a counter of this invocation (outside one: not counted)."""
    this = _current.get()
    if this is not None:
        with this.lock:
            this.counts[name] = this.counts.get(name, 0) + n


def measure(name: str, value: float, unit: str = COUNT) -> None:
    """One value of a metric (a length, a duration) in this invocation."""
    this = _current.get()
    if this is not None:
        with this.lock:
            this.values.append((name, unit, value))


def _write_metrics(this: _Invocation, keys: dict[str, Any]) -> None:
    """One EMF line for the invocation, its correlation keys as metadata."""
    with this.lock:
        counted = [(name, COUNT, n) for name, n in this.counts.items()] + this.values
    if not counted:
        return
    _, metrics = _powertools()
    with _write_lock:
        try:
            for name, unit, value in counted:
                metrics.add_metric(name=name, unit=unit, value=value)
            for key, value in keys.items():
                metrics.add_metadata(key=key, value=value)
            metrics.flush_metrics()
        except Exception:
            log.warning("metrics of this invocation not written", exc_info=True)
        finally:
            metrics.clear_metrics()
