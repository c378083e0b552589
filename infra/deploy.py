"""The steps of `make deploy` after CloudFormation (docs/deploy.md).

    python -m infra.deploy api-url --stack NAME   # the REST URL, if the stack lacks it
    python -m infra.deploy site --stack NAME      # console + widget to their distributions
    python -m infra.deploy env --stack NAME       # `export TABLE_…=…` for infra.manage

They use the stack's outputs (see infra/package.py) and the usual AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import config
from infra import tables
from infra.package import SITE_ORIGINS

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {"node_modules", ".DS_Store"}


@dataclass(frozen=True)
class Site:
    """One static site: its source directory, the key prefix its files get in the
    site bucket, and the stack output naming its distribution (whose origin path
    is the first part of the prefix: package.SITE_ORIGINS)."""

    source: str
    prefix: str
    distribution_output: str
    # Folders of another site this one serves too, at their repository path below
    # its root (so a relative import that works locally works here).
    borrowed: tuple[str, ...] = ()


# The modules the widget and the console share (the DOM builder, the socket, the
# translation engine). The widget serves them at /widget/shared/ on its origin;
# the console's modules import them as ../../widget/shared/…, which is
# /widget/shared/ locally (both sites on one origin) and on the console's own
# origin, where only 'self' may serve its scripts: so they go there as well.
SHARED = "widget/shared"

# The console at the root of its own origin; the widget keeps /widget/ in its
# URLs (PUBLIC_BASE_URL + /widget/loader.js) on its own origin.
SITES = (
    Site("console", SITE_ORIGINS["ConsoleDistribution"], "ConsoleDistributionId",
         borrowed=(SHARED,)),
    Site("widget", SITE_ORIGINS["WidgetDistribution"] + "/widget", "WidgetDistributionId"),
)
# The widget's demo page and its files belong to the local stack only.
LOCAL_ONLY = {"widget/demo.html", "widget/demo.css", "widget/demo.js"}
# Rewritten for the stack (its API's URL) as it is uploaded.
CONSOLE_CONFIG_KEY = f"{SITES[0].prefix}/config.js"

# Set explicitly for what browsers check: with nosniff (both distributions send it)
# a script or module served as anything but JavaScript is refused, and the
# platform's mimetypes table differs between machines (.mjs, .js).
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


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


def site_files(site: Site) -> list[tuple[Path, str]]:
    """(file, bucket key) for one site: its own folder at its prefix, and each
    borrowed folder at its path below that."""
    files = _folder_files(site.source, site.prefix)
    for folder in site.borrowed:
        files += _folder_files(folder, f"{site.prefix}/{folder}")
    return files


def _folder_files(source: str, prefix: str) -> list[tuple[Path, str]]:
    """(file, `prefix/` + its path in `source`), without node_modules or local-only files."""
    files = []
    for path in sorted((ROOT / source).rglob("*")):
        relative = path.relative_to(ROOT)
        if not path.is_file() or SKIPPED & set(relative.parts):
            continue
        if relative.as_posix() in LOCAL_ONLY:
            continue
        inside = path.relative_to(ROOT / source).as_posix()
        files.append((path, f"{prefix}/{inside}"))
    return files


def _content_type(path: Path) -> str:
    content_type = (
        CONTENT_TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )
    if content_type.startswith("text/") or content_type.endswith(("javascript", "json")):
        content_type += "; charset=utf-8"
    return content_type


def _invalidate(distribution_id: str) -> None:
    _client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-{time.time_ns()}",
        },
    )


def _prune(s3: Any, bucket: str, prefix: str, keep: set[str]) -> None:
    """Delete what a distribution could still serve but this upload did not put
    there: files removed from the repository, and an older layout's files (the
    demo page and the chat frame once were on the site)."""
    stale = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
        if obj["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):  # delete_objects takes 1,000 at most
        batch = stale[start:start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch]})
    for key in stale:
        print(f"deleted s3://{bucket}/{key}", file=sys.stderr)


def upload_site(name: str) -> None:
    """Each site's files to its prefix of the site bucket (the console's config.js
    pointing at this stack's API), nothing else left where its distribution reads,
    then a fresh cache on both distributions."""
    values = outputs(name)
    bucket = values["SiteBucketName"]
    s3 = _client("s3")
    for site in SITES:
        uploaded: set[str] = set()
        for path, key in site_files(site):
            body = path.read_bytes()
            if key == CONSOLE_CONFIG_KEY:
                body = console_config(values).encode()
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=_content_type(path),
                          CacheControl="no-cache")
            uploaded.add(key)
            print(f"s3://{bucket}/{key}", file=sys.stderr)
        _prune(s3, bucket, site.prefix.split("/", 1)[0] + "/", uploaded)
    for site in SITES:
        _invalidate(values[site.distribution_output])
    print(f"console: {values['ConsoleURL']}/", file=sys.stderr)
    print(f"widget:  {values['WidgetURL']}/widget/loader.js", file=sys.stderr)


def env_exports(name: str) -> str:
    """Shell `export` lines pointing infra.manage (and anything else) at the stack."""
    values = outputs(name)
    lines = [
        f"export {config.env_var_for_table(key)}={values[tables.output_name(key)]}"
        for key in config.TABLE_KEYS
    ]
    lines.append(f"export EXPORTS_BUCKET={values['ExportsBucketName']}")
    if "FilesBucketName" in values:  # a stack from before files in chats has none
        lines.append(f"export FILES_BUCKET={values['FilesBucketName']}")
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
