"""bench/relay_latency.py still works end to end: both stacks start, every
message of a small run reaches the other side, and the figures are numbers.
Timing is never asserted here: the bench reports it, a test cannot judge it."""

from __future__ import annotations

import math

import pytest

from bench import relay_latency

pytestmark = pytest.mark.integration

CHATS = 3
MESSAGES = 3


def test_every_relayed_message_is_delivered_and_timed() -> None:
    run = relay_latency.measure(chats=CHATS, messages=MESSAGES, warmup=1)

    for latencies in (run.product, run.floor):
        assert len(latencies.samples) == CHATS * MESSAGES * 2  # each way, every chat
        assert all(math.isfinite(s) and s > 0 for s in latencies.samples)
    for q in (0.5, 0.9, 0.99, 1.0):
        assert math.isfinite(run.ratio(q)) and run.ratio(q) > 0
    printed = relay_latency.report(run, total_s=1.0)
    assert "p50 ratio product/floor" in printed
    assert run.measure_s > 0


def test_messages_are_spread_over_rounds_without_empty_ones() -> None:
    assert relay_latency.split(20, 4) == [5, 5, 5, 5]
    assert relay_latency.split(7, 4) == [2, 2, 2, 1]
    assert relay_latency.split(2, 4) == [1, 1]
