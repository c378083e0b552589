"""The client side of bench/relay_latency.py: chats set up on the product and on
the floor, and conversations over them whose every message is timed from the
sender's send() to the moment the counterpart's socket receives its push.

All sockets of a run live on one asyncio loop; a reader task per socket stamps
each frame as it arrives and hands `message` pushes to whoever waits for that
client message id (the `Switchboard`), so a push is matched to its send however
many chats talk at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

Frame = dict[str, Any]

WIDGET_KEY = "demo"
ADMIN_EMAIL = "admin@demo.test"
DEMO_PASSWORD = "demo-password"
BENCH_PASSWORD = "bench-password-relay"
# API Gateway's integration timeout is 29 s: a push later than this is lost.
LOST_AFTER_S = 30.0
SETUP_TIMEOUT_S = 60.0
# Messages one socket may send in one chat before the product's allowance there
# (60 at once, then one a second) would limit it.
FRAME_BUDGET = 55
# Chats an operator holds: its one console socket speaks for all of them, and the
# floor pairs its sockets the same way.
CHATS_PER_OPERATOR = 2
# A typical customer line (about as long as the widget's average message).
TEXT = "Hello, my order #48213 has not arrived yet; could you check where it is?"


class RelayFailed(AssertionError):
    """A message was lost, refused or delivered to the wrong socket."""


class Switchboard:
    """Which socket should receive each message in flight, and when it did."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[Peer, asyncio.Future[float]]] = {}

    def expect(self, client_msg_id: str, receiver: Peer) -> asyncio.Future[float]:
        arrival: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[client_msg_id] = (receiver, arrival)
        return arrival

    def arrived(self, client_msg_id: str, peer: Peer, at: float) -> None:
        entry = self._waiting.pop(client_msg_id, None)
        if entry is None or entry[1].done():
            return  # the greeting, or a message this run does not time
        receiver, arrival = entry
        if receiver is peer:
            arrival.set_result(at)
        else:
            arrival.set_exception(
                RelayFailed(f"{client_msg_id} reached {peer.label}, not {receiver.label}")
            )

    def refused(self, client_msg_id: str, frame: Frame) -> None:
        """The sender was answered with an error instead of a relay."""
        entry = self._waiting.pop(client_msg_id, None)
        if entry is not None and not entry[1].done():
            entry[1].set_exception(RelayFailed(f"{client_msg_id} refused: {frame}"))


class Peer:
    """One WebSocket of the run and the frames it has received but nobody took yet."""

    def __init__(
        self, socket: aiohttp.ClientWebSocketResponse, label: str, board: Switchboard
    ) -> None:
        self.socket = socket
        self.label = label
        self.board = board
        self.frames: list[Frame] = []
        self._arrival = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for received in self.socket:
            at = time.perf_counter()
            if received.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(received.data)
            kind = frame.get("type")
            if kind == "message":
                self.board.arrived(str(frame["message"].get("client_msg_id")), self, at)
            elif kind == "error" and isinstance(frame.get("re"), str):
                self.board.refused(frame["re"], frame)
            elif kind != "message.ack":
                self.frames.append(frame)
                self._arrival.set()

    async def send(self, frame: Frame) -> None:
        await self.socket.send_str(json.dumps(frame))

    async def wait_for(
        self,
        kind: str,
        where: Callable[[Frame], bool] = lambda f: True,
        timeout: float = SETUP_TIMEOUT_S,
    ) -> Frame:
        """The first frame of this type that matches, received before or later."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if frame.get("type") == kind and where(frame):
                    self.frames.remove(frame)
                    return frame
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), deadline - time.monotonic())
            except TimeoutError:
                raise RelayFailed(
                    f"{self.label}: no {kind!r} within {timeout} s; saw {self.frames[-5:]}"
                ) from None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.socket.close()
        self._reader.cancel()


@dataclass
class Pair:
    """One chat: the customer's socket and the socket of the operator holding it."""

    chat_id: str
    customer: Peer
    operator: Peer


@dataclass
class Relay:
    """The chats of one stack, ready to talk."""

    name: str
    pairs: list[Pair]
    peers: list[Peer]

    async def close(self) -> None:
        await asyncio.gather(*(peer.close() for peer in self.peers))


# --- talking ------------------------------------------------------------------


async def relay_one(sender: Peer, receiver: Peer, chat_id: str) -> float:
    """Seconds from sending one message to its push reaching the counterpart."""
    client_msg_id = uuid.uuid4().hex
    arrival = sender.board.expect(client_msg_id, receiver)
    frame = {
        "type": "message.send",
        "id": client_msg_id,
        "chat_id": chat_id,
        "client_msg_id": client_msg_id,
        "text": TEXT,
    }
    sent = time.perf_counter()
    await sender.send(frame)
    try:
        arrived = await asyncio.wait_for(arrival, LOST_AFTER_S)
    except TimeoutError:
        raise RelayFailed(
            f"lost: {client_msg_id} from {sender.label} never reached "
            f"{receiver.label} within {LOST_AFTER_S} s"
        ) from None
    return arrived - sent


async def converse(pair: Pair, messages: int) -> list[float]:
    """The customer and the operator take turns, `messages` each."""
    latencies = []
    for _ in range(messages):
        latencies.append(await relay_one(pair.customer, pair.operator, pair.chat_id))
        latencies.append(await relay_one(pair.operator, pair.customer, pair.chat_id))
    return latencies


async def talk(relay: Relay, messages: int) -> list[float]:
    """Every chat of the relay at once; all the latencies measured."""
    rounds = await asyncio.gather(*(converse(pair, messages) for pair in relay.pairs))
    return [latency for chat in rounds for latency in chat]


# --- the product ------------------------------------------------------------------


class Api:
    """The product's REST API under /api of one stack."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url + "/api"

    async def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 300:
                raise RelayFailed(f"{method} {path}: {response.status} {text}")
            return json.loads(text) if text else None

    async def login(self, email: str, password: str) -> dict[str, Any]:
        return dict(
            await self.call(
                "POST", "/auth/login", {"service_id": "demo", "email": email, "password": password}
            )
        )


async def _socket(session: aiohttp.ClientSession, url: str, label: str, board: Switchboard) -> Peer:
    socket = await session.ws_connect(url, autoping=True, max_msg_size=0)
    return Peer(socket, label, board)


async def _online_operator(
    api: Api, admin_token: str, email: str, capacity: int, board: Switchboard
) -> tuple[str, str, Peer]:
    """A new operator holding up to `capacity` chats: (id, token, console socket), online."""
    await api.call(
        "POST",
        "/operators",
        {
            "email": email,
            "name": email.split("@")[0],
            "password": BENCH_PASSWORD,
            "role": "operator",
            "max_chats": capacity,
        },
        admin_token,
    )
    login = await api.login(email, BENCH_PASSWORD)
    token = login["token"]
    ticket = await api.call("POST", "/auth/ws-ticket", {}, token)
    peer = await _socket(api.session, f"{ticket['ws_url']}?ticket={ticket['ticket']}", email, board)
    await api.call("PUT", "/me/status", {"status": "online"}, token)
    return login["operator"]["operator_id"], token, peer


async def _started_chat(
    api: Api, admin_token: str, n: int, board: Switchboard
) -> tuple[Peer, dict[str, Any]]:
    """A widget session whose chat has been assigned: (socket, the chat as
    operators see it: the customer's own view names no operator id)."""
    session = await api.call("POST", f"/widget/{WIDGET_KEY}/session", {})
    peer = await _socket(
        api.session, f"{session['ws_url']}?ticket={session['ticket']}", f"customer-{n}", board
    )
    await peer.send({"type": "chat.start", "id": "start", "consent": True, "name": f"Customer {n}"})
    chat = (await peer.wait_for("chat.started", lambda f: f.get("re") == "start"))["chat"]
    if not chat.get("assigned_at"):
        chat = (await peer.wait_for("chat.assigned"))["chat"]
    return peer, await api.call("GET", f"/chats/{chat['chat_id']}", None, admin_token)


async def _take(api: Api, token: str, operator: Peer, chat_id: str) -> None:
    """What the console does when an operator clicks a chat: open it, resume it."""
    await api.call("POST", f"/chats/{chat_id}/open", {}, token)
    await operator.send({"type": "chat.resume", "id": chat_id, "chat_id": chat_id, "after_seq": 0})
    await operator.wait_for("chat.history", lambda f: f.get("re") == chat_id)


async def product_relay(
    session: aiohttp.ClientSession, base_url: str, chats: int, capacity: int, board: Switchboard
) -> Relay:
    """Operators enough for every chat, all online; `chats` customers whose chats
    are assigned and opened."""
    api = Api(session, base_url)
    admin = (await api.login(ADMIN_EMAIL, DEMO_PASSWORD))["token"]
    # Every customer here comes from one loopback address, all at once: above
    # the caps a service keeps against abuse by default (R-SEC-4).
    await api.call("PUT", "/settings", {"max_open_chats_per_address": max(chats, 20),
                                        "max_queue": max(chats, 100)}, admin)
    run = uuid.uuid4().hex[:6]
    operators = await asyncio.gather(
        *(
            _online_operator(api, admin, f"bench-{run}-{n}@demo.test", capacity, board)
            for n in range(math.ceil(chats / capacity))
        )
    )
    tokens = {operator_id: token for operator_id, token, _ in operators}
    consoles = {operator_id: peer for operator_id, _, peer in operators}
    started = await asyncio.gather(*(_started_chat(api, admin, n, board) for n in range(chats)))
    pairs = [
        Pair(chat["chat_id"], customer, consoles[chat["operator_id"]]) for customer, chat in started
    ]
    await asyncio.gather(
        *(
            _take(api, tokens[chat["operator_id"]], consoles[chat["operator_id"]], chat["chat_id"])
            for _, chat in started
        )
    )
    peers = [peer for _, _, peer in operators] + [customer for customer, _ in started]
    return Relay("product", pairs, peers)


# --- the floor --------------------------------------------------------------------


async def _floor_socket(
    session: aiohttp.ClientSession, ws_url: str, label: str, board: Switchboard
) -> tuple[str, Peer]:
    peer = await _socket(session, ws_url, label, board)
    await peer.send({"type": "hello"})
    return (await peer.wait_for("hello"))["connection_id"], peer


async def _pair(peer: Peer, chat_id: str, partner: str, role: str) -> None:
    await peer.send({"type": "pair", "chat_id": chat_id, "partner": partner, "role": role})
    await peer.wait_for("paired", lambda f: f.get("chat_id") == chat_id)


async def floor_relay(
    session: aiohttp.ClientSession, ws_url: str, chats: int, capacity: int, board: Switchboard
) -> Relay:
    """The product's shape on the floor app: `chats` customer sockets, and operator
    sockets speaking for `capacity` chats each."""
    operators = await asyncio.gather(
        *(
            _floor_socket(session, ws_url, f"floor-operator-{n}", board)
            for n in range(math.ceil(chats / capacity))
        )
    )
    customers = await asyncio.gather(
        *(_floor_socket(session, ws_url, f"floor-customer-{n}", board) for n in range(chats))
    )
    pairs = []
    pairing = []
    for n, (customer_id, customer) in enumerate(customers):
        operator_id, operator = operators[n // capacity]
        chat_id = f"floor-{uuid.uuid4().hex}"
        pairs.append(Pair(chat_id, customer, operator))
        pairing += [
            _pair(customer, chat_id, operator_id, "customer"),
            _pair(operator, chat_id, customer_id, "operator"),
        ]
    await asyncio.gather(*pairing)
    peers = [peer for _, peer in operators] + [peer for _, peer in customers]
    return Relay("floor", pairs, peers)
