"""Seeing the floor (R-SUP-1, R-VIS-1) over the real handlers: the live monitor
from indexes (admins only), and the pages a visitor views while their chat is
open, kept (fragment and, by default, query dropped; one a second; the last
20) and pushed to the chat's operators, with the referrer and earlier chats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from tests.api.helpers import assert_error
from tests.api.ws_gateway import Desk


def _start(customer: Any, **extra: Any) -> str:
    reply = customer.request({"type": "chat.start", "consent": True, **extra})
    assert reply["type"] == "chat.started", reply
    return reply["chat"]["chat_id"]


class Clock:
    """The app's clock, moved by the test (sessions are made before it is pinned)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def tick(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def view(customer: Any, chat_id: str, url: str, **extra: Any) -> list[dict[str, Any]]:
    """Send a page.view; the replies that name it (none when it is kept)."""
    frame_id = f"pv-{url[-24:]}"
    customer.send({"type": "page.view", "chat_id": chat_id, "url": url, "id": frame_id, **extra})
    return [f for f in customer.frames() if f.get("re") == frame_id]


# --- visitor context ----------------------------------------------------------------------


def test_pages_are_kept_without_fragment_or_query_and_pushed_to_the_operator(desk, monkeypatch):
    operator, console = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    now = Clock(monkeypatch)
    page = "https://shop.example.com/products/42?ref=mail&token=s3cr3t#reviews"
    assert view(customer, chat_id, page, title="Kettle\u202e\u0000 — Shop",
                referrer="https://search.example/?q=kettle") == []
    [pushed] = console.new_frames("visitor.page")
    assert pushed["chat_id"] == chat_id
    assert pushed["page"]["url"] == "https://shop.example.com/products/42"
    assert pushed["page"]["title"] == "Kettle — Shop"
    # One page a second is kept: another within it takes its place.
    view(customer, chat_id, "https://shop.example.com/basket")
    assert [f["page"]["url"] for f in console.new_frames("visitor.page")] == [
        "https://shop.example.com/basket"]
    now.tick(1.5)
    view(customer, chat_id, "https://shop.example.com/cart")
    assert [f["page"]["url"] for f in console.new_frames("visitor.page")] == [
        "https://shop.example.com/cart"]
    status, chat = operator.get(f"/chats/{chat_id}")
    assert status == 200
    visitor = chat["visitor"]
    assert visitor["referrer"] == "https://search.example/"
    assert [p["url"] for p in visitor["pages"]] == ["https://shop.example.com/basket",
                                                    "https://shop.example.com/cart"]
    assert visitor["current_page"]["url"] == "https://shop.example.com/cart"
    assert visitor["previous_chats"] == 0
    # The customer never hears of it.
    assert customer.frames("visitor.page") == []


def test_query_strings_are_kept_when_the_service_allows_and_only_20_pages(desk, monkeypatch):
    operator, _ = desk.operator()
    assert desk.admin.put("/settings", {"page_query_strings": True})[0] == 200
    customer = desk.customer()
    chat_id = _start(customer)
    now = Clock(monkeypatch)
    for n in range(25):
        view(customer, chat_id, f"https://shop.example.com/p?id={n}#x")
        now.tick(1)
    pages = operator.get(f"/chats/{chat_id}")[1]["visitor"]["pages"]
    assert len(pages) == 20
    assert pages[0]["url"] == "https://shop.example.com/p?id=5"
    assert pages[-1]["url"] == "https://shop.example.com/p?id=24"


def test_earlier_chats_are_counted_and_listed_in_history_by_customer(desk):
    operator, _ = desk.operator(max_chats=5)
    customer = desk.customer()
    first = _start(customer)
    assert operator.post(f"/chats/{first}/end")[0] == 200
    tab = desk.customer(visitor_token=customer.visitor_token)
    second = _start(tab)
    assert second != first
    assert operator.get(f"/chats/{second}")[1]["visitor"]["previous_chats"] == 1
    assert operator.get(f"/chats/{first}")[1]["visitor"]["previous_chats"] == 0
    other = desk.customer(ip="203.0.113.88")
    _start(other)
    status, found = operator.get(f"/history?customer_id={customer.customer_id}")
    assert status == 200, found
    assert [c["chat_id"] for c in found["chats"]] == [second, first]
    assert operator.get("/history?customer_id=nobody")[1]["chats"] == []
    assert_error(operator.get("/history?customer_id=" + "x" * 101), 400)


@pytest.mark.parametrize(("frame", "code"), [
    ({"url": "javascript:alert(1)"}, "bad_request"),
    ({"url": "data:text/html,<script>alert(1)</script>"}, "bad_request"),
    ({"url": "ftp://x.example/"}, "bad_request"),
    ({"url": "https://x.example/" + "a" * 2000}, "bad_request"),
    ({"url": "https://exa mple.com/"}, "bad_request"),
    ({"url": "https://x.example:99999/"}, "bad_request"),
    ({"url": 7}, "bad_request"),
    ({"url": "https://x.example/", "title": ["x"]}, "bad_request"),
    ({"url": "https://x.example/", "referrer": "javascript:x"}, "bad_request"),
    ({}, "bad_request"),
])
def test_bad_page_views_are_refused_and_nothing_kept(desk, frame, code):
    operator, console = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    reply = customer.request({"type": "page.view", "chat_id": chat_id, **frame})
    assert reply["type"] == "error" and reply["code"] == code, reply
    assert console.new_frames("visitor.page") == []
    assert operator.get(f"/chats/{chat_id}")[1]["visitor"]["pages"] == []


def test_page_views_of_other_chats_or_from_operators_are_refused(desk):
    operator, console = desk.operator(max_chats=5)
    mine = _start(desk.customer())
    other = desk.customer(ip="203.0.113.90")
    reply = other.request({"type": "page.view", "chat_id": mine, "url": "https://x.example/"})
    assert reply["code"] == "not_found"
    reply = console.request({"type": "page.view", "chat_id": mine, "url": "https://x.example/"})
    assert reply["code"] == "forbidden"
    assert operator.get(f"/chats/{mine}")[1]["visitor"]["pages"] == []


def test_a_flood_of_page_views_is_rate_limited(desk, monkeypatch):
    _, console = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    Clock(monkeypatch)  # all at one instant
    codes = set()
    for n in range(80):
        for reply in view(customer, chat_id, f"https://x.example/{n:04d}"):
            codes.add(reply["code"])
    assert codes == {"rate_limited"}
    # One page a second was kept of the flood, whatever it sent: the last let in.
    pages = desk.admin.get(f"/chats/{chat_id}")[1]["visitor"]["pages"]
    assert len(pages) == 1 and pages[0]["url"] == console.frames("visitor.page")[-1]["page"]["url"]


# --- the live monitor ---------------------------------------------------------------------


def test_the_monitor_shows_operators_the_queue_and_unanswered_time(desk, monkeypatch):
    operator, console = desk.operator(max_chats=1)
    busy = desk.customer()
    busy_chat = _start(busy, name="Ann")
    waiting = desk.customer(ip="203.0.113.81")
    waiting_chat = _start(waiting, name="Ben")
    now = Clock(monkeypatch)
    busy.request({"type": "message.send", "chat_id": busy_chat, "client_msg_id": "c1",
                  "text": "hello?"})
    now.tick(95)
    status, floor = desk.admin.get("/monitor")
    assert status == 200, floor
    assert floor["queue_length"] == 1
    by_id = {c["chat_id"]: c for c in floor["chats"]}
    assert by_id[waiting_chat]["status"] == "waiting"
    assert by_id[waiting_chat]["queue_position"] == 1
    assert by_id[waiting_chat]["waiting_s"] >= 95
    assert by_id[waiting_chat]["customer_name"] == "Ben"
    held = by_id[busy_chat]
    assert held["operator_id"] == operator.operator_id and held["operator_name"] == "Operator 1"
    assert held["queue_position"] is None and held["waiting_s"] is None
    assert held["unanswered_s"] == 95
    ops = {o["operator_id"]: o for o in floor["operators"]}
    assert ops[operator.operator_id] | {} == {**ops[operator.operator_id], "status": "online",
                                             "open_chats": 1, "max_chats": 1}
    # The operator answers: the customer no longer waits.
    console.request({"type": "message.send", "chat_id": busy_chat, "client_msg_id": "o1",
                     "text": "Here!"})
    floor = desk.admin.get("/monitor")[1]
    held = {c["chat_id"]: c for c in floor["chats"]}[busy_chat]
    assert held["unanswered_s"] is None and held["last_message_at"] is not None


def test_the_monitor_is_for_admins_of_the_service(desk, client):
    from tests.conftest import make_tenant

    operator, _ = desk.operator()
    assert_error(operator.get("/monitor"), 403)
    _start(desk.customer())
    other = Desk(client, make_tenant("globex"))
    assert other.admin.get("/monitor")[1]["chats"] == []


def test_an_admin_watches_any_chat_live_and_operators_only_read_it(desk):
    """R-SUP-1: an admin's console resumes another operator's chat and hears
    what is said in it from then on."""
    desk.operator()  # the chat's operator
    customer = desk.customer()
    chat_id = _start(customer)
    admin_api, admin_socket = desk.operator(role="admin", online=False)
    watched = admin_socket.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    assert watched["type"] == "chat.history", watched
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "w1",
                      "text": "is anyone there?"})
    assert [f["message"]["text"] for f in admin_socket.new_frames("message")][-1] \
        == "is anyone there?"
    assert admin_api.post(f"/chats/{chat_id}/notes", {"text": "watching this one"})[0] == 201


def test_the_referrer_is_the_first_pages_and_an_ended_chat_takes_no_pages(desk):
    operator, _ = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    view(customer, chat_id, "https://shop.example.com/", referrer="https://first.example/")
    assert operator.post(f"/chats/{chat_id}/end")[0] == 200
    refused = customer.request({"type": "page.view", "chat_id": chat_id,
                                "url": "https://shop.example.com/later",
                                "referrer": "https://second.example/"})
    assert refused["type"] == "error" and refused["code"] == "chat_ended", refused
    visitor = operator.get(f"/chats/{chat_id}")[1]["visitor"]
    assert visitor["referrer"] == "https://first.example/"
    assert [p["url"] for p in visitor["pages"]] == ["https://shop.example.com/"]


def test_a_later_referrer_is_ignored(desk, monkeypatch):
    operator, _ = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    now = Clock(monkeypatch)
    view(customer, chat_id, "https://shop.example.com/a", referrer="https://first.example/")
    now.tick(2)
    view(customer, chat_id, "https://shop.example.com/b", referrer="https://second.example/")
    assert operator.get(f"/chats/{chat_id}")[1]["visitor"]["referrer"] == \
        "https://first.example/"


def test_history_by_customer_filters_by_name_too(desk):
    operator, _ = desk.operator(max_chats=5)
    customer = desk.customer()
    first = _start(customer, name="Ann Lee")
    operator.post(f"/chats/{first}/end")
    second = _start(desk.customer(visitor_token=customer.visitor_token), name="Ann Other")
    status, found = operator.get(f"/history?customer_id={customer.customer_id}&q=Ann%20Lee")
    assert status == 200, found
    assert [c["chat_id"] for c in found["chats"]] == [first]
    assert second not in [c["chat_id"] for c in found["chats"]]


def test_the_customers_wait_runs_from_their_first_unanswered_message(desk, monkeypatch):
    _, console = desk.operator()
    customer = desk.customer()
    chat_id = _start(customer)
    now = Clock(monkeypatch)
    for n in range(2):
        customer.request({"type": "message.send", "chat_id": chat_id,
                          "client_msg_id": f"c{n}", "text": "hello?"})
        now.tick(30)
    row = {c["chat_id"]: c for c in desk.admin.get("/monitor")[1]["chats"]}[chat_id]
    assert row["unanswered_s"] == 60  # from the first, not the second
    console.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "o1",
                     "text": "Here"})
    now.tick(5)
    customer.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": "c9",
                      "text": "thanks, and…"})
    now.tick(10)
    row = {c["chat_id"]: c for c in desk.admin.get("/monitor")[1]["chats"]}[chat_id]
    assert row["unanswered_s"] == 10
