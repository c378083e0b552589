"""Password hashing, signed tokens, single-use WebSocket tickets and the
identity HMAC the host page signs its user with."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import clock, config, keys, token_keys
from chalicelib.errors import NotAuthenticated
from chalicelib.models import Token

TICKET_TTL_S = 60
# A visitor token lives 30 days from its last use: each widget session hands
# out a fresh one (R-SEC-6). Raising the customer's token_version revokes them.
VISITOR_TOKEN_TTL_S = 30 * 24 * 3600
_ALGORITHM = "HS256"
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def new_id(prefix: str) -> str:
    """An opaque, unguessable id such as `ch_3kF…`."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


# --- passwords ----------------------------------------------------------------


@functools.cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    # argon2id at OWASP's minimum: 19 MiB of memory, 2 iterations, 1 lane.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_password_hash() -> str:
    """Verified against when no account matches, so timing reveals nothing."""
    return hash_password(secrets.token_hex(16))


# --- operator tokens ------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    service_id: str
    operator_id: str
    session_id: str
    expires_at: datetime
    version: int  # the operator's token_version when it was issued


def _sign(claims: dict[str, Any]) -> str:
    """Signed with the current key, which the token names (`kid`)."""
    import jwt

    ring = keys.current()
    return jwt.encode(claims, ring.signing_key, algorithm=_ALGORITHM,
                      headers={"kid": ring.current})


def _key_for(token: str) -> str:
    """The key that verifies a token: the one its `kid` names (a token from
    before key ids names none: the first key's). A kid this process does not
    know yet (the secret was just rotated) reads the keys again, once."""
    import jwt

    try:
        kid = jwt.get_unverified_header(token).get("kid", keys.LEGACY_KID)
    except (jwt.PyJWTError, UnicodeEncodeError) as exc:
        raise NotAuthenticated("the token is not valid", "invalid_token") from exc
    if not isinstance(kid, str):
        raise NotAuthenticated("the token is not valid", "invalid_token")
    ring = keys.current()
    if kid not in ring.keys:
        ring = keys.current(fresh=True)
    if kid not in ring.keys:
        raise NotAuthenticated("the token is not valid", "invalid_token")
    return ring.keys[kid]


def _verify(token: str, kind: str) -> dict[str, Any]:
    import jwt

    key = _key_for(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("the token has expired", "token_expired") from exc
    except (jwt.PyJWTError, UnicodeEncodeError) as exc:  # a lone surrogate: not a token
        raise NotAuthenticated("the token is not valid", "invalid_token") from exc
    if claims.get("typ") != kind:
        raise NotAuthenticated("the token is not valid", "invalid_token")
    return claims


def issue_operator_token(
    service_id: str, operator_id: str, version: int = 0
) -> tuple[str, datetime]:
    """Sign a bearer token and record its session, so logout revokes it at once.
    `version` is the operator's token_version: a password change outdates it."""
    issued = clock.now().replace(microsecond=0)
    expires_at = issued + timedelta(seconds=config.token_ttl_s())
    session_id = secrets.token_urlsafe(16)
    Token(
        token_key=token_keys.session(session_id),
        payload={"service_id": service_id, "operator_id": operator_id, "version": int(version)},
        expires_at=expires_at,
    ).save()
    token = _sign(
        {
            "typ": "operator",
            "svc": service_id,
            "sub": operator_id,
            "sid": session_id,
            "ver": int(version),
            "iat": int(issued.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
    )
    return token, expires_at


def verify_operator_token(token: str) -> TokenClaims:
    """Check signature, expiry and that the session has not been revoked."""
    claims = _verify(token, "operator")
    if not all(isinstance(claims.get(name), str) and claims[name]
               for name in ("sid", "sub", "svc")):
        raise NotAuthenticated("the token is not valid", "invalid_token")
    session_id = str(claims["sid"])
    try:
        session = Token.get(token_keys.session(session_id), consistent_read=True)
    except Token.DoesNotExist as exc:
        raise NotAuthenticated("the token has been revoked", "token_revoked") from exc
    payload = session.payload or {}
    if (payload.get("operator_id"), payload.get("service_id")) != (claims["sub"], claims["svc"]):
        raise NotAuthenticated("the token is not valid", "invalid_token")
    version = claims.get("ver", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise NotAuthenticated("the token is not valid", "invalid_token")
    return TokenClaims(
        service_id=str(claims["svc"]),
        operator_id=str(claims["sub"]),
        session_id=session_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        version=version,
    )


def live_session(session_id: str | None, service_id: str, operator_id: str) -> Token | None:
    """The record of a sign-in session that still stands (not logged out, not
    expired), or None."""
    if not session_id:
        return None
    try:
        session = Token.get(token_keys.session(session_id), consistent_read=True)
    except Token.DoesNotExist:
        return None
    payload = session.payload or {}
    if (payload.get("operator_id"), payload.get("service_id")) != (operator_id, service_id):
        return None
    if session.expires_at is not None and session.expires_at <= clock.now():
        return None
    return session


def revoke_session(session_id: str) -> None:
    Token(token_key=token_keys.session(session_id)).delete()


# --- visitor tokens -------------------------------------------------------------


@dataclass(frozen=True)
class VisitorClaims:
    customer_id: str
    version: int  # the customer's token_version when it was issued


def issue_visitor_token(service_id: str, customer_id: str, version: int = 0) -> str:
    now = clock.epoch()
    return _sign(
        {
            "typ": "visitor",
            "svc": service_id,
            "sub": customer_id,
            "ver": int(version),
            "iat": now,
            "exp": now + VISITOR_TOKEN_TTL_S,
        }
    )


def verify_visitor_token(token: str, service_id: str) -> VisitorClaims | None:
    """Who a visitor token names, or None when it is not a valid one for this service."""
    try:
        claims = _verify(token, "visitor")
    except NotAuthenticated:
        return None
    customer_id = claims.get("sub")
    version = claims.get("ver", 0)
    if claims.get("svc") != service_id or not isinstance(customer_id, str) or not customer_id:
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return VisitorClaims(customer_id, version)


# --- WebSocket tickets ----------------------------------------------------------


def _ticket_key(ticket: str) -> str:
    # Only a digest is stored: a leaked table dump holds no usable ticket.
    return token_keys.ticket(hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest())


def issue_ticket(payload: dict[str, Any]) -> str:
    """A single-use ticket, valid for TICKET_TTL_S seconds, carrying `payload`."""
    ticket = secrets.token_urlsafe(32)
    Token(
        token_key=_ticket_key(ticket),
        payload=payload,
        until=clock.epoch() + TICKET_TTL_S,
        expires_at=clock.now() + timedelta(seconds=TICKET_TTL_S),
    ).save()
    return ticket


def consume_ticket(ticket: str) -> dict[str, Any]:
    """Use a ticket up: an atomic conditional delete lets exactly one caller have it."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 200:
        raise NotAuthenticated("a valid ticket is required", "invalid_ticket")
    record = Token.take(_ticket_key(ticket), clock.epoch())
    if record is None:
        raise NotAuthenticated("the ticket is unknown, expired or already used", "invalid_ticket")
    return dict(record.payload)


def identity_hash(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_hash_ok(secret: str, user_id: str, given: str) -> bool:
    """Whether `given` is the hex HMAC of `user_id`. Anything that is not 64 hex
    digits is simply wrong (compare_digest refuses non-ASCII text)."""
    candidate = given.strip().lower() if isinstance(given, str) else ""
    if not _HEX_SHA256.fullmatch(candidate):
        return False
    try:
        expected = identity_hash(secret, user_id)
    except UnicodeEncodeError:  # a lone surrogate: no host page signed that
        return False
    return hmac.compare_digest(expected, candidate)
