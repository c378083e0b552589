"""The one rate-limit algorithm of the product: GCRA (the generic cell-rate
algorithm). A limit of `per_minute` with `burst` admits `burst` requests at once,
then one every 60/per_minute seconds; its whole state is one number, the
theoretical arrival time (TAT) of the next request. A request is allowed while
`TAT - now <= tolerance` (burst - 1 intervals), and each allowed one moves TAT
on by one interval.

Two stores use it: a WebSocket frame allowance is read, decided here, and
written back conditionally with the frame's own writes (realtime.py); a per-IP
limit adds the interval on the server in one conditional update, deciding with
the same numbers (services/ratelimit.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    name: str
    per_minute: float
    burst: int

    @property
    def interval_s(self) -> float:
        return 60.0 / self.per_minute

    @property
    def tolerance_s(self) -> float:
        return self.interval_s * (self.burst - 1)

    def wait_s(self, tat: float, now: float) -> int:
        """Whole seconds until a request at `now` would be allowed (0: now)."""
        return max(0, math.ceil(tat - self.tolerance_s - now))


@dataclass(frozen=True)
class Allowance:
    """Whether one more request may go now, and the state to store. `holder`:
    whose allowance (a connection, a chat's sender, an address)."""

    holder: str
    allowed: bool
    previous_tat: float | None
    next_tat: float
    retry_after_s: int


def decide(limit: Limit, holder: str, previous_tat: float | None, now: float) -> Allowance:
    tat = max(previous_tat or now, now)
    return Allowance(
        holder=holder,
        allowed=tat - now <= limit.tolerance_s,
        previous_tat=previous_tat,
        next_tat=round(tat + limit.interval_s, 3),
        retry_after_s=max(1, limit.wait_s(tat, now)),
    )
