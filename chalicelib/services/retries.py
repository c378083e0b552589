"""Waiting between attempts of a conditional write that lost a race: a random
pause that grows with each attempt (to 50 ms), so writers that collided spread
out instead of colliding again."""

from __future__ import annotations

import random
import time

MAX_PAUSE_S = 0.05


def backoff(attempt: int) -> None:
    """Nothing before the first attempt; then up to 4 ms, 8 ms, … 50 ms."""
    if attempt:
        time.sleep(random.uniform(0, min(MAX_PAUSE_S, 0.002 * 2**attempt)))  # noqa: S311
