"""Canned responses' rules under concurrency, on DynamoDB Local with real
threads (R-CAN-1): a shortcut is unique within its set and a set never grows
past its cap, however many admins write at once."""

from __future__ import annotations

import pytest

from chalicelib.errors import DomainError
from chalicelib.models import CannedResponse, Token
from chalicelib.services import canned
from chalicelib.services.access import Actor
from tests.chat_helpers import all_at_once
from tests.conftest import make_tenant

pytestmark = pytest.mark.integration

ADMIN = Actor(service_id="acme", role="admin", subject_id="op_admin", name="Admin")


def _new(shortcut: str, scope: str = "service") -> canned.NewCanned:
    return canned.NewCanned.checked({"scope": scope, "shortcut": shortcut,
                                     "title": f"About {shortcut}",
                                     "text": "Hello {{customer.name}}"})


def _service_set() -> list[CannedResponse]:
    return [c for c in CannedResponse.query("acme", consistent_read=True)
            if c.scope == "service"]


def test_ten_admins_creating_one_shortcut_at_once_make_one(local_tables):
    make_tenant("acme")
    # The same shortcut as different people type it: width and kana fold together.
    variants = ["へんぴん", "ヘンピン", "ﾍﾝﾋﾟﾝ", "へんぴん", "ヘンピン"] * 2
    results = all_at_once([lambda v=v: canned.create(ADMIN, _new(v)) for v in variants],
                          returning=(DomainError,))
    made = [r for r in results if isinstance(r, CannedResponse)]
    assert len(made) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} <= {
        "duplicate_shortcut", "busy"}
    assert [c.canned_id for c in _service_set()] == [made[0].canned_id]


def test_renames_to_one_shortcut_at_once_leave_it_to_one(local_tables):
    make_tenant("acme")
    originals = [canned.create(ADMIN, _new(f"s{n}")) for n in range(8)]
    change = canned.CannedChange.checked({"shortcut": "thanks"})
    results = all_at_once([lambda c=c: canned.update(ADMIN, c.canned_id, change)
                           for c in originals], returning=(DomainError,))
    renamed = [r for r in results if isinstance(r, CannedResponse)]
    assert len(renamed) == 1
    shortcuts = sorted(c.shortcut for c in _service_set())
    assert shortcuts.count("thanks") == 1 and len(shortcuts) == 8
    # The losers' old shortcuts are still theirs; the winner's old one is free.
    freed = next(o.shortcut for o in originals if o.canned_id == renamed[0].canned_id)
    assert canned.create(ADMIN, _new(freed)).shortcut == freed


def test_a_set_one_place_from_full_takes_exactly_one_of_many(local_tables):
    make_tenant("acme")
    canned.create(ADMIN, _new("first"))
    counter = Token.get(canned.CannedSet("acme", None).count_key, consistent_read=True)
    counter.update(actions=[Token.failures.set(canned.CannedSet("acme", None).cap - 1)])
    results = all_at_once([lambda n=n: canned.create(ADMIN, _new(f"new{n}"))
                           for n in range(10)], returning=(DomainError,))
    assert sum(isinstance(r, CannedResponse) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} <= {"too_many", "busy"}
    assert len(_service_set()) == 2
