"""The counting itself, on hand-made observations: each must-be-zero count
notices what it is named for (the load test passing says little otherwise)."""

from __future__ import annotations

from tests.reliability.ledger import CUSTOMER, REORDER_GRACE_S, Hold, Ledger, Overlap
from tests.reliability.tally import Tally, count_messages, count_overlaps

CHAT = "ch_1"
OPERATOR = "op_1"


def stored(seq: int, client_msg_id: str | None, role: str = "customer") -> dict[str, object]:
    return {"chat_id": CHAT, "seq": seq, "client_msg_id": client_msg_id,
            "sender": {"role": role}}


def customer_said(ledger: Ledger, client_msg_id: str, seq: int | None) -> None:
    ledger.send_attempted(client_msg_id, CHAT, CUSTOMER, "hello").seq = seq


def counted(ledger: Ledger, messages: list[dict[str, object]]) -> Tally:
    tally = Tally("unit", "none")
    count_messages(tally, ledger, {CHAT: messages}, {CHAT: OPERATOR})
    return tally


def test_a_message_stored_and_seen_by_the_operator_is_delivered():
    ledger = Ledger()
    customer_said(ledger, "m1", 2)
    ledger.message_seen(CHAT, OPERATOR, stored(2, "m1"))

    tally = counted(ledger, [stored(1, None, "system"), stored(2, "m1")])

    assert (tally.sent, tally.acked, tally.stored, tally.delivered, tally.lost) == (1, 1, 1, 1, 0)


def test_an_acked_message_not_stored_is_lost():
    ledger = Ledger()
    customer_said(ledger, "m1", 2)

    assert counted(ledger, [stored(1, None, "system")]).lost == 1


def test_a_stored_message_the_operator_never_saw_is_lost():
    ledger = Ledger()
    customer_said(ledger, "m1", 2)

    tally = counted(ledger, [stored(1, None, "system"), stored(2, "m1")])

    assert (tally.delivered, tally.lost) == (0, 1)


def test_a_client_msg_id_stored_twice_is_a_duplicate():
    ledger = Ledger()
    customer_said(ledger, "m1", 2)
    ledger.message_seen(CHAT, OPERATOR, stored(2, "m1"))

    tally = counted(ledger, [stored(1, None, "system"), stored(2, "m1"), stored(3, "m1")])

    assert tally.duplicated == 1


def test_a_missing_or_repeated_seq_is_counted():
    tally = counted(Ledger(), [stored(1, None, "system"), stored(3, None), stored(3, None)])

    assert (tally.seq_gaps, tally.duplicated) == (1, 1)


def test_two_operators_holding_a_chat_count_unless_it_was_only_pushes_crossing():
    lasting = Overlap(10.0, [Hold("a", CHAT, 9.0), Hold("b", CHAT, 10.0)], 1, CHAT)
    crossing = Overlap(10.0, [Hold("a", CHAT, 9.0, end=10.0 + REORDER_GRACE_S / 2),
                              Hold("b", CHAT, 10.0)], 1, "ch_2")
    ledger = Ledger(overlaps=[lasting, crossing])
    tally = Tally("unit", "none")

    count_overlaps(tally, ledger)

    assert tally.double_assigned == 1
