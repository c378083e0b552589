"""moto's server, in this process: S3 for exports, and DynamoDB in memory where
DynamoDB Local cannot run (no Java)."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any


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


def start(port: int) -> MotoServer:
    """Serve every mocked AWS service on 127.0.0.1:`port`. Unlike moto's own
    ThreadedMotoServer, binding happens here, so a port in use raises at once."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"moto-{port}", daemon=True)
    thread.start()
    return MotoServer(server, thread, port)


def create_bucket(endpoint: str, bucket: str) -> None:
    """Create the exports bucket unless it is there already."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
