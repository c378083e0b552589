"""Per-IP limits under a real burst on DynamoDB Local: simultaneous requests from
one address are admitted up to exactly the allowance, never refused below it
because they raced for the same record."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import TooManyRequests
from chalicelib.services import ratelimit

pytestmark = pytest.mark.integration


def _burst(limit: ratelimit.Limit, requests: int) -> tuple[int, int]:
    """`requests` takes released together from one address: (admitted, refused)."""
    gate = threading.Barrier(requests)

    def one(_: int) -> bool:
        gate.wait()
        try:
            ratelimit.take(limit, "198.51.100.20", now=5000.0)
        except TooManyRequests:
            return False
        return True

    with ThreadPoolExecutor(max_workers=requests) as pool:
        outcomes = list(pool.map(one, range(requests)))
    return outcomes.count(True), outcomes.count(False)


def test_a_simultaneous_burst_within_the_allowance_is_all_admitted(local_tables):
    limit = ratelimit.Limit("race-wide", per_minute=120, burst=60)
    assert _burst(limit, 50) == (50, 0)


def test_a_simultaneous_burst_over_the_allowance_admits_exactly_the_allowance(local_tables):
    limit = ratelimit.Limit("race-narrow", per_minute=60, burst=20)
    assert _burst(limit, 50) == (20, 30)
