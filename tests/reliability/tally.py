"""The counts a reliability run reports, computed from the ledger (what clients
sent, were acked and saw) and from what the server returns as stored, and the
registry the terminal summary prints them from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tests.reliability.ledger import CUSTOMER, Ledger

MUST_BE_ZERO = ("lost", "duplicated", "seq_gaps", "double_assigned", "stuck", "capacity_drift",
                "server_errors")


@dataclass
class Tally:
    scenario: str
    size: str
    customers: int = 0
    operators: int = 0
    sent: int = 0  # logical messages (one per client_msg_id)
    resent: int = 0  # of those, sent more than once (after a kill, a restart, a timeout)
    acked: int = 0
    refused: int = 0  # declined by the server on purpose (an operator no longer assigned)
    stored: int = 0
    delivered: int = 0  # stored and seen by the other party (pushed or on resume)
    lost: int = 0
    duplicated: int = 0
    seq_gaps: int = 0
    double_assigned: int = 0
    stuck: int = 0
    capacity_drift: int = 0  # an operator's open_chats unequal to the chats it holds
    server_errors: int = 0
    kills: int = 0
    reconnects: int = 0
    http_429: int = 0  # REST answers "too many requests", retried
    ws_rate_limited: int = 0  # frames answered rate_limited, sent again
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def nonzero(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in MUST_BE_ZERO if getattr(self, name)}

    def describe(self) -> str:
        counts = {k: v for k, v in asdict(self).items() if k != "problems"}
        return f"{counts}\nproblems (first 20): {self.problems[:20]}"


REGISTRY: list[Tally] = []


def count_messages(
    tally: Tally,
    ledger: Ledger,
    stored: Mapping[str, list[dict[str, Any]]],
    holders: Mapping[str, str | None],
) -> None:
    """sent/acked/stored/delivered/lost/duplicated/seq_gaps. `stored` is each
    chat's messages as the REST API returns them; `holders` each chat's operator."""
    ours = ledger.sent
    tally.sent = len(ours)
    tally.resent = sum(s.attempts > 1 for s in ours.values())
    tally.acked = sum(s.seq is not None for s in ours.values())
    tally.refused = sum(s.refused is not None and s.seq is None for s in ours.values())
    where: dict[str, list[dict[str, Any]]] = {}
    for chat_id, chat_messages in stored.items():
        _check_sequence(tally, chat_id, chat_messages)
        for message in chat_messages:
            if message.get("client_msg_id") in ours:
                where.setdefault(message["client_msg_id"], []).append(message)
    tally.stored = len(where)
    tally.duplicated += sum(len(copies) - 1 for copies in where.values())
    for client_msg_id, sent in ours.items():
        copies = where.get(client_msg_id)
        if not copies:
            if sent.refused is None or sent.seq is not None:
                tally.lost += 1
                tally.problems.append(f"not stored: {sent}")
            continue
        if sent.seq is not None and sent.seq != copies[0]["seq"]:
            tally.lost += 1
            tally.problems.append(f"acked as seq {sent.seq}, stored as {copies[0]['seq']}: {sent}")
            continue
        counterpart = holders.get(sent.chat_id) if sent.party == CUSTOMER else CUSTOMER
        got = ledger.seen_by(sent.chat_id, counterpart or "").get(copies[0]["seq"])
        if got is not None and got.get("client_msg_id") == client_msg_id:
            tally.delivered += 1
        else:
            tally.lost += 1
            tally.problems.append(f"never reached {counterpart}: {sent}")


def _check_sequence(tally: Tally, chat_id: str, chat_messages: list[dict[str, Any]]) -> None:
    seqs = Counter(int(m["seq"]) for m in chat_messages)
    repeated = {seq: n for seq, n in seqs.items() if n > 1}
    if repeated:
        tally.duplicated += sum(n - 1 for n in repeated.values())
        tally.problems.append(f"chat {chat_id}: seq stored more than once {repeated}")
    missing = set(range(1, max(seqs, default=0) + 1)) - set(seqs)
    if missing:
        tally.seq_gaps += len(missing)
        tally.problems.append(f"chat {chat_id}: no message at seq {sorted(missing)}")


def count_overlaps(tally: Tally, ledger: Ledger) -> None:
    """Chats two operators held at once, or operators over capacity, as their
    consoles were told by pushes."""
    confirmed = {o.what: o for o in ledger.overlaps if o.confirmed()}
    tally.double_assigned += len(confirmed)
    tally.problems += [f"held at once ({o.what}): {o.holds}" for o in confirmed.values()]


def table(tallies: list[Tally]) -> list[str]:
    """One column per scenario, one row per count (must-be-zero ones marked)."""
    names = [f.name for f in fields(Tally) if f.name != "problems"]
    cells = [[_cell(getattr(t, name)) for t in tallies] for name in names]
    label = max(len(n) for n in names) + 2
    width = max(len(c) for row in cells for c in row)
    return [
        (f"{name} *" if name in MUST_BE_ZERO else name).ljust(label)
        + "  ".join(c.rjust(width) for c in row)
        for name, row in zip(names, cells, strict=True)
    ]


def _cell(value: object) -> str:
    return f"{value:.0f}" if isinstance(value, float) else str(value)
