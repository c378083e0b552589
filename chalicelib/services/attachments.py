"""Files in chats (R-ATT-1): asked for, uploaded by the browser straight to S3,
checked when sent, served by short-lived links. The Lambda never carries a
file's bytes (only the first few KB, to tell what the file is).

1. `request`: the sender may speak in the chat and the service takes this type
   and size → an Attachment item (pending, a day to live) and a presigned POST
   for `uploads/<service>/<attachment>`: exact Content-Type, exact length,
   5 minutes.
2. The browser uploads.
3. `for_message` (at `message.send`): the uploader, the chat, the object's
   size and its type read from its first bytes; refused → the upload is
   deleted, the item marked refused, `bad_attachment`. Accepted → copied to
   `files/<service>/<chat day>/<chat>/<attachment>` with its checked type, its
   Content-Disposition and tags naming the service and the day (retention and
   erasure find it by both); the message's transaction marks the item sent
   (once: a condition), then the upload is deleted.
4. `link_json`: a presigned GET valid an hour; everything but the four image
   types downloads as an attachment (the object says so, services/files.py).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from pynamodb.transactions import TransactWrite

from chalicelib import auth, aws, clock, config, validate
from chalicelib.errors import AttachmentsDisabled, BadAttachment, InvalidInput
from chalicelib.models import Attachment, Chat, Message
from chalicelib.services import files, heads, settings, tenants
from chalicelib.services.access import Actor

log = logging.getLogger("helpdesk.attachments")

UPLOAD_TTL_S = 300  # a presigned POST is valid 5 minutes
LINK_TTL_S = 3600  # a presigned GET, an hour
PENDING_TTL = timedelta(days=1)  # an upload never sent is forgotten after a day
MAX_DECLARED_NAME = 1000  # characters of a name as sent (it is cleaned to 100)

PENDING, SENT, REFUSED = "pending", "sent", "refused"


def bucket() -> str:
    return config.files_bucket()


def s3() -> Any:
    return aws.client("s3", endpoint_url=config.s3_endpoint())


def bucket_origin() -> str:
    """The origin links and uploads go to (for the chat frame's CSP): signing
    a link is local, nothing is sent."""
    url = s3().generate_presigned_url("get_object", Params={"Bucket": bucket(), "Key": "files/x"},
                                       ExpiresIn=60)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def upload_key(attachment: Attachment) -> str:
    return f"uploads/{attachment.service_id}/{attachment.attachment_id}"


def file_key(attachment: Attachment) -> str:
    return (f"files/{attachment.service_id}/{attachment.chat_date}/{attachment.chat_id}/"
            f"{attachment.attachment_id}")


# --- 1. asking to send a file ------------------------------------------------------


@dataclass(frozen=True)
class AttachmentRequest:
    """`POST /chats/{id}/attachments` or `attachment.request`: a file's name,
    type and size as its sender declares them."""

    filename: str
    content_type: str
    size: int

    @classmethod
    def checked(cls, body: Any) -> AttachmentRequest:
        validate.body_object(body)
        for name in ("filename", "content_type", "size"):
            if name not in body:
                raise InvalidInput(name, "is required")
        filename = body["filename"]
        if not isinstance(filename, str) or not filename.strip():
            raise InvalidInput("filename", "must be a non-empty string")
        if len(filename) > MAX_DECLARED_NAME:
            raise InvalidInput("filename", f"must be at most {MAX_DECLARED_NAME} characters")
        content_type = body["content_type"]
        if not isinstance(content_type, str) or not content_type or len(content_type) > 100:
            raise InvalidInput("content_type", "must be a type such as image/png")
        size = validate.integer(body, "size", low=0, high=files.MAX_BYTES * 4)
        return cls(filename, content_type.strip().lower(), int(size or 0))


def allowed(service_id: str) -> dict[str, Any]:
    """The service's `attachments` setting; AttachmentsDisabled when off."""
    found = settings.current(tenants.get_service(service_id))["attachments"]
    if not found["enabled"]:
        raise AttachmentsDisabled()
    return dict(found)


def _check_declared(asked: AttachmentRequest, limits: dict[str, Any]) -> None:
    if asked.content_type not in limits["types"]:
        raise BadAttachment(
            f"files of type {asked.content_type[:40]!r} cannot be sent here "
            f"(allowed: {', '.join(limits['types'])})", "type")
    if asked.size == 0:
        raise BadAttachment("the file is empty", "empty")
    if asked.size > limits["max_bytes"]:
        raise BadAttachment(f"the file is larger than the limit of {limits['max_bytes']} bytes",
                            "size")


def request(actor: Actor, chat_id: str, asked: AttachmentRequest, *,
            now: datetime) -> dict[str, Any]:
    """Where to upload the file: the sender may speak in the chat now, the
    service takes files of this type and size."""
    head = heads.readable(actor, chat_id)
    heads.require_speaker(actor, head)
    limits = allowed(actor.service_id)
    _check_declared(asked, limits)
    chat = Chat.get(head.chat_id)
    attachment = Attachment(
        attachment_id=auth.new_id("at"),
        service_id=head.service_id,
        chat_id=head.chat_id,
        chat_date=chat.created_at[:10],
        uploader_id=actor.subject_id,
        uploader_role="customer" if actor.is_customer else "operator",
        filename=files.clean_filename(asked.filename, asked.content_type),
        content_type=asked.content_type,
        size=asked.size,
        status=PENDING,
        created_at=clock.iso(now),
        expires_at=now + PENDING_TTL,
    )
    attachment.save(condition=Attachment.attachment_id.does_not_exist())
    post = s3().generate_presigned_post(
        Bucket=bucket(),
        Key=upload_key(attachment),
        Fields={"Content-Type": asked.content_type},
        Conditions=[{"Content-Type": asked.content_type},
                    ["content-length-range", asked.size, asked.size]],
        ExpiresIn=UPLOAD_TTL_S,
    )
    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": int(attachment.size),
        "upload": {"url": post["url"], "fields": post["fields"]},
        "expires_at": clock.iso(now + timedelta(seconds=UPLOAD_TTL_S)),
    }


# --- 3. sending it ------------------------------------------------------------------


@dataclass
class Checked:
    """A checked file ready to be sent with a message, or one this very
    message sent already (a client's retry: `sent_seq`)."""

    attachment: Attachment
    sent_seq: int | None = None

    def in_message(self) -> dict[str, Any]:
        a = self.attachment
        return {"attachment_id": a.attachment_id, "filename": a.filename,
                "content_type": a.content_type, "size": int(a.size), "key": file_key(a)}

    def add_to(self, writes: TransactWrite, seq: int, client_msg_id: str, now: datetime,
               *, expires_at: datetime | None) -> None:
        """Sent once: only while still pending; kept as long as its chat."""
        writes.update(
            self.attachment,
            actions=[Attachment.status.set(SENT), Attachment.seq.set(seq),
                     Attachment.client_msg_id.set(client_msg_id),
                     Attachment.key.set(file_key(self.attachment)),
                     Attachment.sent_at.set(clock.iso(now)),
                     Attachment.expires_at.set(expires_at) if expires_at
                     else Attachment.expires_at.remove()],
            condition=Attachment.status == PENDING,
        )

    def committed(self) -> None:
        _delete_quietly(upload_key(self.attachment))


def _missing() -> BadAttachment:
    return BadAttachment("no such file (it may have expired); attach it again", "missing")


def for_message(actor: Actor, chat_id: str, attachment_id: str, client_msg_id: str, *,
                now: datetime) -> Checked:
    """The file `attachment_id` checked for `message.send`: the sender's own
    upload in this chat, not sent before (unless by this same message),
    there, of the size declared and within the limit, and of the type it
    claimed by its own bytes. Otherwise BadAttachment, and the upload is gone."""
    try:
        attachment = Attachment.get(attachment_id, consistent_read=True)
    except Attachment.DoesNotExist:
        raise _missing() from None
    if (attachment.service_id != actor.service_id or attachment.chat_id != chat_id
            or attachment.uploader_id != actor.subject_id):
        raise _missing()  # never a hint that it exists elsewhere
    if attachment.status == SENT:
        return sent_before(attachment, client_msg_id)
    if attachment.status != PENDING or (
            attachment.expires_at is not None and attachment.expires_at <= now):
        raise _missing()
    limits = allowed(actor.service_id)
    head, total = _first_bytes(upload_key(attachment))
    if total is None:
        return _gone(attachment_id, client_msg_id)
    if total == 0:
        _refuse(attachment, "the file is empty", "empty")
    if total != int(attachment.size) or total > limits["max_bytes"]:
        _refuse(attachment, "the file uploaded is not the size declared, or larger than the "
                "limit", "size")
    if not files.is_what_it_claims(attachment.content_type, head, limits["types"]):
        _refuse(attachment, f"the file is not a {attachment.content_type} file by its content",
                "type")
    if not _store_checked(attachment):
        return _gone(attachment_id, client_msg_id)
    return Checked(attachment)


def _gone(attachment_id: str, client_msg_id: str) -> Checked:
    """The upload is not there: never uploaded, or sent by a message racing
    this one (which deletes the upload once it is sent), between our read and
    our copy as well as before."""
    again = Attachment.get(attachment_id, consistent_read=True)
    if again.status == SENT:
        return sent_before(again, client_msg_id)
    raise _missing()


def sent_before(attachment: Attachment, client_msg_id: str) -> Checked:
    """A file already sent: by this same message (a retry: its seq), else
    refused as used."""
    if attachment.client_msg_id == client_msg_id:
        return Checked(attachment, sent_seq=int(attachment.seq or 0))
    raise BadAttachment("this file was sent already", "used")


def _first_bytes(key: str) -> tuple[bytes, int | None]:
    """The object's first SNIFF_BYTES and its whole size (None: not there)."""
    from botocore.exceptions import ClientError

    try:
        found = s3().get_object(Bucket=bucket(), Key=key,
                                 Range=f"bytes=0-{files.SNIFF_BYTES - 1}")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "InvalidRange":
            return b"", 0  # an empty object has no byte 0
        if code in ("NoSuchKey", "404", "NotFound"):
            return b"", None
        raise
    head = found["Body"].read()
    content_range = str(found.get("ContentRange") or "")
    total = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else len(head)
    return head, total


def _refuse(attachment: Attachment, message: str, reason: str) -> None:
    """Delete the upload, mark the item refused (not sendable again), raise."""
    _delete_quietly(upload_key(attachment))
    from pynamodb.exceptions import UpdateError

    # Sent or refused meanwhile: either way not by this message.
    with contextlib.suppress(UpdateError):
        attachment.update(actions=[Attachment.status.set(REFUSED)],
                          condition=Attachment.status == PENDING)
    raise BadAttachment(message, reason)


def _store_checked(attachment: Attachment) -> bool:
    """Copy the checked upload where sent files live, typed by its content,
    with its Content-Disposition and the tags retention and erasure look for;
    False when the upload is gone meanwhile."""
    from botocore.exceptions import ClientError

    tags = urlencode({"service": attachment.service_id, "chat_date": attachment.chat_date})
    try:
        s3().copy_object(
            Bucket=bucket(),
            Key=file_key(attachment),
            CopySource={"Bucket": bucket(), "Key": upload_key(attachment)},
            MetadataDirective="REPLACE",
            ContentType=attachment.content_type,
            ContentDisposition=files.content_disposition(attachment.filename,
                                                         attachment.content_type),
            TaggingDirective="REPLACE",
            Tagging=tags,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return False
        raise
    return True


def _delete_quietly(key: str) -> None:
    """Delete an object; a failure leaves it to the bucket's lifecycle rule."""
    try:
        s3().delete_object(Bucket=bucket(), Key=key)
    except Exception:
        log.warning("could not delete an upload; the lifecycle rule will", exc_info=True)


# --- 4. links -----------------------------------------------------------------------


def link_json(stored: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A message's `attachment` as clients see it: a fresh link (signing is
    local, no request), and for images a thumbnail (the image itself)."""
    content_type = str(stored.get("content_type"))
    filename = str(stored.get("filename"))
    url = s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket(),
            "Key": str(stored.get("key")),
            "ResponseContentType": content_type,
            "ResponseContentDisposition": files.content_disposition(filename, content_type),
        },
        ExpiresIn=LINK_TTL_S,
    )
    found = {
        "attachment_id": stored.get("attachment_id"),
        "filename": filename,
        "content_type": content_type,
        "size": int(stored.get("size") or 0),
        "url": url,
        "expires_at": clock.iso((now or clock.now()) + timedelta(seconds=LINK_TTL_S)),
    }
    if content_type in files.INLINE_TYPES:
        found["thumbnail_url"] = url
    return found


def link(actor: Actor, chat_id: str, attachment_id: str) -> dict[str, Any]:
    """A fresh link to a file sent in a chat the actor may read."""
    heads.readable(actor, chat_id)
    try:
        attachment = Attachment.get(attachment_id, consistent_read=True)
    except Attachment.DoesNotExist:
        raise _missing() from None
    if (attachment.chat_id != chat_id or attachment.service_id != actor.service_id
            or attachment.status != SENT):
        raise _missing()
    return link_json({"attachment_id": attachment.attachment_id,
                      "filename": attachment.filename,
                      "content_type": attachment.content_type,
                      "size": int(attachment.size), "key": file_key(attachment)})


def stored(message: Message) -> dict[str, Any] | None:
    """The file a message carries, as stored (with its object's key), or None."""
    found = message.attachment
    if not found:
        return None
    data = found.as_dict() if hasattr(found, "as_dict") else dict(found)
    return None if data.get("erased") else data  # erased (R-PRIV-2): nothing to show


def listed(message: Message) -> str | None:
    """A message's file as a line of text (transcripts, exports): name, type, size."""
    data = stored(message)
    if data is None:
        return None
    size = human_size(int(data.get("size") or 0))
    return f"{data.get('filename')} ({data.get('content_type')}, {size})"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
