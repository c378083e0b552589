"""Optimistic writes: read, build the writes from what was read, commit them
with conditions that hold only if nothing changed meanwhile; when a condition
fails, someone else wrote first, so read again and retry.

Every use case that changes items under a condition is written as one attempt
(read → build writes → commit) handed to `until_committed`, which runs it again
after a short random pause that grows with each attempt (to 50 ms), so writers
that collided spread out instead of colliding again."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.errors import Conflict

MAX_PAUSE_S = 0.05
ATTEMPTS = 20

T = TypeVar("T")


class Retry(Exception):
    """Raised by an attempt: what it read is no longer so; read again."""


def backoff(attempt: int, max_pause: float = MAX_PAUSE_S) -> None:
    """Nothing before the first attempt; then up to 4 ms, 8 ms, … `max_pause`."""
    if attempt:
        time.sleep(random.uniform(0, min(max_pause, 0.002 * 2**attempt)))  # noqa: S311


def lost_race(error: Exception) -> bool:
    """A cancelled transaction, or a single write whose condition failed."""
    if isinstance(error, TransactWriteError):
        return True
    if isinstance(error, PutError | UpdateError):
        return error.cause_response_code == "ConditionalCheckFailedException"
    return False


def until_committed(
    attempt: Callable[[int], T],
    *,
    attempts: int = ATTEMPTS,
    busy: str = "the chat changed meanwhile; try again",
    exhausted: Callable[[], Exception] | None = None,
    max_pause: float = MAX_PAUSE_S,
) -> T:
    """Run `attempt(n)` (n = 0, 1, …) until it returns; an attempt that lost a
    race (a write's condition failed, or it raised Retry) runs again. After
    `attempts`, Conflict `busy` (or what `exhausted` makes). Domain errors go to
    the caller as they are."""
    for n in range(attempts):
        backoff(n, max_pause)
        try:
            return attempt(n)
        except Retry:
            continue
        except (TransactWriteError, PutError, UpdateError) as error:
            if not lost_race(error):
                raise
    raise exhausted() if exhausted else Conflict(busy, "busy")
