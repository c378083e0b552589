"""Erasure and retention (R-PRIV-2, R-PRIV-1) raced on DynamoDB Local: the same
erasure asked for six times at once runs once and every request answers the
same counts; an erasure by id and one by email of the same customer at once
both finish with everything erased; two changes of retention_days at once
leave every item with the time of the change that was saved last; changes and
replies to a ticket at once on a new day leave the ticket and every item of it
with that day's time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.models import AuditEntry, Chat, Customer, Job, Message, Service, Ticket
from chalicelib.services import chats, erasure, messages, retention, settings, tickets
from chalicelib.services.access import Actor
from tests.chat_helpers import (
    NOW,
    RecordingPusher,
    all_at_once,
    connect_customer,
    start_chat,
)
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration

EMAIL = "Mia.Tanaka@Example.test"


@pytest.fixture
def shop(local_tables: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A customer with three chats of two messages each, and another customer."""
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    import chalicelib.api.records  # noqa: F401  (registers the jobs' workers)

    tenant = make_tenant("acme")
    push = RecordingPusher()
    customer = connect_customer(tenant.service_id)
    chat_ids = []
    for n in range(3):
        chat = start_chat(customer, push, name="Mia Tanaka", email=EMAIL)
        for m in range(2):
            messages.send(customer, messages.NewMessage(chat.chat_id, f"c{n}{m}",
                                                        f"secret words {n}.{m}"),
                          now=NOW, push=push)
        chats.leave(customer, chat.chat_id, now=NOW, push=push)
        chat_ids.append(chat.chat_id)
    other = connect_customer(tenant.service_id)
    other_chat = start_chat(other, push, name="Ken")
    admin = Actor(service_id=tenant.service_id, subject_id=tenant.admin_id, role="admin",
                  name="Admin")
    return {"admin": admin, "customer": customer, "chats": chat_ids,
            "other_chat": other_chat.chat_id, "service_id": tenant.service_id}


def _all_erased(shop: dict[str, Any]) -> None:
    for chat_id in shop["chats"]:
        chat = Chat.get(chat_id, consistent_read=True)
        assert chat.erased_at and chat.customer["name"] is None and chat.email_key is None
        said = [m for m in Message.query(chat_id, consistent_read=True)
                if m.sender_role == "customer"]
        assert len(said) == 2 and all(m.text == erasure.MARK and m.erased for m in said)
    person = Customer.get(shop["service_id"], shop["customer"].subject_id, consistent_read=True)
    assert person.name is None and person.email is None
    assert Chat.get(shop["other_chat"], consistent_read=True).customer["name"] == "Ken"


EXPECTED = {"customers": 1, "chats": 3, "messages": 6, "attachments": 0, "tickets": 0}


def test_the_same_erasure_asked_six_times_at_once_runs_once_and_answers_alike(shop):
    request = erasure.EraseRequest(email=EMAIL)
    done = all_at_once([lambda: erasure.start(shop["admin"], request) for _ in range(6)])
    assert {job.status for job in done} == {"done"}
    assert [erasure.to_json(job)["erased"] for job in done] == [EXPECTED] * 6
    # One job, one run of it.
    assert len({job.job_id for job in done}) == 1
    assert Job.get(done[0].job_id, consistent_read=True).run == 1
    _all_erased(shop)
    # Every request is on record; all but the one that started it joined it.
    entries = list(AuditEntry.query(shop["service_id"]))
    assert len(entries) == 6
    assert sum(1 for e in entries if e.detail.get("joined")) == 5
    assert all(e.action == "privacy.erase" and "mia" not in str(e.detail).casefold()
               for e in entries)


def test_erasures_by_id_and_by_email_at_once_both_finish_everything(shop):
    by_id = erasure.EraseRequest(customer_id=shop["customer"].subject_id)
    by_email = erasure.EraseRequest(email=EMAIL.upper())
    done = all_at_once([lambda: erasure.start(shop["admin"], by_id),
                        lambda: erasure.start(shop["admin"], by_email)] * 2)
    assert {job.status for job in done} == {"done"}
    _all_erased(shop)
    # Each covers the whole customer, whichever of them erased an item.
    for job in done:
        counts = erasure.to_json(job)["erased"]
        assert counts["customers"] == 1 and counts["chats"] == 3 and counts["messages"] == 6


def test_two_retention_changes_at_once_leave_the_time_of_the_one_saved_last(shop):
    service = Service.get(shop["service_id"])

    def change(days: int) -> Any:
        return lambda: settings.update(service,
                                       settings.SettingsChange({"retention_days": days}))

    all_at_once([change(40), change(80), change(40), change(80)])
    final = settings.current(Service.get(shop["service_id"], consistent_read=True))
    days = final["retention_days"]
    job = Job.get(retention.job_id(shop["service_id"]), consistent_read=True)
    assert job.params == {"days": days}
    if job.status != "done":  # a worker that lost its run left it to the next
        from chalicelib.services import jobs

        jobs.work(job.job_id)
    for chat_id in [*shop["chats"], shop["other_chat"]]:
        chat = Chat.get(chat_id, consistent_read=True)
        expected = retention.until(chat.created_at, days)
        for item in [chat, *Message.query(chat_id, consistent_read=True)]:
            assert abs((item.expires_at - expected).total_seconds()) < 2, (days, item)
    assert clock.now()  # the clock is real: these times are in the future


def test_changes_and_replies_to_a_ticket_at_once_move_all_of_it_to_that_days_time(
        shop, monkeypatch):
    admin = shop["admin"]
    ticket_id = tickets.create(admin, shop["chats"][0],
                               tickets.NewTicket("Replacement", "Send one")).ticket_id
    made = Ticket.get(ticket_id, consistent_read=True).expires_at
    later = clock.now() + timedelta(days=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    all_at_once([
        lambda: tickets.update(admin, ticket_id, tickets.TicketChange({"status": "pending"})),
        lambda: tickets.reply(admin, ticket_id, tickets.NewReply("First answer")),
        lambda: tickets.reply(admin, ticket_id, tickets.NewReply("Second answer")),
        lambda: tickets.update(admin, ticket_id, tickets.TicketChange({"subject": "Sent"})),
    ])
    goes = retention.ticket_until(later, 365)
    assert made is not None and goes > made
    ticket = Ticket.get(ticket_id, consistent_read=True)
    assert (ticket.status, ticket.subject, ticket.expires_at) == ("pending", "Sent", goes)
    items = tickets.thread_items(ticket)
    assert len(items) >= 3 + 4  # the request and two replies, four filter items
    for item in items:
        item.refresh(consistent_read=True)
        assert item.expires_at == goes, item
