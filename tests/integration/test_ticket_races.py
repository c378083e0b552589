"""Tickets under concurrency, on DynamoDB Local with real threads (R-TK-2,
R-OFF-1): per-service numbers from a conditional counter have no gaps and no
duplicates however many messages arrive at once; a submission retried at once
files one ticket; changes racing on one ticket all land and leave its filter
items matching it."""

from __future__ import annotations

import pytest

from chalicelib.models import Mail, Ticket, TicketEntry, TicketFilter
from chalicelib.services import mail, offline, tickets
from chalicelib.services.access import Actor
from tests.chat_helpers import RecordingPusher, all_at_once
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration


@pytest.fixture
def acme(local_tables, monkeypatch):
    tenant = make_tenant("acme")
    started: list[str] = []
    # Mail is queued with each ticket (checked below); nothing is sent from here.
    monkeypatch.setattr(mail, "dispatch", lambda ids: started.extend(ids))
    return tenant, started


def _message(n: int, submission: str | None = None) -> offline.OfflineMessage:
    return offline.OfflineMessage.checked({
        "name": f"Customer {n}", "email": f"c{n}@example.test", "text": f"Message {n}",
        "consent": True, "submission_id": submission or f"race-{n:010d}",
    })


def _submit(tenant, n: int, submission: str | None = None, ip: int | None = None):
    at = n if ip is None else ip
    return offline.submit(tenant.widget_key, _message(n, submission),
                          ip=f"10.0.{at // 250}.{at % 250 + 1}", user_agent="pytest",
                          push=RecordingPusher())


def test_100_offline_messages_at_once_are_numbered_1_to_100(acme):
    tenant, started = acme
    results = all_at_once([lambda n=n: _submit(tenant, n) for n in range(100)])
    assert all(filed for _, filed in results)
    numbers = sorted(int(ticket.number) for ticket, _ in results)
    assert numbers == list(range(1, 101))
    stored = list(Ticket.by_service.query(tenant.service_id))
    assert sorted(int(t.number) for t in stored) == list(range(1, 101))
    assert tickets.last_number(tenant.service_id) == 100
    # Each has its request, its filter items and its confirmation mail, once.
    for ticket in stored:
        assert [e.kind for e in TicketEntry.query(ticket.ticket_id)] == ["request"]
        assert Mail.get(f"{mail.TICKET_CONFIRMATION}#{ticket.ticket_id}").to \
            == ticket.requester["email"]
    assert len(list(TicketFilter.query(f"{tenant.service_id}#s=open"))) == 100
    assert len(started) == 100


def test_one_submission_sent_20_times_at_once_files_one_ticket(acme):
    tenant, started = acme
    # (From 20 addresses: one address's retries are also rate limited, 5 at once.)
    results = all_at_once([lambda i=i: _submit(tenant, 7, "same-draft-0001", ip=i)
                           for i in range(20)])
    ids = {ticket.ticket_id for ticket, _ in results}
    assert len(ids) == 1
    assert sum(1 for _, filed in results if filed) == 1
    assert [int(t.number) for t in Ticket.by_service.query(tenant.service_id)] == [1]
    assert tickets.last_number(tenant.service_id) == 1
    assert len(started) == 1


def test_changes_racing_on_one_ticket_all_land_and_filters_follow(acme):
    tenant, _ = acme
    ticket, _ = _submit(tenant, 1)
    admin = Actor(service_id=tenant.service_id, role="admin", subject_id=tenant.admin_id,
                  name="Admin")
    changes = [tickets.TicketChange.checked({"status": "pending"}),
               tickets.TicketChange.checked({"assignee_id": tenant.admin_id}),
               tickets.TicketChange.checked({"subject": "Renamed"})] * 4
    all_at_once([lambda c=c: tickets.update(admin, ticket.ticket_id, c) for c in changes])
    final = Ticket.get(ticket.ticket_id, consistent_read=True)
    assert final.status == "pending" and final.assignee_id == tenant.admin_id
    assert final.subject == "Renamed" and final.version == 13  # 12 changes + its number
    svc = tenant.service_id
    expected = {f"{svc}#s=pending", f"{svc}#a={tenant.admin_id}", f"{svc}#c=offline_form",
                f"{svc}#as={tenant.admin_id}#pending"}
    for key in (f"{svc}#s=open", f"{svc}#a=-", f"{svc}#as=-#open", *expected):
        items = list(TicketFilter.query(key, consistent_read=True))
        assert len(items) == (1 if key in expected else 0), key
