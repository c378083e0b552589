"""Many customers and operators over real WebSockets against the whole local
stack, with faults injected mid-conversation: sockets cut the moment a message
is written, an operator switching to offline with chats open, and the whole
stack stopped with Ctrl-C and started again. Nothing sent may be lost or stored
twice, no chat held by two operators, none stuck after a sweep. One scenario
carries all the faults, so the suite fits in `make test`; SOAK=1 runs the long
form, each fault repeated (sizes.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.scenario import (
    kill_sockets,
    operator_goes_offline,
    restart_gateway,
    run_scenario,
)
from tests.reliability.tally import REGISTRY

pytestmark = pytest.mark.integration


def test_no_message_is_lost_or_doubled_and_no_chat_stuck_through_kills_leaving_and_restart(
    reliability_stack, size
):
    # Every wait inside has its own deadline; this one turns any wait that was
    # missed into a failure instead of a hung test run.
    tally = asyncio.run(asyncio.wait_for(run_scenario(
        reliability_stack, size, "faults",
        [kill_sockets, operator_goes_offline, restart_gateway],
    ), timeout=size.settle_timeout_s * 4))
    REGISTRY.append(tally)

    assert tally.kills > 0 and tally.resent > 0, tally.describe()
    assert tally.reconnects >= tally.customers, tally.describe()
    assert not tally.nonzero(), tally.describe()
    assert tally.sent == tally.acked + tally.refused, tally.describe()
