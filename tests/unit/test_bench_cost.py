"""The cost model of bench/cost.py: measured quantities times the stated prices."""

import pytest

from bench.cost import MIN_BILLED_SECONDS, lambda_architecture, per_thousand_chats
from bench.message_path import Traffic


def _by_item(lines):
    return {line.item: line for line in lines}


def test_each_line_is_quantity_times_price_for_a_thousand_chats():
    traffic = Traffic(frames_in=42, frames_out=87, rest_calls=2, handler_seconds=44 * 0.025)
    lines = _by_item(per_thousand_chats(489, 93.5, traffic, "arm64"))
    assert lines["DynamoDB write request units"].quantity == 489_000
    # List prices of bench.cost.PRICES_AS_OF: $0.625 / $0.125 per million units.
    assert lines["DynamoDB write request units"].cost == pytest.approx(489_000 * 0.625 / 1e6)
    assert lines["DynamoDB read request units"].cost == pytest.approx(93_500 * 0.125 / 1e6)
    assert lines["WebSocket messages"].quantity == 129_000
    # 2 operator REST calls measured + widget config, session and two ws-tickets.
    assert lines["REST requests"].quantity == 6_000
    # 44 invocations measured + 4 REST + 4 connects/disconnects, 25 ms at 512 MB each.
    assert lines["Lambda requests"].quantity == 52_000
    assert lines["Lambda compute (GB-s)"].quantity == pytest.approx(52_000 * 0.025 * 0.5)
    assert lines["Lambda requests"].cost == pytest.approx(52_000 * 0.20 / 1e6)


def test_compute_is_priced_for_the_stacks_architecture():
    # The stack runs on arm64 (.chalice/config.json): $0.0000133334 per GB-second,
    # a fifth under x86_64's $0.0000166667; requests cost the same on both.
    assert lambda_architecture() == "arm64"
    traffic = Traffic(frames_in=42, frames_out=87, rest_calls=2, handler_seconds=44 * 0.025)
    arm = _by_item(per_thousand_chats(489, 93.5, traffic, "arm64"))
    x86 = _by_item(per_thousand_chats(489, 93.5, traffic, "x86_64"))
    gb_seconds = 52_000 * 0.025 * 0.5
    assert arm["Lambda compute (GB-s)"].cost == pytest.approx(gb_seconds * 0.0000133334)
    assert x86["Lambda compute (GB-s)"].cost == pytest.approx(gb_seconds * 0.0000166667)
    assert arm["Lambda requests"].cost == x86["Lambda requests"].cost


def test_a_handler_faster_than_a_millisecond_is_billed_a_millisecond():
    traffic = Traffic(frames_in=10, frames_out=10, rest_calls=0, handler_seconds=0.0001)
    compute = _by_item(per_thousand_chats(0, 0, traffic, "arm64"))["Lambda compute (GB-s)"]
    assert compute.quantity == pytest.approx(1000 * 18 * MIN_BILLED_SECONDS * 0.5)
