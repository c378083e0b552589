"""What the clients of a run observed, written down as it happens: every
message a client sent (once per client_msg_id, however often it was resent),
how the server answered it, every message each party saw (pushed, or recovered
by `chat.resume`), and when each operator held each chat. The tally is computed
from this and from what the server says it stored; nothing is assumed."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

CUSTOMER = "customer"  # the party name of a chat's customer; operators go by their id
REORDER_GRACE_S = 2.0


@dataclass
class Sent:
    """One logical message: the same client_msg_id on every attempt."""

    client_msg_id: str
    chat_id: str
    party: str
    text: str
    attempts: int = 0
    seq: int | None = None  # from the ack
    refused: str | None = None  # the error code when the server declined it


@dataclass
class Hold:
    """An operator holding a chat, as its console learned from pushes."""

    operator_id: str
    chat_id: str
    start: float
    end: float | None = None


@dataclass
class Overlap:
    """At `at`, more of `holds` were open than `limit` allows (two operators on one
    chat, or one operator over capacity). Pushes to two sockets may arrive a few
    milliseconds out of order, so it counts only if it outlasts REORDER_GRACE_S."""

    at: float
    holds: list[Hold]
    limit: int
    what: str

    def confirmed(self) -> bool:
        after = self.at + REORDER_GRACE_S
        return sum(h.end is None or h.end > after for h in self.holds) > self.limit


@dataclass
class Ledger:
    sent: dict[str, Sent] = field(default_factory=dict)
    sent_in_chat: dict[str, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    # (chat_id, party) -> seq -> the message as that party received it
    seen: dict[tuple[str, str], dict[int, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict))
    holds: list[Hold] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    live_operators: set[str] = field(default_factory=set)  # consoles with an open socket
    kills: int = 0  # sockets killed by the test
    reconnects: int = 0
    server_errors: list[str] = field(default_factory=list)  # 5xx and internal_error frames
    throttled: list[str] = field(default_factory=list)  # 429s met (and retried) on REST
    rate_limited: int = 0  # WebSocket frames answered rate_limited (and sent again)

    def send_attempted(self, client_msg_id: str, chat_id: str, party: str, text: str) -> Sent:
        """One attempt at sending a message; the first one records it."""
        sent = self.sent.get(client_msg_id)
        if sent is None:
            sent = self.sent[client_msg_id] = Sent(client_msg_id, chat_id, party, text)
            self.sent_in_chat[chat_id].append(sent)
        sent.attempts += 1
        return sent

    def message_seen(self, chat_id: str, party: str, message: dict[str, Any]) -> None:
        self.seen[(chat_id, party)].setdefault(int(message["seq"]), message)

    def seen_by(self, chat_id: str, party: str) -> dict[int, dict[str, Any]]:
        return self.seen.get((chat_id, party), {})

    def watermark(self, chat_id: str, party: str) -> int:
        """The highest seq up to which this party has seen every message (its own
        acked ones count): what a careful client resumes after."""
        known = set(self.seen_by(chat_id, party))
        known |= {s.seq for s in self.sent_in_chat.get(chat_id, ())
                  if s.party == party and s.seq is not None}
        seq = 0
        while seq + 1 in known:
            seq += 1
        return seq

    def hold_started(self, operator_id: str, chat_id: str, max_chats: int) -> None:
        """Note the hold, and any overlap it makes with what live consoles hold
        (a console without a socket cannot hear its unassign, so it is not asked)."""
        if self.current_hold(operator_id, chat_id) is not None:
            return
        hold = Hold(operator_id, chat_id, time.monotonic())
        self.holds.append(hold)
        others = [h for h in self.open_holds(chat_id=chat_id)
                  if h.operator_id != operator_id and h.operator_id in self.live_operators]
        if others:
            self.overlaps.append(Overlap(hold.start, [hold, *others], 1, f"chat {chat_id}"))
        mine = self.open_holds(operator_id=operator_id)
        if len(mine) > max_chats:
            self.overlaps.append(Overlap(hold.start, mine, max_chats, f"operator {operator_id}"))

    def hold_ended(self, operator_id: str, chat_id: str, at: float | None = None) -> None:
        hold = self.current_hold(operator_id, chat_id)
        if hold is not None:
            hold.end = time.monotonic() if at is None else at

    def open_holds(self, *, chat_id: str | None = None,
                   operator_id: str | None = None) -> list[Hold]:
        return [h for h in self.holds if h.end is None
                and chat_id in (None, h.chat_id) and operator_id in (None, h.operator_id)]

    def current_hold(self, operator_id: str, chat_id: str) -> Hold | None:
        for hold in reversed(self.holds):
            if hold.operator_id == operator_id and hold.chat_id == chat_id and hold.end is None:
                return hold
        return None
