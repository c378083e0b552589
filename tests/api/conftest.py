"""Fixtures the API tests share."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.ws_gateway import Desk


@pytest.fixture
def desk(client: Any, tenant: Any, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """The tenant's people over the real handlers, pushes going to the recorded
    `@connections` of moto (a module with more to set up defines its own)."""
    monkeypatch.setenv(
        "WS_MANAGEMENT_ENDPOINT", "https://wsapi1.execute-api.us-east-1.amazonaws.com/ws"
    )
    return Desk(client, tenant)
