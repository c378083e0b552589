"""The Chalice app as Lambda runs it: loaded once by import path, each invocation
in a thread of its own so the gateway's event loop never blocks, with a Lambda
context, and the handler Lambda would call for each kind of event."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalice import Chalice
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext, LocalChalice

from infra.local.settings import LAMBDA_CONCURRENCY, ROOT, STAGE

log = logging.getLogger("local.runtime")

T = TypeVar("T")
Handler = Callable[[dict[str, Any], Any], Any]

# Lambda's limits that matter here: memory is only reported, timeouts are not
# enforced on the function (API Gateway's 29 s integration timeout is).
MEMORY_MB = 128
FUNCTION_TIMEOUT_S = 900
MAX_CONCURRENCY = LAMBDA_CONCURRENCY


def load_app(import_path: str) -> Chalice:
    """`module:attribute`, e.g. `app:app`, imported as the Lambda runtime would."""
    module_name, _, attribute = import_path.partition(":")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    app = getattr(importlib.import_module(module_name), attribute or "app")
    if not isinstance(app, Chalice):
        raise TypeError(f"{import_path} is not a Chalice app")
    _keep_requests_per_thread(app)
    return app


def _keep_requests_per_thread(app: Chalice) -> None:
    """Chalice keeps the current request on the app object; Lambda runs one request
    per process, this gateway many at once in threads. `chalice local` solves this
    the same way: its LocalChalice keeps the request per thread."""
    if not isinstance(app, LocalChalice):
        app.__class__ = type("GatewayChalice", (LocalChalice, type(app)), {})


def point_websocket_api_at(app: Chalice, endpoint: str) -> None:
    """Make `app.websocket_api.send/close/info` reach the gateway. Chalice builds
    the endpoint as `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`
    on the first WebSocket event and keeps whatever is set first, so set it now."""
    app.websocket_api._endpoint = endpoint


@dataclass(frozen=True)
class Function:
    """One Lambda function of the app: its name and the handler Lambda calls."""

    name: str
    handler: Handler

    def deployed_name(self, app_name: str) -> str:
        """The function name `chalice deploy` gives it (`app-stage-name`)."""
        return f"{app_name}-{STAGE}-{self.name}"


@dataclass(frozen=True)
class ScheduledFunction(Function):
    expression: Any = None  # a chalice Rate/Cron or an EventBridge expression string


@dataclass(frozen=True)
class QueueFunction(Function):
    """A function fed by an SQS queue, with its event source mapping's settings."""

    queue: str = ""
    batch_size: int = 10
    batching_window_s: int = 0


async def in_thread(work: Callable[[], T], name: str = "lambda") -> T:
    """Run blocking code in a thread of its own and await its result. Daemon
    threads, so work that never returns cannot keep Ctrl-C from stopping the stack."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (work(), None)
        except BaseException as error:  # handed to the awaiting coroutine
            outcome = (None, error)
        # RuntimeError: the gateway stopped meanwhile; nobody is waiting.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await done


class LambdaRuntime:
    """Invokes the app's handlers; at most MAX_CONCURRENCY at once, like a
    reserved-concurrency Lambda."""

    def __init__(self, app: Chalice, concurrency: int = MAX_CONCURRENCY) -> None:
        self.app = app
        self._slots = asyncio.Semaphore(concurrency)
        self._background: set[asyncio.Task[Any]] = set()

    # --- what the app has -----------------------------------------------------

    def websocket_function(self, route_key: str) -> Function | None:
        """The handler of `$connect`, `$default` or `$disconnect`, if the app has one."""
        config = self.app.websocket_handlers.get(route_key)
        if config is None:
            return None
        return Function(config.name, self.app.handler_map[config.name])

    def scheduled_functions(self) -> list[ScheduledFunction]:
        return [
            ScheduledFunction(
                source.name, self.app.handler_map[source.name], source.schedule_expression
            )
            for source in self.app.event_sources
            if isinstance(source, ScheduledEventConfig)
        ]

    def queue_functions(self) -> list[QueueFunction]:
        """Each `@app.on_sqs_message` handler with its queue (named, or the last
        part of its ARN) and batching."""
        return [
            QueueFunction(
                source.name,
                self.app.handler_map[source.name],
                queue=source.queue or (source.queue_arn or "").rsplit(":", 1)[-1],
                batch_size=source.batch_size,
                batching_window_s=source.maximum_batching_window_in_seconds,
            )
            for source in self.app.event_sources
            if isinstance(source, SQSEventConfig)
        ]

    def invocable_function(self, name: str) -> Function | None:
        """A function `lambda.invoke` may name: by its own name, its deployed name
        (`helpdesk-chat-dev-export_worker`) or an ARN ending in either."""
        wanted = name.split(":function:")[-1].split(":")[0]
        functions = [
            *(
                Function(f.name, self.app.handler_map[f.name])
                for f in self.app.pure_lambda_functions
            ),
            *self.scheduled_functions(),
            *self.queue_functions(),
        ]
        exact = [f for f in functions if f.name == wanted]
        deployed = [f for f in functions if wanted.endswith("-" + f.name)]
        return next(iter(exact + deployed), None)

    # --- running it -----------------------------------------------------------

    def context(self, function: Function) -> LambdaContext:
        return LambdaContext(
            function_name=function.deployed_name(self.app.app_name),
            memory_size=MEMORY_MB,
            max_runtime_ms=FUNCTION_TIMEOUT_S * 1000,
        )

    async def invoke(self, function: Function, event: dict[str, Any]) -> Any:
        """Run the handler on `event` and return what it returns (or raise)."""
        context = self.context(function)
        return await self.call(lambda: function.handler(event, context))

    async def call(self, work: Callable[[], T]) -> T:
        """Run blocking app code in a thread of its own, within the concurrency."""
        async with self._slots:
            return await in_thread(work)

    def invoke_in_background(self, function: Function, event: dict[str, Any]) -> None:
        """`InvocationType=Event`: accepted now, run later; errors only logged."""
        task = asyncio.get_running_loop().create_task(self._run_logged(function, event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run_logged(self, function: Function, event: dict[str, Any]) -> None:
        try:
            await self.invoke(function, event)
        except Exception:
            log.exception("function %s failed", function.name)

    async def stop_background(self, grace_s: float = 2.0) -> None:
        """Give background invocations a moment, then leave them (daemon threads)."""
        if not self._background:
            return
        _, pending = await asyncio.wait(set(self._background), timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("left %d background invocation(s) running at shutdown", len(pending))
