"""moto's server, in this process: S3 (exports, files sent in chats) and SES,
and DynamoDB in memory where DynamoDB Local cannot run (no Java)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_CORS_SWITCH = threading.Lock()


@dataclass
class MotoServer:
    """moto's WSGI app served from a background thread on 127.0.0.1."""

    server: Any
    thread: threading.Thread
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(port: int, front: Callable[[Any], Any] | None = None,
          blanket_cors: bool = True) -> MotoServer:
    """Serve every mocked AWS service on 127.0.0.1:`port`. Unlike moto's own
    ThreadedMotoServer, binding happens here, so a port in use raises at once.
    `front` wraps moto's WSGI app; without `blanket_cors` moto's server does not
    answer CORS for everything (S3 answers from each bucket's own rules)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app if blanket_cors else _without_cors)
    served = front(app) if front is not None else app
    server = make_server(
        "127.0.0.1", port, served, threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name=f"moto-{port}", daemon=True)
    thread.start()
    return MotoServer(server, thread, port)


def _without_cors(service: Any) -> Any:
    """moto's app for one service (made on its first request) without the
    blanket CORS its server adds to every answer (MOTO_DISABLE_GLOBAL_CORS, read
    once at import: switched here for this server's apps only)."""
    from moto.moto_server import werkzeug_app

    with _CORS_SWITCH:
        saved = werkzeug_app.DISABLE_GLOBAL_CORS
        werkzeug_app.DISABLE_GLOBAL_CORS = True
        try:
            return werkzeug_app.create_backend_app(service)
        finally:
            werkzeug_app.DISABLE_GLOBAL_CORS = saved


def start_s3(port: int, cors_rules: Mapping[str, list[dict[str, Any]]]) -> MotoServer:
    """moto's S3 (and SES) as a browser meets S3: CORS from each bucket's rules
    only (`cors_rules`, by bucket: what the stack puts on its buckets), presigned
    POST forms held to their policy (infra/local/s3_front.py)."""
    from infra.local.s3_front import BucketFront

    return start(port, front=lambda app: BucketFront(app, cors_rules), blanket_cors=False)


def create_bucket(endpoint: str, bucket: str) -> None:
    """Create a bucket unless it is there already."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
