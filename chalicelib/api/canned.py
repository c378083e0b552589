"""Canned responses (R-CAN-1; API.md "Canned responses"): any operator reads the
service's set and their own; admins write the service's, everyone their own."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.common import Call, endpoint
from chalicelib.services.access import Actor

routes = Blueprint(__name__)


def _actor(call: Call) -> Actor:
    return Actor.calling(call.require_caller())


@endpoint(routes, "/canned-responses")
def list_canned(call: Call) -> dict[str, Any]:
    from chalicelib.services import canned

    query = canned.checked_query(call.query.get("q"))
    found = canned.list_for(_actor(call), query)
    return {"canned_responses": [canned.to_json(c) for c in found]}


@endpoint(routes, "/canned-responses", methods=("POST",), status=201)
def create_canned(call: Call) -> dict[str, Any]:
    from chalicelib.services import canned

    new = canned.NewCanned.checked(call.body)
    return canned.to_json(canned.create(_actor(call), new))


@endpoint(routes, "/canned-responses/{canned_id}", methods=("PUT",))
def update_canned(call: Call, canned_id: str) -> dict[str, Any]:
    from chalicelib.services import canned

    change = canned.CannedChange.checked(call.body)
    return canned.to_json(canned.update(_actor(call), canned_id, change))


@endpoint(routes, "/canned-responses/{canned_id}", methods=("DELETE",), status=204)
def delete_canned(call: Call, canned_id: str) -> None:
    from chalicelib.services import canned

    canned.delete(_actor(call), canned_id)
