"""Admin endpoints: settings, widget snippet, identity secret, categories, operators."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import clock, realtime
from chalicelib.api.common import Call, endpoint, json_response
from chalicelib.services.access import Actor

routes = Blueprint(__name__)


def _service(call: Call) -> Any:
    from chalicelib.services import tenants

    return tenants.get_service(call.require_caller().service_id)


@endpoint(routes, "/settings", who="admin")
def get_settings(call: Call) -> dict[str, Any]:
    from chalicelib.services import settings

    return settings.current(_service(call))


@endpoint(routes, "/settings", methods=("PUT",), who="admin")
def put_settings(call: Call) -> dict[str, Any]:
    from chalicelib.services import settings

    return settings.update(_service(call), settings.SettingsChange.checked(call.body))


@endpoint(routes, "/settings/widget-snippet", who="admin")
def widget_snippet(call: Call) -> dict[str, str]:
    from chalicelib.services import settings

    return {"snippet": settings.widget_snippet(_service(call))}


@endpoint(routes, "/settings/holiday-countries")
def holiday_countries(call: Call) -> dict[str, Any]:
    """The countries whose public holidays business hours can follow (R-BH-1)."""
    from chalicelib.services import hours

    call.require_caller()
    return {"countries": hours.holiday_countries()}


@endpoint(routes, "/settings/identity-secret", methods=("POST",), who="admin")
def rotate_identity_secret(call: Call) -> dict[str, str]:
    from chalicelib.services import settings

    return {"identity_secret": settings.rotate_identity_secret(_service(call))}


@endpoint(routes, "/categories")
def list_categories(call: Call) -> dict[str, Any]:
    from chalicelib.services import categories

    return {"categories": categories.tree(call.require_caller().service_id)}


@endpoint(routes, "/categories", methods=("POST",), who="admin", status=201)
def create_category(call: Call) -> dict[str, Any]:
    from chalicelib.services import categories

    new = categories.NewCategory.checked(call.body)
    category = categories.create(call.require_caller().service_id, new)
    return {**categories.to_json(category), "children": []}


@endpoint(routes, "/categories/{category_id}", methods=("PUT",), who="admin")
def update_category(call: Call, category_id: str) -> dict[str, Any]:
    from chalicelib.services import categories

    service_id = call.require_caller().service_id
    category = categories.update(service_id, category_id,
                                 categories.CategoryChange.checked(call.body))
    return categories.to_json(category)


@endpoint(routes, "/categories/{category_id}", methods=("DELETE",), who="admin", status=204)
def delete_category(call: Call, category_id: str) -> None:
    from chalicelib.services import categories

    categories.delete(call.require_caller().service_id, category_id)


@endpoint(routes, "/operators", who="admin")
def list_operators(call: Call) -> dict[str, Any]:
    from chalicelib.services import operators, settings

    service = _service(call)
    current = settings.current(service)
    return {
        "operators": [
            operators.to_json(op, current) for op in operators.list_operators(service.service_id)
        ]
    }


@endpoint(routes, "/operators", methods=("POST",), who="admin", status=201)
def create_operator(call: Call) -> dict[str, Any]:
    from chalicelib.services import operators, settings

    service = _service(call)
    operator = operators.create(service, operators.NewOperator.checked(call.body))
    return operators.to_json(operator, settings.current(service))


@endpoint(routes, "/operators/{operator_id}", who="admin")
def get_operator(call: Call, operator_id: str) -> dict[str, Any]:
    from chalicelib.services import operators, settings

    service = _service(call)
    operator = operators.get_operator(service.service_id, operator_id)
    return operators.to_json(operator, settings.current(service))


@endpoint(routes, "/operators/{operator_id}", methods=("PUT",), who="admin")
def update_operator(call: Call, operator_id: str) -> dict[str, Any]:
    from chalicelib.services import accounts, operators, settings

    service = _service(call)
    change = operators.OperatorChange.checked(call.body)
    operator = accounts.update_operator(service, operator_id, change, close=realtime.closer())
    return operators.to_json(operator, settings.current(service))


@endpoint(routes, "/operators/{operator_id}", methods=("DELETE",), who="admin", status=204)
def delete_operator(call: Call, operator_id: str) -> None:
    from chalicelib.services import accounts

    accounts.delete_operator(_service(call), operator_id, close=realtime.closer())


@endpoint(routes, "/customers/{customer_id}/sign-out", methods=("POST",), who="admin", status=204)
def sign_out_customer(call: Call, customer_id: str) -> None:
    """Revoke a visitor's tokens and close their sockets."""
    from chalicelib.services import accounts

    accounts.sign_out_customer(call.require_caller().service_id, customer_id,
                               close=realtime.closer())


@endpoint(routes, "/blocks", who="admin")
def list_blocks(call: Call) -> dict[str, Any]:
    """The service's blocks in force (R-BLK-1)."""
    from chalicelib.services import blocks

    actor = Actor.calling(call.require_caller())
    return {"blocks": [blocks.block_json(b) for b in blocks.listed(actor, clock.now())]}


@endpoint(routes, "/blocks/{block_id}", methods=("DELETE",), who="admin", status=204)
def lift_block(call: Call, block_id: str) -> None:
    from chalicelib.services import blocks

    blocks.lift(Actor.calling(call.require_caller()), block_id)


@endpoint(routes, "/audit", who="admin")
def list_audit(call: Call) -> dict[str, Any]:
    """The audit log (R-AUD-1), newest first; there is no route that changes it."""
    from chalicelib.services import audit, tenants

    actor = Actor.calling(call.require_caller())
    query = audit.AuditQuery.checked(call.query, tenants.zone(actor.service_id))
    found, next_cursor = audit.page(actor.service_id, query, call.query.get("cursor"))
    return {"entries": [audit.entry_json(e) for e in found], "next_cursor": next_cursor}


@endpoint(routes, "/privacy/erase", methods=("POST",), who="admin")
def erase_customer(call: Call) -> Any:
    """Erase a customer's personal data (R-PRIV-2): 200 with the counts when
    done within the request, else 202 while a worker finishes it."""
    from chalicelib.services import erasure

    job = erasure.start(Actor.calling(call.require_caller()),
                        erasure.EraseRequest.checked(call.body))
    view = erasure.to_json(job)
    return view if view["status"] == "done" else json_response(view, 202)


@endpoint(routes, "/privacy/erasures/{erasure_id}", who="admin")
def get_erasure(call: Call, erasure_id: str) -> dict[str, Any]:
    """An erasure's progress and counts."""
    from chalicelib.services import erasure

    return erasure.to_json(erasure.get(Actor.calling(call.require_caller()), erasure_id))


@endpoint(routes, "/monitor", who="admin")
def get_monitor(call: Call) -> dict[str, Any]:
    """The floor now (R-SUP-1): operators, the queue, chats in progress."""
    from chalicelib.services import monitor

    return monitor.snapshot(Actor.calling(call.require_caller()), clock.now())
