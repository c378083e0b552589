"""The local API Gateway: one aiohttp server on 127.0.0.1:PORT with REST under
`/api`, the WebSocket API at `/ws` and its `@connections`, the Lambda Invoke API,
the static widget and console, and the app's schedules and SQS queue pollers
running beside them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from chalice import Chalice

from infra.local import outbox, static
from infra.local.functions import LambdaApi, Scheduler
from infra.local.queues import QueuePoller
from infra.local.rest import RestApi
from infra.local.runtime import LambdaRuntime, point_websocket_api_at
from infra.local.settings import HOST, WS_STAGE, LocalSettings
from infra.local.websocket import WebSocketApi

log = logging.getLogger("local.gateway")

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's REST payload limit
SHUTDOWN_GRACE_S = 5.0



class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs method, path, status and time, never the query string: WebSocket
    tickets travel there (`/ws?ticket=…`), and secrets stay out of logs."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info('"%s %s" %s %.3fs', request.method, request.path, response.status, time)

class Gateway:
    """Everything served on the one port, and how it starts and stops."""

    def __init__(self, settings: LocalSettings, app: Chalice) -> None:
        self.settings = settings
        point_websocket_api_at(app, f"{settings.base_url}/{WS_STAGE}")
        self.runtime = LambdaRuntime(app)
        self.websockets = WebSocketApi(self.runtime, settings)
        self.rest = RestApi(self.runtime, settings.domain_name, settings.port)
        self.functions = LambdaApi(self.runtime)
        self.scheduler = Scheduler(self.runtime, region=app_region())
        self.queues = QueuePoller(self.runtime, settings.sqs_endpoint, region=app_region())

    def application(self) -> web.Application:
        application = web.Application(client_max_size=MAX_REQUEST_BYTES)
        application.add_routes(
            outbox.routes()
            + self.rest.routes()
            + self.websockets.routes()
            + self.functions.routes()
            + static.routes(self.settings)
        )
        return application

    async def serve(self, until: asyncio.Event, on_ready: Callable[[], None]) -> None:
        """Listen until `until` is set, then close every socket and stop."""
        runner = web.AppRunner(
            self.application(),
            access_log_class=PathOnlyAccessLogger,
            shutdown_timeout=SHUTDOWN_GRACE_S,
        )
        await runner.setup()
        chores: list[asyncio.Task[None]] = []
        try:
            await web.TCPSite(runner, HOST, self.settings.port).start()
            chores = [
                asyncio.create_task(self.websockets.close_idle_connections()),
                asyncio.create_task(self.scheduler.run()),
                asyncio.create_task(self.queues.run()),
            ]
            on_ready()
            await until.wait()
            log.info("stopping: queue pollers, then WebSockets")
            await self.queues.stop(SHUTDOWN_GRACE_S)
            for chore in chores:
                chore.cancel()
            await self.websockets.close_all(SHUTDOWN_GRACE_S)
            await self.runtime.stop_background()
        finally:
            for chore in chores:
                chore.cancel()
            await runner.cleanup()


def app_region() -> str:
    from chalicelib import config

    return config.region()


async def serve_until_signalled(gateway: Gateway, on_ready: Callable[[], None]) -> None:
    """Serve until SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await gateway.serve(stop, on_ready)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
