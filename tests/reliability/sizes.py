"""How big a reliability run is: the short form for `make test`, the long one
(the soak) when SOAK=1. Every number the scenarios use comes from here."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadSize:
    name: str
    customers: int
    operators: int
    max_chats: int  # each operator's capacity (all chats fit, even with operators gone)
    customer_messages: int  # per chat, the last one sent after the operator's replies
    operator_messages: int  # per chat
    waves: int  # how often each fault is injected
    pause_s: tuple[float, float]  # a customer's thinking time between messages
    # An operator's pause between two replies in one chat. With many chats at once it
    # must keep the console within its frame allowance (60 at once, then 1 a
    # second), as a person typing does.
    reply_pause_s: tuple[float, float]
    settle_timeout_s: float  # how long a phase may take before the test gives up


SHORT = LoadSize(
    name="short",
    customers=30,
    operators=5,
    max_chats=10,
    customer_messages=3,
    operator_messages=3,
    waves=1,
    pause_s=(0.3, 1.2),
    reply_pause_s=(0.3, 1.2),
    settle_timeout_s=120.0,
)

SOAK = LoadSize(
    name="soak",
    customers=300,
    operators=20,
    max_chats=20,
    customer_messages=6,
    operator_messages=4,
    waves=3,
    pause_s=(1.0, 4.0),
    reply_pause_s=(12.0, 24.0),
    settle_timeout_s=600.0,
)


def load_size() -> LoadSize:
    """SOAK=1 selects the soak; anything else the short form."""
    return SOAK if os.environ.get("SOAK") == "1" else SHORT
