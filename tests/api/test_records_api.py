"""Tickets, Chat History, its export and statistics through the real handlers,
on chats the engine made (R-TK-1, R-CH-3…5, R-CON-7, R-CON-10)."""

from datetime import datetime
from io import BytesIO
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from chalicelib import aws
from chalicelib.models import Chat, DailyStats
from chalicelib.services import stats
from tests.api.helpers import assert_error, login
from tests.api.ws_gateway import Desk
from tests.conftest import make_tenant


@pytest.fixture
def desk(client, tenant, monkeypatch):
    monkeypatch.setenv(
        "WS_MANAGEMENT_ENDPOINT", "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws"
    )
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "test-exports")
    aws.client("s3").create_bucket(Bucket="test-exports")
    return Desk(client, tenant)


def _handled_chat(desk, api, customer, *, name="Hanako Yamada", email="hanako@example.jp",
                  score=5, category_id=None):
    """A chat the whole way: start, open, reply, save, rating, end."""
    chat = customer.request({"type": "chat.start", "consent": True, "name": name,
                             "email": email})["chat"]
    chat_id = chat["chat_id"]
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c1",
                      "text": "=1+1 my order is late"})
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    _api_send(desk, api, chat_id, "Sorry to hear that!")
    info = {"customer": {"notes": "VIP"}}
    if category_id:
        info["inquiry"] = {"category_id": category_id}
    assert api.put(f"/chats/{chat_id}/info", info)[0] == 200
    if score:
        customer.request({"type": "rating.submit", "chat_id": chat_id, "score": score,
                          "comment": "great"})
    assert api.post(f"/chats/{chat_id}/end")[0] == 200
    return chat_id


def _api_send(desk, api, chat_id, text):
    socket = api.socket
    reply = socket.request({"type": "message.send", "chat_id": chat_id,
                            "client_msg_id": f"op-{chat_id}-{text[:5]}", "text": text})
    assert reply["type"] == "message.ack", reply


def _operator(desk, **kw):
    api, socket = desk.operator(**kw)
    api.socket = socket
    return api


def test_a_handled_chat_is_found_by_every_filter_and_counted(desk):
    api = _operator(desk)
    category = desk.admin.post("/categories", {"name": "Shipping"})[1]["category_id"]
    chat_id = _handled_chat(desk, api, desk.customer(), category_id=category)
    for query in ("", "?status=processed", f"?operator_id={api.operator_id}",
                  f"?category_id={category}", "?channel=widget", "?rating=5",
                  "?q=HANAKO@example.jp", "?q=hanako%20yamada",
                  f"?status=processed&rating=5&operator_id={api.operator_id}"):
        status, body = api.get(f"/history{query}")
        assert status == 200, body
        assert [c["chat_id"] for c in body["chats"]] == [chat_id], query
    for query in ("?status=unprocessed", "?rating=4", "?q=other@example.jp",
                  "?channel=email", "?operator_id=op_nobody"):
        assert api.get(f"/history{query}")[1]["chats"] == [], query
    found = api.get("/history")[1]["chats"][0]
    assert found["processed"] is True and found["status"] == "ended"
    assert found["inquiry"]["category_path"] == ["Shipping"]
    assert found["rating"]["score"] == 5

    stats = api.get("/stats")[1]
    assert (stats["chats"], stats["processed"], stats["unprocessed"]) == (1, 1, 0)
    assert stats["avg_rating"] == 5.0
    assert stats["avg_first_response_s"] is not None and stats["avg_wait_s"] is not None
    assert sum(day["chats"] for day in stats["by_day"]) == 1
    assert len(stats["by_day"]) == 30  # the last 30 days, today included


def test_abandoned_chats_count_as_unprocessed(desk):
    api = _operator(desk)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    customer.request({"type": "chat.leave", "chat_id": chat_id})
    api.post(f"/chats/{chat_id}/end")
    _handled_chat(desk, api, desk.customer(), score=None)
    stats = api.get("/stats")[1]
    assert (stats["chats"], stats["processed"], stats["unprocessed"]) == (2, 1, 1)
    assert stats["abandoned"] == 1 and stats["avg_rating"] is None
    assert [c["chat_id"] for c in api.get("/history?status=unprocessed")[1]["chats"]] == [
        chat_id]


def test_statistics_equal_a_count_of_the_chats(desk):
    api = _operator(desk, max_chats=5)
    for n in range(3):
        _handled_chat(desk, api, desk.customer(), score=n + 2, email=f"c{n}@example.jp")
    customer = desk.customer()
    customer.request({"type": "chat.start", "consent": True})
    chats = list(Chat.by_service.query("acme"))
    full = [Chat.get(c.chat_id) for c in chats]
    rows = list(DailyStats.query("acme"))
    assert sum(stats.item_total(r, "chats") for r in rows) == len(full) == 4
    assert sum(stats.item_total(r, "processed") for r in rows) == sum(
        1 for c in full if c.processed) == 3
    assert sum(stats.item_total(r, "rating_sum") for r in rows) == 2 + 3 + 4
    assert sum(stats.item_total(r, "rating_n") for r in rows) == 3


def test_a_second_rating_replaces_the_first_in_the_statistics(desk):
    api = _operator(desk)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    api.post(f"/chats/{chat_id}/open")
    customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 2})
    customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 4})
    stats = api.get("/stats")[1]
    assert stats["avg_rating"] == 4.0
    assert [c["chat_id"] for c in api.get("/history?rating=4")[1]["chats"]] == [chat_id]
    assert api.get("/history?rating=2")[1]["chats"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=500", "limit"), ("?cursor=abc", "cursor"),
    ("?status=maybe", "status"), ("?from=2026-11-30&to=2026-11-01", "from"),
    ("?rating=9", "rating"),
])
def test_bad_history_queries_are_400(desk, query, field):
    api = _operator(desk)
    body = assert_error(api.get(f"/history{query}"), 400)
    assert field in body["message"]


def test_stats_refuse_a_bad_period(desk):
    api = _operator(desk)
    assert_error(api.get("/stats?from=nope"), 400)
    assert_error(api.get("/stats?from=2024-01-01&to=2026-01-01"), 400)


# --- tickets ------------------------------------------------------------------------


def test_a_ticket_from_a_live_chat_links_it_and_shows_the_transcript(desk):
    api = _operator(desk)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True, "name": "Hanako",
                                "email": "hanako@example.jp"})["chat"]["chat_id"]
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "m1",
                      "text": "<b>help</b>"})
    status, ticket = api.post(f"/chats/{chat_id}/tickets", {"subject": "Late order",
                                                             "body": "Check with shipping"})
    assert status == 201
    assert (ticket["channel"], ticket["chat_id"], ticket["status"]) == ("chat", chat_id, "open")
    assert ticket["customer"]["name"] == "Hanako"
    assert ticket["customer"]["email"] == "hanako@example.jp"
    assert ticket["created_by"] == api.operator_id and ticket["created_by_name"] == "Operator 1"
    assert api.get(f"/tickets/{ticket['ticket_id']}") == (200, ticket)
    status, tab = api.get(f"/tickets/{ticket['ticket_id']}/chat-history")
    assert status == 200 and tab["chat"]["chat_id"] == chat_id
    assert [m["text"] for m in tab["messages"]][-1] == "<b>help</b>"
    assert [m["seq"] for m in tab["messages"]] == list(range(1, len(tab["messages"]) + 1))


def test_many_tickets_per_chat_listed_newest_first_in_pages(desk):
    api = _operator(desk)
    chat_id = desk.customer().request({"type": "chat.start",
                                       "consent": True})["chat"]["chat_id"]
    made = [api.post(f"/chats/{chat_id}/tickets", {"subject": f"T{n}"})[1]["ticket_id"]
            for n in range(5)]
    seen, cursor = [], None
    while True:
        status, body = api.get("/tickets?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        seen += [t["ticket_id"] for t in body["tickets"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))
    assert_error(api.get("/tickets?cursor=%%%"), 400)


def test_a_ticket_cursor_is_signed_and_only_good_for_its_own_service(desk, client):
    """A client cannot forge a position in the list, nor page another service's."""
    import base64
    import json

    from tests.api.helpers import login
    from tests.conftest import make_tenant

    api = _operator(desk)
    chat_id = desk.customer().request({"type": "chat.start",
                                       "consent": True})["chat"]["chat_id"]
    for n in range(3):
        api.post(f"/chats/{chat_id}/tickets", {"subject": f"T{n}"})
    cursor = api.get("/tickets?limit=1")[1]["next_cursor"]
    encoded, signature = cursor.split(".")
    position = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    forged = {**position, "k": {**position["k"], "created_at": "9999-01-01T00:00:00.000Z"}}
    raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    assert_error(api.get(f"/tickets?cursor={raw}.{signature}"), 400, "bad_request")
    assert_error(api.get(f"/tickets?cursor={raw}"), 400, "bad_request")  # unsigned
    other = make_tenant("globex")
    stranger = login(client, other.service_id, other.admin_email)
    assert_error(stranger.get(f"/tickets?cursor={cursor}"), 400, "bad_request")


def test_only_the_handler_files_tickets_for_a_live_chat_anyone_after_end(desk):
    handler = _operator(desk)
    other = _operator(desk, online=False)
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    assert_error(other.post(f"/chats/{chat_id}/tickets", {"subject": "x"}), 403)
    customer.request({"type": "chat.leave", "chat_id": chat_id})
    assert handler.post(f"/chats/{chat_id}/tickets", {"subject": "after leaving"})[0] == 201
    handler.post(f"/chats/{chat_id}/end")
    assert other.post(f"/chats/{chat_id}/tickets", {"subject": "from history"})[0] == 201


@pytest.mark.parametrize("body", [{}, {"subject": ""}, {"subject": "x" * 201},
                                  {"subject": "ok", "body": 5}])
def test_bad_ticket_is_400(desk, body):
    api = _operator(desk)
    chat_id = desk.customer().request({"type": "chat.start",
                                       "consent": True})["chat"]["chat_id"]
    assert_error(api.post(f"/chats/{chat_id}/tickets", body), 400)
    assert api.get("/tickets")[1]["tickets"] == []


def test_unknown_ticket_and_chat_are_404(desk):
    api = _operator(desk)
    assert_error(api.get("/tickets/tk_nope"), 404)
    assert_error(api.get("/tickets/tk_nope/chat-history"), 404)
    assert_error(api.post("/chats/ch_nope/tickets", {"subject": "x"}), 404)


# --- export -------------------------------------------------------------------------


def _download(url):
    parts = urlsplit(url)
    assert parts.netloc.startswith("test-exports."), url  # virtual-hosted style
    bucket, key = "test-exports", unquote(parts.path.lstrip("/"))
    body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return openpyxl.load_workbook(BytesIO(body))


def test_export_writes_the_search_result_to_a_workbook(desk):
    api = _operator(desk, max_chats=5)
    handled = [_handled_chat(desk, api, desk.customer(), email=f"c{n}@example.jp")
               for n in range(3)]
    abandoned = desk.customer().request({"type": "chat.start",
                                         "consent": True})["chat"]["chat_id"]
    status, job = api.post("/history/exports", {"status": "processed", "language": "en"})
    assert status == 202 and job["status"] == "pending"
    status, job = api.get(f"/history/exports/{job['export_id']}")
    assert status == 200 and job["status"] == "done" and job["rows"] == 3
    assert "attachment" in job["url"] and ".xlsx" in job["url"]
    book = _download(job["url"])
    searched = [c["chat_id"] for c in api.get("/history?status=processed")[1]["chats"]]
    exported = [row[0] for row in book["Chats"].iter_rows(min_row=2, values_only=True)]
    assert exported == searched and set(exported) == set(handled)
    assert abandoned not in exported
    texts = [row[5] for row in book["Messages"].iter_rows(min_row=2, values_only=True)]
    assert "=1+1 my order is late" in texts
    cell = next(c for row in book["Messages"].iter_rows(min_row=2) for c in row
                if c.value == "=1+1 my order is late")
    assert cell.data_type == "s"


def test_an_export_lists_internal_notes_marked_by_their_kind(desk):
    """R-NOTE-1: the messages sheet has the notes in time order, marked."""
    api = _operator(desk)
    chat_id = _handled_chat(desk, api, desk.customer())
    assert api.post(f"/chats/{chat_id}/notes", {"text": "Refund approved by lead"})[0] == 201
    job = api.post("/history/exports", {"language": "en"})[1]
    job = api.get(f"/history/exports/{job['export_id']}")[1]
    rows = list(_download(job["url"])["Messages"].iter_rows(values_only=True))
    assert rows[0][3:7] == ("Sender", "Sender name", "Text", "Kind")
    kinds = [(row[6], row[5]) for row in rows[1:]]
    assert kinds[-1] == ("Internal note", "Refund approved by lead")
    assert ("Message", "=1+1 my order is late") in kinds


def test_an_export_is_in_the_services_zone_and_the_readers_language(desk):
    """R-TZ-1, R-I18N-2: a Tokyo service's export asked from the Japanese console:
    Japanese headers and values, local times with the zone in the header, the
    local date in the file name."""
    desk.admin.put("/settings", {"timezone": "Asia/Tokyo"})
    api = _operator(desk)
    chat_id = _handled_chat(desk, api, desk.customer())
    created = datetime.fromisoformat(Chat.get(chat_id).created_at.replace("Z", "+00:00"))
    local = created.astimezone(ZoneInfo("Asia/Tokyo"))
    day = local.date().isoformat()
    job = api.post("/history/exports", {"from": day, "to": day, "language": "ja"})[1]
    job = api.get(f"/history/exports/{job['export_id']}")[1]
    assert job["status"] == "done" and job["rows"] == 1
    assert f"chat-history-{day}-" in unquote(job["url"])
    book = _download(job["url"])
    assert book.sheetnames[:2] == ["チャット", "メッセージ"]
    sheet = book["チャット"]
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "開始日時 (Asia/Tokyo)" in headers
    row = dict(zip(headers, next(sheet.iter_rows(min_row=2, max_row=2, values_only=True)),
                   strict=False))
    assert row["開始日時 (Asia/Tokyo)"] == local.replace(tzinfo=None, microsecond=(
        local.microsecond // 1000) * 1000)
    assert "処理済み" in row.values()


def test_export_with_bad_filters_is_400_and_unknown_job_404(desk):
    api = _operator(desk)
    assert_error(api.post("/history/exports", {"rating": 0}), 400)
    assert_error(api.post("/history/exports", "[]"), 400)
    assert_error(api.post("/history/exports", {"language": "fr"}), 400)
    assert_error(api.get("/history/exports/ex_nope"), 404)


# --- tenants ------------------------------------------------------------------------


def test_another_service_sees_none_of_it(desk, client):
    api = _operator(desk)
    chat_id = _handled_chat(desk, api, desk.customer())
    ticket = api.post(f"/chats/{chat_id}/tickets", {"subject": "mine"})[1]
    job = api.post("/history/exports", {})[1]
    other = make_tenant("globex")
    outsider = login(client, other.service_id, other.admin_email)
    assert outsider.get("/history")[1]["chats"] == []
    assert outsider.get("/tickets")[1]["tickets"] == []
    assert_error(outsider.get(f"/tickets/{ticket['ticket_id']}"), 404)
    assert_error(outsider.get(f"/tickets/{ticket['ticket_id']}/chat-history"), 404)
    assert_error(outsider.post(f"/chats/{chat_id}/tickets", {"subject": "theirs"}), 404)
    assert_error(outsider.get(f"/history/exports/{job['export_id']}"), 404)
    assert outsider.get("/stats")[1]["chats"] == 0
    assert [o["name"] for o in outsider.get("/team")[1]["operators"]] == ["Admin"]


def test_an_export_whose_worker_cannot_start_fails_cleanly(desk, monkeypatch):
    from chalicelib.errors import Unavailable
    from chalicelib.models import ExportJob
    from chalicelib.services import exports, history
    from chalicelib.services.access import Actor

    api = _operator(desk)
    monkeypatch.delenv("EXPORT_INVOKE")  # moto has no export_worker function to invoke
    body = assert_error(api.post("/history/exports", {}), 503, "unavailable")
    assert "try again" in body["message"]
    tried = []

    def broken_launcher(export_id):
        tried.append(export_id)
        raise ConnectionError("Lambda unreachable")

    actor = Actor(service_id="acme", role="operator", subject_id=api.operator_id)
    with pytest.raises(Unavailable):
        exports.start(actor, history.parse_filter({}), broken_launcher)
    job = ExportJob.get(tried[0])
    assert (job.status, job.error) == ("failed", "worker_not_started")


def test_an_export_runs_searches_by_a_whole_name_or_a_part_of_one(desk):
    """One character searches whole names (the name index), a whole address
    that address (the email index), two or more characters any part (the term
    index, R-CH-3b): the export worker runs all three."""
    api = _operator(desk)
    _handled_chat(desk, api, desk.customer(), name="山", email="yama@example.jp")
    _handled_chat(desk, api, desk.customer(), name="山田 花子", email="hanako@example.jp")
    for q, rows in (("山", 1), ("花子", 1), ("example.jp", 2), ("Yama@Example.jp", 1)):
        job = api.post("/history/exports", {"q": q, "language": "en"})[1]
        job = api.get(f"/history/exports/{job['export_id']}")[1]
        assert (job["status"], job["rows"]) == ("done", rows), q
