"""infra/deploy.py, the steps of `make deploy` after CloudFormation, on moto's S3
with the stack's outputs stubbed (there is no AWS account here)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import config
from infra import deploy, tables

OUTPUTS = {
    **{tables.output_name(key): f"helpdesk-chat-dev-{key}-X1" for key in config.TABLE_KEYS},
    "ExportsBucketName": "helpdesk-exports-x1",
    "SiteBucketName": "helpdesk-site-x1",
    "SiteURL": "https://d111.cloudfront.net",
    "SiteDistributionId": "E111",
    "RestApiURL": "https://abc.execute-api.us-east-1.amazonaws.com/api",
    "WebSocketURL": "wss://def.execute-api.us-east-1.amazonaws.com/api",
    "TokenSecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t-1",
}


class CloudFront:
    def __init__(self) -> None:
        self.invalidations: list[dict[str, Any]] = []

    def create_invalidation(self, **kwargs: Any) -> None:
        self.invalidations.append(kwargs)


def test_site_upload_injects_the_api_url_and_skips_node_modules(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="helpdesk-site-x1")
    cloudfront = CloudFront()
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    monkeypatch.setattr(
        deploy, "_client", lambda service: cloudfront if service == "cloudfront" else s3
    )
    deploy.upload_site("helpdesk-chat-dev")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="helpdesk-site-x1")["Contents"]}
    assert {"console/index.html", "console/config.js", "widget/loader.js"} <= keys
    assert not any("node_modules" in key for key in keys)
    config_js = s3.get_object(Bucket="helpdesk-site-x1", Key="console/config.js")
    text = config_js["Body"].read().decode()
    assert '"apiBase": "https://abc.execute-api.us-east-1.amazonaws.com/api"' in text
    assert config_js["ContentType"].startswith("text/javascript")
    assert cloudfront.invalidations[0]["DistributionId"] == "E111"


def test_env_exports_point_manage_at_the_stack_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    lines = deploy.env_exports("helpdesk-chat-dev").splitlines()
    assert "export TABLE_CHATS=helpdesk-chat-dev-chats-X1" in lines
    assert len([line for line in lines if line.startswith("export TABLE_")]) == len(
        config.TABLE_KEYS
    )


def test_api_url_is_asked_for_until_the_stack_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    monkeypatch.setattr(deploy, "parameters", lambda name: {"ApiBaseUrl": ""})
    assert deploy.missing_api_url("s") == OUTPUTS["RestApiURL"]
    monkeypatch.setattr(deploy, "parameters", lambda name: {"ApiBaseUrl": OUTPUTS["RestApiURL"]})
    assert deploy.missing_api_url("s") == ""
