"""Sign-in endpoints: login, logout, who am I, WebSocket tickets."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import clock, realtime
from chalicelib.api.common import Call, endpoint
from chalicelib.models import Service

routes = Blueprint(__name__)


@endpoint(routes, "/health", who="public")
def health(call: Call) -> dict[str, Any]:
    # One cheap read proves the tables answer.
    Service.count("__health__", limit=1)
    return {"ok": True}


@endpoint(routes, "/auth/login", methods=("POST",), who="public", any_origin=False)
def login(call: Call) -> dict[str, Any]:
    from chalicelib.services import sessions

    credentials = sessions.Credentials.checked(call.body)
    token, expires_at, operator = sessions.login(credentials, call.source_ip)
    return {
        "token": token,
        "expires_at": clock.iso(expires_at),
        "operator": {
            "operator_id": operator.operator_id,
            "name": operator.name,
            "email": operator.email,
            "role": operator.role,
        },
    }


@endpoint(routes, "/auth/logout", methods=("POST",), status=204)
def logout(call: Call) -> None:
    from chalicelib.services import accounts

    accounts.logout(call.require_caller(), now=clock.now(), push=realtime.pusher(),
                    close=realtime.closer())


@endpoint(routes, "/me")
def me(call: Call) -> dict[str, Any]:
    from chalicelib.services import sessions

    found = sessions.me(call.require_caller())
    operator = found.operator
    return {
        "operator_id": operator.operator_id,
        "service_id": operator.service_id,
        "name": operator.name,
        "email": operator.email,
        "role": operator.role,
        "status": operator.status,
        "timezone": found.timezone,
        "languages": found.languages,
        "default_language": found.default_language,
        "service_name": found.service_name,
        "attachments": found.attachments,
    }


@endpoint(routes, "/auth/ws-ticket", methods=("POST",))
def ws_ticket(call: Call) -> dict[str, str]:
    from chalicelib.services import sessions

    return sessions.ws_ticket(call.require_caller())
