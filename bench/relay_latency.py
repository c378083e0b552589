"""Relay latency under load: how long a chat message takes from one side to the
other through the local stack while 50 chats talk at once, against a floor
measured in the same run.

Two stacks (`python -m infra.local`, each with its own DynamoDB Local in a
temporary directory) run side by side:

  product  the real app: operators created through the admin API and online
           over WebSockets, 50 widget sessions whose chats are started,
           assigned and opened;
  floor    the same gateway serving bench/relay_floor_app.py, a relay that
           does one DynamoDB PutItem and one `@connections` post per message,
           with the same number of sockets paired the same way.

In every chat the customer and the operator take turns; a message's latency is
from the sender's send() of its `message.send` frame to the counterpart's socket
receiving its `message` push. After a warm-up longer than the measuring (DynamoDB
Local's JIT compiler keeps speeding up for the first few thousand requests, and
more so for the product's), the stacks are measured one at a time in alternating
rounds (floor, product, floor, product, ...) so load from anything else on the
machine falls on both. An operator holds two chats on its one console socket,
and the floor pairs its sockets the same way.

Reading the figures: DynamoDB Local applies writes one at a time (on disk each
waits for its fsync, and a transaction holds its lock longer than a PutItem), so
with 50 chats much of either latency is that queue, and the absolute figures
and the ratio move with the machine's load and disk. Compare within one run.

    .venv/bin/python -m bench.relay_latency [--chats 50 --messages 20]

Target: the product's p50 within 2x the floor's p50 (p99 shown for information).
The target is reported, met or not; the exit status is 1 only when a message
was lost or refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _relay  # noqa: E402
from tests.integration.stack_runner import Stack  # noqa: E402

TARGET_P50_RATIO = 2.0
CHATS = 50
MESSAGES = 20  # measured, each way, per chat
WARMUP_MESSAGES = 30  # each way, per chat, before measuring
ROUNDS = 4  # measuring rounds per stack, alternating between the stacks
FLOOR_APP = "bench.relay_floor_app:app"
# Every customer comes from 127.0.0.1: lift the per-IP widget session limit.
PRODUCT_ENV = {"WIDGET_SESSIONS_BURST": "100000"}


@dataclass
class Latencies:
    """One stack's measured message latencies, in seconds."""

    name: str
    samples: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        """Nearest rank: the smallest sample with at least q of them at or below it."""
        ranked = sorted(self.samples)
        return ranked[max(0, math.ceil(q * len(ranked)) - 1)]

    def row(self) -> str:
        figures = [self.percentile(q) * 1000 for q in (0.5, 0.9, 0.99, 1.0)]
        cells = "".join(f"{figure:>9.1f}" for figure in figures)
        return f"{self.name:<9}{cells}{len(self.samples):>10}"


@dataclass
class RelayRun:
    """What one run measured, and how long the measuring took."""

    chats: int
    messages: int
    product: Latencies
    floor: Latencies
    measure_s: float = 0.0

    def ratio(self, q: float) -> float:
        return self.product.percentile(q) / self.floor.percentile(q)


def progress(note: str) -> None:
    """A line on stderr, so a long run shows where it is without touching the table."""
    print(note, file=sys.stderr, flush=True)


@contextlib.contextmanager
def stacks() -> Iterator[tuple[Stack, Stack]]:
    """The product's stack and the floor's, started side by side, stopped after."""
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as state:
        product = Stack(Path(state) / "product", extra_env=PRODUCT_ENV)
        floor = Stack(Path(state) / "floor", app_path=FLOOR_APP)
        started = []
        try:
            for stack in (product, floor):
                stack.start()
                started.append(stack)
            for stack in started:
                stack.wait_until_healthy()
            progress("both stacks are up")
            yield product, floor
        finally:
            for stack in started:
                stack.interrupt()


def split(messages: int, rounds: int) -> list[int]:
    """`messages` spread over at most `rounds` rounds, none empty."""
    rounds = max(1, min(rounds, messages))
    return [messages // rounds + (n < messages % rounds) for n in range(rounds)]


async def measure_on(
    product: Stack, floor: Stack, chats: int, messages: int, warmup: int
) -> RelayRun:
    run = RelayRun(chats, messages, Latencies("product"), Latencies("floor"))
    capacity = _relay.CHATS_PER_OPERATOR
    board = _relay.Switchboard()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        relays = await asyncio.gather(
            _relay.product_relay(session, product.base_url, chats, capacity, board),
            _relay.floor_relay(session, f"ws://127.0.0.1:{floor.port}/ws", chats, capacity, board),
        )
        progress(f"{chats} chats set up on each stack; warming up")
        try:
            for relay in relays:
                await _relay.talk(relay, warmup)
            started = time.monotonic()
            product_relay, floor_relay = relays
            for number, count in enumerate(split(messages, ROUNDS), 1):
                progress(f"round {number}: {count} messages each way per chat, floor then product")
                run.floor.samples += await _relay.talk(floor_relay, count)
                run.product.samples += await _relay.talk(product_relay, count)
            run.measure_s = time.monotonic() - started
        finally:
            await asyncio.gather(*(relay.close() for relay in relays))
    return run


def measure(
    chats: int = CHATS, messages: int = MESSAGES, warmup: int = WARMUP_MESSAGES
) -> RelayRun:
    """Start both stacks, measure, stop them. Raises RelayFailed on a lost message."""
    with stacks() as (product, floor):
        return asyncio.run(measure_on(product, floor, chats, messages, warmup))


def report(run: RelayRun, total_s: float) -> str:
    ratio = run.ratio(0.5)
    verdict = "met" if ratio <= TARGET_P50_RATIO else "NOT met"
    return "\n".join(
        [
            f"Relay latency through the local stack: {run.chats} chats talking at once, "
            f"{run.messages} messages each way per chat, rounds alternating floor/product",
            "",
            f"{'':<9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'messages':>10}",
            run.product.row(),
            run.floor.row(),
            "",
            f"p50 ratio product/floor: {ratio:.2f}x (target <= {TARGET_P50_RATIO:g}x): {verdict}",
            f"p99 ratio product/floor: {run.ratio(0.99):.2f}x (for information)",
            f"bench took {total_s:.0f} s, {run.measure_s:.0f} s of it measuring",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=CHATS, help="chats talking at once")
    parser.add_argument(
        "--messages", type=int, default=MESSAGES, help="measured messages each way per chat"
    )
    args = parser.parse_args()
    if args.chats < 1 or not 1 <= args.messages <= _relay.FRAME_BUDGET - WARMUP_MESSAGES:
        parser.error(
            "--chats must be at least 1 and --messages between 1 and "
            f"{_relay.FRAME_BUDGET - WARMUP_MESSAGES} (the frame allowance)"
        )
    started = time.monotonic()
    try:
        run = measure(args.chats, args.messages)
    except _relay.RelayFailed as failure:
        print(f"relay failed: {failure}", file=sys.stderr)
        return 1
    print(report(run, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
