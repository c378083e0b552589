"""`make run`: the whole product on loopback. Starts DynamoDB (DynamoDB Local,
or moto's server in memory where Java is missing) and moto's S3 (SES and SQS on
the same port), creates the tables, the buckets (exports, files sent in chats:
with the template's CORS and lifecycle rules, the rules carried out hourly) and
the webhook queue with its dead-letter queue, seeds the demo service, then serves
the gateway until Ctrl-C, and stops everything it started on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import socket
import sys
from typing import Any

from infra.local import buckets, dynamodb_local, moto_servers, queues, seed
from infra.local.settings import (
    HOST,
    WEBHOOK_DEAD_LETTER_QUEUE,
    WEBHOOK_QUEUE,
    LocalSettings,
    apply_environment,
)

log = logging.getLogger("local.stack")


class CannotStart(RuntimeError):
    """Something stands in the way; nothing has been started."""


class PortInUse(CannotStart):
    def __init__(self, variable: str, port: int) -> None:
        super().__init__(
            f"port {port} is already in use ({variable}): stop what listens there, "
            f"or run on another port, e.g. `{variable}={port + 1} make run`"
        )


def check_ports_free(settings: LocalSettings) -> None:
    """Fail before starting anything when a port is taken."""
    for variable, port in settings.ports().items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the servers bind: a port only in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError as error:
                raise PortInUse(variable, port) from error


def hold_state_dir(settings: LocalSettings, running: contextlib.ExitStack) -> None:
    """One stack per state directory: two DynamoDB Locals on one database file
    would corrupt it. The lock goes with the process, however it ends."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    lock = (settings.state_dir / "stack.lock").open("w")
    running.callback(lock.close)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        raise CannotStart(
            f"another local stack is running on {settings.state_dir}: stop it first"
        ) from error


def start_dynamodb(settings: LocalSettings, running: contextlib.ExitStack) -> str:
    """DynamoDB Local with data under the state directory; moto where it cannot
    run. Returns what is running, for the banner."""
    reason = dynamodb_local.unavailable_reason(settings.java)
    if reason is None:
        server = dynamodb_local.start(
            settings.dynamodb_port,
            db_dir=settings.dynamodb_dir,
            log_path=settings.state_dir / "dynamodb-local.log",
            java=settings.java,
        )
        running.callback(server.stop)
        return f"DynamoDB Local, data in {settings.dynamodb_dir}"
    print(f"warning: {reason}.", file=sys.stderr)
    print(
        "warning: using moto's DynamoDB instead: in memory, so data is gone when it stops.",
        file=sys.stderr,
    )
    moto = moto_servers.start(settings.dynamodb_port)
    running.callback(moto.stop)
    return "moto's DynamoDB, in memory (data does not survive a restart)"


def local_buckets(settings: LocalSettings) -> list[buckets.LocalBucket]:
    """The stack's buckets: the API, the chat frame and the console share its origin."""
    return buckets.local_buckets(settings.exports_bucket, settings.files_bucket,
                                 settings.base_url)


def s3_client(settings: LocalSettings) -> Any:
    from chalicelib import aws

    return aws.client("s3", endpoint_url=settings.s3_endpoint)


def prepare_queues(settings: LocalSettings) -> None:
    """The webhook queue and its dead-letter queue on moto's SQS."""
    from chalicelib import aws

    url = queues.create_webhook_queues(aws.client("sqs", endpoint_url=settings.sqs_endpoint))
    if url != os.environ.get("WEBHOOK_QUEUE_URL"):
        log.warning("moto named the webhook queue %s; the app is told so", url)
        os.environ["WEBHOOK_QUEUE_URL"] = url


def prepare_data(settings: LocalSettings) -> None:
    """Tables, the buckets, the queues and the demo service: whatever is missing."""
    from chalicelib import aws
    from infra import tables, upgrade
    from infra.local import tables_upgrade

    client = aws.client("dynamodb", endpoint_url=settings.dynamodb_endpoint)
    created = tables.create_tables(client)
    if created:
        log.info("created tables: %s", ", ".join(created))
    added = tables_upgrade.add_missing_indexes(client)
    if added:
        log.info("added indexes: %s", ", ".join(added))
    expiring = tables_upgrade.enable_missing_ttls(client)
    if expiring:
        log.info("turned on expiry (TTL) for: %s", ", ".join(expiring))
    heads = upgrade.add_missing_heads(client)
    if heads:
        log.info("gave %d open chat(s) from an older checkout a head", heads)
    folded = upgrade.fold_day_counters(client)
    if folded:
        log.info("folded %d statistics day counter(s) into hours", folded)
    indexed = upgrade.index_search_terms(client)
    if indexed:
        log.info("indexed %d chat(s) and ticket(s) from an older checkout for partial search",
                 indexed)
    tickets = upgrade.number_tickets(client)
    if tickets:
        log.info("gave %d ticket(s) from an older checkout numbers and a requester", tickets)
    customers = upgrade.index_customers(client)
    if customers:
        log.info("indexed %d chat(s) from an older checkout by customer", customers)
    kept = upgrade.retention_times(client)
    if kept:
        log.info("gave the items of %d service(s) from an older checkout retention times", kept)
    buckets.prepare(s3_client(settings), local_buckets(settings))
    prepare_queues(settings)
    from chalicelib import config
    from infra.local import outbox

    outbox.stamp_sent_mail()
    outbox.verify_sender(settings.s3_endpoint, config.mail_from())
    seeded = seed.seed_demo_service(settings.demo_password)
    if seeded:
        log.info("seeded: %s", "; ".join(seeded))


def banner(settings: LocalSettings, dynamodb: str) -> str:
    password = (
        settings.demo_password
        if "DEMO_PASSWORD" not in os.environ
        else "the password in $DEMO_PASSWORD"
    )
    url = settings.base_url
    return "\n".join(
        [
            "",
            "Help-desk chat is running on loopback:",
            f"  Demo page (widget)  {url}/",
            f"  Operator console    {url}/console/",
            f"  REST API            {url}/api     (health: {url}/api/health)",
            f"  WebSocket           {settings.ws_url}",
            f"  DynamoDB            {settings.dynamodb_endpoint}  {dynamodb}",
            f"  S3 (exports, files) {settings.s3_endpoint}  moto, buckets "
            f"{settings.exports_bucket}, {settings.files_bucket}",
            f"  Mail (outbox)       {url}/api/local/outbox  moto's SES: nothing leaves "
            "the machine",
            f"  SQS (webhooks)      {settings.sqs_endpoint}  moto, queue {WEBHOOK_QUEUE} "
            f"(dead letters: {WEBHOOK_DEAD_LETTER_QUEUE})",
            f"Demo service '{seed.DEMO_SERVICE_ID}' (widget key '{seed.DEMO_WIDGET_KEY}'):",
            f"  admin     {seed.ADMIN_EMAIL}     {password}",
            f"  operator  {seed.OPERATOR_EMAIL}  {password}",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(settings: LocalSettings) -> int:
    """Start everything and serve until Ctrl-C (then 0); raises when it cannot start."""
    from infra.local.gateway import Gateway, serve_until_signalled
    from infra.local.runtime import load_app

    with contextlib.ExitStack() as running:
        hold_state_dir(settings, running)
        check_ports_free(settings)
        apply_environment(settings)
        app = load_app(settings.app_path)
        dynamodb = start_dynamodb(settings, running)
        s3 = moto_servers.start_s3(
            settings.s3_port, {b.name: b.cors_rules for b in local_buckets(settings)}
        )
        running.callback(s3.stop)
        prepare_data(settings)
        # What S3's lifecycle rules would delete (moto never does): now and hourly.
        lifecycle = buckets.LifecycleRunner(
            s3_client(settings), [b.name for b in local_buckets(settings)]
        )
        lifecycle.start()
        running.callback(lifecycle.stop)
        gateway = Gateway(settings, app)

        def ready() -> None:
            print(banner(settings, dynamodb), flush=True)

        asyncio.run(serve_until_signalled(gateway, ready))
        log.info("stopping DynamoDB and S3")
    print("Stopped.", flush=True)
    return 0


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for chatty in ("botocore", "pynamodb", "werkzeug"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # Until the gateway's own handlers take over: stop cleanly on SIGTERM too.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = LocalSettings.from_env()
    try:
        return run(settings)
    except CannotStart as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"error: a port is already in use: {error}", file=sys.stderr)
    except dynamodb_local.DynamoDBLocalError as error:
        print(f"error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("Stopped before it was up.", file=sys.stderr)
        return 130
    return 1
