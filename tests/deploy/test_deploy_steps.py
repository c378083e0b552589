"""infra/deploy.py, the steps of `make deploy` after CloudFormation, on moto's S3
with the stack's outputs stubbed (there is no AWS account here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from infra import deploy, package, tables

ROOT = Path(__file__).resolve().parents[2]

OUTPUTS = {
    **{tables.output_name(key): f"helpdesk-chat-dev-{key}-X1" for key in config.TABLE_KEYS},
    "ExportsBucketName": "helpdesk-exports-x1",
    "FilesBucketName": "helpdesk-files-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "SiteBucketName": "helpdesk-site-x1",
    "ConsoleURL": "https://d111.cloudfront.net",
    "ConsoleDistributionId": "E111",
    "WidgetURL": "https://d222.cloudfront.net",
    "WidgetDistributionId": "E222",
    "RestApiURL": "https://abc.execute-api.us-east-1.amazonaws.com/api",
    "WebSocketURL": "wss://def.execute-api.us-east-1.amazonaws.com/api",
    "TokenSecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t-1",
}


class CloudFront:
    def __init__(self) -> None:
        self.invalidations: list[dict[str, Any]] = []

    def create_invalidation(self, **kwargs: Any) -> None:
        self.invalidations.append(kwargs)


@pytest.fixture
def uploaded(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, CloudFront]:
    """`infra.deploy site` run against moto's S3; the S3 client and the invalidations."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="helpdesk-site-x1")
    # What an earlier deploy (one distribution, the frame and demo on it) left.
    for key in ("widget/demo.html", "widget/frame.html", "widget/loader.js", "console/old.js"):
        s3.put_object(Bucket="helpdesk-site-x1", Key=key, Body=b"old")
    cloudfront = CloudFront()
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    monkeypatch.setattr(
        deploy, "_client", lambda service: cloudfront if service == "cloudfront" else s3
    )
    deploy.upload_site("helpdesk-chat-dev")
    return s3, cloudfront


def _keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket="helpdesk-site-x1")["Contents"]}


def _served_at(key: str, distribution: str) -> str:
    """The path a distribution serves a bucket key at (its origin path removed)."""
    origin = package.SITE_ORIGINS[distribution]
    assert key.startswith(origin + "/"), (key, distribution)
    return key.removeprefix(origin)


def test_each_site_goes_under_its_distributions_origin_path(uploaded: Any) -> None:
    s3, _ = uploaded
    keys = _keys(s3)
    console = {k for k in keys if k.startswith("console/")}
    widget = keys - console
    assert {_served_at(k, "ConsoleDistribution") for k in console} >= {
        "/index.html", "/config.js", "/js/app.js"
    }
    # PUBLIC_BASE_URL (the widget's origin) + /widget/loader.js, as the snippet says.
    assert "/widget/loader.js" in {_served_at(k, "WidgetDistribution") for k in widget}
    assert all(_served_at(k, "WidgetDistribution").startswith("/widget/") for k in widget)
    assert not any("node_modules" in key for key in keys)


def test_the_console_serves_the_modules_it_shares_with_the_widget(uploaded: Any) -> None:
    """The console's CSP allows scripts from its own origin only, and it imports
    the shared socket, DOM builder and translation engine as /widget/shared/…:
    its distribution must serve them too, from the same files."""
    import re

    s3, _ = uploaded
    keys = _keys(s3)
    console = {_served_at(k, "ConsoleDistribution") for k in keys if k.startswith("console/")}
    imported = set()
    for module in (ROOT / "console" / "js").rglob("*.js"):
        for target in re.findall(r"from \"(\.\./[^\"]*widget/shared/[^\"]+)\"",
                                 module.read_text()):
            imported.add("/" + target.split("widget/shared/", 1)[1])
    assert imported, "the console imports nothing shared: update this test"
    for name in imported:
        assert f"/widget/shared{name}" in console, name
        assert f"/widget/shared{name}" in {_served_at(k, "WidgetDistribution") for k in keys
                                            if not k.startswith("console/")}


def test_the_demo_page_is_never_deployed(uploaded: Any) -> None:
    s3, _ = uploaded
    assert (ROOT / "widget" / "demo.html").exists()  # it is there, for the local stack
    assert not any(key.rsplit("/", 1)[-1].startswith("demo.") for key in _keys(s3))


def test_files_no_longer_in_the_repository_are_removed(uploaded: Any) -> None:
    s3, _ = uploaded
    keys = _keys(s3)
    assert not {"widget/demo.html", "widget/frame.html", "widget/loader.js",
                "console/old.js"} & keys
    assert "widget/widget/loader.js" in keys


def test_console_config_points_at_the_stack_api(uploaded: Any) -> None:
    s3, _ = uploaded
    config_js = s3.get_object(Bucket="helpdesk-site-x1", Key="console/config.js")
    text = config_js["Body"].read().decode()
    assert '"apiBase": "https://abc.execute-api.us-east-1.amazonaws.com/api"' in text
    assert config_js["ContentType"].startswith("text/javascript")


def test_scripts_and_styles_are_served_as_such(uploaded: Any) -> None:
    """Both sites send nosniff: a module script with another type is refused."""
    s3, _ = uploaded
    for key in ("widget/widget/loader.js", "widget/widget/app.js", "console/js/app.js"):
        head = s3.head_object(Bucket="helpdesk-site-x1", Key=key)
        assert head["ContentType"] == "text/javascript; charset=utf-8", key
    css = s3.head_object(Bucket="helpdesk-site-x1", Key="console/css/console.css")
    assert css["ContentType"] == "text/css; charset=utf-8"


def test_both_distributions_are_invalidated(uploaded: Any) -> None:
    _, cloudfront = uploaded
    invalidated = {i["DistributionId"] for i in cloudfront.invalidations}
    assert invalidated == {"E111", "E222"}


def test_env_exports_point_manage_at_the_stack_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    lines = deploy.env_exports("helpdesk-chat-dev").splitlines()
    assert "export TABLE_CHATS=helpdesk-chat-dev-chats-X1" in lines
    assert len([line for line in lines if line.startswith("export TABLE_")]) == len(
        config.TABLE_KEYS
    )
    assert "export EXPORTS_BUCKET=helpdesk-exports-x1" in lines
    assert f"export FILES_BUCKET={OUTPUTS['FilesBucketName']}" in lines


def test_env_exports_of_a_stack_from_before_files_in_chats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    older = {k: v for k, v in OUTPUTS.items() if k != "FilesBucketName"}
    monkeypatch.setattr(deploy, "outputs", lambda name: older)
    lines = deploy.env_exports("helpdesk-chat-dev").splitlines()
    assert not any(line.startswith("export FILES_BUCKET=") for line in lines)


def test_api_url_is_asked_for_until_the_stack_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "outputs", lambda name: OUTPUTS)
    monkeypatch.setattr(deploy, "parameters", lambda name: {"ApiBaseUrl": ""})
    assert deploy.missing_api_url("s") == OUTPUTS["RestApiURL"]
    monkeypatch.setattr(deploy, "parameters", lambda name: {"ApiBaseUrl": OUTPUTS["RestApiURL"]})
    assert deploy.missing_api_url("s") == ""
