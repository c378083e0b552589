"""Files in chats (R-ATT-1) raced on DynamoDB Local, with S3 from moto's
server: one upload sent by many messages at once goes out once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib import aws, config
from chalicelib.errors import BadAttachment
from chalicelib.models import Attachment, Message
from chalicelib.services import attachments, chats, messages
from tests.api.test_attachments_api import PNG
from tests.chat_helpers import (
    NOW,
    RecordingPusher,
    add_operator,
    all_at_once,
    connect_customer,
    start_chat,
)
from tests.conftest import make_tenant
from tests.integration.stack_runner import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def s3(local_tables: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 on loopback (as in the local stack) with the files bucket."""
    from infra.local import moto_servers

    server = moto_servers.start(free_port())
    monkeypatch.setenv("S3_ENDPOINT", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset()
    aws.client("s3", endpoint_url=server.endpoint).create_bucket(Bucket=config.files_bucket())
    yield server.endpoint
    server.stop()
    aws.reset()


def test_one_upload_sent_by_twelve_messages_at_once_goes_out_once(s3: str) -> None:
    make_tenant("acme")
    push = RecordingPusher()
    add_operator("acme", max_chats=5)
    customer = connect_customer("acme")
    chat = start_chat(customer, push)
    tabs = [customer, *[connect_customer("acme", customer.subject_id) for _ in range(5)]]
    for tab in tabs[1:]:
        chats.resume(tab, chat.chat_id, 0)
    asked = attachments.AttachmentRequest("shot.png", "image/png", len(PNG))
    answer = attachments.request(customer, chat.chat_id, asked, now=NOW)
    upload = answer["upload"]
    posted = requests.post(upload["url"], data=upload["fields"],
                           files={"file": ("shot.png", PNG, "image/png")}, timeout=10)
    assert posted.status_code in (200, 204), posted.text

    # Twelve sends: six tabs, each its own message, each sent twice (a retry).
    def send(tab: Any, n: int) -> Any:
        message = messages.NewMessage(chat.chat_id, f"cm-{n}", "", answer["attachment_id"])
        return messages.send(tab, message, now=NOW, push=push)

    results = all_at_once([lambda t=t, n=n: send(t, n) for n, t in enumerate(tabs)] * 2,
                          returning=(BadAttachment,))
    sent = [r for r in results if isinstance(r, messages.Sent)]
    refused = [r for r in results if isinstance(r, BadAttachment)]
    assert len(sent) + len(refused) == 12
    assert {r.details["reason"] for r in refused} <= {"used"}
    # One message holds the file; every success names its seq (the other one
    # is the retry of the same message).
    holding = [m for m in Message.query(chat.chat_id) if m.attachment]
    assert len(holding) == 1
    assert {s.seq for s in sent} == {int(holding[0].seq)}
    assert Counter(s.duplicate for s in sent)[False] == 1
    stored = Attachment.get(answer["attachment_id"], consistent_read=True)
    assert stored.status == "sent" and int(stored.seq) == int(holding[0].seq)
    keys = [o["Key"] for o in aws.client("s3", endpoint_url=s3).list_objects_v2(
        Bucket=config.files_bucket()).get("Contents", [])]
    assert keys == [attachments.file_key(stored)]
