"""Two writes the review found racing, on DynamoDB Local with real threads:
settings saved by two admins at once keep both changes, and an export worker
invoked twice (Lambda delivers asynchronous invocations at least once) runs the
export once."""

from __future__ import annotations

import pytest

from chalicelib.models import ExportJob, ExportStatus, Service
from chalicelib.services import exports, history, settings, tenants
from chalicelib.services.access import Actor
from tests.chat_helpers import NOW, all_at_once
from tests.conftest import make_tenant
from tests.history_helpers import make_chat

pytestmark = pytest.mark.integration



def test_two_admins_saving_different_settings_at_once_both_keep_their_change(local_tables):
    make_tenant("acme")
    for round_ in range(5):
        # Both read the settings before either saves, as two consoles would.
        first, second = tenants.get_service("acme"), tenants.get_service("acme")
        greeting = f"Welcome, round {round_}!"
        changes = [(first, settings.SettingsChange({"greeting": greeting})),
                   (second, settings.SettingsChange({"max_queue": 10 + round_}))]
        all_at_once([lambda read=read, change=change: settings.update(read, change)
                      for read, change in changes])
        saved = settings.current(Service.get("acme", consistent_read=True))
        assert (saved["greeting"], saved["max_queue"]) == (greeting, 10 + round_)
    assert Service.get("acme", consistent_read=True).settings_version == 10


def test_an_export_invoked_twice_at_once_runs_once(local_tables, monkeypatch):
    make_tenant("acme")
    for n in range(3):
        make_chat("acme", n, NOW).save()
    uploads: list[str] = []

    class Uploader:
        def upload_file(self, filename: str, bucket: str, key: str) -> None:
            uploads.append(key)

    monkeypatch.setattr(exports, "_s3", Uploader)
    admin = Actor(service_id="acme", role="admin", subject_id="op_admin", name="Admin")
    job = exports.start(admin, history.parse_filter({"from": NOW.date().isoformat()}),
                        lambda export_id: None)

    all_at_once([lambda: exports.run(job.export_id) for _ in range(4)])

    done = ExportJob.get(job.export_id, consistent_read=True)
    assert (done.status, done.rows) == (ExportStatus.DONE, 3)
    assert uploads == [f"exports/acme/{job.export_id}.xlsx"]
    exports.run(job.export_id)  # a late retry of the finished job
    assert len(uploads) == 1
