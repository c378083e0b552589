"""boto3 clients, created once per process and only when first used."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib import config


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def _client(service: str, endpoint_url: str | None, region: str, pool_size: int) -> Any:
    from botocore.config import Config

    # S3's presigned links (exports) signed with SigV4, which every bucket accepts.
    signing = {"signature_version": "s3v4"} if service == "s3" else {}
    return _session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(max_pool_connections=pool_size, **signing),
    )


# Services whose endpoint comes from config when the caller names none (set only
# locally: moto's server).
_CONFIGURED_ENDPOINTS = {
    "sqs": config.sqs_endpoint,
}


def client(service: str, endpoint_url: str | None = None) -> Any:
    if endpoint_url is None and service in _CONFIGURED_ENDPOINTS:
        endpoint_url = _CONFIGURED_ENDPOINTS[service]()
    return _client(service, endpoint_url, config.region(), config.http_pool_size())


def reset() -> None:
    """Forget cached clients (tests switch between moto and DynamoDB Local)."""
    _client.cache_clear()
    _session.cache_clear()
