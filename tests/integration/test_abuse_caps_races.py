"""R-SEC-4's caps under races on DynamoDB Local: many customers from one address
starting at the same instant are admitted up to exactly the cap, and many
exports asked for at once start at most the allowed number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.errors import LimitReached
from chalicelib.models import Chat, ExportJob, Token
from chalicelib.services import exports, history, settings, tenants
from chalicelib.services.access import Actor
from tests.chat_helpers import RecordingPusher, all_at_once, connect_customer, start_chat
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration


def _refusals_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    return all_at_once(calls, returning=(LimitReached,))



def test_30_customers_of_one_address_at_once_open_exactly_its_cap_of_20(local_tables):
    make_tenant("acme")
    settings.update(tenants.get_service("acme"), settings.SettingsChange({"max_queue": 1000}))
    push = RecordingPusher()
    customers = [connect_customer("acme") for _ in range(30)]  # all from 203.0.113.9

    results = _refusals_at_once([lambda c=c: start_chat(c, push) for c in customers])

    refused = [r for r in results if isinstance(r, LimitReached)]
    started = [r for r in results if isinstance(r, Chat)]
    assert len(started) == 20 and len(refused) == 10
    assert {r.code for r in refused} == {"too_many_chats"}
    assert Chat.by_service.count("acme") == 20
    held = Token.get("openchats#acme#203.0.113.9", consistent_read=True).members
    assert held == {chat.chat_id for chat in started}


def test_6_exports_asked_at_once_start_exactly_2(local_tables, monkeypatch):
    make_tenant("acme")
    launched: list[str] = []
    admin = Actor(service_id="acme", role="admin", subject_id="op_admin", name="Admin")

    results = _refusals_at_once(
        [lambda: exports.start(admin, history.parse_filter({}), launched.append)
         for _ in range(6)])

    assert sum(isinstance(r, ExportJob) for r in results) == 2
    assert {r.code for r in results if isinstance(r, LimitReached)} == {"too_many_exports"}
    assert len(launched) == 2
