"""Operator endpoints for the records of past work: tickets, Chat History, its
Excel export and statistics (API.md; R-TK-1, R-CH-3…5, R-CON-7, R-CON-10)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import realtime
from chalicelib.api.common import Call, endpoint
from chalicelib.errors import InvalidInput
from chalicelib.services.access import Actor

routes = Blueprint(__name__)


def _actor(call: Call) -> Actor:
    return Actor.calling(call.require_caller())


def _ticket_json(ticket: Any, names: dict[str, str], *, detail: bool = False) -> dict[str, Any]:
    from chalicelib.services import tickets

    body = tickets.to_json(ticket, names, tickets.path_of(ticket) if detail else None)
    body["created_by_name"] = names.get(ticket.created_by)
    return body


@endpoint(routes, "/chats/{chat_id}/tickets", methods=("POST",), status=201)
def create_ticket(call: Call, chat_id: str) -> dict[str, Any]:
    from chalicelib.services import tickets

    actor = _actor(call)
    ticket = tickets.create(actor, chat_id, tickets.NewTicket.checked(call.body),
                            push=realtime.pusher())
    return _ticket_json(ticket, tickets.operator_names(actor.service_id), detail=True)


@endpoint(routes, "/tickets")
def list_tickets(call: Call) -> dict[str, Any]:
    from chalicelib.services import history, tickets

    actor = _actor(call)
    limit = history.parse_limit(call.query.get("limit"))
    query = tickets.TicketQuery.checked(call.query)
    found, next_cursor = tickets.list_page(actor, call.query.get("cursor"), limit, query=query)
    names = tickets.operator_names(actor.service_id)
    return {"tickets": [_ticket_json(t, names) for t in found], "next_cursor": next_cursor}


@endpoint(routes, "/tickets/{ticket_id}", methods=("GET",))
def get_ticket(call: Call, ticket_id: str) -> dict[str, Any]:
    from chalicelib.services import tickets

    actor = _actor(call)
    ticket = tickets.get_ticket(actor, ticket_id)
    return _ticket_json(ticket, tickets.operator_names(actor.service_id), detail=True)


@endpoint(routes, "/tickets/{ticket_id}", methods=("PUT",))
def update_ticket(call: Call, ticket_id: str) -> dict[str, Any]:
    from chalicelib.services import tickets

    actor = _actor(call)
    change = tickets.TicketChange.checked(call.body)
    ticket = tickets.update(actor, ticket_id, change, push=realtime.pusher())
    return _ticket_json(ticket, tickets.operator_names(actor.service_id), detail=True)


@endpoint(routes, "/tickets/{ticket_id}/thread")
def ticket_thread(call: Call, ticket_id: str) -> dict[str, Any]:
    from chalicelib.services import tickets

    entries = tickets.thread(_actor(call), ticket_id)
    return {"entries": [tickets.entry_json(e) for e in entries]}


@endpoint(routes, "/tickets/{ticket_id}/replies", methods=("POST",), status=201)
def reply_to_ticket(call: Call, ticket_id: str) -> dict[str, Any]:
    from chalicelib.services import tickets

    entry = tickets.reply(_actor(call), ticket_id, tickets.NewReply.checked(call.body))
    return tickets.entry_json(entry)


@endpoint(routes, "/tickets/{ticket_id}/chat-history")
def ticket_chat_history(call: Call, ticket_id: str) -> dict[str, Any]:
    from chalicelib.services import messages, notes, tickets
    from chalicelib.services.chat_json import chat_json

    view, transcript, chat_notes = tickets.chat_history(_actor(call), ticket_id)
    return {
        "chat": chat_json(view),
        "messages": [messages.message_json(m) for m in transcript],
        "notes": [notes.note_json(n) for n in chat_notes],
    }


@endpoint(routes, "/history")
def search_history(call: Call) -> dict[str, Any]:
    from chalicelib.services import chat_views, history, tenants
    from chalicelib.services.chat_json import chat_json

    actor = _actor(call)
    search = history.parse_filter(call.query, zone=tenants.zone(actor.service_id))
    limit = history.parse_limit(call.query.get("limit"))
    page = history.search_page(actor.service_id, search, limit, call.query.get("cursor"))
    return {
        "chats": [chat_json(view) for view in chat_views.views(page.chats, positions=False)],
        "next_cursor": page.next_cursor,
    }


@endpoint(routes, "/history/exports", methods=("POST",), status=202)
def start_export(call: Call) -> dict[str, Any]:
    from chalicelib.services import exports, tenants

    actor = _actor(call)
    request = exports.ExportRequest.checked(call.body, tenants.zone(actor.service_id))
    job = exports.start(actor, request.search, exports.launcher(), language=request.language,
                        timezone=request.timezone)
    return {"export_id": job.export_id, "status": job.status}


@endpoint(routes, "/history/exports/{export_id}")
def get_export(call: Call, export_id: str) -> dict[str, Any]:
    from chalicelib.services import exports

    return exports.to_json(exports.view(_actor(call), export_id))


@endpoint(routes, "/stats")
def get_stats(call: Call) -> dict[str, Any]:
    from chalicelib.services import stats, tenants

    service_id = call.require_caller().service_id
    zone = tenants.zone(service_id)
    return stats.report(service_id, stats.Period.checked(call.query, zone), zone)


@endpoint(routes, "/team")
def team(call: Call) -> dict[str, Any]:
    """Every operator's name and status, for any operator (history filters, tickets)."""
    from chalicelib.services import operators

    service_id = call.require_caller().service_id
    return {
        "operators": [
            {"operator_id": op.operator_id, "name": op.name, "role": op.role, "status": op.status}
            for op in operators.list_operators(service_id)
        ]
    }


def run_worker(event: dict[str, Any]) -> None:
    """The asynchronous worker Lambda's body: an export, or mail to send (R-MAIL-1
    reuses this Lambda rather than adding one)."""
    from chalicelib.services import mail

    if isinstance(event, dict) and "mail_ids" in event:
        mail.run_worker(event)
        return
    if isinstance(event, dict) and isinstance(event.get("job_id"), str):
        # Retention and erasure jobs (R-PRIV-1, R-PRIV-2), resumable.
        from chalicelib.services import jobs

        jobs.work(event["job_id"])
        return
    run_export(event)


def run_export(event: dict[str, Any]) -> None:
    """An export job."""
    from chalicelib.services import exports

    export_id = event.get("export_id") if isinstance(event, dict) else None
    if not isinstance(export_id, str):
        raise InvalidInput("export_id", "is required")
    exports.run(export_id)
