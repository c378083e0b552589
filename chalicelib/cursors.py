"""Page cursors: where a listing stopped (DynamoDB's last evaluated key), handed
to the client and back. Signed, so a client can neither forge a position nor
move a cursor to another listing (`scope`: what it was made for, e.g. the search
and its filters, or a service's tickets); signed with the key ring's stable key,
so a cursor outlives a rotation of the token keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib import keys
from chalicelib.errors import InvalidInput


def _signature(payload: bytes) -> str:
    key = keys.current().stable_key.encode()
    return hmac.new(key, b"cursor\0" + payload, hashlib.sha256).hexdigest()[:32]


def encode(position: dict[str, Any], scope: str) -> str:
    payload = json.dumps({"k": position, "s": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _signature(payload)


def decode(cursor: str, scope: str) -> dict[str, Any]:
    """The position a cursor names; 400 (`cursor`) if it was altered or made for
    another listing."""
    try:
        encoded, signature = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not hmac.compare_digest(signature, _signature(payload)):
            raise ValueError("bad signature")
        document = json.loads(payload)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "is not a cursor this listing returned") from exc
    if not isinstance(document, dict) or document.get("s") != scope \
            or not isinstance(document.get("k"), dict):
        raise InvalidInput("cursor", "belongs to another listing (other filters)")
    position: dict[str, Any] = document["k"]
    return position
