"""REST under `/api`: each request becomes the proxy event API Gateway's REST
stage would send, through chalice.local's own emulation (routing, CORS
preflight, authorizers, binary bodies), run on the Lambda runtime."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from chalice import Chalice
from chalice.config import Config
from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException
from multidict import CIMultiDict

from infra.local.events import new_connection_id
from infra.local.runtime import LambdaRuntime
from infra.local.settings import ROOT, STAGE

log = logging.getLogger("local.rest")

PREFIX = "/api"
REST_STAGE = "api"  # api_gateway_stage in .chalice/config.json
# API Gateway gives up on an integration after 29 s and answers 504.
INTEGRATION_TIMEOUT_S = 29.0
# Hop-by-hop or recomputed here: never copied from the app's response.
_DROPPED_HEADERS = ("content-length", "transfer-encoding", "connection")


class RestStage(LocalGateway):
    """chalice.local's API Gateway, plus what the real one adds to each event:
    stage, domain, request id, the caller's address, decoded path parameters."""

    def __init__(self, app: Chalice, domain_name: str) -> None:
        config_from_disk = json.loads((ROOT / ".chalice" / "config.json").read_text())
        config = Config(chalice_stage=STAGE, config_from_disk=config_from_disk)
        super().__init__(app, config)
        self.domain_name = domain_name

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        event = super()._generate_lambda_event(method, path, headers, body)
        context = event["requestContext"]
        context.update(
            stage=REST_STAGE,
            domainName=self.domain_name,
            requestId=new_connection_id(),
            path=f"/{REST_STAGE}{context['path']}",
        )
        forwarded = headers.get("x-forwarded-for", "")
        context["identity"] = {
            "sourceIp": forwarded.split(",")[-1].strip() or "127.0.0.1",
            "userAgent": headers.get("user-agent"),
        }
        # API Gateway decodes path parameters; chalice.local leaves them encoded.
        event["pathParameters"] = {
            name: unquote(value) for name, value in (event["pathParameters"] or {}).items()
        } or None
        multi_query = event.get("multiValueQueryStringParameters")
        event["queryStringParameters"] = (
            {name: values[-1] for name, values in multi_query.items()} if multi_query else None
        )
        return event


class RestApi:
    """The aiohttp side: HTTP request in, the app's proxy response out."""

    def __init__(self, runtime: LambdaRuntime, domain_name: str, port: int) -> None:
        self.runtime = runtime
        self.stage = RestStage(runtime.app, domain_name)
        self.port = port

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", PREFIX, self.handle),
            web.route("*", PREFIX + "/{tail:.*}", self.handle),
        ]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path[len(PREFIX):]
        if not path.startswith("/"):
            path = "/" + path
        body = await request.read() or None
        headers = {name.lower(): value for name, value in request.headers.items()}
        previous = headers.get("x-forwarded-for")
        caller = request.remote or "127.0.0.1"
        headers["x-forwarded-for"] = f"{previous}, {caller}" if previous else caller
        headers["x-forwarded-proto"] = "http"
        headers["x-forwarded-port"] = str(self.port)
        try:
            response = await asyncio.wait_for(
                self.runtime.call(
                    lambda: self.stage.handle_request(request.method, path, headers, body)
                ),
                INTEGRATION_TIMEOUT_S,
            )
        except ForbiddenError:
            return missing_route()
        except LocalGatewayException as refused:
            # Authorizers (the product uses none): their status, nothing echoed.
            return _gateway_error(refused.CODE, "the request was refused")
        except TimeoutError:
            return _gateway_error(504, "Endpoint request timed out")
        except Exception:
            log.exception("the app failed on %s %s", request.method, request.path)
            return _gateway_error(502, "Internal server error")
        return to_http(response)


def _gateway_error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def missing_route() -> web.Response:
    """A route the API does not have: 404 in the API's error shape, echoing
    nothing of the request, as the deployed REST API's gateway response answers
    (API Gateway's own answer is a 403 that quotes the Authorization header)."""
    body = json.dumps({"code": "not_found", "message": "no such route"})
    return web.Response(status=404, text=body, content_type="application/json",
                        headers={"X-Content-Type-Options": "nosniff"})


def to_http(response: dict[str, Any]) -> web.Response:
    """A Lambda proxy response as the HTTP response API Gateway makes of it."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in (response.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.popall(name, None)
        for value in values:
            headers.add(name, str(value))
    for name in _DROPPED_HEADERS:
        headers.popall(name, None)
    body = response.get("body")
    if response.get("isBase64Encoded") and body:
        payload = base64.b64decode(body)
    elif isinstance(body, str):
        payload = body.encode()
    else:
        payload = body or b""
    if payload and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return web.Response(status=int(response["statusCode"]), body=payload, headers=headers)
