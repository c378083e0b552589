"""R-SEC-2: a session ends everywhere at once. Logout, deleting an account, a
role change or a password change closes that operator's open WebSockets
(`DELETE @connections`), drops them from every chat they listened to, and
nothing they send afterwards is accepted; earlier tokens stop working."""


from chalicelib.models import Connection, Operator
from tests.api.helpers import assert_error, login
from tests.api.ws_gateway import connect, posted
from tests.conftest import OPERATOR_PASSWORD


def _chatting(desk, api):
    """A customer whose chat the operator `api` holds and opened."""
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    assert desk.admin.get(f"/chats/{chat_id}")[1]["operator_id"] == api.operator_id
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    return chat_id, customer


def _send(socket, chat_id, text, cmid):
    return socket.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": cmid,
                           "text": text})


def _texts(socket):
    return [f["message"]["text"] for f in posted(socket.connection_id) if f["type"] == "message"]


def _refused(reply):
    assert reply["type"] == "error", reply
    assert reply["code"] in ("unknown_connection", "session_ended"), reply


def test_logout_closes_the_operators_sockets_and_sets_them_offline(desk):
    api, console = desk.operator()
    chat_id, customer = _chatting(desk, api)
    assert _send(console, chat_id, "hello", "o1")["type"] == "message.ack"

    assert api.post("/auth/logout")[0] == 204
    assert api.get("/me")[0] == 401
    assert console.closed
    assert Connection.count(console.connection_id) == 0
    operator = Operator.get(desk.tenant.service_id, api.operator_id, consistent_read=True)
    assert operator.status == "offline" and operator.online_service_id is None

    # The customer's next message never reaches the old socket ...
    assert _send(customer, chat_id, "are you there?", "c1")["type"] == "message.ack"
    assert "are you there?" not in _texts(console)
    # ... and a frame that was still in flight from it is refused, storing nothing.
    _refused(_send(console, chat_id, "sneaky reply", "o2"))
    history = customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    assert "sneaky reply" not in [m["text"] for m in history["messages"]]


def test_logout_ends_only_that_sessions_sockets(desk):
    api, console = desk.operator()
    email = desk.admin.get(f"/operators/{api.operator_id}")[1]["email"]
    other = login(desk.client, desk.tenant.service_id, email, OPERATOR_PASSWORD)
    status, socket = connect(desk.client, other.post("/auth/ws-ticket")[1]["ticket"], origin=None)
    assert status == 200
    assert api.post("/auth/logout")[0] == 204
    assert console.closed and not socket.closed
    assert other.get("/me")[0] == 200
    assert socket.request({"type": "ping"})["type"] == "pong"


def test_every_operator_frame_checks_its_session_even_on_a_socket_missed_at_logout(desk):
    """A socket opened in the instant of logout may not be in the connections index
    yet when logout closes the session's sockets: its own frames find the session
    gone, are refused, and the socket is closed then."""
    from chalicelib import auth
    from chalicelib.services import sessions

    api, console = desk.operator()
    chat_id, customer = _chatting(desk, api)
    assert _send(console, chat_id, "hello", "o1")["type"] == "message.ack"
    session_id = Connection.get(console.connection_id).session_id
    auth.revoke_session(session_id)  # the session ends; this socket was not found
    sessions.forget_live_sessions(api.operator_id)  # as in any other Lambda, 10 s on
    reply = _send(console, chat_id, "after logout", "o2")
    assert (reply["type"], reply["code"]) == ("error", "session_ended")
    assert console.closed
    assert Connection.count(console.connection_id) == 0
    assert "after logout" not in _texts(customer)


def test_a_ticket_issued_before_logout_cannot_connect_after_it(desk):
    api, _console = desk.operator()
    ticket = api.post("/auth/ws-ticket")[1]["ticket"]
    assert api.post("/auth/logout")[0] == 204
    status, _socket = connect(desk.client, ticket, origin=None)
    assert status == 401


def test_a_demoted_admin_loses_their_socket_and_cannot_send_into_others_chats(desk):
    api, _console = desk.operator()
    chat_id, customer = _chatting(desk, api)
    boss, boss_socket = desk.operator(role="admin", online=False)
    boss_socket.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0})
    assert _send(boss_socket, chat_id, "admin here", "b1")["type"] == "message.ack"

    assert desk.admin.put(f"/operators/{boss.operator_id}", {"role": "operator"})[0] == 200
    assert boss_socket.closed
    _refused(_send(boss_socket, chat_id, "still admin?", "b2"))
    assert "still admin?" not in _texts(customer)
    # Their REST token now has an operator's powers only.
    assert_error(boss.get("/settings"), 403, "admin_only")
    assert_error(boss.post(f"/chats/{chat_id}/end"), 403)


def test_a_deleted_operator_cannot_read_or_write_over_an_open_socket(desk):
    api, _console = desk.operator()
    chat_id, customer = _chatting(desk, api)
    gone, socket = desk.operator(online=False)
    assert socket.request({"type": "chat.resume", "chat_id": chat_id,
                           "after_seq": 0})["type"] == "chat.history"

    assert desk.admin.delete(f"/operators/{gone.operator_id}")[0] == 204
    assert socket.closed
    assert gone.get("/me")[0] == 401
    _refused(socket.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0}))
    _refused(_send(socket, chat_id, "from beyond", "g1"))
    assert "from beyond" not in _texts(customer)


def test_a_password_reset_ends_every_token_and_socket_of_that_operator(desk):
    api, console = desk.operator()
    ticket = api.post("/auth/ws-ticket")[1]["ticket"]
    assert desk.admin.put(f"/operators/{api.operator_id}",
                          {"password": "a-brand-new-password"})[0] == 200
    assert_error(api.get("/me"), 401)
    assert console.closed
    assert connect(desk.client, ticket, origin=None)[0] == 401
    email = desk.admin.get(f"/operators/{api.operator_id}")[1]["email"]
    assert_error(desk.public.post("/auth/login", {"service_id": desk.tenant.service_id,
                                                   "email": email,
                                                   "password": OPERATOR_PASSWORD}), 401)
    fresh = login(desk.client, desk.tenant.service_id, email, "a-brand-new-password")
    assert fresh.get("/me")[0] == 200


def test_renaming_an_operator_keeps_their_session(desk):
    api, console = desk.operator()
    assert desk.admin.put(f"/operators/{api.operator_id}", {"name": "Renamed"})[0] == 200
    assert api.get("/me")[1]["name"] == "Renamed"
    assert not console.closed


# --- visitors (R-SEC-6) ----------------------------------------------------------------


def test_an_admin_signs_a_visitor_out_everywhere(desk):
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    assert desk.admin.post(f"/customers/{customer.customer_id}/sign-out")[0] == 204
    assert customer.closed
    _refused(customer.request({"type": "chat.resume", "chat_id": chat_id, "after_seq": 0}))
    # The old visitor token now names nobody: that browser is a new visitor.
    status, session = desk.public.post(f"/widget/{desk.tenant.widget_key}/session",
                                       {"visitor_token": customer.visitor_token})
    assert status == 200
    assert session["customer_id"] != customer.customer_id and session["open_chat"] is None
    # Only admins, only their own service's customers.
    operator, _console = desk.operator()
    assert_error(operator.post(f"/customers/{customer.customer_id}/sign-out"), 403)
    assert_error(desk.admin.post("/customers/cu_nobody/sign-out"), 404)


def test_each_session_hands_out_a_fresh_visitor_token_that_lives_30_days(desk):
    import jwt

    from chalicelib import auth

    first = desk.customer()
    claims = jwt.decode(first.visitor_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == auth.VISITOR_TOKEN_TTL_S == 30 * 24 * 3600
    again = desk.customer(visitor_token=first.visitor_token)
    assert again.customer_id == first.customer_id
