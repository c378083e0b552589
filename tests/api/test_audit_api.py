"""The audit log (R-AUD-1) over the real handlers: each action in API.md's list
is recorded with who, their role, where from and what changed (field names,
never a password, secret or message text), in the change's own transaction;
admins read it by time and action; nothing can change or delete an entry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app import app
from chalicelib import aws
from chalicelib.models import AuditEntry
from chalicelib.services import audit
from tests.api.helpers import Api, assert_error, login
from tests.conftest import ADMIN_PASSWORD, OPERATOR_PASSWORD, make_tenant


@pytest.fixture
def admin(desk: Any, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "audit-exports")
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    aws.client("s3").create_bucket(Bucket="audit-exports")
    return desk.admin


def entries(api: Api, query: str = "") -> list[dict[str, Any]]:
    status, body = api.get(f"/audit{query}")
    assert status == 200, body
    return body["entries"]


def of(api: Api, action: str) -> list[dict[str, Any]]:
    return entries(api, f"?action={action}")


def test_every_listed_action_is_recorded_with_who_where_and_what(admin, desk, client, tenant):
    me = admin.get("/me")[1]
    # auth: a failed sign-in, then a good one
    assert Api(client).post("/auth/login", {"service_id": tenant.service_id,
                                            "email": tenant.admin_email,
                                            "password": "not-the-password"})[0] == 401
    login(client, tenant.service_id, tenant.admin_email)
    # settings
    assert admin.put("/settings", {"max_queue": 50, "page_query_strings": True,
                                   "sticky_assignment": admin.get("/settings")[1][
                                       "sticky_assignment"]})[0] == 200
    status, identity = admin.post("/settings/identity-secret")
    assert status == 200, identity
    # operators
    status, made = admin.post("/operators", {"email": "new@acme.test", "name": "New",
                                             "password": OPERATOR_PASSWORD, "role": "operator"})
    assert status == 201, made
    assert admin.put(f"/operators/{made['operator_id']}",
                     {"password": "a-brand-new-password", "role": "admin"})[0] == 200
    assert admin.delete(f"/operators/{made['operator_id']}")[0] == 204
    # an export
    assert admin.post("/history/exports", {"q": "secret words", "language": "en"})[0] == 202
    # a block, lifted
    desk.operator()
    chat_id = desk.customer().request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    status, block = admin.post(f"/chats/{chat_id}/block", {"days": 3, "reason": "spam"})
    assert status == 201, block
    assert admin.delete(f"/blocks/{block['block_id']}")[0] == 204
    # webhooks
    status, hook = admin.post("/webhooks", {"url": "http://127.0.0.1:9/h",
                                            "events": ["chat.started"]})
    assert status == 201, hook
    assert admin.put(f"/webhooks/{hook['webhook_id']}", {"enabled": False})[0] == 200
    assert admin.post(f"/webhooks/{hook['webhook_id']}/secret")[0] == 200
    assert admin.delete(f"/webhooks/{hook['webhook_id']}")[0] == 204

    log = entries(admin, "?limit=200")
    actions = [e["action"] for e in log]
    for action in ("auth.login_failed", "auth.login", "settings.update", "operator.create",
                   "operator.update", "operator.delete", "export.create", "block.create",
                   "block.delete", "webhook.create", "webhook.update", "webhook.delete"):
        assert action in actions, action
    assert [e["at"] for e in log] == sorted((e["at"] for e in log), reverse=True)
    admin_actor = {"operator_id": me["operator_id"], "name": me["name"], "role": "admin"}
    rotation, settings_change = of(admin, "settings.update")  # newest first
    assert settings_change["actor"] == admin_actor
    assert settings_change["detail"] == {"fields": ["max_queue", "page_query_strings"]}
    assert settings_change["target"] == tenant.service_id
    assert settings_change["ip"]
    [failed] = of(admin, "auth.login_failed")
    assert failed["actor"] is None and failed["detail"] == {"email": tenant.admin_email}
    [update] = of(admin, "operator.update")
    assert update["target"] == made["operator_id"]
    assert update["detail"] == {"fields": ["password", "role"],
                                "role": {"from": "operator", "to": "admin"}}
    assert rotation["detail"] == {"fields": ["identity_secret"]}  # never the secret
    [blocked] = of(admin, "block.create")
    assert blocked["target"] == block["block_id"]
    assert blocked["detail"] == {"customer_id": block["customer_id"], "chat_id": chat_id,
                                 "days": 3, "ip": False}
    [lifted] = of(admin, "block.delete")
    assert lifted["target"] == block["block_id"]
    [made_hook] = of(admin, "webhook.create")
    assert made_hook["detail"] == {"url": "http://127.0.0.1:9/h", "events": ["chat.started"]}
    assert of(admin, "webhook.delete")[0]["target"] == hook["webhook_id"]
    [export] = of(admin, "export.create")
    assert export["detail"]["filters"] == ["q"]
    assert [e["detail"]["fields"] for e in of(admin, "webhook.update")] == [["secret"],
                                                                            ["enabled"]]
    everything = json.dumps(log)
    for never in ("not-the-password", "a-brand-new-password", OPERATOR_PASSWORD,
                  ADMIN_PASSWORD, hook["secret"], identity["identity_secret"], "secret words",
                  "spam"):
        assert never not in everything, never


def test_a_change_that_fails_records_nothing(admin):
    made = admin.post("/operators", {"email": "x@acme.test", "name": "X", "role": "operator",
                                     "password": OPERATOR_PASSWORD})[1]
    before = len(of(admin, "operator.create"))
    assert_error(admin.post("/operators", {"email": "x@acme.test", "name": "Again",
                                           "role": "operator", "password": OPERATOR_PASSWORD}),
                 409)
    assert_error(admin.put("/settings", {"max_queue": 0}), 400)
    assert len(of(admin, "operator.create")) == before
    assert of(admin, "settings.update") == []
    assert made["operator_id"]


def test_the_log_pages_by_time_and_filters_by_action(admin, monkeypatch):
    from chalicelib import clock

    base = clock.now()
    for n in range(7):
        monkeypatch.setattr(clock, "now", lambda n=n: base.replace(year=2026, month=3,
                                                                    day=1 + n, hour=12))
        assert admin.put("/settings", {"max_queue": 10 + n})[0] == 200
    monkeypatch.setattr(clock, "now", lambda: base)
    status, first = admin.get("/audit?action=settings.update&limit=3")
    assert status == 200 and len(first["entries"]) == 3 and first["next_cursor"]
    assert [e["detail"] for e in first["entries"]] == [{"fields": ["max_queue"]}] * 3
    status, rest = admin.get(f"/audit?action=settings.update&limit=3&cursor={first['next_cursor']}")
    days = [e["at"][:10] for e in first["entries"] + rest["entries"]]
    assert days == ["2026-03-07", "2026-03-06", "2026-03-05", "2026-03-04", "2026-03-03",
                    "2026-03-02"]
    # A range: local days of the service's zone (UTC here), `to` including its day.
    found = entries(admin, "?from=2026-03-02&to=2026-03-04&action=settings.update")
    assert [e["at"][:10] for e in found] == ["2026-03-04", "2026-03-03", "2026-03-02"]
    found = entries(admin, "?from=2026-03-06T00:00:00Z")
    assert {e["at"][:10] for e in found if e["action"] == "settings.update"} == {
        "2026-03-06", "2026-03-07"}
    # A cursor belongs to its own listing.
    assert_error(admin.get(f"/audit?cursor={first['next_cursor']}"), 400)


@pytest.mark.parametrize("query", ["?from=2026-03-05&to=2026-03-01", "?from=yesterday",
                                   "?to=2026-13-01", "?from=0001-01-01T00:00:00%2B01:00",
                                   "?action=chat.deleted", "?action=%3Cscript%3E",
                                   "?limit=0", "?limit=9999", "?limit=%C2%B2",
                                   "?cursor=forged", "?sort=asc", "?from=" + "9" * 50])
def test_bad_queries_are_bad_request(admin, query):
    assert_error(admin.get(f"/audit{query}"), 400, "bad_request")


def test_operators_may_not_read_it_and_services_see_only_their_own(admin, desk, client):
    operator, _ = desk.operator()
    assert_error(operator.get("/audit"), 403, "admin_only")
    admin.put("/settings", {"max_queue": 42})
    other = make_tenant("globex")
    theirs = login(client, other.service_id, other.admin_email)
    assert all(e["action"] != "settings.update" for e in entries(theirs))
    assert entries(admin, "?action=settings.update")


def test_no_route_changes_or_deletes_an_entry():
    audit_routes = {path: methods for path, methods in app.routes.items() if "audit" in path}
    assert set(audit_routes) == {"/audit"}
    assert set(audit_routes["/audit"]) <= {"GET", "OPTIONS"}
    # …and no service function does: the module writes new entries only.
    source = Path(audit.__file__).read_text()
    for verb in (".delete(", ".update(", "batch_write"):
        assert verb not in source, verb


def test_entries_are_kept_two_years(admin):
    admin.put("/settings", {"max_queue": 7})
    [found] = [e for e in AuditEntry.query(admin.get("/me")[1]["service_id"])
               if e.action == "settings.update"]
    kept = found.expires_at - datetime.fromisoformat(found.at.replace("Z", "+00:00"))
    assert round(kept.total_seconds() / 86400) == 730
