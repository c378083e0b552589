"""Public widget endpoints: no auth, addressed by the service's widget key."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import realtime
from chalicelib.api.common import Call, endpoint, json_response

routes = Blueprint(__name__)


@endpoint(routes, "/widget/{key}/config", who="public")
def widget_config(call: Call, key: str) -> dict[str, Any]:
    from chalicelib.services import widget

    return widget.widget_config(key)


@endpoint(routes, "/widget/{key}/session", methods=("POST",), who="public")
def widget_session(call: Call, key: str) -> dict[str, Any]:
    from chalicelib.services import widget

    request = widget.SessionRequest.checked(call.body)
    return widget.start_session(key, request, call.source_ip, call.user_agent)


@endpoint(routes, "/widget/{key}/offline-message", methods=("POST",), status=201, who="public")
def offline_message(call: Call, key: str) -> Any:
    """The offline form (R-OFF-1): 201 with the new ticket's number; a retry of
    a received submission answers 200 with the same number."""
    from chalicelib.services import offline

    message = offline.OfflineMessage.checked(call.body)
    ticket, filed = offline.submit(key, message, ip=call.source_ip,
                                   user_agent=call.user_agent, push=realtime.pusher())
    body = {"ticket_id": ticket.ticket_id, "number": int(ticket.number or 0)}
    return body if filed else json_response(body, 200)
