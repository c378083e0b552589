"""Settings from environment variables, read when asked for, never at import.

Every Lambda gets the same environment (see `.chalice/config.json` and the merged
CloudFormation template): one variable per table name, the DynamoDB endpoint (only
set locally), the public URLs and where the token-signing secret lives.
"""

from __future__ import annotations

import os

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
    "canned",
    "notes",
    "search_terms",
    "ticket_filters",
    "ticket_entries",
    "mail",
    "attachments",
    "blocks",
    "visits",
    "webhooks",
    "webhook_deliveries",
    "audit",
    "jobs",
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


def token_secret() -> str | None:
    """The token-signing secret as a literal (local runs and tests); never committed."""
    return os.environ.get("TOKEN_SECRET") or None


def token_secret_id() -> str | None:
    """On AWS: the Secrets Manager secret, or `ssm:<parameter>`, holding it."""
    return os.environ.get("TOKEN_SECRET_ID") or None


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


def sqs_endpoint() -> str | None:
    """The SQS endpoint when not Amazon SQS: locally, moto's server (beside S3)."""
    return os.environ.get("SQS_ENDPOINT") or None


# --- limits and the export worker ------------------------------------------------------


def widget_session_limit() -> tuple[float, int]:
    """Widget sessions per client IP: (per minute, at once)."""
    return (float(os.environ.get("WIDGET_SESSIONS_PER_MINUTE") or 120),
            int(os.environ.get("WIDGET_SESSIONS_BURST") or 60))


def failed_login_limit() -> tuple[float, int]:
    """Failed logins per client IP: (per minute, at once)."""
    return (float(os.environ.get("LOGIN_FAILURES_PER_MINUTE") or 10),
            int(os.environ.get("LOGIN_FAILURES_BURST") or 30))


def offline_message_limit() -> tuple[float, int]:
    """Offline messages per client IP: (per minute, at once)."""
    return (float(os.environ.get("OFFLINE_MESSAGES_PER_MINUTE") or 2),
            int(os.environ.get("OFFLINE_MESSAGES_BURST") or 5))


def exports_bucket() -> str:
    return os.environ.get("EXPORTS_BUCKET") or "helpdesk-local-exports"


def files_bucket() -> str:
    """Where files sent in chats live (R-ATT-1): uploads/ (unchecked, deleted
    after a day) and files/ (checked and sent)."""
    return os.environ.get("FILES_BUCKET") or "helpdesk-local-files"


def export_function() -> str:
    """The export worker's Lambda (its deployed name, or chalice's locally)."""
    return os.environ.get("EXPORT_FUNCTION") or "export_worker"


def exports_inline() -> bool:
    """Run the export worker in the request itself (tests), not as a Lambda."""
    return os.environ.get("EXPORT_INVOKE") == "inline"


# --- email -------------------------------------------------------------------------


def mail_from() -> str:
    """The sender of every mail: an address of an identity verified in SES."""
    return os.environ.get("MAIL_FROM") or "helpdesk@example.com"


def ses_endpoint() -> str | None:
    """Where mail goes when not to Amazon SES: locally, moto's SES (the outbox)."""
    return os.environ.get("SES_ENDPOINT") or None


def mail_inline() -> bool:
    """Send mail in the request itself (tests), not from the worker Lambda."""
    return os.environ.get("MAIL_INVOKE") == "inline"


# --- webhooks (R-HOOK-1) -------------------------------------------------------------


def webhook_queue_url() -> str | None:
    """The queue deliveries wait in for the webhook sender (the stack's
    WebhookQueue on AWS, moto's `helpdesk-webhooks` locally); None: not set."""
    return os.environ.get("WEBHOOK_QUEUE_URL") or None


def webhooks_allow_loopback() -> bool:
    """Admit webhook URLs on loopback (`http://127.0.0.1:…`): the local stage
    only, where the receiver runs on the same machine. Never set on AWS."""
    return os.environ.get("WEBHOOKS_ALLOW_LOOPBACK", "").strip().lower() == "true"


def webhook_retry_scale() -> float:
    """The webhook retry schedule's scale: 1 (about 5 s … 24 h); the tests run
    it in hundredths (`WEBHOOK_RETRY_SCALE=0.01`)."""
    try:
        return max(0.0, float(os.environ.get("WEBHOOK_RETRY_SCALE") or 1))
    except ValueError:
        return 1.0
