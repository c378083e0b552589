"""The local stack's SQS: the webhook queue and its dead-letter queue on moto's
server, configured as the packaged template configures them (infra/package.py is
the one definition), and `QueuePoller`, which feeds each queue to its
`@app.on_sqs_message` function the way Lambda's SQS event source mapping does:

- a few pollers per queue (POLLERS_PER_QUEUE) long-poll ReceiveMessage for up to
  the function's batch size (with a batching window, they keep receiving until
  the batch is full or the window has passed);
- each batch is one synchronous invocation with the SQS event (events.sqs_event);
- the function raised: nothing is deleted, the messages come back when their
  visibility timeout ends, and after the redrive policy's maxReceiveCount receives
  SQS (moto too) moves them to the dead-letter queue;
- it returned `batchItemFailures`: all but those records are deleted (an answer
  Lambda cannot read, e.g. an id not in the batch, fails the whole batch);
- otherwise the whole batch is deleted.

Messages are logged by count, never by body."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from infra import package
from infra.local import events
from infra.local.runtime import LambdaRuntime, QueueFunction, in_thread
from infra.local.settings import WEBHOOK_DEAD_LETTER_QUEUE, WEBHOOK_QUEUE

log = logging.getLogger("local.queues")

POLLERS_PER_QUEUE = 2  # Lambda starts with a few pollers per queue and scales from there
RECEIVE_WAIT_S = 1  # long polling: each ReceiveMessage waits up to this for a message
RETRY_AFTER_S = 5.0  # after a failed receive (a queue not there yet, moto stopping)
_RECEIVE_AT_MOST = 10  # SQS hands out at most 10 messages per ReceiveMessage
_DELETE_AT_MOST = 10  # DeleteMessageBatch takes at most 10 entries
# The webhook sender's timeout (chalice's default: the local stage sets none; dev
# and prod set the same 60 s in .chalice/config.json): the queue's visibility
# timeout is six times it, as in the template.
SENDER_TIMEOUT_S = 60


# --- the queues ----------------------------------------------------------------------


def queue_attributes(resource: dict[str, Any], arns: Mapping[str, str]) -> dict[str, str]:
    """An AWS::SQS::Queue's properties as CreateQueue's attributes; the redrive
    target (a GetAtt of another queue's ARN) taken from `arns` by logical id."""
    attributes = {}
    for name, value in resource["Properties"].items():
        if name == "RedrivePolicy":
            target = value["deadLetterTargetArn"]["Fn::GetAtt"][0]
            value = json.dumps({"deadLetterTargetArn": arns[target],
                                "maxReceiveCount": value["maxReceiveCount"]})
        attributes[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return attributes


def create_webhook_queues(client: Any) -> str:
    """The webhook queue and its dead-letter queue, as the template makes them
    (unless they are there already); returns the webhook queue's URL."""
    resources = package.webhook_queues(SENDER_TIMEOUT_S)
    # The dead-letter queue first: the queue's redrive policy names it.
    names = {package.WEBHOOK_DEAD_LETTER_QUEUE: WEBHOOK_DEAD_LETTER_QUEUE,
             package.WEBHOOK_QUEUE: WEBHOOK_QUEUE}
    arns: dict[str, str] = {}
    url = ""
    for logical_id, name in names.items():
        url = client.create_queue(
            QueueName=name, Attributes=queue_attributes(resources[logical_id], arns)
        )["QueueUrl"]
        arns[logical_id] = client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
    return url


# --- the event source mapping --------------------------------------------------------


def failed_ids(answer: Any, batch: Sequence[str]) -> set[str]:
    """The records of `batch` (message ids) to leave in the queue, from what the
    function returned, as Lambda reads it with ReportBatchItemFailures: nothing,
    no `batchItemFailures` or an empty list is success for all; an answer it
    cannot read (not an object, not a list, a failure without an
    `itemIdentifier` of this batch) fails the whole batch."""
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return set(batch)
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(batch)
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return set(batch)
        failed.add(identifier)
    return failed


class QueuePoller:
    """Lambda's SQS event source mapping for every `@app.on_sqs_message` function
    of the app, against one SQS endpoint (moto's). `run` until `stop`."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        endpoint: str,
        region: str,
        *,
        pollers: int = POLLERS_PER_QUEUE,
        wait_s: int = RECEIVE_WAIT_S,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> None:
        self.runtime = runtime
        self.endpoint = endpoint
        self.region = region
        self.pollers = pollers
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._started = False
        # moto's ReceiveMessage is not atomic: two at once on one queue could
        # both take a message. One receive per queue at a time; invocations of
        # the batches still overlap, up to `pollers` per queue.
        self._receiving: dict[str, threading.Lock] = {}

    @functools.cached_property
    def _client(self) -> Any:
        import boto3

        # The stack's placeholder credentials: this only ever talks to moto.
        return boto3.session.Session().client(
            "sqs", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106
        )

    async def run(self) -> None:
        functions = self.runtime.queue_functions()
        for function in functions:
            log.info("queue %s feeds %s (batches of up to %d, %d pollers)",
                     function.queue, function.name, function.batch_size, self.pollers)
            self._receiving.setdefault(function.queue, threading.Lock())
        # Made once, here (boto3 is slow to make a client), not by two pollers at once.
        await in_thread(lambda: self._client, name="sqs-poller")
        self._started = True
        try:
            await asyncio.gather(*(
                self._keep_polling(function)
                for function in functions for _ in range(self.pollers)
            ))
        finally:
            self._finished.set()

    async def stop(self, grace_s: float) -> None:
        """Take no more messages; batches being handled get `grace_s` to finish
        (and be deleted). Whatever is left comes back after its visibility timeout."""
        self._stopping.set()
        if self._started:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), grace_s)

    async def _keep_polling(self, function: QueueFunction) -> None:
        url: str | None = None
        while not self._stopping.is_set():
            try:
                if url is None:
                    url = await in_thread(
                        functools.partial(self._queue_url, function.queue), name="sqs-poller"
                    )
                batch = await in_thread(
                    functools.partial(self._receive, url, function), name="sqs-poller"
                )
            except Exception as error:  # the queue is not there (yet), moto stopped, …
                log.warning("queue %s: %s; polling again in %.0f s",
                            function.queue, error, self.retry_after_s)
                url = None
                await self._pause(self.retry_after_s)
                continue
            if batch:
                await self._deliver(function, url, batch)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _queue_url(self, queue: str) -> str:
        return str(self._client.get_queue_url(QueueName=queue)["QueueUrl"])

    def _receive(self, url: str, function: QueueFunction) -> list[dict[str, Any]]:
        """One batch: up to the batch size; with a batching window, receiving on
        until the batch is full or the window (from the first message) has passed."""
        batch: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(batch) < function.batch_size and not self._stopping.is_set():
            with self._receiving[function.queue]:
                answer = self._client.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(_RECEIVE_AT_MOST, function.batch_size - len(batch)),
                    WaitTimeSeconds=self.wait_s,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            batch.extend(answer.get("Messages", []))
            if batch and deadline is None:
                deadline = time.monotonic() + function.batching_window_s
            if deadline is None or time.monotonic() >= deadline:
                break
        return batch

    async def _deliver(
        self, function: QueueFunction, url: str, batch: list[dict[str, Any]]
    ) -> None:
        event = events.sqs_event(batch, function.queue, self.region)
        try:
            answer = await self.runtime.invoke(function, event)
        except Exception:
            log.warning("%s failed on %d message(s) of %s; they come back after their "
                        "visibility timeout", function.name, len(batch), function.queue,
                        exc_info=True)
            return
        retry = failed_ids(answer, [m["MessageId"] for m in batch])
        handled = [m for m in batch if m["MessageId"] not in retry]
        if handled:
            try:
                await in_thread(functools.partial(self._delete, url, handled), name="sqs-poller")
            except Exception as error:
                log.warning("queue %s: could not delete %d handled message(s) (%s); they "
                            "come back", function.queue, len(handled), error)
        log.info("%s handled %d message(s) of %s%s", function.name, len(handled),
                 function.queue, f", {len(retry)} to retry" if retry else "")

    def _delete(self, url: str, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), _DELETE_AT_MOST):
            chunk = messages[start:start + _DELETE_AT_MOST]
            answer = self._client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(chunk)
            ])
            if answer.get("Failed"):
                log.warning("could not delete %d message(s): they come back",
                            len(answer["Failed"]))
