"""The local stack's outbox (R-MAIL-1): nothing leaves the machine. The app
sends with SES as on AWS, to moto's SES in this process (the stack's moto
server), which keeps every message; `GET /api/local/outbox` (and
`/local/outbox`) lists them, newest first. Never part of the deployed API."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

PATHS = ("/api/local/outbox", "/local/outbox")
_stamped = threading.Lock()
_patched = False


def stamp_sent_mail() -> None:
    """Give each message moto keeps the moment it was sent (moto keeps none)."""
    global _patched
    from moto.ses import models

    with _stamped:
        if _patched:
            return
        original = models.Message.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.sent_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

        models.Message.__init__ = init  # type: ignore[method-assign]
        _patched = True


def verify_sender(endpoint: str, sender: str) -> None:
    """SES sends only from a verified identity: verify the sender in moto's SES."""
    import boto3

    ses = boto3.client("sesv2", endpoint_url=endpoint, region_name=_region())
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_email_identity(EmailIdentity=sender)


def _region() -> str:
    from chalicelib import config

    return config.region()


def messages() -> list[dict[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = list(ses_backends[DEFAULT_ACCOUNT_ID][_region()].sent_messages)
    listed = []
    for message in reversed(sent):
        destinations = getattr(message, "destinations", {}) or {}
        listed.append({
            "message_id": message.id,
            "to": list(destinations.get("ToAddresses", [])),
            "from": getattr(message, "source", None),
            "subject": getattr(message, "subject", None),
            "text": getattr(message, "body", None),
            "sent_at": getattr(message, "sent_at", None),
        })
    return listed


def routes() -> list[web.RouteDef]:
    async def outbox(request: web.Request) -> web.Response:
        return web.json_response({"messages": messages()},
                                 headers={"Cache-Control": "no-store"})

    return [web.get(path, outbox) for path in PATHS]
