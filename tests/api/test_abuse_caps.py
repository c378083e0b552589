"""R-SEC-4 and R-SEC-5: abuse costs the abuser. Caps on chats open from one
address and on the queue, one frame allowance per chat and sender however many
sockets, visitors who never chat are forgotten, exports bounded in period and in
number running; the channel is the server's to set; only served chats are
rated."""

from datetime import timedelta

from chalicelib import clock
from chalicelib.models import Chat, Customer, ExportJob
from chalicelib.services import exports
from tests.api.helpers import assert_error, scheduled_event


def _start(socket, **fields):
    return socket.request({"type": "chat.start", "consent": True, **fields})


def _refused(reply, code):
    assert reply["type"] == "error", reply
    assert reply["code"] == code, reply
    assert reply["message"]


# --- chats open from one address -------------------------------------------------


def test_an_address_opens_at_most_its_cap_of_chats_and_a_closed_one_frees_a_place(desk):
    assert desk.admin.put("/settings", {"max_open_chats_per_address": 3})[0] == 200
    shop = "198.51.100.40"
    started = [_start(desk.customer(ip=shop)) for _ in range(3)]
    assert all(s["type"] == "chat.started" for s in started)
    fourth = desk.customer(ip=shop)
    _refused(_start(fourth), "too_many_chats")
    assert Chat.by_service.count("acme") == 3  # nothing was stored for it
    # Another address is not affected.
    assert _start(desk.customer(ip="203.0.113.99"))["type"] == "chat.started"


def test_leaving_or_ending_gives_the_place_back(desk):
    assert desk.admin.put("/settings", {"max_open_chats_per_address": 2})[0] == 200
    shop = "198.51.100.41"
    first, second = desk.customer(ip=shop), desk.customer(ip=shop)
    first_chat = _start(first)["chat"]["chat_id"]
    second_chat = _start(second)["chat"]["chat_id"]
    _refused(_start(desk.customer(ip=shop)), "too_many_chats")

    assert first.request({"type": "chat.leave", "chat_id": first_chat})["type"] == "chat.left"
    assert _start(desk.customer(ip=shop))["type"] == "chat.started"
    _refused(_start(desk.customer(ip=shop)), "too_many_chats")

    assert desk.admin.post(f"/chats/{second_chat}/end")[0] == 200
    assert _start(desk.customer(ip=shop))["type"] == "chat.started"


def test_a_customer_with_an_open_chat_gets_it_back_even_at_the_cap(desk):
    assert desk.admin.put("/settings", {"max_open_chats_per_address": 1})[0] == 200
    customer = desk.customer(ip="198.51.100.42")
    chat_id = _start(customer)["chat"]["chat_id"]
    again = _start(customer)
    assert again["type"] == "chat.started" and again["chat"]["chat_id"] == chat_id


# --- the queue -------------------------------------------------------------------


def test_a_full_queue_refuses_new_chats_with_queue_full(desk):
    assert desk.admin.put("/settings", {"max_queue": 2})[0] == 200
    waiting = [desk.customer(ip=f"203.0.113.{n}") for n in (1, 2)]
    assert [_start(c)["chat"]["queue_position"] for c in waiting] == [1, 2]
    late = desk.customer(ip="203.0.113.3")
    _refused(_start(late, name="Late Larry"), "queue_full")
    assert Chat.by_service.count("acme") == 2
    # Someone comes online: the queue drains, and there is room again.
    desk.operator(max_chats=5)
    assert _start(late)["type"] == "chat.started"


def test_queue_positions_reach_the_front_of_the_queue_at_once_and_everyone_each_minute(
    desk, client
):
    from chalicelib.services import routing

    sockets = [desk.customer(ip=f"203.0.114.{n}") for n in range(routing.QUEUE_PUSH_HEAD + 4)]
    chats = [_start(s)["chat"]["chat_id"] for s in sockets]
    for socket in sockets:
        socket.new_frames()
    # The first in the queue leaves: everyone moves up one place.
    assert sockets[0].request({"type": "chat.leave", "chat_id": chats[0]})["type"] == "chat.left"
    told = [bool(s.new_frames("chat.queued")) for s in sockets[1:]]
    assert told == [True] * routing.QUEUE_PUSH_HEAD + [False] * 3
    # The minute sweep (here: its Lambda, once the chats are due) tells every
    # waiting customer their place.
    for chat_id in chats[1:]:
        Chat(chat_id=chat_id).update(actions=[Chat.sweep_at.set(clock.iso(clock.now()))])
    client.lambda_.invoke("sweep", scheduled_event(clock.now()))
    last = sockets[-1].new_frames("chat.queued")
    assert last and last[-1]["queue_position"] == len(sockets) - 1


# --- the frame allowance per chat and sender -----------------------------------------


def _flood(sockets, chat_id, count):
    """Send `count` messages round robin over the sockets, all at one instant
    (the clock is pinned: nothing refills meanwhile); how many were stored."""
    accepted = 0
    for n in range(count):
        socket = sockets[n % len(sockets)]
        reply = socket.request({"type": "message.send", "chat_id": chat_id,
                                "client_msg_id": f"flood-{n}", "text": "x" * 2000})
        if reply["type"] == "message.ack":
            accepted += 1
        else:
            assert reply["code"] == "rate_limited", reply
    return accepted, count


def test_three_sockets_on_one_chat_get_no_more_messages_in_than_one(desk, monkeypatch):
    one = desk.customer(ip="203.0.113.70")
    single_chat = _start(one)["chat"]["chat_id"]
    three = [desk.customer(ip="203.0.113.71")]
    triple_chat = _start(three[0])["chat"]["chat_id"]
    for _ in range(2):  # the same customer's other tabs, listening to the chat
        tab = desk.customer(ip="203.0.113.71", visitor_token=three[0].visitor_token)
        assert tab.request({"type": "chat.resume", "chat_id": triple_chat,
                            "after_seq": 0})["type"] == "chat.history"
        three.append(tab)
    instant = clock.now()
    monkeypatch.setattr(clock, "now", lambda: instant)
    alone, sent_alone = _flood([one], single_chat, 80)
    together, sent_together = _flood(three, triple_chat, 80)
    print(f"one socket: {alone} of {sent_alone} stored; three sockets: {together} of "
          f"{sent_together} stored")
    assert sent_alone > alone and sent_together > together  # both were limited
    # One allowance for the sender in the chat: three sockets buy nothing.
    assert together == alone, (alone, together)


# --- visitors who never chat ----------------------------------------------------------


def test_a_visitor_who_never_chats_expires_and_one_who_chats_is_kept(desk):
    visitor = desk.customer()
    record = Customer.get("acme", visitor.customer_id)
    assert record.expires_at is not None
    assert record.expires_at > clock.now() + timedelta(days=29)
    chatting = desk.customer()
    chat = _start(chatting)["chat"]
    # One who chats is kept as long as their newest chat (R-PRIV-1: 365 days).
    kept = Customer.get("acme", chatting.customer_id)
    assert kept.chatted
    assert kept.expires_at == Chat.get(chat["chat_id"]).expires_at
    assert kept.expires_at > clock.now() + timedelta(days=364)
    # Coming back does not make a customer who chatted expire as a visitor again.
    again = desk.customer(visitor_token=chatting.visitor_token)
    assert again.customer_id == chatting.customer_id
    assert Customer.get("acme", chatting.customer_id).expires_at == kept.expires_at


# --- the channel is the server's -----------------------------------------------------


def test_the_channel_comes_from_the_services_list(desk):
    customer = desk.customer()
    reply = _start(customer, channel="phone")
    _refused(reply, "bad_request")
    assert "channel" in reply["message"]
    assert Chat.by_service.count("acme") == 0
    assert desk.admin.put("/settings", {"channels": ["widget", "campaign"]})[0] == 200
    chat = _start(customer, channel="campaign")["chat"]
    assert desk.admin.get(f"/chats/{chat['chat_id']}")[1]["inquiry"]["channel"] == "campaign"
    assert_error(desk.admin.put("/settings", {"channels": ["Phone!"]}), 400)
    assert_error(desk.admin.put("/settings", {"channels": []}), 400)


# --- ratings ---------------------------------------------------------------------------


def test_only_a_chat_an_operator_took_can_be_rated(desk):
    customer = desk.customer()
    chat_id = _start(customer)["chat"]["chat_id"]  # nobody online: it waits
    _refused(customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 1}),
             "not_served")
    assert Chat.get(chat_id).rating is None
    desk.operator()  # comes online and takes it
    saved = customer.request({"type": "rating.submit", "chat_id": chat_id, "score": 5})
    assert saved["type"] == "rating.saved"


# --- exports -----------------------------------------------------------------------


def test_an_export_covers_at_most_a_year(desk, monkeypatch):
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    body = assert_error(desk.admin.post("/history/exports", {"from": "1900-01-01",
                                                             "to": "9990-12-31"}),
                        400, "period_too_long")
    assert "366" in body["message"]
    assert ExportJob.count() == 0


def test_at_most_two_exports_run_at_once_in_a_service(desk, monkeypatch):
    started = []
    monkeypatch.setattr(exports, "launcher", lambda: started.append)  # workers never finish
    for _ in range(2):
        assert desk.admin.post("/history/exports", {})[0] == 202
    assert_error(desk.admin.post("/history/exports", {}), 429, "too_many_exports")
    assert len(started) == 2
    # One finishes (here: fails): there is room for another.
    job = ExportJob.get(started[0])
    exports._finish(job, failed="test")
    assert desk.admin.post("/history/exports", {})[0] == 202


def test_a_worker_that_vanished_frees_its_place_after_its_longest_run(desk, monkeypatch):
    started = []
    monkeypatch.setattr(exports, "launcher", lambda: started.append)
    for _ in range(2):
        assert desk.admin.post("/history/exports", {})[0] == 202
    long_ago = clock.iso(clock.now() - exports.WORKER_LIMIT - timedelta(minutes=1))
    ExportJob(export_id=started[0]).update(actions=[ExportJob.created_at.set(long_ago)])
    assert desk.admin.post("/history/exports", {})[0] == 202
    lost = ExportJob.get(started[0])
    assert (lost.status, lost.error) == ("failed", "worker_lost")
