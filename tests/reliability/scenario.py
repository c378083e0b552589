"""One reliability scenario: a service of its own, customers queued before the
operators come online, conversations in both directions, faults injected while
they run, then the tally from what the clients saw and the server stored."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.reliability.clients import Api, Console, Customer
from tests.reliability.ledger import Ledger
from tests.reliability.sizes import LoadSize
from tests.reliability.stack import ReliabilityStack, ServiceAccess
from tests.reliability.tally import Tally, count_messages, count_overlaps

OPERATOR_PASSWORD = "reliability-operator-1"
ARRIVAL_GAP_S = 0.05  # customers open the widget 20 a second, before any operator is online


@dataclass
class World:
    """Everything a fault may act on."""

    stack: ReliabilityStack
    size: LoadSize
    api: Api
    ledger: Ledger
    service: ServiceAccess
    admin_token: str
    consoles: list[Console] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def pause(self) -> float:
        return self.rng.uniform(*self.size.pause_s)

    def reply_pause(self) -> float:
        return self.rng.uniform(*self.size.reply_pause_s)

    def progress(self) -> float:
        """The share of the run's messages acked so far."""
        expected = len(self.customers) * (self.size.customer_messages
                                          + self.size.operator_messages)
        acked = sum(s.seq is not None for s in self.ledger.sent.values())
        return acked / expected


Fault = Callable[[World], Awaitable[None]]


async def run_scenario(stack: ReliabilityStack, size: LoadSize, name: str,
                       faults: list[Fault]) -> Tally:
    """Run the load with each fault injected `size.waves` times, spread over the
    conversations; return the tally."""
    began = time.monotonic()
    ledger = Ledger()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        api = Api(http, stack.base_url, ledger)
        world = await _provision(stack, size, api, ledger, name)
        await asyncio.gather(*(c.start_chat(n * ARRIVAL_GAP_S)
                               for n, c in enumerate(world.customers)))
        await asyncio.gather(*(c.come_online() for c in world.consoles))
        talk = asyncio.gather(*(
            c.converse(size.customer_messages, size.operator_messages, world.pause)
            for c in world.customers))
        await _inject(world, faults, talk)
        await talk  # each conversation gives up by itself after settle_timeout_s
        await asyncio.gather(*(c.settled() for c in world.consoles))
        tally = await _tally(world, name)
        await _end_chats(world, tally)
    tally.seconds = time.monotonic() - began
    return tally


async def _provision(stack: ReliabilityStack, size: LoadSize, api: Api, ledger: Ledger,
                     name: str) -> World:
    """A fresh service with its operators; customers created, not yet started."""
    service_id = f"{re.sub('[^a-z0-9]+', '-', name)}-{uuid.uuid4().hex[:8]}"
    service = await asyncio.to_thread(stack.create_service, service_id)
    login = await api.ok("POST", "/auth/login", {"service_id": service_id,
                                                 "email": service.admin_email,
                                                 "password": service.admin_password})
    world = World(stack, size, api, ledger, service, login["token"])
    # Every customer comes from the test's one loopback address, all before any
    # operator is online: above the caps a service keeps against abuse by default.
    await api.ok("PUT", "/settings", {"chat_enabled": True, "greeting": "Hello!",
                                      "max_chats_per_operator": size.max_chats,
                                      "max_open_chats_per_address": max(size.customers, 20),
                                      "max_queue": max(size.customers, 100)},
                 world.admin_token)
    for n in range(size.operators):
        email = f"operator{n}@{service_id}.test"
        await api.ok("POST", "/operators", {"email": email, "name": f"Operator {n}",
                                            "password": OPERATOR_PASSWORD, "role": "operator",
                                            "max_chats": size.max_chats}, world.admin_token)
        console = Console(api, ledger, email, OPERATOR_PASSWORD, size.max_chats,
                          size.operator_messages, world.reply_pause, size.settle_timeout_s)
        await console.sign_in(service_id)
        world.consoles.append(console)
    world.customers = [Customer(api, ledger, service.widget_key, n, size.settle_timeout_s)
                       for n in range(size.customers)]
    return world


async def _inject(world: World, faults: list[Fault], talk: asyncio.Future[Any]) -> None:
    """Each fault at evenly spread points of progress, while the talk goes on."""
    marks = world.size.waves * len(faults)
    for n in range(marks):
        point = (n + 1) / (marks + 1)
        while world.progress() < point and not talk.done():
            await asyncio.sleep(0.1)
        if talk.done():
            return
        await faults[n % len(faults)](world)


async def _tally(world: World, name: str) -> Tally:
    """Sweep, then read back every chat and its messages (REST, as an admin)."""
    await asyncio.to_thread(world.stack.sweep)
    tally = Tally(scenario=name, size=world.size.name, customers=len(world.customers),
                  operators=len(world.consoles), kills=world.ledger.kills,
                  reconnects=world.ledger.reconnects)
    chats = {}
    stored = {}
    for customer in world.customers:
        assert customer.chat_id is not None
        chats[customer.chat_id] = await world.api.ok(
            "GET", f"/chats/{customer.chat_id}", token=world.admin_token)
        answer = await world.api.ok("GET", f"/chats/{customer.chat_id}/messages?after_seq=0",
                                    token=world.admin_token)
        stored[customer.chat_id] = answer["messages"]
    await _count_stuck(world, tally, chats)
    await _count_capacity(world, tally, [chat["operator_id"] for chat in chats.values()])
    count_messages(tally, world.ledger, stored,
                   {chat_id: chat["operator_id"] for chat_id, chat in chats.items()})
    count_overlaps(tally, world.ledger)
    tally.http_429 = len(world.ledger.throttled)
    tally.ws_rate_limited = world.ledger.rate_limited
    tally.server_errors = len(world.ledger.server_errors)
    tally.problems += world.ledger.server_errors
    return tally


async def _count_stuck(world: World, tally: Tally, chats: dict[str, dict[str, Any]]) -> None:
    """Stuck: not ended, not with an online operator, not waiting with a place
    in the queue."""
    status = {op["operator_id"]: op["status"] for op in await _team(world)}
    for chat in chats.values():
        fine = (chat["status"] == "ended"
                or (chat["status"] in ("assigned", "active")
                    and status.get(chat["operator_id"]) == "online")
                or (chat["status"] == "waiting" and chat["queue_position"]))
        if not fine:
            tally.stuck += 1
            tally.problems.append(f"stuck: {chat}")


async def _count_capacity(world: World, tally: Tally, holders: list[str | None]) -> None:
    """Each operator's open_chats must equal the chats it holds (docs/chat-engine.md),
    and never exceed its capacity (that is a double assignment too)."""
    for operator in await _team(world):
        held = holders.count(operator["operator_id"])
        if operator["open_chats"] > operator["max_chats"]:
            tally.double_assigned += 1
        if operator["open_chats"] != held:
            tally.capacity_drift += 1
            tally.problems.append(f"operator {operator} holds {held} chats")


async def _team(world: World) -> list[dict[str, Any]]:
    answer = await world.api.ok("GET", "/operators", token=world.admin_token)
    return list(answer["operators"])


async def _end_chats(world: World, tally: Tally) -> None:
    """Every operator ends its chats; then nobody holds anything."""
    await asyncio.gather(*(c.end_chats() for c in world.consoles if not c.stopping))
    await _count_capacity(world, tally, [])
    await asyncio.gather(*(party.stop() for party in [*world.consoles, *world.customers]))


# --- the faults ------------------------------------------------------------------------


async def kill_sockets(world: World) -> None:
    """A third of the customers and two operators lose their socket the moment
    they next send a message."""
    talking = [c for c in world.customers if not c.ended]
    for customer in world.rng.sample(talking, max(1, len(talking) // 3)):
        customer.kill_next_send = True
    live = [c for c in world.consoles if not c.stopping and c.held]
    for console in world.rng.sample(live, min(2, len(live))):
        console.kill_next_send = True


async def operator_goes_offline(world: World) -> None:
    """The busiest operator switches to offline mid-chat and closes the console."""
    live = [c for c in world.consoles if not c.stopping]
    busiest = max(live, key=lambda c: len(c.held))
    await busiest.go_offline()


async def restart_gateway(world: World) -> None:
    """Ctrl-C the whole stack and start it again while clients talk."""
    world.api.restarting = True
    try:
        await asyncio.to_thread(world.stack.restart)
    finally:
        world.api.restarting = False
