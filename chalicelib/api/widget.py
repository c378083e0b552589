"""Public widget endpoints: no auth, addressed by the service's widget key."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.common import Call, endpoint
from chalicelib.services import widget

routes = Blueprint(__name__)


@endpoint(routes, "/widget/{key}/config", who="public")
def widget_config(call: Call, key: str) -> dict[str, Any]:
    return widget.widget_config(key)


@endpoint(routes, "/widget/{key}/session", methods=("POST",), who="public")
def widget_session(call: Call, key: str) -> dict[str, Any]:
    request = widget.SessionRequest.checked(call.body)
    return widget.start_session(key, request, call.source_ip, call.user_agent)
