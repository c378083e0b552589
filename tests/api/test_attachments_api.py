"""Files in chats (R-ATT-1) over the real handlers: asked for, uploaded to the
presigned POST (moto's S3), checked when sent, served by presigned links; and
the hostile corpus of issue 19, each refused or neutralised with nothing stored
half-way and nothing served inline that could run."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from chalicelib import aws, config
from chalicelib.models import Attachment, Message
from tests.api.helpers import assert_error

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><body><script>alert(document.domain)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b"<script>alert(1)</script></svg>")
# A PNG whose bytes go on as HTML: a browser sniffing it could render the script.
POLYGLOT = PNG + b"<html><script>alert(1)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _objects(prefix: str = "") -> list[str]:
    found = aws.client("s3").list_objects_v2(Bucket=config.files_bucket(), Prefix=prefix)
    return [o["Key"] for o in found.get("Contents", [])]


def upload(answer: dict[str, Any], data: bytes, content_type: str | None = None) -> int:
    """The browser's part: a multipart POST of the fields, then the file."""
    upload = answer["upload"]
    form = dict(upload["fields"])
    response = requests.post(
        upload["url"], data=form,
        files={"file": ("x", data, content_type or answer["content_type"])}, timeout=10,
    )
    return response.status_code


@pytest.fixture
def chat(desk: Any) -> dict[str, Any]:
    """A chat between a customer and an online operator, assigned."""
    operator, console = desk.operator()
    customer = desk.customer()
    started = customer.request({"type": "chat.start", "consent": True, "name": "Ann",
                                "email": "ann@example.test"})
    assert started["type"] == "chat.started", started
    chat_id = started["chat"]["chat_id"]
    return {"chat_id": chat_id, "customer": customer, "operator": operator,
            "service_id": desk.tenant.service_id,
            "console": console}


def ask(socket: Any, chat_id: str, filename: str = "shot.png", content_type: str = "image/png",
        size: int = len(PNG)) -> dict[str, Any]:
    return socket.request({"type": "attachment.request", "chat_id": chat_id,
                           "filename": filename, "content_type": content_type, "size": size})


def send(socket: Any, chat_id: str, attachment_id: str, cmid: str = "m1",
         **extra: Any) -> dict[str, Any]:
    return socket.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": cmid,
                           "attachment_id": attachment_id, **extra})


def test_a_customer_sends_a_png_and_both_sides_get_a_link_that_serves_it(chat):
    customer, console, chat_id = chat["customer"], chat["console"], chat["chat_id"]
    answer = ask(customer, chat_id, filename="my shot.png")
    assert answer["type"] == "attachment.upload", answer
    assert answer["filename"] == "my shot.png" and answer["size"] == len(PNG)
    fields = answer["upload"]["fields"]
    assert fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", len(PNG), len(PNG)] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert fields["key"] == f"uploads/{chat['service_id']}/{answer['attachment_id']}"
    assert upload(answer, PNG) in (200, 204)

    ack = send(customer, chat_id, answer["attachment_id"], text="look")
    assert ack["type"] == "message.ack", ack
    pushed = [f for f in console.frames("message") if f["message"]["seq"] == ack["seq"]]
    assert len(pushed) == 1
    attachment = pushed[0]["message"]["attachment"]
    assert attachment["filename"] == "my shot.png" and attachment["content_type"] == "image/png"
    assert attachment["thumbnail_url"] == attachment["url"]
    got = requests.get(attachment["url"], timeout=10)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"].startswith("inline;")
    # The upload is gone; the checked file lives under files/<service>/<day>/<chat>/.
    assert _objects("uploads/") == []
    [key] = _objects("files/")
    assert key.endswith(f"/{chat_id}/{answer['attachment_id']}")
    tags = aws.client("s3").get_object_tagging(Bucket=config.files_bucket(), Key=key)["TagSet"]
    assert {t["Key"] for t in tags} == {"service", "chat_date"}


def test_the_operator_sends_a_pdf_that_downloads_as_an_attachment(chat):
    customer, operator, console, chat_id = (chat["customer"], chat["operator"], chat["console"],
                                            chat["chat_id"])
    status, answer = operator.post(f"/chats/{chat_id}/attachments",
                                   {"filename": "請求書 2026.pdf", "content_type":
                                    "application/pdf", "size": len(PDF)})
    assert status == 201, answer
    assert upload(answer, PDF) in (200, 204)
    ack = send(console, chat_id, answer["attachment_id"])
    assert ack["type"] == "message.ack", ack
    [frame] = [f for f in customer.frames("message") if f["message"]["seq"] == ack["seq"]]
    message = frame["message"]
    assert message["text"] == "" and "thumbnail_url" not in message["attachment"]
    got = requests.get(message["attachment"]["url"], timeout=10)
    assert got.content == PDF and got.headers["Content-Type"] == "application/pdf"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8%202026.pdf" in disposition
    # A fresh link for the operator, and the history carries it too.
    status, fresh = operator.get(f"/chats/{chat_id}/attachments/{answer['attachment_id']}")
    assert status == 200 and fresh["filename"] == "請求書 2026.pdf"
    link = customer.request({"type": "attachment.link", "chat_id": chat_id,
                             "attachment_id": answer["attachment_id"]})
    assert link["type"] == "attachment.link" and requests.get(link["url"], timeout=10).ok
    status, listed = operator.get(f"/chats/{chat_id}/messages")
    assert status == 200
    assert [m["attachment"]["filename"] for m in listed["messages"] if m.get("attachment")] \
        == ["請求書 2026.pdf"]


# --- refused when asked ---------------------------------------------------------------------


@pytest.mark.parametrize(("filename", "content_type", "size", "reason"), [
    ("x.svg", "image/svg+xml", 100, "type"),
    ("x.html", "text/html", 100, "type"),
    ("x.exe", "application/x-msdownload", 100, "type"),
    ("x.png", "image/png", 0, "empty"),
    ("x.png", "image/png", 10 * 1024 * 1024 + 1, "size"),
])
def test_types_and_sizes_the_service_does_not_take_are_refused_when_asked(
        chat, filename, content_type, size, reason):
    answer = ask(chat["customer"], chat["chat_id"], filename, content_type, size)
    assert answer["type"] == "error" and answer["code"] == "bad_attachment", answer
    assert answer["reason"] == reason
    assert Attachment.count() == 0


@pytest.mark.parametrize("frame", [
    {"filename": 5, "content_type": "image/png", "size": 10},
    {"filename": "", "content_type": "image/png", "size": 10},
    {"filename": "a" * 1001, "content_type": "image/png", "size": 10},
    {"filename": "a.png", "content_type": ["image/png"], "size": 10},
    {"filename": "a.png", "content_type": "image/png", "size": -1},
    {"filename": "a.png", "content_type": "image/png", "size": "10"},
    {"filename": "a.png", "content_type": "image/png", "size": 1.5},
    {"filename": "a.png", "content_type": "image/png"},
])
def test_malformed_requests_are_bad_request(chat, frame):
    answer = chat["customer"].request({"type": "attachment.request", "chat_id": chat["chat_id"],
                                       **frame})
    assert answer["type"] == "error" and answer["code"] == "bad_request", answer
    assert Attachment.count() == 0


def test_files_are_refused_while_the_setting_is_off(chat, desk):
    settings = desk.admin.get("/settings")[1]
    assert settings["attachments"]["enabled"] is True
    status, _ = desk.admin.put("/settings", {"attachments": {**settings["attachments"],
                                                              "enabled": False}})
    assert status == 200
    answer = ask(chat["customer"], chat["chat_id"])
    assert answer["code"] == "attachments_disabled"
    assert_error(chat["operator"].post(f"/chats/{chat['chat_id']}/attachments",
                                       {"filename": "a.pdf", "content_type": "application/pdf",
                                        "size": 10}), 403, "attachments_disabled")
    config_body = desk.public.get(f"/widget/{desk.tenant.widget_key}/config")[1]
    assert config_body["attachments"]["enabled"] is False


def test_a_file_asked_for_while_on_is_refused_when_sent_after_switching_off(chat, desk):
    answer = ask(chat["customer"], chat["chat_id"])
    upload(answer, PNG)
    settings = desk.admin.get("/settings")[1]
    desk.admin.put("/settings", {"attachments": {**settings["attachments"], "enabled": False}})
    refused = send(chat["customer"], chat["chat_id"], answer["attachment_id"])
    assert refused["code"] == "attachments_disabled"
    assert Message.count(chat["chat_id"]) == 1  # the greeting only


def test_a_customer_cannot_attach_to_a_chat_they_are_not_in(chat, desk):
    stranger = desk.customer(ip="203.0.113.99")
    answer = ask(stranger, chat["chat_id"])
    assert answer["code"] == "not_found"
    other_operator, _ = desk.operator()
    assert_error(other_operator.post(f"/chats/{chat['chat_id']}/attachments",
                                     {"filename": "a.pdf", "content_type": "application/pdf",
                                      "size": 10}), 403)
    assert Attachment.count() == 0


# --- refused when sent: the file is not what it claims -------------------------------------

HOSTILE_UPLOADS = [
    ("html renamed .png", "evil.png", "image/png", HTML, "type"),
    ("svg claimed as png", "evil.png", "image/png", SVG, "type"),
    ("png/html polyglot claimed as text", "note.txt", "text/plain", POLYGLOT, "type"),
    ("pdf claimed as an image", "photo.jpg", "image/jpeg", PDF, "type"),
    ("exe renamed .pdf", "invoice.pdf", "application/pdf", EXE, "type"),
    ("html claimed as text", "readme.txt", "text/plain", HTML, "type"),
]


@pytest.mark.parametrize(("label", "filename", "content_type", "data", "reason"),
                         HOSTILE_UPLOADS, ids=[u[0] for u in HOSTILE_UPLOADS])
def test_a_file_that_is_not_what_it_claims_is_refused_and_deleted(
        chat, label, filename, content_type, data, reason):
    customer, console, chat_id = chat["customer"], chat["console"], chat["chat_id"]
    answer = ask(customer, chat_id, filename, content_type, len(data))
    assert answer["type"] == "attachment.upload", answer
    upload(answer, data)
    before = len(console.frames("message"))
    refused = send(customer, chat_id, answer["attachment_id"])
    assert refused["type"] == "error" and refused["code"] == "bad_attachment", refused
    assert refused["reason"] == reason
    assert _objects() == []  # the upload deleted, nothing copied
    assert len(console.frames("message")) == before
    assert Message.count(chat_id) == 1
    # Refused once is refused for good (the object is gone anyway).
    again = send(customer, chat_id, answer["attachment_id"], cmid="m2")
    assert again["code"] == "bad_attachment" and again["reason"] == "missing"


def test_a_polyglot_png_is_served_as_an_image_never_as_html(chat):
    """A PNG with HTML after its image data is a PNG: served as image/png (which
    a browser never renders as a page), from the bucket's origin."""
    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id, "poly.png", "image/png", len(POLYGLOT))
    upload(answer, POLYGLOT)
    ack = send(customer, chat_id, answer["attachment_id"])
    assert ack["type"] == "message.ack", ack
    [frame] = [f for f in chat["console"].frames("message") if f["message"]["seq"] == ack["seq"]]
    got = requests.get(frame["message"]["attachment"]["url"], timeout=10)
    assert got.headers["Content-Type"] == "image/png"


def test_an_empty_upload_is_refused_as_empty(chat):
    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id, size=10)
    upload(answer, b"")
    refused = send(customer, chat_id, answer["attachment_id"])
    assert refused["code"] == "bad_attachment" and refused["reason"] == "empty"
    assert _objects() == []


def test_an_upload_larger_than_declared_is_refused(chat):
    """S3 refuses it by the policy's content-length-range on AWS; the check
    after upload refuses it wherever the policy was not enforced."""
    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id, size=len(PNG))
    upload(answer, PNG + b"\0" * 5000)
    refused = send(customer, chat_id, answer["attachment_id"])
    assert refused["code"] == "bad_attachment" and refused["reason"] == "size"
    assert _objects() == []


def test_a_file_never_uploaded_is_missing(chat):
    answer = ask(chat["customer"], chat["chat_id"])
    refused = send(chat["customer"], chat["chat_id"], answer["attachment_id"])
    assert refused["code"] == "bad_attachment" and refused["reason"] == "missing"


@pytest.mark.parametrize("filename", [
    "../../etc/passwd.png", "..\\..\\boot.png", "photo\u202egnp.exe",
    "<script>alert(1)</script>.png",
    "a" * 300 + ".png", "tab\tand\nnewline.png", ".png",
])
def test_hostile_names_are_cleaned(chat, filename):
    answer = ask(chat["customer"], chat["chat_id"], filename)
    assert answer["type"] == "attachment.upload", answer
    name = answer["filename"]
    assert "/" not in name and "\\" not in name and "\u202e" not in name
    assert "\n" not in name and "\t" not in name
    assert len(name) <= 100 and name.endswith(".png")
    upload(answer, PNG)
    ack = send(chat["customer"], chat["chat_id"], answer["attachment_id"])
    [frame] = [f for f in chat["console"].frames("message") if f["message"]["seq"] == ack["seq"]]
    assert frame["message"]["attachment"]["filename"] == name


# --- who may send which file, and how often ------------------------------------------------


def test_an_attachment_is_sent_once_and_a_retry_of_its_message_is_the_same_message(chat):
    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id)
    upload(answer, PNG)
    first = send(customer, chat_id, answer["attachment_id"], cmid="once")
    retry = send(customer, chat_id, answer["attachment_id"], cmid="once")
    assert first["type"] == retry["type"] == "message.ack"
    assert first["seq"] == retry["seq"]
    reused = send(customer, chat_id, answer["attachment_id"], cmid="twice")
    assert reused["code"] == "bad_attachment" and reused["reason"] == "used"
    assert Message.count(chat_id) == 2


def test_an_attachment_of_another_chat_or_sender_is_missing(chat, desk):
    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id)
    upload(answer, PNG)
    # The chat's operator may not send the customer's upload.
    stolen = send(chat["console"], chat_id, answer["attachment_id"])
    assert stolen["code"] == "bad_attachment" and stolen["reason"] == "missing"
    # Another customer's chat: the id means nothing there.
    other = desk.customer(ip="203.0.113.77")
    other_chat = other.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    elsewhere = send(other, other_chat, answer["attachment_id"])
    assert elsewhere["code"] == "bad_attachment" and elsewhere["reason"] == "missing"
    # Still the owner's to send.
    assert send(customer, chat_id, answer["attachment_id"])["type"] == "message.ack"


def test_another_services_attachment_and_links_are_not_found(chat, client, desk):
    from tests.api.ws_gateway import Desk
    from tests.conftest import make_tenant

    answer = ask(chat["customer"], chat["chat_id"])
    upload(answer, PNG)
    send(chat["customer"], chat["chat_id"], answer["attachment_id"])
    other = Desk(client, make_tenant("globex"))
    assert_error(other.admin.get(f"/chats/{chat['chat_id']}/attachments/"
                                 f"{answer['attachment_id']}"), 404)
    customer = other.customer(ip="203.0.113.55")
    own_chat = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    stolen = send(customer, own_chat, answer["attachment_id"])
    assert stolen["code"] == "bad_attachment" and stolen["reason"] == "missing"
    link = customer.request({"type": "attachment.link", "chat_id": own_chat,
                             "attachment_id": answer["attachment_id"]})
    assert link["code"] == "bad_attachment"


def test_a_message_needs_text_or_a_file(chat):
    refused = chat["customer"].request({"type": "message.send", "chat_id": chat["chat_id"],
                                        "client_msg_id": "x"})
    assert refused["code"] == "bad_request" and "text" in refused["message"]
    blank = chat["customer"].request({"type": "message.send", "chat_id": chat["chat_id"],
                                      "client_msg_id": "y", "text": "  "})
    assert blank["code"] == "bad_request"


def test_settings_refuse_svg_html_and_bad_limits(desk):
    good = desk.admin.get("/settings")[1]["attachments"]
    assert good == {"enabled": True, "max_bytes": 10485760,
                    "types": ["image/png", "image/jpeg", "image/gif", "image/webp",
                              "application/pdf", "text/plain"]}
    for bad, field in [
        ({**good, "types": ["image/svg+xml"]}, "attachments.types"),
        ({**good, "types": ["text/html"]}, "attachments.types"),
        ({**good, "types": []}, "attachments.types"),
        ({**good, "max_bytes": 0}, "attachments.max_bytes"),
        ({**good, "max_bytes": 26214401}, "attachments.max_bytes"),
        ({**good, "max_bytes": True}, "attachments.max_bytes"),
        ({**good, "enabled": "yes"}, "attachments.enabled"),
        ({**good, "extra": 1}, "attachments.extra"),
        ({"enabled": True}, "attachments.max_bytes"),
        ("on", "attachments"),
    ]:
        body = assert_error(desk.admin.put("/settings", {"attachments": bad}), 400, "bad_request")
        assert body["message"].startswith(field), (bad, body)
    assert desk.admin.get("/settings")[1]["attachments"] == good
    status, saved = desk.admin.put("/settings", {"attachments": {
        "enabled": True, "max_bytes": 1000, "types": ["application/pdf", "image/png"]}})
    assert status == 200
    assert saved["attachments"]["types"] == ["image/png", "application/pdf"]


# --- where files are listed: the transcript mail, the export ------------------------------


def test_the_transcript_mail_names_the_files_and_links_none(chat):
    from tests.api.test_offline_tickets_api import mails_to

    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id, "receipt.png")
    upload(answer, PNG)
    send(customer, chat_id, answer["attachment_id"], text="here it is")
    assert customer.request({"type": "transcript.request",
                             "chat_id": chat_id})["type"] == "transcript.queued"
    [mail] = mails_to("ann@example.test")
    assert "here it is" in mail.body
    assert "receipt.png (image/png, 70 B)" in mail.body
    assert "http" not in mail.body.split("receipt.png")[1].split("\n")[0]


def test_the_export_lists_file_names_and_types(chat, desk, monkeypatch):
    import io

    import openpyxl

    monkeypatch.setenv("EXPORT_INVOKE", "inline")
    monkeypatch.setenv("EXPORTS_BUCKET", "test-exports")
    aws.client("s3").create_bucket(Bucket="test-exports")
    operator, console, chat_id = chat["operator"], chat["console"], chat["chat_id"]
    status, answer = operator.post(f"/chats/{chat_id}/attachments", {
        "filename": "請求書.pdf", "content_type": "application/pdf", "size": len(PDF)})
    assert status == 201, answer
    upload(answer, PDF)
    assert send(console, chat_id, answer["attachment_id"], text="the invoice")["type"] \
        == "message.ack"
    job = desk.admin.post("/history/exports", {"language": "en"})[1]
    job = desk.admin.get(f"/history/exports/{job['export_id']}")[1]
    assert job["status"] == "done", job
    from urllib.parse import unquote, urlsplit

    key = unquote(urlsplit(job["url"]).path.lstrip("/"))  # virtual-hosted style
    body = aws.client("s3").get_object(Bucket="test-exports", Key=key)["Body"].read()
    rows = list(openpyxl.load_workbook(io.BytesIO(body))["Messages"].iter_rows(values_only=True))
    assert rows[0][5:9] == ("Text", "Kind", "Attachment", "Attachment type")
    assert ("the invoice", "Message", "請求書.pdf", "application/pdf") in [r[5:9] for r in rows]


def test_an_upload_not_sent_within_a_day_is_missing(chat, monkeypatch):
    """Its item expires after a day (TTL, which lags on DynamoDB: the check
    compares the time itself)."""
    from datetime import timedelta

    from chalicelib import clock

    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id)
    upload(answer, PNG)
    later = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    refused = send(customer, chat_id, answer["attachment_id"])
    assert refused["code"] == "bad_attachment" and refused["reason"] == "missing"
    assert Message.count(chat_id) == 1


def test_no_link_to_a_file_not_sent(chat):
    """A pending upload (never checked) is nobody's to download."""
    answer = ask(chat["customer"], chat["chat_id"])
    upload(answer, PNG)
    status, body = chat["operator"].get(
        f"/chats/{chat['chat_id']}/attachments/{answer['attachment_id']}")
    assert (status, body["code"], body["reason"]) == (400, "bad_attachment", "missing")
    link = chat["customer"].request({"type": "attachment.link", "chat_id": chat["chat_id"],
                                     "attachment_id": answer["attachment_id"]})
    assert link["code"] == "bad_attachment" and link["reason"] == "missing"


def test_a_rival_message_sending_the_file_between_our_check_and_our_copy_makes_ours_used(
        chat, monkeypatch):
    """The race the integration test runs twelve-wide, pinned: another message
    commits the file and deletes its upload after this one read it."""
    from chalicelib.services import attachments

    customer, chat_id = chat["customer"], chat["chat_id"]
    answer = ask(customer, chat_id)
    upload(answer, PNG)
    real = attachments._first_bytes

    def read_then_lose_the_race(key: str) -> Any:
        found = real(key)
        item = Attachment.get(answer["attachment_id"])
        item.update(actions=[Attachment.status.set("sent"), Attachment.seq.set(9),
                             Attachment.client_msg_id.set("rival")])
        aws.client("s3").delete_object(Bucket=config.files_bucket(), Key=key)
        return found

    monkeypatch.setattr(attachments, "_first_bytes", read_then_lose_the_race)
    late = send(customer, chat_id, answer["attachment_id"], cmid="late")
    assert late["code"] == "bad_attachment" and late["reason"] == "used", late
    assert Message.count(chat_id) == 1  # the system's welcome only: nothing of ours
