"""Settings from environment variables, read when asked for, never at import.

Every Lambda gets the same environment (see `.chalice/config.json` and the merged
CloudFormation template): one variable per table name, the DynamoDB endpoint (only
set locally), the public URLs and where the token-signing secret lives.
"""

from __future__ import annotations

import functools
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.keys import Keyring

TABLE_KEYS = (
    "services",
    "operators",
    "categories",
    "customers",
    "chats",
    "chat_heads",
    "messages",
    "connections",
    "tickets",
    "tokens",
    "stats",
    "exports",
)

DEFAULT_REGION = "us-east-1"


class ConfigError(RuntimeError):
    """A required setting is missing."""


def env_var_for_table(key: str) -> str:
    return f"TABLE_{key.upper()}"


def table_name(key: str) -> str:
    """The DynamoDB table name for a table key such as `chats`."""
    explicit = os.environ.get(env_var_for_table(key))
    if explicit:
        return explicit
    return f"{os.environ.get('TABLE_PREFIX', 'helpdesk')}-{key}"


def dynamodb_endpoint() -> str | None:
    return os.environ.get("DYNAMODB_ENDPOINT") or None


def http_pool_size() -> int:
    """HTTP connections each AWS client keeps open. A Lambda container runs one
    request at a time, so the default of 10 is plenty on AWS; the local gateway
    runs many at once in one process and sets more, or requests beyond the pool
    would each open (and throw away) a connection of their own."""
    return max(1, int(os.environ.get("AWS_HTTP_POOL_SIZE") or 10))


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def public_base_url() -> str:
    """Where the widget's static files are served from (no trailing slash)."""
    return os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")


def api_base_url() -> str:
    """The REST API's base URL as browsers see it (no trailing slash)."""
    return os.environ.get("API_BASE_URL", public_base_url() + "/api").rstrip("/")


def console_origin() -> str | None:
    """The operator console's origin (`scheme://host[:port]`), the only one the
    operator and admin routes answer CORS for (R-SEC-5); None: the console is
    served from the API's own origin and needs none."""
    value = (os.environ.get("CONSOLE_ORIGIN") or "").strip().rstrip("/").lower()
    return value or None


def ws_url() -> str:
    """The WebSocket URL clients connect to."""
    return os.environ.get("WS_URL", "ws://127.0.0.1:8080/ws")


def token_ttl_s() -> int:
    return int(os.environ.get("TOKEN_TTL_S", str(12 * 3600)))


def token_keys(*, fresh: bool = False) -> Keyring:
    """The token-signing keys (chalicelib/keys.py): a literal TOKEN_SECRET for
    local runs and tests, or the Secrets Manager secret / SSM parameter that
    TOKEN_SECRET_ID names on AWS, kept for KEYS_KEPT_S (`fresh`: read again now,
    when a token names a key this process does not know yet). Never committed."""
    from chalicelib import keys

    literal = os.environ.get("TOKEN_SECRET")
    if literal:
        return _parsed(literal)
    secret_id = os.environ.get("TOKEN_SECRET_ID")
    if not secret_id:
        raise ConfigError("TOKEN_SECRET or TOKEN_SECRET_ID must be set")
    cached = _fetched.get(secret_id)
    if fresh or cached is None or cached[0] <= time.monotonic():
        ring = keys.parse(_fetch_secret(secret_id))
        _fetched[secret_id] = (time.monotonic() + KEYS_KEPT_S, ring)
        return ring
    return cached[1]


KEYS_KEPT_S = 300.0  # a rotated secret reaches every warm Lambda within 5 minutes
_fetched: dict[str, tuple[float, Keyring]] = {}


def forget_token_keys() -> None:
    """Read the secret again on next use (tests switch secrets)."""
    _fetched.clear()
    _parsed.cache_clear()


@functools.lru_cache(maxsize=4)
def _parsed(value: str) -> Keyring:
    from chalicelib import keys

    return keys.parse(value)


def _fetch_secret(secret_id: str) -> str:
    from chalicelib import aws

    if secret_id.startswith("ssm:"):
        response = aws.client("ssm").get_parameter(Name=secret_id[4:], WithDecryption=True)
        return response["Parameter"]["Value"]
    return aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]


def ws_management_endpoint() -> str | None:
    """Where to post frames to WebSocket connections (the `@connections` API), when
    it is not the calling event's own domain and stage: set for the local gateway,
    and on AWS for the REST and scheduled Lambdas, which have no WebSocket event."""
    return os.environ.get("WS_MANAGEMENT_ENDPOINT") or None


# --- endpoints the local stack points the app at (unset on AWS) ------------------


def lambda_endpoint() -> str | None:
    """Where asynchronous Lambda invocations go when not to AWS Lambda itself:
    locally, the gateway, which runs the named function in the background."""
    return os.environ.get("LAMBDA_ENDPOINT") or None


def s3_endpoint() -> str | None:
    """The S3 endpoint for exports when not AWS S3: locally, moto's server."""
    return os.environ.get("S3_ENDPOINT") or None
