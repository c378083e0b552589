"""Cold start: how long a fresh Python process takes to `import app` (every
Lambda of the product imports it), against bare `import boto3` in the same run.

    .venv/bin/python bench/cold_start.py [--runs 15]

Each figure is the median of fresh interpreter processes, measured inside the
child with -X importtime off (perf_counter around the import). The two imports
take turns (boto3, app, boto3, app, …), so a load that comes and goes on the
machine weighs on both alike. Target: `import app` within 1.3x of `import boto3`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3

_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
import json
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules)}}))
"""


def import_once(module: str) -> tuple[float, int]:
    """Seconds a fresh process takes to import `module`, and the modules it then has."""
    # Bytecode may be written (any value of PYTHONDONTWRITEBYTECODE, "0" too,
    # forbids it), so the warm-up leaves the cache a deployed package has.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(root=str(ROOT), module=module)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["modules"]


def measure(modules: tuple[str, ...], runs: int) -> dict[str, tuple[float, int]]:
    """Each module's median time and module count, the imports taking turns."""
    times: dict[str, list[float]] = {module: [] for module in modules}
    counts: dict[str, int] = {}
    for _ in range(runs):
        for module in modules:
            seconds, counts[module] = import_once(module)
            times[module].append(seconds)
    return {module: (statistics.median(times[module]), counts[module]) for module in modules}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    measure(("app",), 2)  # warm the bytecode cache, as a deployed package has it
    figures = measure(("boto3", "app"), args.runs)
    (boto3_s, boto3_modules), (app_s, app_modules) = figures["boto3"], figures["app"]
    ratio = app_s / boto3_s
    print(f"import boto3   {boto3_s * 1000:7.1f} ms  ({boto3_modules} modules)  baseline")
    print(f"import app     {app_s * 1000:7.1f} ms  ({app_modules} modules)  ratio {ratio:.2f}")
    verdict = "ok" if ratio <= TARGET_RATIO else "over target"
    print(f"(median of {args.runs} fresh processes each) "
          f"import app at {ratio:.2f}x import boto3; target at most {TARGET_RATIO}x: {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
