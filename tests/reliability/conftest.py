"""The reliability suite: the whole local stack under load and faults.

`reliability_stack` runs `python -m infra.local` once for the suite, on free
ports with a temporary state directory (a restart keeps both). The counts of
every scenario are printed at the end of any pytest run that ran them, without
`-s`, by the terminal summary hook below."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.stack_runner import Stack
from tests.reliability.sizes import LoadSize, load_size
from tests.reliability.stack import STACK_ENV, ReliabilityStack
from tests.reliability.tally import REGISTRY, table


@pytest.fixture(scope="session")
def reliability_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReliabilityStack]:
    from infra.local import dynamodb_local

    reason = dynamodb_local.unavailable_reason()
    if reason:
        pytest.fail(f"the reliability suite needs DynamoDB Local: {reason}", pytrace=False)
    stack = Stack(tmp_path_factory.mktemp("reliability-stack"), extra_env=dict(STACK_ENV))
    stack.run()
    try:
        yield ReliabilityStack(stack)
    finally:
        stack.interrupt()


@pytest.fixture(scope="session")
def size() -> LoadSize:
    return load_size()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The table of counts, when this run ran any scenario (the hook is called
    for every run that collected this directory, e.g. `pytest tests`)."""
    if not REGISTRY:
        return
    terminalreporter.section("reliability counts")
    for line in table(REGISTRY):
        terminalreporter.write_line(line)
    terminalreporter.write_line("* must be 0")
