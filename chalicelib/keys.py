"""The token-signing keys (R-SEC-6): the secret can be rotated without signing
anyone out.

The secret (TOKEN_SECRET, or the Secrets Manager secret / SSM parameter named
by TOKEN_SECRET_ID) is either one plain string, or a key ring:

    {"current": "k2", "keys": {"k1": "…", "k2": "…"}, "stable_key": "…"}

The current key signs every new token and names itself in the token's header
(`kid`); every key of the ring verifies the tokens that name it. Rotating adds a
new current key and keeps the one before (`rotated`), so tokens signed before
stay valid until they expire; the rotation after that drops it. A plain string
is the ring of one key, `k0` (tokens from before key ids name none: they are
`k0`'s). `stable_key` derives what must outlive a rotation and never changes:
identified customers' ids (or each would become someone new) and the
signatures of history cursors."""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib import config

LEGACY_KID = "k0"


class KeyringError(ValueError):
    """The configured secret is neither a plain secret nor a valid key ring."""


@dataclass(frozen=True)
class Keyring:
    current: str  # the id of the key that signs
    keys: Mapping[str, str]  # key id → secret
    stable_key: str  # derives ids and cursor signatures; never rotated

    @property
    def signing_key(self) -> str:
        return self.keys[self.current]


def parse(value: str) -> Keyring:
    text = value.strip()
    if not text.startswith("{"):
        if not text:
            raise KeyringError("the token secret is empty")
        return Keyring(LEGACY_KID, {LEGACY_KID: text}, text)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise KeyringError("the token key ring is not valid JSON") from exc
    if not isinstance(document, dict):
        raise KeyringError("the token key ring must be a JSON object")
    keys = document.get("keys")
    current = document.get("current")
    stable_key = document.get("stable_key")
    if not isinstance(keys, dict) or not keys or not all(
        isinstance(kid, str) and kid and isinstance(key, str) and len(key) >= 32
        for kid, key in keys.items()
    ):
        raise KeyringError("the key ring needs `keys`: key id → a secret of 32+ characters")
    if not isinstance(current, str) or current not in keys:
        raise KeyringError("the key ring's `current` must name one of its keys")
    if not isinstance(stable_key, str) or not stable_key:
        raise KeyringError("the key ring needs its `stable_key`")
    return Keyring(current, dict(keys), stable_key)


def _next_kid(ring: Keyring) -> str:
    numbers = [int(kid[1:]) for kid in ring.keys if kid[:1] == "k" and kid[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


def rotated(value: str, new_key: str | None = None) -> str:
    """The secret after one rotation: a new current key, the previous one kept
    to verify tokens it signed, any older one dropped."""
    ring = parse(value)
    kid = _next_kid(ring)
    keys = {ring.current: ring.signing_key, kid: new_key or secrets.token_urlsafe(48)}
    return json.dumps({"current": kid, "keys": keys, "stable_key": ring.stable_key})


# --- the keys in use -------------------------------------------------------------------

KEYS_KEPT_S = 300.0  # a rotated secret reaches every warm Lambda within 5 minutes
_fetched: dict[str, tuple[float, Keyring]] = {}


def current(*, fresh: bool = False) -> Keyring:
    """The keys in use: TOKEN_SECRET's (local runs, tests), or on AWS the secret
    TOKEN_SECRET_ID names, kept for KEYS_KEPT_S (`fresh`: read again now, when a
    token names a key this process does not know yet)."""
    literal = config.token_secret()
    if literal:
        return _parsed(literal)
    secret_id = config.token_secret_id()
    if not secret_id:
        raise config.ConfigError("TOKEN_SECRET or TOKEN_SECRET_ID must be set")
    cached = _fetched.get(secret_id)
    if fresh or cached is None or cached[0] <= time.monotonic():
        ring = parse(_fetch(secret_id))
        _fetched[secret_id] = (time.monotonic() + KEYS_KEPT_S, ring)
        return ring
    return cached[1]


def forget() -> None:
    """Read the secret again on next use (tests switch secrets)."""
    _fetched.clear()
    _parsed.cache_clear()


@functools.lru_cache(maxsize=4)
def _parsed(value: str) -> Keyring:
    return parse(value)


def _fetch(secret_id: str) -> str:
    from chalicelib import aws

    if secret_id.startswith("ssm:"):
        response = aws.client("ssm").get_parameter(Name=secret_id[4:], WithDecryption=True)
        return str(response["Parameter"]["Value"])
    return str(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
