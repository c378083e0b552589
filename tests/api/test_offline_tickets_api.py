"""When nobody can answer, over the real handlers: business hours in the widget's
config and at chat start (R-BH-1), the offline form filing numbered tickets
(R-OFF-1), the ticket workflow (R-TK-2) and mail through SES (R-MAIL-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock, config
from chalicelib.models import Mail, Message, Ticket, TicketEntry, TicketFilter, Token
from chalicelib.services import mail
from tests.api.helpers import Api, assert_error, login
from tests.conftest import make_tenant
from tests.emf import metrics_written

ORIGIN = "https://shop.acme.test"


def outbox() -> list[Any]:
    """What moto's SES was asked to send, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][config.region()].sent_messages)


def mails_to(address: str) -> list[Any]:
    return [m for m in outbox() if address in m.destinations.get("ToAddresses", [])]


@pytest.fixture
def public(client):
    return Api(client)


def form(**overrides: Any) -> dict[str, Any]:
    body = {"page_origin": ORIGIN, "name": "山田 花子", "email": "Hanako@Example.test",
            "text": "注文した商品が届きません。\n注文番号は 1234 です。", "consent": True,
            "submission_id": "sub-0000000001", "language": "ja"}
    body.update(overrides)
    return body


def send(public: Api, tenant: Any, ip: str = "198.51.100.7", **overrides: Any):
    """The form as sent from `ip` (the gateway's source IP of the request)."""
    from chalice.local import LambdaEventConverter

    before = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = ip
    try:
        return public.post(f"/widget/{tenant.widget_key}/offline-message", form(**overrides))
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = before


# --- the offline form -------------------------------------------------------------------


def test_an_offline_message_files_a_numbered_ticket_and_mails_a_confirmation(
    desk, public, tenant
):
    operator, console = desk.operator()
    status, body = send(public, tenant)
    assert status == 201, body
    assert body["number"] == 1 and body["ticket_id"].startswith("tk")
    ticket = Ticket.get(body["ticket_id"])
    assert ticket.channel == "offline_form" and ticket.status == "open"
    assert ticket.requester == {"name": "山田 花子", "email": "hanako@example.test"}
    assert ticket.subject.startswith("注文した商品が届きません。 注文番号は")
    # The request is the thread's first entry; its confirmation went out.
    status, thread = operator.get(f"/tickets/{body['ticket_id']}/thread")
    assert status == 200
    [request] = thread["entries"]
    assert request["kind"] == "request" and request["author"]["role"] == "customer"
    assert request["text"].endswith("注文番号は 1234 です。")
    assert request["email_status"] == "sent"
    [sent] = mails_to("hanako@example.test")
    assert "#1" in sent.subject and "受け付けました" in sent.subject
    assert "注文番号は 1234" in sent.body and sent.source == config.mail_from()
    # Online operators hear it at once (the console alerts on it).
    [frame] = console.new_frames("ticket.created")
    assert frame["ticket"]["number"] == 1 and frame["ticket"]["channel"] == "offline_form"


def test_a_retried_submission_files_one_ticket_and_one_mail(public, tenant):
    first = send(public, tenant)
    again = send(public, tenant)
    assert first[0] == 201 and again[0] == 200
    assert again[1] == first[1]
    assert len(list(Ticket.by_service.query(tenant.service_id))) == 1
    assert len(mails_to("hanako@example.test")) == 1
    status, other = send(public, tenant, submission_id="sub-0000000002")
    assert status == 201 and other["number"] == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.test\r\nBcc: victim@x.test"}, "email"),
        ({"name": "Eve\r\nBcc: victim@x.test"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"submission_id": "short"}, "submission_id"),
        ({"submission_id": "../../etc/passwd"}, "submission_id"),
        ({"category_id": "nope"}, "category_id"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"language": "xx"}, "language"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_offline_messages_are_refused_and_store_nothing(public, tenant, overrides, field):
    body = assert_error(send(public, tenant, **overrides), 400, "bad_request")
    assert field in body["message"]
    assert list(Ticket.by_service.query(tenant.service_id)) == []
    assert outbox() == []


def test_the_offline_form_is_refused_where_it_may_not_be_used(client, public, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    assert admin.put("/settings", {"allowed_origins": [ORIGIN]})[0] == 200
    assert_error(send(public, tenant, page_origin="https://evil.test"), 403, "origin_not_allowed")
    assert admin.put("/settings", {"offline_form": False})[0] == 200
    assert_error(send(public, tenant), 403, "offline_form_disabled")
    assert_error(public.post("/widget/no-such-key/offline-message", form()), 404)
    assert list(Ticket.by_service.query(tenant.service_id)) == []


def test_a_flood_from_one_address_is_limited_and_others_still_get_through(public, tenant):
    results = [send(public, tenant, submission_id=f"flood-{n:08d}")[0] for n in range(8)]
    assert results[:5] == [201] * 5
    assert 429 in results[5:]
    status, body = send(public, tenant, ip="192.0.2.99", submission_id="someone-else-1")
    assert status == 201, body
    numbers = sorted(int(t.number) for t in Ticket.by_service.query(tenant.service_id))
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_category_of_the_service_is_kept_and_another_services_is_refused(
    client, public, tenant
):
    admin = login(client, tenant.service_id, tenant.admin_email)
    category = admin.post("/categories", {"name": "配送"})[1]
    status, body = send(public, tenant, category_id=category["category_id"])
    assert status == 201
    assert Ticket.get(body["ticket_id"]).category_id == category["category_id"]
    other = make_tenant("other")
    theirs = login(client, other.service_id, other.admin_email).post(
        "/categories", {"name": "theirs"})[1]
    assert_error(send(public, tenant, category_id=theirs["category_id"],
                      submission_id="sub-0000000009"), 400)


# --- the ticket workflow ---------------------------------------------------------------


def _offline_tickets(public, tenant, n):
    return [send(public, tenant, submission_id=f"sub-{i:010d}", ip=f"198.51.100.{i}",
                 email=f"c{i}@example.test")[1] for i in range(1, n + 1)]


def test_tickets_are_listed_by_status_assignee_channel_and_search(desk, public, tenant):
    operator, _ = desk.operator()
    filed = _offline_tickets(public, tenant, 4)
    chat_customer = desk.customer()
    chat = chat_customer.request({"type": "chat.start", "consent": True, "name": "Chat Person",
                                  "email": "chatter@example.test"})["chat"]
    status, from_chat = desk.admin.post(f"/chats/{chat['chat_id']}/tickets",
                                        {"subject": "Refund", "body": "wants a refund"})
    assert status == 201, from_chat
    assert from_chat["number"] == 5 and from_chat["channel"] == "chat"
    assert from_chat["requester"] == {"name": "Chat Person", "email": "chatter@example.test"}

    one, two = filed[0]["ticket_id"], filed[1]["ticket_id"]
    assert operator.put(f"/tickets/{one}", {"assignee_id": operator.operator_id})[0] == 200
    status, changed = operator.put(f"/tickets/{two}", {"status": "pending",
                                                       "assignee_id": operator.operator_id})
    assert status == 200 and changed["status"] == "pending"
    assert changed["assignee_name"] == "Operator 1"

    def numbers(query: str) -> list[int]:
        status, body = operator.get(f"/tickets?{query}")
        assert status == 200, body
        return [t["number"] for t in body["tickets"]]

    assert numbers("") == [5, 4, 3, 2, 1]
    assert numbers("status=open") == [5, 4, 3, 1]
    assert numbers("status=pending") == [2]
    assert numbers(f"assignee_id={operator.operator_id}") == [2, 1]
    assert numbers(f"assignee_id={operator.operator_id}&status=open") == [1]
    assert numbers("assignee_id=none") == [5, 4, 3]
    assert numbers("channel=chat") == [5]
    assert numbers("channel=offline_form&status=open") == [4, 3, 1]
    assert numbers("q=c3@exa") == [3]
    assert numbers("q=chatter&channel=chat") == [5]
    assert numbers("q=chatter&channel=offline_form") == []
    # Solving moves it out of "open" and into "solved".
    assert operator.put(f"/tickets/{one}", {"status": "solved"})[0] == 200
    assert numbers(f"assignee_id={operator.operator_id}&status=open") == []
    assert numbers("status=solved") == [1]
    # The filter items follow: none left under the old keys.
    keys = {f.filter_key.split("#", 1)[1] for f in TicketFilter.query(
        f"{tenant.service_id}#s=open")}
    assert keys == {"s=open"}
    assert all(f.ticket_id != one for f in TicketFilter.query(f"{tenant.service_id}#s=open"))


def test_filtered_lists_page_with_cursors(public, tenant, desk):
    operator, _ = desk.operator()
    _offline_tickets(public, tenant, 5)
    seen: list[int] = []
    cursor = ""
    while True:
        status, body = operator.get(f"/tickets?status=open&limit=2&cursor={cursor}")
        assert status == 200, body
        seen.extend(t["number"] for t in body["tickets"])
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert seen == [5, 4, 3, 2, 1]
    # A cursor of one filter is not one of another.
    first = operator.get("/tickets?status=open&limit=2")[1]["next_cursor"]
    assert_error(operator.get(f"/tickets?status=pending&cursor={first}"), 400)


@pytest.mark.parametrize(
    "query", ["status=closed", "channel=a%20b", "assignee_id=" + "x" * 101, "q=a", "limit=0"]
)
def test_bad_ticket_filters_are_400(desk, query):
    operator, _ = desk.operator()
    assert_error(operator.get(f"/tickets?{query}"), 400, "bad_request")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"assignee_id": "op_nobody"}, "assignee_id"),
        ({"assignee_id": 5}, "assignee_id"),
        ({"category_id": "nope"}, "category_id"),
        ({"subject": "a\r\nb"}, "subject"),
        ({"subject": ""}, "subject"),
        ({"number": 99}, "number"),
    ],
)
def test_bad_ticket_changes_are_400_and_change_nothing(desk, public, tenant, body, field):
    operator, _ = desk.operator()
    ticket_id = _offline_tickets(public, tenant, 1)[0]["ticket_id"]
    before = Ticket.get(ticket_id).serialize()
    error = assert_error(operator.put(f"/tickets/{ticket_id}", body), 400)
    assert field in error["message"]
    assert Ticket.get(ticket_id).serialize() == before


def test_another_services_tickets_are_404_everywhere(client, desk, public, tenant):
    ticket_id = _offline_tickets(public, tenant, 1)[0]["ticket_id"]
    other = make_tenant("other")
    them = login(client, other.service_id, other.admin_email)
    for result in (
        them.get(f"/tickets/{ticket_id}"),
        them.put(f"/tickets/{ticket_id}", {"status": "solved"}),
        them.get(f"/tickets/{ticket_id}/thread"),
        them.post(f"/tickets/{ticket_id}/replies", {"text": "hi"}),
    ):
        assert_error(result, 404)
    assert Ticket.get(ticket_id).status == "open"
    assert len(list(TicketEntry.query(ticket_id))) == 1
    assert them.get("/tickets")[1]["tickets"] == []
    assert them.get("/tickets?status=open")[1]["tickets"] == []


def test_a_reply_is_kept_in_the_thread_and_mailed_to_the_requester(desk, public, tenant):
    operator, _ = desk.operator()
    ticket_id = _offline_tickets(public, tenant, 1)[0]["ticket_id"]
    status, entry = operator.post(f"/tickets/{ticket_id}/replies",
                                  {"text": "お届け日を確認しました。\n明日届きます。"})
    assert status == 201, entry
    assert entry["kind"] == "reply" and entry["author"]["operator_id"] == operator.operator_id
    thread = operator.get(f"/tickets/{ticket_id}/thread")[1]["entries"]
    assert [e["kind"] for e in thread] == ["request", "reply"]
    assert thread[1]["email_status"] == "sent"
    _confirmation, reply = mails_to("c1@example.test")
    assert "#1" in reply.subject and reply.subject.startswith("[Service acme] Re:")
    assert "明日届きます。" in reply.body and "Operator 1" in reply.body
    assert "\n" not in reply.subject and "\r" not in reply.subject


def test_a_reply_to_a_ticket_without_an_email_is_kept_and_mails_nothing(desk, tenant):
    operator, _ = desk.operator()
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    ticket = desk.admin.post(f"/chats/{chat['chat_id']}/tickets", {"subject": "Call back"})[1]
    status, entry = operator.post(f"/tickets/{ticket['ticket_id']}/replies", {"text": "noted"})
    assert status == 201 and entry["email_status"] == "none"
    assert outbox() == []


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "x" * 10_001}, {"text": 5},
                                  {"text": "hi", "to": "victim@example.test"}])
def test_bad_replies_are_400_and_send_nothing(desk, public, tenant, body):
    operator, _ = desk.operator()
    ticket_id = _offline_tickets(public, tenant, 1)[0]["ticket_id"]
    assert_error(operator.post(f"/tickets/{ticket_id}/replies", body), 400)
    assert len(list(TicketEntry.query(ticket_id))) == 1
    assert len(outbox()) == 1  # the confirmation only


# --- mail: queued with the change, sent once, retried -----------------------------------


def test_a_failing_ses_retries_on_schedule_and_the_sweep_sends_it(desk, public, tenant,
                                                                    monkeypatch):
    calls = {"n": 0}
    real = mail._ses

    class Throttled(Exception):
        response = {"Error": {"Code": "TooManyRequestsException"}}

    class Flaky:
        def send_email(self, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise Throttled()
            return real().send_email(**kwargs)

    monkeypatch.setattr(mail, "_ses", Flaky)
    status, _body = send(public, tenant)
    assert status == 201  # the request never fails for mail
    [queued] = list(Mail.by_due.query(mail.DUE))
    item = Mail.get(queued.mail_id)
    assert item.status == "pending" and item.attempts == 1
    assert item.last_error == "TooManyRequestsException"
    assert outbox() == []
    # Not before its time; then the sweep sends it, once.
    assert mail.send_due(clock.now()) == 0
    later = clock.parse_iso(item.due_at)
    assert mail.send_due(later) == 1
    assert mail.send_due(later) == 0
    assert len(mails_to("hanako@example.test")) == 1
    assert Mail.get(queued.mail_id).status == "sent"
    assert list(Mail.by_due.query(mail.DUE)) == []


def test_a_rejected_address_fails_at_once_and_the_thread_says_so(desk, public, tenant,
                                                                  monkeypatch, capsys):
    class Rejected(Exception):
        response = {"Error": {"Code": "MessageRejected"}}

    class Refusing:
        def send_email(self, **kwargs: Any) -> Any:
            raise Rejected()

    monkeypatch.setattr(mail, "_ses", Refusing)
    operator, _ = desk.operator()
    capsys.readouterr()
    ticket_id = send(public, tenant)[1]["ticket_id"]
    # Counted in the request that sent it (the mail worker's, on AWS).
    assert metrics_written(capsys.readouterr().out) == {"MailFailures": [1.0]}
    thread = operator.get(f"/tickets/{ticket_id}/thread")[1]["entries"]
    assert thread[0]["email_status"] == "failed"
    assert list(Mail.by_due.query(mail.DUE)) == []


def test_the_worker_run_twice_sends_a_mail_once(desk, public, tenant, monkeypatch):
    monkeypatch.setenv("MAIL_INVOKE", "lambda")  # nothing starts it: moto has no worker
    send(public, tenant)
    [queued] = list(Mail.by_due.query(mail.DUE))
    assert outbox() == []
    event = {"mail_ids": [queued.mail_id]}
    assert mail.run_worker(event) == {"sent": 1}
    assert mail.run_worker(event) == {"skipped": 1}
    assert len(outbox()) == 1


def test_the_sweep_lambda_sends_what_the_worker_never_did(client, public, tenant, monkeypatch):
    from tests.api.helpers import scheduled_event

    monkeypatch.setenv("MAIL_INVOKE", "lambda")
    send(public, tenant)
    assert outbox() == []
    client.lambda_.invoke("sweep", scheduled_event(clock.now()))
    assert len(outbox()) == 1


# --- transcripts -----------------------------------------------------------------------


def test_a_transcript_has_the_messages_and_never_the_notes(desk, tenant):
    operator, console = desk.operator()
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True, "name": "Kim",
                             "email": "kim@example.test"})["chat"]
    chat_id = chat["chat_id"]
    operator.post(f"/chats/{chat_id}/open")
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "My parcel is late"})
    console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o1",
                     "text": "It arrives tomorrow"})
    assert operator.post(f"/chats/{chat_id}/notes", {"text": "SECRET: VIP customer"})[0] == 201
    operator.post(f"/chats/{chat_id}/end")
    answer = customer.request({"type": "transcript.request", "chat_id": chat_id})
    assert answer["type"] == "transcript.queued", answer
    assert answer["email"] == "kim@example.test"
    [sent] = mails_to("kim@example.test")
    assert "My parcel is late" in sent.body and "It arrives tomorrow" in sent.body
    assert "SECRET" not in sent.body and "VIP" not in sent.body
    # The same request again is the same mail; a few more addresses, then a cap.
    assert customer.request({"type": "transcript.request", "chat_id": chat_id})["type"] \
        == "transcript.queued"
    assert len(mails_to("kim@example.test")) == 1
    for n in (2, 3):
        reply = customer.request({"type": "transcript.request", "chat_id": chat_id,
                                  "email": f"kim{n}@example.test"})
        assert reply["type"] == "transcript.queued", reply
    refused = customer.request({"type": "transcript.request", "chat_id": chat_id,
                                "email": "kim4@example.test"})
    assert refused["type"] == "error" and refused["code"] == "too_many"
    assert mails_to("kim4@example.test") == []


def test_transcript_requests_are_checked(desk, tenant):
    _operator, _ = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    no_email = customer.request({"type": "transcript.request", "chat_id": chat_id})
    assert no_email["code"] == "bad_request" and "email" in no_email["message"]
    bad = customer.request({"type": "transcript.request", "chat_id": chat_id,
                            "email": "x@y.test\r\nBcc: z@w.test"})
    assert bad["code"] == "bad_request"
    stranger = desk.customer(ip="203.0.113.99")
    theirs = stranger.request({"type": "transcript.request", "chat_id": chat_id,
                               "email": "thief@example.test"})
    assert theirs["code"] == "not_found"
    _api, console = desk.operator()
    by_operator = console.request({"type": "transcript.request", "chat_id": chat_id,
                                   "email": "x@example.test"})
    assert by_operator["code"] == "forbidden"
    assert outbox() == []
    assert list(Message.query(chat_id))  # the chat itself is untouched


# --- business hours --------------------------------------------------------------------

# Tuesday 2027-01-12, Asia/Tokyo: open 09:00-12:00 and 13:00-17:30.
LUNCH = datetime(2027, 1, 12, 3, 30, tzinfo=UTC)  # 12:30 JST
MORNING = datetime(2027, 1, 12, 1, 0, tzinfo=UTC)  # 10:00 JST
HOURS = {"enabled": True, "weekly": {d: [["09:00", "12:00"], ["13:00", "17:30"]]
                                     for d in ("mon", "tue", "wed", "thu", "fri")},
         "holiday_country": "JP", "closed_dates": ["12-29", "12-30", "12-31"]}


@pytest.fixture
def hours_on(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    status, body = admin.put("/settings", {"timezone": "Asia/Tokyo", "business_hours": HOURS})
    assert status == 200, body
    return admin


def pin(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_the_config_says_whether_it_is_open_and_when_it_opens(public, tenant, hours_on,
                                                              monkeypatch):
    pin(monkeypatch, LUNCH)
    config_now = public.get(f"/widget/{tenant.widget_key}/config")[1]
    assert config_now["open"] is False
    assert config_now["next_open_at"] == "2027-01-12T04:00:00.000Z"  # 13:00 JST
    assert config_now["business_hours"]["timezone"] == "Asia/Tokyo"
    assert config_now["business_hours"]["weekly"]["tue"] == [["09:00", "12:00"],
                                                             ["13:00", "17:30"]]
    assert config_now["business_hours"]["holiday_country_name"] == "Japan"
    assert config_now["offline_form"] is True and config_now["away_message"]
    pin(monkeypatch, MORNING)
    config_now = public.get(f"/widget/{tenant.widget_key}/config")[1]
    assert config_now["open"] is True and config_now["next_open_at"] is None
    # 2027-01-11 is 成人の日: closed all day, opens Tuesday morning.
    pin(monkeypatch, datetime(2027, 1, 11, 1, 0, tzinfo=UTC))
    config_now = public.get(f"/widget/{tenant.widget_key}/config")[1]
    assert config_now["open"] is False
    assert config_now["next_open_at"] == "2027-01-12T00:00:00.000Z"


def test_no_new_chat_outside_hours_and_open_chats_go_on(desk, tenant, hours_on, monkeypatch):
    _operator, _console = desk.operator()
    pin(monkeypatch, MORNING)
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert chat["status"] == "assigned"
    pin(monkeypatch, LUNCH)
    # The open chat goes on: messages flow, the customer's chat.start returns it.
    ack = customer.request({"type": "message.send", "chat_id": chat["chat_id"],
                            "client_msg_id": "m1", "text": "still there?"})
    assert ack["type"] == "message.ack"
    again = customer.request({"type": "chat.start", "consent": True})
    assert again["type"] == "chat.started" and again["chat"]["chat_id"] == chat["chat_id"]
    # A new visitor is refused, told when it opens.
    late = desk.customer(ip="203.0.113.50")
    refused = late.request({"type": "chat.start", "consent": True})
    assert refused["type"] == "error" and refused["code"] == "outside_hours"
    assert refused["next_open_at"] == "2027-01-12T04:00:00.000Z"


def test_routing_does_not_assign_outside_hours(desk, tenant, hours_on, monkeypatch):
    operator, _ = desk.operator(online=False)
    pin(monkeypatch, MORNING)
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    assert chat["status"] == "waiting"  # nobody online yet
    pin(monkeypatch, LUNCH)
    # Coming online drains the queue, but not at lunch.
    assert operator.put("/me/status", {"status": "online"})[0] == 200
    assert operator.get(f"/chats/{chat['chat_id']}")[1]["status"] == "waiting"
    pin(monkeypatch, datetime(2027, 1, 12, 4, 1, tzinfo=UTC))  # 13:01 JST
    assert operator.put("/me/status", {"status": "break"})[0] == 200
    assert operator.put("/me/status", {"status": "online"})[0] == 200
    assert operator.get(f"/chats/{chat['chat_id']}")[1]["status"] == "assigned"


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "business_hours.weekly"),
        ({"weekly": {"mon": [["9:00", "12:00"]]}}, "business_hours.weekly.mon"),
        ({"weekly": {"funday": []}}, "business_hours.weekly"),
        ({"holiday_country": "XX"}, "business_hours.holiday_country"),
        ({"closed_dates": ["2026-02-30"]}, "business_hours.closed_dates"),
        ({"enabled": "yes"}, "business_hours.enabled"),
        ({"open": True}, "business_hours.open"),
        ("always", "business_hours"),
    ],
)
def test_bad_business_hours_are_400_and_keep_the_settings(client, tenant, hours, field):
    admin = login(client, tenant.service_id, tenant.admin_email)
    before = admin.get("/settings")[1]
    error = assert_error(admin.put("/settings", {"business_hours": hours}), 400)
    assert error["message"].startswith(field), error
    assert admin.get("/settings")[1] == before


def test_a_wrong_time_zone_is_400(client, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    for zone in ("Mars/Olympus", "JST+9", "", 9):
        assert_error(admin.put("/settings", {"timezone": zone}), 400)


def test_the_holiday_countries_are_listed_for_any_operator(desk):
    operator, _ = desk.operator()
    status, body = operator.get("/settings/holiday-countries")
    assert status == 200
    codes = {c["code"]: c["name"] for c in body["countries"]}
    assert codes["JP"] == "Japan" and "US" in codes and len(codes) > 100


# --- older tickets ----------------------------------------------------------------------


def test_tickets_of_an_older_checkout_get_numbers_in_order(aws, tenant):
    from chalicelib import aws as aws_clients
    from infra import upgrade

    for n, at in enumerate(("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z")):
        Ticket(ticket_id=f"tk_old{n}", service_id=tenant.service_id, subject=f"old {n}",
               body="from before", channel="chat", customer={"name": "Old", "email": "o@x.test"},
               status="open", created_by="op", created_at=at).save()
    from tests.conftest import _refuse_scan

    client = aws_clients.client("dynamodb")
    # The suite refuses Scan to the app; this upgrade is an operation, not the app.
    client.meta.events.unregister("before-call.dynamodb.Scan", handler=_refuse_scan)
    assert upgrade.number_tickets(client) == 2
    assert Ticket.get("tk_old1").number == 1 and Ticket.get("tk_old0").number == 2
    assert Ticket.get("tk_old0").requester == {"name": "Old", "email": "o@x.test"}
    assert [e.kind for e in TicketEntry.query("tk_old0")] == ["request"]
    assert upgrade.number_tickets(client) == 0
    assert Token.get("ticketno#" + tenant.service_id).failures == 2


def test_mails_speak_the_requesters_language_and_subjects_stay_one_line(desk, public, tenant):
    operator, _ = desk.operator()
    status, body = send(public, tenant, language="en", email="en@example.test",
                        text="Line one\u2028still one\nLine two")
    assert status == 201
    [confirmation] = mails_to("en@example.test")
    assert confirmation.subject == "[Service acme] We received your message (#1)"
    assert "Ticket number: #1" in confirmation.body and "Line two" in confirmation.body
    assert operator.put(f"/tickets/{body['ticket_id']}",
                        {"subject": "Refund\u2028Bcc: victim@example.test"})[0] == 200
    operator.post(f"/tickets/{body['ticket_id']}/replies", {"text": "Done."})
    reply = mails_to("en@example.test")[-1]
    assert reply.subject == "[Service acme] Re: Refund Bcc: victim@example.test (#1)"
    assert "\u2028" not in reply.subject and reply.destinations == {
        "ToAddresses": ["en@example.test"]}


# --- what the review added: live updates, consent, retries mid-way, mail leases ---------


def test_a_change_is_heard_by_every_online_console(desk, public, tenant):
    operator, console = desk.operator()
    _other, other_console = desk.operator()
    ticket_id = _offline_tickets(public, tenant, 1)[0]["ticket_id"]
    for socket in (console, other_console):
        socket.new_frames()
    assert operator.put(f"/tickets/{ticket_id}", {"status": "solved"})[0] == 200
    for socket in (console, other_console):
        [frame] = socket.new_frames("ticket.updated")
        assert frame["ticket"]["ticket_id"] == ticket_id
        assert frame["ticket"]["status"] == "solved"


def test_the_consent_is_kept_with_the_ticket(public, tenant):
    ticket_id = send(public, tenant)[1]["ticket_id"]
    consent = Ticket.get(ticket_id).customer["consent"]
    assert consent["agreed"] is True and consent["version"] == 1
    assert_error(send(public, tenant, consent_version="1", submission_id="sub-00000000x"), 400)


def test_the_config_lists_categories_only_for_the_offline_form(client, public, tenant):
    admin = login(client, tenant.service_id, tenant.admin_email)
    top = admin.post("/categories", {"name": "配送"})[1]
    admin.post("/categories", {"name": "遅延", "parent_id": top["category_id"]})
    path = f"/widget/{tenant.widget_key}/config"
    assert public.get(path)[1]["categories"] == [{"category_id": top["category_id"],
                                                   "name": "配送"}]
    assert admin.put("/settings", {"offline_form": False})[0] == 200
    body = public.get(path)[1]
    assert body["offline_form"] is False and body["categories"] == []


def test_a_retry_while_the_first_try_is_still_numbering_gets_the_number(public, tenant,
                                                                        monkeypatch):
    from chalicelib.services import tickets

    # The first try dies between its ticket and its number.
    def dies(ticket):
        raise RuntimeError("the Lambda ran out of time")

    real = tickets.give_number
    monkeypatch.setattr(tickets, "give_number", dies)
    with pytest.raises(RuntimeError):
        from chalicelib.services import offline

        offline.submit(tenant.widget_key, offline.OfflineMessage.checked(form()),
                       ip="198.51.100.7", user_agent=None, push=lambda *_: True)
    [unnumbered] = list(Ticket.by_service.query(tenant.service_id))
    assert unnumbered.number is None
    # Its confirmation is due, but waits for the number instead of going out as #0.
    [queued] = list(Mail.by_due.query(mail.DUE))
    assert mail.send_one(queued.mail_id, clock.now()) == "retry"
    assert Mail.get(queued.mail_id).last_error == "not_ready"
    monkeypatch.setattr(tickets, "give_number", real)
    status, body = send(public, tenant)
    assert (status, body) == (200, {"ticket_id": unnumbered.ticket_id, "number": 1})
    later = clock.parse_iso(Mail.get(queued.mail_id).due_at)
    assert mail.send_due(later) == 1
    assert "#1" in mails_to("hanako@example.test")[0].subject


def test_a_mail_whose_worker_died_is_sent_again_after_its_lease(public, tenant, monkeypatch):
    monkeypatch.setenv("MAIL_INVOKE", "lambda")  # nothing starts the worker
    send(public, tenant)
    [queued] = list(Mail.by_due.query(mail.DUE))
    now = clock.now()
    assert mail._claim(queued.mail_id, now) is not None  # a worker took it, then died
    assert mail.send_due(now + mail.LEASE - timedelta(seconds=1)) == 0
    assert mail.run_worker({"mail_ids": [queued.mail_id]}) == {"skipped": 1}
    assert outbox() == []
    assert mail.send_due(now + mail.LEASE + timedelta(seconds=1)) == 1
    assert len(outbox()) == 1 and Mail.get(queued.mail_id).attempts == 2
