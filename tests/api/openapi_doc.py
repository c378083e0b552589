"""docs/openapi.yaml as the tests read it: its operations, the app's routes in the
same terms, and a check of one real response against the document."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import yaml

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
PREFIX = "/api"  # REST is served under /api (API.md; infra/local/rest.py; the AWS stage)
METHODS = ("get", "put", "post", "delete", "patch", "head")
Operation = tuple[str, str]  # (METHOD, /api/path/{template})


@cache
def document() -> dict[str, Any]:
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def documented_operations(doc: Mapping[str, Any] | None = None) -> set[Operation]:
    doc = document() if doc is None else doc
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }


def app_operations() -> set[Operation]:
    """Every (method, path) the app routes, as the public URL spells it; CORS
    preflights (OPTIONS) are API Gateway's, not operations."""
    from app import app

    return {
        (method.upper(), PREFIX + path)
        for path, methods in app.routes.items()
        for method in methods
        if method.upper() != "OPTIONS"
    }


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def operation_for(method: str, path: str) -> Operation | None:
    """The documented operation a concrete request path (with /api) is for."""
    path = path.split("?", 1)[0]
    for documented_method, template in documented_operations():
        if documented_method == method.upper() and _pattern(template).match(path):
            return documented_method, template
    return None


def _resolve(node: Any, doc: Mapping[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node_ref_parts(str(node["$ref"])):
            target = target[part]
        node = target
    return node


def node_ref_parts(ref: str) -> list[str]:
    assert ref.startswith("#/"), ref
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


def _pointer(*parts: str) -> str:
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(quote(part, safe="~") for part in escaped)


@cache
def _validator(pointer: str) -> Any:
    # The whole document is the root, so its `#/components/...` references resolve.
    root = {**document(), "$ref": pointer}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def response_problems(
    operation: Operation, status: int, headers: Mapping[str, str], body: bytes | str | None
) -> list[str]:
    """What is wrong with a response to `operation` according to the document:
    an undocumented status, a missing documented header, or a body that is not
    the documented JSON."""
    doc = document()
    method, template = operation
    responses = doc["paths"][template][method.lower()]["responses"]
    if str(status) not in responses:
        return [f"status {status} is not documented (documented: {sorted(responses)})"]
    response = responses[str(status)]
    pointer_parts = ["paths", template, method.lower(), "responses", str(status)]
    if "$ref" in response:
        pointer_parts = node_ref_parts(response["$ref"])
        response = _resolve(response, doc)
    lowered = {name.lower(): value for name, value in headers.items()}
    problems = []
    for name, header in (response.get("headers") or {}).items():
        if header.get("required") and name.lower() not in lowered:
            problems.append(f"header {name} is missing")
        elif name.lower() in lowered and header.get("schema", {}).get("type") == "integer" \
                and not str(lowered[name.lower()]).isdigit():
            problems.append(f"header {name} is not an integer: {lowered[name.lower()]!r}")
    raw = body.decode() if isinstance(body, bytes) else (body or "")
    content = response.get("content")
    if not content:
        if raw:
            problems.append(f"status {status} is documented without a body, got {raw[:200]!r}")
        return problems
    content_type = lowered.get("content-type", "").split(";")[0].strip()
    if content_type not in content:
        return [*problems, f"content type {content_type!r} is not documented"]
    if not content_type.endswith("json"):
        return problems  # a page (the chat frame): its headers are what is promised
    try:
        instance = json.loads(raw)
    except ValueError:
        return [*problems, f"the body is not JSON: {raw[:200]!r}"]
    validator = _validator(_pointer(*pointer_parts, "content", content_type, "schema"))
    problems += [f"{error.instance_path}: {error.message}"
                 for error in validator.iter_errors(instance)]
    return problems
