"""The steps of `make deploy` after CloudFormation (docs/deploy.md).

    python -m infra.deploy api-url --stack NAME   # the REST URL, if the stack lacks it
    python -m infra.deploy site --stack NAME      # console + widget to the site bucket
    python -m infra.deploy env --stack NAME       # `export TABLE_…=…` for infra.manage

They use the stack's outputs (see infra/package.py) and the usual AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from chalicelib import config
from infra import tables

ROOT = Path(__file__).resolve().parents[1]
SITE_DIRS = ("console", "widget")
SKIPPED = {"node_modules", ".DS_Store"}


def _client(service: str) -> Any:
    import boto3

    return boto3.session.Session().client(service)


def stack(name: str) -> dict[str, Any]:
    return _client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def outputs(name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(name).get("Outputs", [])}


def parameters(name: str) -> dict[str, str]:
    return {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack(name).get("Parameters", [])
    }


def missing_api_url(name: str) -> str:
    """The REST API's URL when the stack's ApiBaseUrl parameter is not it yet (the
    functions cannot reference the API that references them): `make deploy` then
    deploys once more with ApiBaseUrl set. Empty when nothing is to do."""
    url = outputs(name)["RestApiURL"]
    return "" if parameters(name).get("ApiBaseUrl") == url else url


def console_config(values: dict[str, str]) -> str:
    settings = {"apiBase": values["RestApiURL"], "serviceId": "", "wsUrl": ""}
    return (
        "// Written by `make deploy` (infra/deploy.py) for this stack.\n"
        f"window.CONSOLE_CONFIG = {json.dumps(settings, indent=2)};\n"
    )


def site_files() -> list[tuple[Path, str]]:
    """(file, key) for the console and the widget, without node_modules."""
    files = []
    for directory in SITE_DIRS:
        for path in sorted((ROOT / directory).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and not SKIPPED & set(relative.parts):
                files.append((path, relative.as_posix()))
    return files


def upload_site(name: str) -> None:
    values = outputs(name)
    bucket = values["SiteBucketName"]
    s3 = _client("s3")
    for path, key in site_files():
        body = path.read_bytes()
        if key == "console/config.js":
            body = console_config(values).encode()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type,
                      CacheControl="no-cache")
        print(f"s3://{bucket}/{key}", file=sys.stderr)
    _client("cloudfront").create_invalidation(
        DistributionId=values["SiteDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-{time.time_ns()}",
        },
    )
    print(f"console: {values['SiteURL']}/console/index.html", file=sys.stderr)
    print(f"widget:  {values['SiteURL']}/widget/loader.js", file=sys.stderr)


def env_exports(name: str) -> str:
    """Shell `export` lines pointing infra.manage (and anything else) at the stack."""
    values = outputs(name)
    lines = [
        f"export {config.env_var_for_table(key)}={values[tables.output_name(key)]}"
        for key in config.TABLE_KEYS
    ]
    lines.append(f"export EXPORTS_BUCKET={values['ExportsBucketName']}")
    lines.append(f"export TOKEN_SECRET_ID={values['TokenSecretId']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy")
    parser.add_argument("command", choices=["api-url", "site", "env"])
    parser.add_argument("--stack", required=True)
    args = parser.parse_args(argv)
    if args.command == "api-url":
        print(missing_api_url(args.stack))
    elif args.command == "site":
        upload_site(args.stack)
    else:
        print(env_exports(args.stack))
    return 0


if __name__ == "__main__":
    sys.exit(main())
