"""Every benchmark, one after the other, with every figure printed: `make bench`.

    .venv/bin/python -m bench [--history-chats 100000] [--only NAME ...]

Each benchmark runs in its own process (they start their own DynamoDB Local or
local stack, and the cold-start one must not share an interpreter), its output is
shown as it comes, and a summary at the end lists each one's verdict lines (the
lines naming its target) and whether it met its targets. The exit code is
non-zero when any benchmark failed or missed a target. Results and how to read
them: docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Bench:
    name: str
    args: tuple[str, ...]
    what: str


def benches(history_chats: int) -> list[Bench]:
    return [
        Bench("message_path", ("-m", "bench.message_path"),
              "DynamoDB requests and capacity per message"),
        Bench("cost", ("-m", "bench.cost"), "cost per 1,000 chats"),
        Bench("webhooks", ("-m", "bench.webhooks"),
              "webhook deliveries a second through the local queue"),
        Bench("relay_latency", ("-m", "bench.relay_latency"),
              "relay latency, 50 chats at once, against a minimal relay"),
        Bench("history", ("-m", "bench.history", "--chats", str(history_chats)),
              f"history pages, statistics and export at {history_chats:,} chats"),
        Bench("cold_start", ("-m", "bench.cold_start"), "import app against import boto3"),
        Bench("widget_size", ("-m", "bench.widget_size"), "widget sizes"),
    ]


def run(bench: Bench) -> tuple[int, float, list[str]]:
    """Run one, echoing its output; its exit code, seconds and verdict lines."""
    print(f"\n=== {bench.name}: {bench.what} ===", flush=True)
    started = time.monotonic()
    verdicts: list[str] = []
    with subprocess.Popen([sys.executable, *bench.args], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if "target" in line.lower() or line.startswith("total"):
                verdicts.append(line.strip())
    return process.returncode, time.monotonic() - started, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-chats", type=int, default=100_000)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="just these benchmarks")
    args = parser.parse_args()
    chosen = [b for b in benches(args.history_chats) if not args.only or b.name in args.only]
    results = [(bench, *run(bench)) for bench in chosen]
    print("\n=== summary ===")
    for bench, code, seconds, verdicts in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{bench.name:14} {status:18} {seconds:6.0f} s")
        for verdict in verdicts:
            print(f"{'':16}{verdict}")
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
