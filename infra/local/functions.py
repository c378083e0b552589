"""The app's non-HTTP Lambdas: scheduled functions fire on their schedule, and
the Lambda Invoke API (`boto3.client("lambda", endpoint_url=LAMBDA_ENDPOINT)`)
runs `@app.lambda_function`s, in the background for `InvocationType=Event`."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from infra.local import events, schedules
from infra.local.runtime import Function, LambdaRuntime, ScheduledFunction
from infra.local.websocket import aws_error, unsigned

log = logging.getLogger("local.functions")

INVOKE_PATH = "/2015-03-31/functions/{function_name}/invocations"
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD_BYTES = 256 * 1024


class LambdaApi:
    """POST /2015-03-31/functions/{name}/invocations, as AWS Lambda answers it."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime

    def routes(self) -> list[web.RouteDef]:
        return [web.post(INVOKE_PATH, self.invoke)]

    async def invoke(self, request: web.Request) -> web.Response:
        if refusal := unsigned(request):
            return refusal
        name = request.match_info["function_name"]
        function = self.runtime.invocable_function(name)
        if function is None:
            return aws_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        raw = await request.read()
        limit = MAX_ASYNC_PAYLOAD_BYTES if kind == "Event" else MAX_SYNC_PAYLOAD_BYTES
        if len(raw) > limit:
            return aws_error(413, "RequestTooLargeException", "Request must be smaller")
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return aws_error(400, "InvalidRequestContentException", "Could not parse JSON")
        if kind == "DryRun":
            return web.Response(status=204)
        if kind == "Event":
            self.runtime.invoke_in_background(function, payload)
            return web.Response(status=202)
        return await self._invoke_and_wait(function, payload)

    async def _invoke_and_wait(self, function: Function, payload: Any) -> web.Response:
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        try:
            result = await self.runtime.invoke(function, payload)
        except Exception as error:
            log.exception("function %s failed", function.name)
            headers["X-Amz-Function-Error"] = "Unhandled"
            body = {"errorMessage": str(error), "errorType": type(error).__name__}
            return web.json_response(body, headers=headers)
        return web.Response(body=json.dumps(result).encode(), headers=headers)


NextFire = Callable[[Any, datetime], datetime]


class Scheduler:
    """Fires each scheduled function when EventBridge would, in the background
    (a run still going when the next is due overlaps it, as on AWS)."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        region: str,
        next_fire: NextFire = schedules.next_fire,
    ) -> None:
        self.runtime = runtime
        self.region = region
        self.next_fire = next_fire

    async def run(self) -> None:
        functions = self.runtime.scheduled_functions()
        for function in functions:
            log.info(
                "schedule %s: %s", function.name, schedules.expression_text(function.expression)
            )
        await asyncio.gather(*(self._keep_firing(function) for function in functions))

    async def _keep_firing(self, function: ScheduledFunction) -> None:
        moment = datetime.now(UTC)
        while True:
            try:
                moment = self.next_fire(function.expression, moment)
            except ValueError as error:
                log.warning("schedule %s will not run here: %s", function.name, error)
                return
            await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))
            rule = function.deployed_name(self.runtime.app.app_name) + "-event"
            event = events.scheduled_event(rule, self.region, moment)
            log.debug("firing %s", function.name)
            self.runtime.invoke_in_background(function, event)
