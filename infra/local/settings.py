"""What the local stack runs with: ports, where its data lives, which app it
serves, and the environment the app sees (the `local` stage of
.chalice/config.json with the ports filled in)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra import package

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STAGE = "local"
WS_STAGE = "ws"
DEFAULT_EXPORTS_BUCKET = "helpdesk-local-exports"
DEFAULT_FILES_BUCKET = "helpdesk-local-files"  # chalicelib.config.files_bucket()'s default
DEFAULT_DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published demo login (API.md)
# API Gateway closes a WebSocket after 10 minutes without a frame either way,
# and any WebSocket after 2 hours.
WS_IDLE_TIMEOUT_S = 600.0
WS_MAX_DURATION_S = 7200.0
# Lambda invocations the gateway runs at once (as a reserved concurrency would).
LAMBDA_CONCURRENCY = 64
# The webhook sender's queue (app.py's `@app.on_sqs_message(queue=…)`) and its
# dead-letter queue, on moto's SQS beside S3, in moto's account.
WEBHOOK_QUEUE = package.WEBHOOK_QUEUE_NAME
WEBHOOK_DEAD_LETTER_QUEUE = f"{WEBHOOK_QUEUE}-dlq"
MOTO_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class LocalSettings:
    """Everything `python -m infra.local` is told through the environment."""

    port: int = 8080
    dynamodb_port: int = 8000
    s3_port: int = 9000
    state_dir: Path = ROOT / ".local"
    app_path: str = "app:app"
    demo_password: str = DEFAULT_DEMO_PASSWORD
    java: str = "java"
    exports_bucket: str = DEFAULT_EXPORTS_BUCKET
    files_bucket: str = DEFAULT_FILES_BUCKET
    ws_idle_timeout_s: float = WS_IDLE_TIMEOUT_S
    ws_max_duration_s: float = WS_MAX_DURATION_S
    log_level: str = "INFO"
    metrics: bool = False  # the app's EMF lines: one per message sent is noise here

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> LocalSettings:
        def number(name: str, default: float) -> float:
            return float(environ.get(name) or default)

        return cls(
            port=int(number("PORT", cls.port)),
            dynamodb_port=int(number("DYNAMODB_PORT", cls.dynamodb_port)),
            s3_port=int(number("S3_PORT", cls.s3_port)),
            state_dir=Path(environ.get("LOCAL_DIR") or cls.state_dir).resolve(),
            app_path=environ.get("LOCAL_APP") or cls.app_path,
            demo_password=environ.get("DEMO_PASSWORD") or cls.demo_password,
            java=environ.get("JAVA") or cls.java,
            exports_bucket=environ.get("EXPORTS_BUCKET") or cls.exports_bucket,
            files_bucket=environ.get("FILES_BUCKET") or cls.files_bucket,
            ws_idle_timeout_s=number("LOCAL_WS_IDLE_TIMEOUT_S", cls.ws_idle_timeout_s),
            ws_max_duration_s=number("LOCAL_WS_MAX_DURATION_S", cls.ws_max_duration_s),
            log_level=(environ.get("LOG_LEVEL") or cls.log_level).upper(),
            metrics=(environ.get("LOCAL_METRICS") or "").lower() in ("1", "true", "yes"),
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/{WS_STAGE}"

    @property
    def domain_name(self) -> str:
        """What API Gateway would call its domain: host and port here."""
        return f"{HOST}:{self.port}"

    @property
    def dynamodb_endpoint(self) -> str:
        return f"http://{HOST}:{self.dynamodb_port}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://{HOST}:{self.s3_port}"

    @property
    def sqs_endpoint(self) -> str:
        """moto's SQS: the server that serves S3 and SES."""
        return self.s3_endpoint

    def queue_url(self, queue: str) -> str:
        """A queue's URL as moto's server gives it (`http://host:port/account/name`)."""
        return f"{self.sqs_endpoint}/{MOTO_ACCOUNT_ID}/{queue}"

    @property
    def dynamodb_dir(self) -> Path:
        return self.state_dir / "dynamodb"

    def ports(self) -> dict[str, int]:
        """Each port the stack listens on, by the variable that sets it."""
        return {"PORT": self.port, "DYNAMODB_PORT": self.dynamodb_port, "S3_PORT": self.s3_port}


def stage_environment(settings: LocalSettings) -> dict[str, str]:
    """The app's environment: the `local` stage as `chalice local` would apply it,
    then the endpoints of this run (ports may differ from the stage's defaults)."""
    from chalice.config import Config

    config_from_disk = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config = Config(
        chalice_stage=STAGE,
        config_from_disk=config_from_disk,
        default_params={"project_dir": str(ROOT)},
    )
    return {
        **config.environment_variables,
        "DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "PUBLIC_BASE_URL": settings.base_url,
        # The console is on this origin too; on AWS it has its own (R-SEC-5).
        "CONSOLE_ORIGIN": settings.base_url,
        "API_BASE_URL": settings.base_url + "/api",
        "WS_URL": settings.ws_url,
        "WS_MANAGEMENT_ENDPOINT": f"{settings.base_url}/{WS_STAGE}",
        "LAMBDA_ENDPOINT": settings.base_url,
        "S3_ENDPOINT": settings.s3_endpoint,
        "EXPORTS_BUCKET": settings.exports_bucket,
        # Files sent in chats: the browser uploads to and reads from moto's S3
        # itself (infra/local/buckets.py gives the bucket the template's CORS).
        "FILES_BUCKET": settings.files_bucket,
        # Mail goes to moto's SES beside S3 (the outbox), from the worker Lambda.
        "SES_ENDPOINT": settings.s3_endpoint,
        "MAIL_INVOKE": "lambda",
        # Webhook deliveries queue on moto's SQS, polled by the gateway as Lambda's
        # event source mapping would (infra/local/queues.py); receivers may be on
        # loopback here (never on AWS).
        "SQS_ENDPOINT": settings.sqs_endpoint,
        "WEBHOOK_QUEUE_URL": settings.queue_url(WEBHOOK_QUEUE),
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        # Every Lambda "container" of this gateway shares the process's clients.
        "AWS_HTTP_POOL_SIZE": str(LAMBDA_CONCURRENCY),
        # The app's log lines are JSON as on AWS (chalicelib/observe.py), at the
        # gateway's level; its metric lines only when asked for.
        "POWERTOOLS_LOG_LEVEL": settings.log_level,
        "POWERTOOLS_METRICS_DISABLED": "false" if settings.metrics else "true",
    }


def token_secret(settings: LocalSettings, environ: Mapping[str, str] = os.environ) -> str:
    """TOKEN_SECRET when set; otherwise one generated once and kept in the state
    directory, so sign-ins survive a restart and no secret is ever committed."""
    if environ.get("TOKEN_SECRET"):
        return environ["TOKEN_SECRET"]
    path = settings.state_dir / "token-secret"
    if not path.exists():
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def apply_environment(settings: LocalSettings) -> None:
    """Give this process (the app's "Lambda runtime") the stage's environment."""
    os.environ.update(stage_environment(settings))
    os.environ["TOKEN_SECRET"] = token_secret(settings)
    # Only fake credentials: nothing the local stack runs can reach a real AWS account.
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"  # noqa: S105 - a placeholder
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # The app calls back into the gateway over HTTP; never through a proxy.
    no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
    os.environ["NO_PROXY"] = ",".join([*no_proxy, HOST, "localhost"])
