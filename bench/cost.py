"""Cost per 1,000 chats on AWS, from what one chat is measured to use.

Runs the whole chat of bench/message_path.py (start, the operator opens, 20
messages each way, a rating, the end) through the real handlers against DynamoDB
Local and counts, for that chat: the DynamoDB capacity it consumed, the frames in
(one Lambda invocation and one WebSocket message each), the frames out (replies
and pushes, one WebSocket message each), the operator REST calls, and the time the
handlers took. The prices and the few quantities not measured here (connection
minutes, the widget's REST calls before the chat, connect/disconnect) are stated
assumptions, printed with the result.

    .venv/bin/python -m bench.cost [--endpoint URL | --moto]

docs/deploy.md explains the model; docs/performance.md has the last figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.message_path import Meter, Traffic, dynamodb, run  # noqa: E402

# On-demand list prices, us-east-1, no free tier, as of PRICES_AS_OF (check
# current pricing for your region). DynamoDB on-demand has cost $0.625 per million
# write and $0.125 per million read request units since 1 November 2024 (half the
# earlier $1.25 / $0.25). Lambda: the same price per request on both architectures;
# per GB-second the first tier's (arm64: the first 7.5 billion GB-s a month;
# x86_64: the first 6 billion), arm64 a fifth cheaper.
PRICES_AS_OF = "2026-12-06"
PRICE_PER_MILLION = {
    "DynamoDB write request units": 0.625,
    "DynamoDB read request units": 0.125,
    "WebSocket messages": 1.00,
    "WebSocket connection minutes": 0.25,
    "REST requests": 3.50,
    "Lambda requests": 0.20,
}
PRICE_PER_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
# The functions' architecture: the stack's (`lambda_architecture`, chalice's default
# x86_64), read from .chalice/config.json.
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
LAMBDA_MEMORY_GB = 0.5  # the dev/prod stages' 512 MB
# Assumed per chat, not measured here: a 10-minute chat with both sides connected;
# before it, widget config + session + ws-ticket and the console's ws-ticket; each
# side's socket connects and disconnects once (one invocation each).
CONNECTION_MINUTES = 20
WIDGET_REST_CALLS = 4
CONNECT_INVOCATIONS = 4
# Lambda bills whole milliseconds; a handler never bills less than this.
MIN_BILLED_SECONDS = 0.001


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    cost: float
    basis: str


def lambda_architecture() -> str:
    return json.loads(CHALICE_CONFIG.read_text()).get("lambda_architecture", "x86_64")


def per_thousand_chats(
    write_units: float, read_units: float, traffic: Traffic, architecture: str
) -> list[Line]:
    """The cost lines for 1,000 chats like the measured one, Lambda on `architecture`."""
    rest = traffic.rest_calls + WIDGET_REST_CALLS
    invocations = traffic.invocations + WIDGET_REST_CALLS + CONNECT_INVOCATIONS
    seconds = max(traffic.handler_seconds / max(traffic.invocations, 1), MIN_BILLED_SECONDS)
    quantities = [
        ("DynamoDB write request units", write_units, "measured"),
        ("DynamoDB read request units", read_units, "measured"),
        ("WebSocket messages", traffic.frames_in + traffic.frames_out, "measured"),
        ("WebSocket connection minutes", CONNECTION_MINUTES, "assumed"),
        ("REST requests", rest, f"{traffic.rest_calls} measured + {WIDGET_REST_CALLS} assumed"),
        ("Lambda requests", invocations, "measured frames/REST + assumed connects"),
    ]
    lines = [
        Line(item, 1000 * per_chat, 1000 * per_chat * PRICE_PER_MILLION[item] / 1e6, basis)
        for item, per_chat, basis in quantities
    ]
    gb_seconds = 1000 * invocations * seconds * LAMBDA_MEMORY_GB
    lines.append(Line(
        "Lambda compute (GB-s)", gb_seconds, gb_seconds * PRICE_PER_GB_SECOND[architecture],
        f"{seconds * 1000:.0f} ms mean handler time measured, at 512 MB, {architecture}",
    ))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", help="an already running DynamoDB (Local) URL")
    parser.add_argument("--moto", action="store_true", help="moto in memory instead")
    args = parser.parse_args()
    meter, traffic = Meter(), Traffic()
    meter.install()
    with dynamodb(args.endpoint, args.moto) as where:
        whole = run(meter, traffic)["whole chat"]
    architecture = lambda_architecture()
    print(f"Cost per 1,000 chats (one chat measured on {where}; us-east-1 on-demand "
          f"list prices as of {PRICES_AS_OF}, Lambda {architecture})\n")
    print(f"{'':30} {'quantity':>12} {'cost':>9}   basis")
    lines = per_thousand_chats(whole.write_units, whole.read_units, traffic, architecture)
    for line in lines:
        print(f"{line.item:30} {line.quantity:>12,.0f} {'$' + format(line.cost, '.3f'):>9}   "
              f"{line.basis}")
    total = sum(line.cost for line in lines)
    print(f"{'total':30} {'':>12} {'$' + format(total, '.3f'):>9}")
    for other in sorted(set(PRICE_PER_GB_SECOND) - {architecture}):
        # The same handler time priced on the other architecture (not measured there).
        other_total = sum(line.cost for line in per_thousand_chats(
            whole.write_units, whole.read_units, traffic, other))
        print(f"{'total on ' + other:30} {'':>12} {'$' + format(other_total, '.3f'):>9}   "
              "the same handler time at its price")
    print(f"\nper chat: {traffic.frames_in} frames in, {traffic.frames_out} frames out, "
          f"{traffic.rest_calls} operator REST calls, {whole.total} DynamoDB requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
