"""Erasure (R-PRIV-2) over the real handlers: a customer with chats, messages,
a note, a file, the pages they viewed, tickets (from a chat and from the
offline form) and partial-search pieces is erased by email; afterwards no
endpoint finds anything of them, the chats keep their shape, seq and counts,
other customers are untouched, the erasure is audited without the email, a
repeat changes nothing, and an erasure cut short is finished by the sweep."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws, config
from chalicelib.models import (
    Attachment,
    Customer,
    Job,
    Mail,
    SearchTerm,
    Ticket,
    TicketEntry,
    Visit,
    WebhookDelivery,
)
from chalicelib.services import erasure, jobs, mail, search_terms, webhooks
from tests.api.chat_builder import chat_with_everything
from tests.api.helpers import Api, assert_error, login
from tests.conftest import make_tenant

NAME = "Erika Mustermann"
EMAIL = "Erika.M@Example.test"
# Words that occur only in what the customer (or the operators, about them) wrote.
SECRETS = ("Erika", "Mustermann", "erika.m@example.test", "4111-0000-SECRET", "REPLY-SECRET",
           "NOTE-SECRET", "TICKET-SECRET", "OFFLINE-SECRET", "RATING-SECRET", "receipt.png",
           "203.0.113.77", "private-page")


@pytest.fixture
def admin(desk: Any, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    return desk.admin


def _chat(customer: Any, operator: Api, console: Any, n: int, **more: Any) -> dict[str, Any]:
    return chat_with_everything(
        customer, operator, console, name=NAME, email=EMAIL, n=n,
        says=f"My card is 4111-0000-SECRET, I am {NAME}",
        answers=f"Hello Erika, REPLY-SECRET {n}", note="NOTE-SECRET about Erika", **more)


@pytest.fixture
def world(desk: Any, admin: Api) -> dict[str, Any]:
    """Erika: two chats (a file, a ticket and a rated comment in the first; the
    second ends with her blocked), a ticket from the offline form in another
    browser; Otto, another customer, one chat."""
    status, hook = admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook",
                                            "events": ["chat.started", "message.created",
                                                       "ticket.created"]})
    assert status == 201, hook
    webhooks.forget_subscriptions()
    operator, console = desk.operator(max_chats=5)
    erika = desk.customer(ip="203.0.113.77")
    made = _chat(erika, operator, console, 1, filename="receipt.png",
                 ticket=("Refund for Erika", "TICKET-SECRET", "Dear Erika, TICKET-SECRET reply"))
    first = made["chat_id"]
    assert operator.post(f"/chats/{first}/end")[0] == 200
    rated = erika.request({"type": "rating.submit", "chat_id": first, "score": 2,
                           "comment": "RATING-SECRET from Erika"})
    assert rated["type"] != "error", rated
    second = _chat(erika, operator, console, 2, filename=None, ticket=None)["chat_id"]
    status, block = admin.post(f"/chats/{second}/block", {"days": 3, "reason": "spam"})
    assert status == 201, block
    status, offline = desk.public.post(
        f"/widget/{desk.tenant.widget_key}/offline-message",
        {"page_origin": "https://shop.example.com", "name": NAME, "email": "erika.m@example.TEST",
         "text": "OFFLINE-SECRET please call", "consent": True,
         "submission_id": "sub-erika-0001", "language": "en"})
    assert status in (200, 201), offline
    otto = desk.customer(ip="198.51.100.5")
    started = otto.request({"type": "chat.start", "consent": True, "name": "Otto Normal",
                            "email": "otto@example.test"})
    otto_chat = started["chat"]["chat_id"]
    assert otto.request({"type": "message.send", "chat_id": otto_chat, "client_msg_id": "x1",
                         "text": "Otto's own words"})["type"] == "message.ack"
    return {"erika": erika, "chats": [first, second], "ticket": made["ticket_id"],
            "offline": offline["ticket_id"], "file": made["attachment_id"],
            "operator": operator, "otto": otto, "otto_chat": otto_chat,
            "hook": hook["webhook_id"], "service_id": desk.tenant.service_id}


def _everything(api: Api, world: dict[str, Any], *, live: bool = True) -> str:
    """What every endpoint that could show Erika shows, as one text (`live`:
    with the monitor, whose clocks move)."""
    shown: list[Any] = []
    for query in ("Erika", "Mustermann", "erika.m@example.test", "Erika.M@Example.test",
                  "example.test", "4111"):
        shown.append(api.get(f"/history?q={query}"))
        shown.append(api.get(f"/tickets?q={query}"))
    shown.append(api.get("/history"))
    shown.append(api.get(f"/history?customer_id={world['erika'].customer_id}"))
    shown.append(api.get("/tickets"))
    shown.append(api.get("/chats"))
    for chat_id in world["chats"]:
        shown += [api.get(f"/chats/{chat_id}"), api.get(f"/chats/{chat_id}/messages"),
                  api.get(f"/chats/{chat_id}/notes"),
                  api.get(f"/chats/{chat_id}/attachments/{world['file']}")]
    for ticket_id in (world["ticket"], world["offline"]):
        shown += [api.get(f"/tickets/{ticket_id}"), api.get(f"/tickets/{ticket_id}/thread"),
                  api.get(f"/tickets/{ticket_id}/chat-history")]
    shown.append(api.get(f"/webhooks/{world['hook']}/deliveries"))
    shown.append(api.get("/blocks"))
    if live:
        shown.append(api.get("/monitor"))
    return json.dumps(shown, ensure_ascii=False)


def _files(prefix: str = "files/") -> list[str]:
    found = aws.client("s3").list_objects_v2(Bucket=config.files_bucket(), Prefix=prefix)
    return [o["Key"] for o in found.get("Contents", [])]


def test_an_erased_customer_can_be_found_by_no_endpoint(admin, world, desk):
    before = _everything(admin, world)
    for secret in ("Erika", "4111-0000-SECRET", "REPLY-SECRET", "NOTE-SECRET", "TICKET-SECRET",
                   "OFFLINE-SECRET", "RATING-SECRET", "receipt.png"):
        assert secret in before, secret  # the test would see them
    assert any(world["chats"][0] in key for key in _files())
    stats_before = admin.get("/stats")
    mail_ids = [f"{mail.TICKET_REPLY}#{world['ticket']}#{e.entry_id}"
                for e in TicketEntry.query(world["ticket"]) if e.kind == "reply"]
    assert all(Mail.get(mail_id).to for mail_id in mail_ids)

    status, done = admin.post("/privacy/erase", {"email": "ERIKA.m@example.test"})
    assert status == 200, done
    assert done["status"] == "done"
    assert done["erased"] == {"customers": 1, "chats": 2, "messages": 5, "attachments": 1,
                              "tickets": 2}

    after = _everything(admin, world)
    for secret in SECRETS:
        assert secret.casefold() not in after.casefold(), secret
    # Chats keep their shape: seq, roles and counts; the texts are the marker.
    status, page = admin.get(f"/chats/{world['chats'][0]}/messages")
    assert status == 200
    messages = page["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    said = [m for m in messages if m["sender"]["role"] in ("customer", "operator")]
    assert said and {m["text"] for m in said} == {erasure.MARK}
    assert all("attachment" not in m or not m["attachment"] for m in said)
    assert any(m["sender"]["role"] == "system" for m in messages)
    assert not any(world["chats"][0] in key for key in _files())
    assert Attachment.get(world["file"]).status == "erased"
    assert admin.get("/stats") == stats_before
    # The customer record, the pages, the search pieces, the webhook bodies.
    person = Customer.get(desk.tenant.service_id, world["erika"].customer_id)
    assert person.name is person.email is person.ip is person.device is None
    assert person.erased_at
    assert all(not Visit.count(chat_id) for chat_id in world["chats"])
    ids = {*world["chats"], world["ticket"], world["offline"]}
    pieces = [t for piece in search_terms.pieces(NAME, EMAIL) for kind in ("chat", "ticket")
              for t in SearchTerm.query(f"{desk.tenant.service_id}#{kind}#{piece}")
              if t.record_id in ids]
    assert pieces == []
    bodies = [json.loads(d.body) for d in WebhookDelivery.query(world["hook"])]
    assert bodies and not any("erika" in json.dumps(b).casefold() or "SECRET" in json.dumps(b)
                              for b in bodies)
    # Erika's keep which delivery, which event, when; Otto's are whole.
    erased = [b for b in bodies if b.get("erased")]
    assert erased and all(b["delivery_id"] and b["event"] and b["data"] is None
                          for b in erased)
    assert any("Otto Normal" in json.dumps(b) for b in bodies if not b.get("erased"))
    assert Ticket.get(world["offline"]).erased_at
    # Otto is untouched.
    status, otto = admin.get(f"/chats/{world['otto_chat']}/messages")
    assert "Otto's own words" in json.dumps(otto)
    assert "Otto Normal" in json.dumps(admin.get(f"/chats/{world['otto_chat']}")[1])
    # Erika's browser is signed out (her tokens revoked); her block outlives the
    # erasure, without her name or address.
    assert int(person.token_version or 0) >= 1
    assert_error(desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                                  {"visitor_token": world["erika"].visitor_token}),
                 403, "blocked")
    [block] = admin.get("/blocks")[1]["blocks"]
    assert block["customer_id"] == world["erika"].customer_id
    assert not block.get("customer_name") and not block.get("ip")
    # Mail about her ticket is no longer on record (its address went with it).
    assert mail_ids and not list(Mail.batch_get(mail_ids))


def test_the_erasure_is_audited_without_the_email_and_a_repeat_is_safe(admin, world):
    status, first = admin.post("/privacy/erase", {"email": EMAIL})
    assert status == 200
    erased = _everything(admin, world, live=False)
    # The email is found nowhere any more: nobody has it. A new run, its own times.
    status, again = admin.post("/privacy/erase", {"email": EMAIL})
    assert status == 200
    assert again["erased"] == dict.fromkeys(erasure.COUNTS, 0)
    assert again["erasure_id"] == first["erasure_id"]
    assert again["started_at"] >= first["finished_at"]
    # By id, the same customer's erased chats are covered again, changing nothing
    # (the offline ticket had no customer id: it was found by its email).
    status, by_id = admin.post("/privacy/erase", {"customer_id": world["erika"].customer_id})
    assert status == 200
    assert by_id["erased"] == {"customers": 1, "chats": 2, "messages": 5, "attachments": 1,
                               "tickets": 1}
    assert _everything(admin, world, live=False) == erased
    entries = admin.get("/audit?action=privacy.erase")[1]["entries"]
    assert len(entries) == 3
    assert {e["detail"]["by"] for e in entries} == {"email", "customer_id"}
    assert "erika" not in json.dumps(entries).casefold()
    assert entries[0]["target"] == world["erika"].customer_id


def test_erasing_by_id_erases_that_customer_only(admin, world):
    status, done = admin.post("/privacy/erase", {"customer_id": world["otto"].customer_id})
    assert status == 200
    assert done["erased"] == {"customers": 1, "chats": 1, "messages": 1, "attachments": 0,
                              "tickets": 0}
    assert "Otto" not in json.dumps(admin.get(f"/chats/{world['otto_chat']}")[1])
    assert "4111-0000-SECRET" in _everything(admin, world)  # Erika's are still there


def test_bad_requests(admin, world, client):
    for body in ({}, {"customer_id": world["otto"].customer_id, "email": EMAIL},
                 {"email": "not-an-email"}, {"email": 42}, {"customer_id": ""},
                 {"customer_id": "x" * 101}, {"name": "Erika"}, [], "erase"):
        assert_error(admin.post("/privacy/erase", body), 400, "bad_request")
    assert_error(admin.post("/privacy/erase", {"customer_id": "cu_nobody"}), 404, "not_found")
    other = make_tenant("other-shop")
    theirs = login(client, other.service_id, other.admin_email)
    assert_error(theirs.post("/privacy/erase", {"customer_id": world["erika"].customer_id}),
                 404, "not_found")
    status, nobody = theirs.post("/privacy/erase", {"email": EMAIL})
    assert status == 200 and nobody["erased"] == dict.fromkeys(erasure.COUNTS, 0)
    assert "4111-0000-SECRET" in _everything(admin, world)  # the other service erased nothing
    status, done = admin.post("/privacy/erase", {"email": "nobody@example.test"})
    assert status == 200 and done["erased"] == dict.fromkeys(erasure.COUNTS, 0)
    assert_error(admin.get("/privacy/erasures/nosuch"), 404, "not_found")
    assert_error(theirs.get(f"/privacy/erasures/{done['erasure_id']}"), 404, "not_found")


def test_only_admins_erase(world, desk):
    operator = world["operator"]
    assert_error(operator.post("/privacy/erase", {"email": EMAIL}), 403)
    assert_error(operator.get("/privacy/erasures/abc"), 403)
    assert_error(desk.public.post("/privacy/erase", {"email": EMAIL}), 401)


def test_an_erasure_cut_short_answers_202_and_the_sweep_finishes_it(admin, world, monkeypatch):
    real = erasure.erase_chat
    calls = {"n": 0}

    def dies_on_the_second(chat: Any) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the worker died")
        return real(chat)

    monkeypatch.setattr(erasure, "erase_chat", dies_on_the_second)
    # The worker the request starts is lost too (on AWS, an invocation that failed).
    monkeypatch.setattr(jobs, "launcher", lambda: lambda job_id: None)
    status, running = admin.post("/privacy/erase", {"email": EMAIL})
    monkeypatch.undo()
    assert status == 202, running
    assert running["status"] == "running"
    # The customer page was recorded; the chats page died half-way (its first
    # chat erased, not yet recorded).
    assert running["erased"]["customers"] == 1 and running["erased"]["chats"] == 0
    status, seen = admin.get(f"/privacy/erasures/{running['erasure_id']}")
    assert status == 200 and seen["status"] == "running"
    # The dead worker gave the job back with its error; the sweep's worker carries on.
    job = Job.get(f"erasure#{world['service_id']}#{running['erasure_id']}")
    assert job.error == "RuntimeError" and job.lease_until is None
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    assert jobs.resume_due(job_due_now()) == 1
    status, seen = admin.get(f"/privacy/erasures/{running['erasure_id']}")
    assert seen["status"] == "done", seen
    # The page the dead worker had begun is done again: counted once.
    assert seen["erased"] == {"customers": 1, "chats": 2, "messages": 5, "attachments": 1,
                              "tickets": 2}
    assert "4111-0000-SECRET" not in _everything(admin, world)


def job_due_now() -> Any:
    from chalicelib import clock

    return clock.now()


def test_the_job_keeps_no_list_of_what_it_erased(admin, desk, monkeypatch):
    """A customer with any number of chats: the job's saved state names who is
    erased, never each chat or ticket done (a DynamoDB item holds 400 KB), and
    the webhook bodies of those chats still lose their data."""
    status, hook = admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook",
                                            "events": ["chat.started", "message.created"]})
    assert status == 201, hook
    webhooks.forget_subscriptions()
    many = desk.customer(ip="198.51.100.60")
    chats = []
    for n in range(6):
        started = many.request({"type": "chat.start", "consent": True, "name": "Mona Many"})
        chat_id = started["chat"]["chat_id"]
        assert many.request({"type": "message.send", "chat_id": chat_id,
                             "client_msg_id": f"m{n}", "text": f"MANY-SECRET {n}"})[
            "type"] == "message.ack"
        assert admin.post(f"/chats/{chat_id}/end")[0] == 200
        chats.append(chat_id)
    saved: list[str] = []
    real = jobs._STEPPERS[erasure.ERASURE]

    def recorded(job: Any) -> jobs.Step:
        step = real(job)
        saved.append(json.dumps(step.cursor))
        return step

    monkeypatch.setitem(jobs._STEPPERS, erasure.ERASURE, recorded)
    monkeypatch.setattr(erasure, "CHATS_PER_PAGE", 1)
    status, done = admin.post("/privacy/erase", {"customer_id": many.customer_id})
    assert status == 200, done
    assert done["erased"] == {"customers": 1, "chats": 6, "messages": 6, "attachments": 0,
                              "tickets": 0}
    assert len(saved) >= 6  # a page per chat
    # At most the chat a page stopped at (the query's resume key), never the list.
    assert all(sum(chat_id in cursor for chat_id in chats) <= 1 for cursor in saved)
    assert max(len(cursor) for cursor in saved) < 1_000
    bodies = [d.body for d in WebhookDelivery.query(hook["webhook_id"])]
    assert len(bodies) == 12
    assert not any("MANY-SECRET" in body or "Mona" in body for body in bodies)


def test_a_delivery_naming_only_an_erased_chat_or_ticket_loses_its_data(admin, world):
    """A body may carry no name, email or customer id, only a chat's or ticket's id
    somewhere in it: it is erased when that chat or ticket was erased, and left
    whole when it was not (Otto's chat)."""

    def delivery(n: int, data: dict[str, Any]) -> WebhookDelivery:
        body = json.dumps({"delivery_id": f"dl_ids_{n}", "event": "ticket.updated",
                           "service_id": world["service_id"], "data": data})
        made = WebhookDelivery(webhook_id=world["hook"], delivery_id=f"dl_ids_{n}",
                               service_id=world["service_id"], event="ticket.updated",
                               body=body, status="delivered", created_at="2026-01-01T00:00:00Z")
        made.save()
        return made

    only_ids = [delivery(1, {"ticket": {"ticket_id": world["offline"]}, "note": "ID-ONLY-1"}),
                delivery(2, {"changes": [{"chat_id": world["chats"][1]}], "note": "ID-ONLY-2"})]
    kept = delivery(3, {"chat": {"chat_id": world["otto_chat"]}, "note": "ID-ONLY-3"})
    status, done = admin.post("/privacy/erase", {"email": EMAIL})
    assert status == 200, done
    for made in only_ids:
        body = json.loads(WebhookDelivery.get(world["hook"], made.delivery_id).body)
        assert body["erased"] is True and body["data"] is None, body
        assert body["delivery_id"] == made.delivery_id and body["event"] == "ticket.updated"
    assert "ID-ONLY-3" in WebhookDelivery.get(world["hook"], kept.delivery_id).body
