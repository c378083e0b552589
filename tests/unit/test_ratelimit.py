"""Per-IP limits on the public doors: a burst, then a steady rate; each IP has
its own. That concurrent requests cannot share one allowance is proven on
DynamoDB Local (tests/integration/test_rate_limit_races.py): moto does not make a
conditional update atomic across threads, so a threaded test here proves
nothing and fails at random."""

import pytest

from chalicelib.errors import TooManyRequests
from chalicelib.services import ratelimit

LIMIT = ratelimit.Limit("test", per_minute=60, burst=5)


def test_a_burst_then_one_per_interval(aws):
    for _ in range(5):
        ratelimit.take(LIMIT, "203.0.113.1", now=1000.0)
    with pytest.raises(TooManyRequests) as refused:
        ratelimit.take(LIMIT, "203.0.113.1", now=1000.0)
    assert refused.value.retry_after_s == 1
    ratelimit.take(LIMIT, "203.0.113.1", now=1001.0)  # one second buys one more
    with pytest.raises(TooManyRequests):
        ratelimit.take(LIMIT, "203.0.113.1", now=1001.5)


def test_within_the_rate_is_never_limited(aws):
    for n in range(200):
        ratelimit.take(LIMIT, "203.0.113.1", now=1000.0 + n)


def test_each_address_has_its_own_allowance(aws):
    for _ in range(5):
        ratelimit.take(LIMIT, "203.0.113.1", now=1000.0)
    ratelimit.take(LIMIT, "203.0.113.2", now=1000.0)


def test_check_spends_nothing_and_recording_never_refuses(aws):
    for _ in range(20):
        ratelimit.take(LIMIT, "198.51.100.7", now=1000.0, refuse=False)
    with pytest.raises(TooManyRequests):
        ratelimit.check(LIMIT, "198.51.100.7", now=1000.0)
    ratelimit.check(LIMIT, "198.51.100.8", now=1000.0)


def test_no_address_means_no_limit(aws):
    for _ in range(10):
        ratelimit.take(LIMIT, None, now=1000.0)
