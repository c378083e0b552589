"""WebSocket `$connect` / `$disconnect` through the real handlers (R-SET-1,
API.md: tickets are single use; a disabled service or a bad Origin is refused)."""

import pytest

from chalicelib.models import Connection
from tests.api.ws_gateway import connect, posted


def _ticket(desk, page_origin=None):
    body = {"page_origin": page_origin} if page_origin else {}
    return desk.public.post(f"/widget/{desk.tenant.widget_key}/session", body)[1]


def test_connect_records_who_where_and_which_device_and_sends_nothing(desk):
    session = _ticket(desk)
    status, socket = connect(desk.client, session["ticket"], ip="203.0.113.77")
    assert status == 200
    record = Connection.get(socket.connection_id)
    assert (record.role, record.service_id, record.subject_id) == (
        "customer", "acme", session["customer_id"])
    assert record.ip == "203.0.113.77"
    assert record.device == "Chrome 126 on Windows (desktop)"
    assert record.expires_at is not None
    assert posted(socket.connection_id) == []


def test_a_ticket_opens_one_connection_only(desk):
    ticket = _ticket(desk)["ticket"]
    assert connect(desk.client, ticket)[0] == 200
    assert connect(desk.client, ticket)[0] == 401


@pytest.mark.parametrize("ticket", [None, "", "not-a-ticket"])
def test_a_missing_or_unknown_ticket_is_refused(desk, ticket):
    status, socket = connect(desk.client, ticket)
    assert status == 401
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(socket.connection_id)


def test_customers_are_refused_while_chat_is_disabled(desk):
    ticket = _ticket(desk)["ticket"]
    desk.admin.put("/settings", {"chat_enabled": False})
    assert connect(desk.client, ticket)[0] == 403


def test_customers_are_refused_from_an_origin_not_allowed(desk, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://chat.example.net")
    desk.admin.put("/settings", {"allowed_origins": ["https://shop.example.com"]})
    shop = "https://shop.example.com"
    assert connect(desk.client, _ticket(desk, shop)["ticket"], origin="https://evil.example")[0] \
        == 403
    assert connect(desk.client, _ticket(desk, shop)["ticket"], origin=None)[0] == 403
    assert connect(desk.client, _ticket(desk, shop)["ticket"], origin=shop)[0] == 200
    # The widget's chat frame connects from the widget's own origin; the host
    # page's origin was checked when the frame asked for its ticket.
    assert connect(desk.client, _ticket(desk, shop)["ticket"],
                   origin="https://chat.example.net")[0] == 200


def test_operators_connect_with_a_console_ticket(desk):
    api, socket = desk.operator()
    record = Connection.get(socket.connection_id)
    assert (record.role, record.subject_id, record.name) == (
        "operator", api.operator_id, "Operator 1")


def test_disconnect_forgets_the_connection_and_its_chat_stops_pushing_to_it(desk):
    _api, console = desk.operator()
    customer = desk.customer()
    chat = customer.request({"type": "chat.start", "consent": True})["chat"]
    customer.close()
    with pytest.raises(Connection.DoesNotExist):
        Connection.get(customer.connection_id)
    console.request({"type": "message.send", "chat_id": chat["chat_id"],
                     "client_msg_id": "o1", "text": "still there?"})
    assert customer.frames("message") == []


def test_an_operators_last_console_closing_leaves_their_chats_for_the_sweep_to_look_at(desk):
    """A reload is not leaving: the chat stays theirs, and the sweep looks at it
    once the grace period has passed (R-RT-4)."""
    from chalicelib import clock
    from chalicelib.models import Chat, ChatHead
    from chalicelib.services import presence

    api, console = desk.operator()
    chat_id = desk.customer().request({"type": "chat.start",
                                       "consent": True})["chat"]["chat_id"]
    assert console.connection_id in ChatHead.get(chat_id).listeners.as_dict()
    console.close()
    assert console.connection_id not in ChatHead.get(chat_id).listeners.as_dict()
    held = Chat.get(chat_id)
    assert held.operator_id == api.operator_id
    grace = clock.parse_iso(held.sweep_at) - clock.now()
    assert 0 < grace.total_seconds() <= presence.DISCONNECT_GRACE_S
