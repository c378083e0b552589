"""Retention (R-PRIV-1) over the real handlers: every kind of item a chat or a
ticket makes carries the time it goes (DynamoDB TTL), `retention_days` after
it was made; changing the setting moves every time, by a resumable job; files
of chat days past retention are deleted by the daily job; statistics keep
their counts; items from before retention get their times by the upgrade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import aws, clock, config
from chalicelib.models import (
    Attachment,
    Chat,
    ChatHead,
    Customer,
    DailyStats,
    Job,
    Message,
    Note,
    SearchTerm,
    Ticket,
    TicketEntry,
    TicketFilter,
    Visit,
)
from chalicelib.services import jobs, retention, retention_jobs, search_terms, tickets
from chalicelib.services.access import Actor
from tests.api.chat_builder import chat_with_everything
from tests.api.helpers import Api, assert_error

NAME, EMAIL = "Hana Sato", "hana@example.test"


@pytest.fixture
def admin(desk: Any, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    return desk.admin


@pytest.fixture
def made(desk: Any, admin: Api) -> dict[str, Any]:
    """One of everything a chat and a ticket make."""
    operator, console = desk.operator()
    customer = desk.customer()
    chat = chat_with_everything(customer, operator, console, name=NAME, email=EMAIL)
    offline = desk.public.post(f"/widget/{desk.tenant.widget_key}/offline-message", {
        "page_origin": "https://shop.example.com", "name": "Ken", "email": "ken@example.test",
        "text": "Please call", "consent": True, "submission_id": "sub-ret-000001",
        "language": "en"})[1]
    return {"service_id": desk.tenant.service_id, "chat_id": chat["chat_id"],
            "customer_id": customer.customer_id, "attachment_id": chat["attachment_id"],
            "tickets": [chat["ticket_id"], offline["ticket_id"]], "customer": customer,
            "desk": desk}


def _items(made: dict[str, Any]) -> list[tuple[str, Any, Callable[[int], datetime]]]:
    """(what, item, when it goes for a retention of `days`) for each item made: a
    chat's items `days` after the chat started, a ticket's `days` after its last
    change, at the end of that UTC day."""
    svc, chat_id = made["service_id"], made["chat_id"]
    chat = Chat.get(chat_id)

    def of_chat(days: int) -> datetime:
        return clock.parse_iso(chat.created_at) + timedelta(days=days)

    found: list[tuple[str, Any, Callable[[int], datetime]]] = [
        ("chat", chat, of_chat), ("head", ChatHead.get(chat_id), of_chat),
        ("visit", Visit.get(chat_id), of_chat),
        ("attachment", Attachment.get(made["attachment_id"]), of_chat),
        ("customer", Customer.get(svc, made["customer_id"]), of_chat)]
    found += [("message", m, of_chat) for m in Message.query(chat_id)]
    found += [("note", n, of_chat) for n in Note.query(chat_id)]
    found += [("search term", t, of_chat) for t in _terms(svc, chat_id, NAME, EMAIL,
                                                          search_terms.CHAT)]
    for ticket_id in made["tickets"]:
        ticket = Ticket.get(ticket_id)
        last = clock.parse_iso(ticket.updated_at)

        def of_ticket(days: int, last: datetime = last) -> datetime:
            gone = last + timedelta(days=days)
            return gone.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)

        requester = ticket.requester or {}
        found.append(("ticket", ticket, of_ticket))
        found += [("ticket entry", e, of_ticket) for e in TicketEntry.query(ticket_id)]
        at = f"{ticket.created_at}#{ticket_id}"
        found += [("ticket filter", TicketFilter.get(key, at), of_ticket)
                  for key in tickets.filter_keys(ticket)]
        found += [("search term", t, of_ticket) for t in _terms(
            svc, ticket_id, requester.get("name"), requester.get("email"), search_terms.TICKET)]
    return found


def _terms(svc: str, record_id: str, name: str | None, email: str | None,
           kind: str) -> list[SearchTerm]:
    return [t for piece in search_terms.pieces(name, email)
            for t in SearchTerm.query(f"{svc}#{kind}#{piece}") if t.record_id == record_id]


def _assert_times(made: dict[str, Any], days: int) -> None:
    kinds = set()
    for what, item, goes in _items(made):
        expected = goes(days)
        assert item.expires_at is not None, what
        assert abs((item.expires_at - expected).total_seconds()) < 5, (what, item.expires_at)
        kinds.add(what)
    assert kinds == {"chat", "head", "visit", "attachment", "customer", "message", "note",
                     "search term", "ticket", "ticket entry", "ticket filter"}


def test_every_item_a_chat_or_ticket_makes_goes_after_the_retention(made, admin):
    assert admin.get("/settings")[1]["retention_days"] == 365
    _assert_times(made, 365)
    # Statistics keep their counts: their counters never expire.
    counters = list(DailyStats.query(made["service_id"]))
    assert counters and all(getattr(c, "expires_at", None) is None for c in counters)


def test_changing_the_retention_moves_every_time_and_is_audited(made, admin):
    status, saved = admin.put("/settings", {"retention_days": 30})
    assert status == 200 and saved["retention_days"] == 30
    _assert_times(made, 30)
    job = Job.get(retention.job_id(made["service_id"]))
    assert job.status == "done" and job.counts["chats"] == 1 and job.counts["tickets"] == 2
    [entry] = [e for e in admin.get("/audit?action=settings.update")[1]["entries"]]
    assert entry["detail"]["fields"] == ["retention_days"]
    # Saving it unchanged starts no job.
    done_at = job.finished_at
    assert admin.put("/settings", {"retention_days": 30})[0] == 200
    assert Job.get(retention.job_id(made["service_id"])).finished_at == done_at
    admin.put("/settings", {"retention_days": 3650})
    _assert_times(made, 3650)


def test_a_ticket_is_kept_from_its_last_change_with_its_whole_thread(made, admin, monkeypatch):
    """A ticket still worked on is not lost a year after it was opened: each change
    or reply counts the retention again, for the ticket and every item of it (its
    request entry, filters and search pieces too), never shortening a later time."""
    me = admin.get("/me")[1]
    actor = Actor(service_id=made["service_id"], role="admin", subject_id=me["operator_id"],
                  name=me["name"])
    offline, from_chat = made["tickets"][1], made["tickets"][0]
    untouched = Ticket.get(from_chat).expires_at
    noon = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    later = noon + timedelta(days=300)
    monkeypatch.setattr(clock, "now", lambda: later)
    tickets.update(actor, offline, tickets.TicketChange({"status": "pending"}))
    goes = retention.ticket_until(later, 365)
    assert goes.isoformat().endswith("T00:00:00+00:00") and goes > later + timedelta(days=365)
    _assert_times(made, 365)  # the changed ticket's items from `later`, the rest as made
    assert Ticket.get(offline).expires_at == goes
    assert Ticket.get(from_chat).expires_at == untouched

    # A reply later that day gives the same time: nothing else is rewritten.
    [request] = list(TicketEntry.query(offline))
    request.update(actions=[TicketEntry.expires_at.set(goes - timedelta(hours=1))])
    monkeypatch.setattr(clock, "now", lambda: later + timedelta(hours=3))
    tickets.reply(actor, offline, tickets.NewReply("We will call you tomorrow."))
    assert TicketEntry.get(offline, request.entry_id).expires_at == goes - timedelta(hours=1)
    # The next day's reply moves the whole thread on again, the missed entry too.
    monkeypatch.setattr(clock, "now", lambda: later + timedelta(days=1))
    tickets.reply(actor, offline, tickets.NewReply("Did our call reach you?"))
    entries = list(TicketEntry.query(offline))
    assert len(entries) == 3
    assert {e.expires_at for e in entries} == {goes + timedelta(days=1)}
    _assert_times(made, 365)

    # A time already later is never brought forward by a change.
    far = goes + timedelta(days=900)
    request.update(actions=[TicketEntry.expires_at.set(far)])
    monkeypatch.setattr(clock, "now", lambda: later + timedelta(days=2))
    tickets.update(actor, offline, tickets.TicketChange({"status": "solved"}))
    assert TicketEntry.get(offline, request.entry_id).expires_at == far
    # A new retention counts from the last change too.
    assert admin.put("/settings", {"retention_days": 30})[0] == 200
    _assert_times(made, 30)


def test_a_customer_who_chatted_is_not_shortened_to_a_visitors_life(made, admin):
    customer = Customer.get(made["service_id"], made["customer_id"])
    assert customer.chatted
    kept = customer.expires_at
    # The same browser opens the widget again.
    desk = made["desk"]
    status, body = desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                                    {"visitor_token": made["customer"].visitor_token})
    assert status == 200 and body["customer_id"] == made["customer_id"]
    assert Customer.get(made["service_id"], made["customer_id"]).expires_at == kept


@pytest.mark.parametrize("value", [29, 3651, 0, -1, "365", 365.5, True, None])
def test_retention_outside_30_to_3650_days_is_refused(admin, value):
    assert_error(admin.put("/settings", {"retention_days": value}), 400, "bad_request")
    assert admin.get("/settings")[1]["retention_days"] == 365


def test_a_recompute_cut_short_is_finished_by_the_sweep(made, admin, desk, monkeypatch):
    # Two more chats, so the job has pages; one chat a page.
    for n in range(2):
        other = desk.customer(ip=f"198.51.100.{n + 1}")
        other.request({"type": "chat.start", "consent": True, "name": f"Other {n}"})
    monkeypatch.setattr(retention_jobs, "PAGE", 1)
    real = retention_jobs._chat
    calls = {"n": 0}

    def dies_on_the_second_page(days: int) -> Any:
        one = real(days)

        def each(chat: Chat) -> int:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("the worker timed out")
            return one(chat)
        return each

    monkeypatch.setattr(retention_jobs, "_chat", dies_on_the_second_page)
    assert admin.put("/settings", {"retention_days": 60})[0] == 200  # the change is saved
    job = Job.get(retention.job_id(made["service_id"]))
    assert job.status == "running" and job.counts["chats"] == 1
    job.update(actions=[Job.lease_until.set(1), Job.due_at.set("2000-01-01T00:00:00Z")])
    assert jobs.resume_due(clock.now()) == 1
    job = Job.get(retention.job_id(made["service_id"]))
    assert job.status == "done" and job.counts["chats"] == 3
    _assert_times(made, 60)


def test_a_new_change_while_the_job_runs_starts_it_over_with_the_new_days(made, admin,
                                                                          monkeypatch):
    # The first change's worker is held up (not started); a second change comes.
    monkeypatch.setattr(jobs, "launch", lambda job_id, launch_with=None: None)
    admin.put("/settings", {"retention_days": 40})
    admin.put("/settings", {"retention_days": 50})
    job = Job.get(retention.job_id(made["service_id"]))
    assert job.params == {"days": 50} and job.run == 2 and job.status == "pending"
    jobs.work(job.job_id)
    _assert_times(made, 50)


def _put(key: str) -> None:
    aws.client("s3").put_object(Bucket=config.files_bucket(), Key=key, Body=b"x")


def _keys() -> list[str]:
    found = aws.client("s3").list_objects_v2(Bucket=config.files_bucket(), Prefix="files/")
    return sorted(o["Key"] for o in found.get("Contents", []))


def test_files_of_chat_days_past_retention_are_deleted_once_a_day(made, admin):
    svc = made["service_id"]
    admin.put("/settings", {"retention_days": 30})
    # Noon (UTC) today: three hours later is still the same day.
    now = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    kept_file = _keys()  # today's
    day = (now - timedelta(days=31)).date().isoformat()
    old = [f"files/{svc}/{day}/ch_old/a{n}" for n in range(3)]
    edge = f"files/{svc}/{(now - timedelta(days=30)).date().isoformat()}/ch_edge/b"  # kept
    for key in [*old, edge]:
        _put(key)
    _put("files/svc-without-record/2020-01-01/ch/x")  # no such service: left alone
    assert retention_jobs.start_daily(now) == 1
    left = _keys()
    assert not set(old) & set(left)
    assert edge in left and "files/svc-without-record/2020-01-01/ch/x" in left
    assert set(kept_file) <= set(left)
    assert Job.get(retention.job_id(svc, retention.FILES)).counts == {"files": 3}
    # Once a day: a second sweep the same day starts nothing.
    _put(old[0])
    assert retention_jobs.start_daily(now + timedelta(hours=3)) == 0
    assert old[0] in _keys()
    assert retention_jobs.start_daily(now + timedelta(days=1)) == 1
    assert old[0] not in _keys()


def test_the_upgrade_gives_items_from_before_retention_their_times(made, admin):
    from infra import upgrade
    from tests.unit.test_heads import _scan_guard

    # As an older checkout left them: no times.
    for _, item, _ in _items(made):
        item.update(actions=[type(item).expires_at.remove()])
    Customer.get(made["service_id"], made["customer_id"]).update(
        actions=[Customer.chatted.remove()])
    client = aws.client("dynamodb")
    client.meta.events.unregister("before-call.dynamodb.Scan", unique_id=None,
                                  handler=_scan_guard())
    assert upgrade.retention_times(client) == 1
    _assert_times(made, 365)
    assert Customer.get(made["service_id"], made["customer_id"]).chatted
    assert upgrade.retention_times(client) == 0  # done once
