"""Reading what the app wrote to stdout: JSON log lines and the CloudWatch
embedded metric format (EMF) lines of its metrics (chalicelib/observe.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any


def json_lines(out: str) -> list[dict[str, Any]]:
    """Every line of `out` that is a JSON object."""
    found = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "_aws" in line]


def log_lines(out: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(out) if "level" in line and "_aws" not in line]


def metrics_written(out: str) -> dict[str, list[float]]:
    """Metric name → every value written, in order, from every EMF line."""
    values: dict[str, list[float]] = defaultdict(list)
    for line in emf_lines(out):
        for directive in line["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                written = line[metric["Name"]]
                values[metric["Name"]] += written if isinstance(written, list) else [written]
    return dict(values)
