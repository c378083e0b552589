"""Calling the REST API through chalice.test.Client the way a client would."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.conftest import ADMIN_PASSWORD


class Api:
    """A thin JSON client over chalice.test.Client's HTTP helper."""

    def __init__(self, client: Any, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        raw = body if isinstance(body, str | bytes) else json.dumps({} if body is None else body)
        response = self.client.http.request(method, path, headers=sent, body=raw)
        payload = json.loads(response.body) if response.body else None
        return response.status_code, payload

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("DELETE", path, **kw)


def login(client: Any, service_id: str, email: str, password: str = ADMIN_PASSWORD) -> Api:
    status, body = Api(client).post(
        "/auth/login", {"service_id": service_id, "email": email, "password": password}
    )
    assert status == 200, body
    return Api(client, body["token"])


def assert_error(result: tuple[int, Any], status: int, code: str | None = None) -> dict:
    got_status, body = result
    assert got_status == status, body
    assert set(body) == {"code", "message"}, body
    if code:
        assert body["code"] == code, body
    return body


def scheduled_event(when: datetime) -> dict[str, Any]:
    """What EventBridge sends the sweep every minute."""
    return {
        "version": "0",
        "id": "5e7f9b3c-0000-4000-8000-000000000001",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/helpdesk-chat-dev-sweep"],
        "detail": {},
    }
