"""Schemathesis over the REST API from docs/openapi.yaml: for every operation,
examples, boundary cases and generated (valid and invalid) requests from a
signed-in admin. No answer is a 5xx; every status, header and body is the one
the document promises (every 4xx in the `{code, message}` shape); invalid data
is refused.

The app is reached in-process through the local stack's own API Gateway
emulation (infra/local/rest.py, chalice.local underneath) behind a small WSGI
adapter, on moto; the run is derandomized, so CI repeats it exactly."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.openapi_doc import DOC_PATH, PREFIX
from tests.conftest import ADMIN_PASSWORD, make_tenant

MAX_EXAMPLES = 12
CLIENT_IP = "198.51.100.7"
# Generated logins fail by the hundred from one address: the per-address limits
# are raised so they never refuse the admin's own (correct) logins, and the
# admin's account is never the one generated logins name (another service).
FUZZ_ENV = {
    "LOGIN_FAILURES_BURST": "1000000",
    "WIDGET_SESSIONS_BURST": "1000000",
    "EXPORT_INVOKE": "inline",
    "EXPORTS_BUCKET": "fuzz-exports",
    "WS_MANAGEMENT_ENDPOINT": "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws",
}


class RestGateway:
    """A WSGI app in front of the REST stage: what the local stack's aiohttp
    server does (strip /api, add the caller's address), minus the sockets."""

    def __init__(self) -> None:
        from app import app
        from infra.local.rest import RestStage

        self.stage = RestStage(app, "127.0.0.1:8080")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        # The path as sent (still percent-encoded, as API Gateway matches it).
        path = (environ.get("RAW_URI") or environ["PATH_INFO"]).split("?", 1)[0]
        query = environ.get("QUERY_STRING")
        status, headers, body = self.handle(
            environ["REQUEST_METHOD"], path + (f"?{query}" if query else ""),
            _headers(environ), environ["wsgi.input"].read() or None,
        )
        start_response(f"{status} -", list(headers.items()))
        return [body]

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        from chalice.local import LocalGatewayException

        if not path.startswith(PREFIX + "/"):
            return 404, {"Content-Type": "application/json"}, b'{"message": "Not Found"}'
        headers = {**headers, "x-forwarded-for": CLIENT_IP}
        try:
            response = self.stage.handle_request(method, path[len(PREFIX):], headers, body)
        except LocalGatewayException as refused:
            return refused.CODE, dict(refused.headers), refused.body
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            raw = base64.b64decode(raw)
        payload = raw.encode() if isinstance(raw, str) else raw
        return int(response["statusCode"]), dict(response.get("headers") or {}), payload


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


@dataclass
class FuzzedService:
    gateway: RestGateway
    service_id: str
    admin_email: str
    token: str = ""


def _login(service: FuzzedService) -> str:
    status, _, body = service.gateway.handle(
        "POST", PREFIX + "/auth/login", {"content-type": "application/json"},
        json.dumps({"service_id": service.service_id, "email": service.admin_email,
                    "password": ADMIN_PASSWORD}).encode(),
    )
    assert status == 200, body
    return json.loads(body)["token"]


def _token_works(token: str) -> bool:
    from chalicelib.errors import NotAuthenticated
    from chalicelib.services import sessions

    try:
        return sessions.authenticate(f"Bearer {token}").is_admin
    except NotAuthenticated:
        return False


@pytest.fixture(scope="module")
def fuzzed_service() -> Iterator[FuzzedService]:
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib import models
    from infra import tables

    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name, value in FUZZ_ENV.items():
            env.setenv(name, value)
        env.delenv("DYNAMODB_ENDPOINT", raising=False)
        aws_clients.reset()
        models.reset_connections()
        tables.create_tables(aws_clients.client("dynamodb"))
        aws_clients.client("s3").create_bucket(Bucket=FUZZ_ENV["EXPORTS_BUCKET"])
        tenant = make_tenant("fuzz", widget_key="fuzz-widget")
        service = FuzzedService(RestGateway(), tenant.service_id, tenant.admin_email)
        service.token = _login(service)
        yield service
    aws_clients.reset()
    models.reset_connections()


CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261125,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                   "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})
# Loaded at import (schemathesis's lazy fixture loader does not run on this pytest);
# the tables behind the gateway are the module fixture's.
schema = schemathesis.openapi.from_path(DOC_PATH, config=CONFIG)
schema.app = RestGateway()


@schema.auth(refresh_interval=None)
class AdminToken:
    """A real admin's bearer token from POST /auth/login; signed in again only
    when a generated POST /auth/logout has revoked it."""

    service: FuzzedService | None = None

    def get(self, case: Any, context: Any) -> str:
        service = AdminToken.service
        if service is None:
            # Boundary cases are built while pytest collects, before any table
            # exists; the test gives them the live token just before the call.
            return "signed-in-at-call-time"
        if not _token_works(service.token):
            service.token = _login(service)
        return service.token

    def set(self, case: Any, token: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(case, fuzzed_service):
    AdminToken.service = fuzzed_service
    if "Authorization" in (case.headers or {}):  # left out on purpose by some negative cases
        AdminToken().set(case, AdminToken().get(case, None), None)
    case.call_and_validate(checks=CHECKS)
