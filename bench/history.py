"""Chat History at scale: what one page, the statistics call and a whole export
cost with 100,000 chats in DynamoDB Local.

    .venv/bin/python -m bench.history [--chats 100000] [--messages 2] [--endpoint URL]

Prints, for history pages (unfiltered, one filter, combined filters) the rows
returned, the index items read and the read capacity, against the page's own
row count as the baseline (target: a page reads at most 2x its rows); the read
capacity of the statistics call for 30 days; and the time and peak memory of
the export worker writing every chat, against a baseline process that only
imports the same code (target: under 200 MB).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.message_path import Meter, dynamodb  # noqa: E402

SERVICE = "bench"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAGE = 50
TARGET_READ_RATIO = 2.0
TARGET_EXPORT_MB = 200
OPERATORS = [f"op_{n}" for n in range(20)]
CATEGORIES = [f"cat_{n}" for n in range(12)]
CHANNELS = ["widget", "help-center", "app"]


def _chat_fields(n: int, rng: random.Random) -> dict[str, Any]:
    processed = rng.random() < 0.8
    return {
        "created_at": NOW - timedelta(seconds=rng.randrange(30 * 24 * 3600)),
        "processed": processed,
        "operator_id": rng.choice(OPERATORS) if processed or rng.random() < 0.5 else None,
        "category_id": rng.choice(CATEGORIES) if rng.random() < 0.7 else None,
        "channel": rng.choice(CHANNELS),
        "rating": rng.randint(1, 5) if rng.random() < 0.4 else None,
        "name": f"Customer {n % 5000}",
        "email": f"customer{n % 5000}@example.jp",
    }


def load(chats: int, messages: int) -> None:
    """Write the chats, their messages and the day counters in batches."""
    from chalicelib import clock
    from chalicelib.models import Chat, DailyStats, Message
    from chalicelib.services import chat_index

    days: dict[str, dict[str, int]] = {}

    def write(block: range) -> None:
        local = random.Random(block.start)
        with Chat.batch_write() as chat_batch, Message.batch_write() as message_batch:
            for n in block:
                f = _chat_fields(n, local)
                created = clock.iso(f["created_at"])
                keys = chat_index.new_chat_keys(SERVICE, f["channel"], f["name"], f["email"])
                keys["status_key"] = chat_index.status_key(SERVICE, f["processed"])
                keys["operator_key"] = chat_index.keyed(SERVICE, f["operator_id"])
                keys["rating_key"] = chat_index.keyed(SERVICE, f["rating"])
                chat_batch.save(Chat(
                    chat_id=f"ch_bench_{n:07d}", service_id=SERVICE, customer_id=f"cu_{n}",
                    status="ended", processed=f["processed"], operator_id=f["operator_id"],
                    operator_name=f["operator_id"], category_id=f["category_id"],
                    category_key=chat_index.keyed(SERVICE, f["category_id"]),
                    channel=f["channel"],
                    customer={"name": f["name"], "email": f["email"], "verified": False,
                              "ip": "203.0.113.9", "device": "Chrome on Windows (desktop)"},
                    rating={"score": f["rating"], "comment": "thanks", "rated_at": created}
                    if f["rating"] else None,
                    last_seq=messages, created_at=created, ended_at=created, **keys,
                ))
                for seq in range(1, messages + 1):
                    message_batch.save(Message(
                        chat_id=f"ch_bench_{n:07d}", seq=seq,
                        sender_role="customer" if seq % 2 else "operator",
                        sender_name=f["name"], text=f"Message {seq} about order {n}",
                        created_at=created,
                    ))

    blocks = [range(start, min(start + 2000, chats)) for start in range(0, chats, 2000)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, blocks))
    # Statistics counters as the engine would have kept them: per UTC hour, shard
    # and quarter (services/stats.py).
    from chalicelib.services import stats

    for block in blocks:
        local = random.Random(block.start)
        for n in block:
            f = _chat_fields(n, local)
            created = clock.iso(f["created_at"])
            slot = days.setdefault(stats.hour_item_key(created, f"ch_bench_{n:07d}"), {})
            suffix = stats.quarter_suffix(created)
            slot["chats" + suffix] = slot.get("chats" + suffix, 0) + 1
            slot["processed" + suffix] = slot.get("processed" + suffix, 0) + int(f["processed"])
    with DailyStats.batch_write() as batch:
        for slot_key, counts in days.items():
            batch.save(DailyStats(service_id=SERVICE, day=slot_key, **counts))


def measure_pages(meter: Meter) -> list[tuple[str, int, int, float, float, int]]:
    """Each page's rows, index items read, read capacity, and the read capacity
    of fetching just its rows by key (the baseline), and requests."""
    from chalicelib.models import Chat
    from chalicelib.services import history, stats

    searches = {
        "no filter": {},
        "status=processed": {"status": "processed"},
        "operator": {"operator_id": OPERATORS[3]},
        "category + rating": {"category_id": CATEGORIES[2], "rating": "5"},
        "q=email": {"q": "customer42@example.jp"},
    }
    rows = []
    for label, params in searches.items():
        search = history.parse_filter(params, now=NOW)
        with meter.measure() as tally:
            page = history.search_page(SERVICE, search, PAGE, None)
        with meter.measure() as baseline:
            list(Chat.batch_get([chat.chat_id for chat in page.chats]))
        rows.append((f"history page: {label}", len(page.chats), page.index_items_read,
                     tally.read_units, baseline.read_units, tally.total))
    from zoneinfo import ZoneInfo

    for zone in (ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo")):
        with meter.measure() as tally:
            period = stats.Period.checked({"from": "2026-10-27", "to": "2026-11-25"}, zone)
            report = stats.report(SERVICE, period, zone)
        rows.append((f"stats, 30 days in {zone} ({report['chats']:,} chats)",
                     len(report["by_day"]), len(report["by_day"]), tally.read_units, 0.0,
                     tally.total))
    return rows


SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
            "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水"]
GIVEN = ["花子", "太郎", "陽子", "健", "美咲", "大輔", "サクラ", "翔太", "結衣", "拓也"]
ROMAJI = ["sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura",
          "kobayashi", "kato", "yoshida", "yamada", "sasaki", "yamaguchi", "matsumoto",
          "inoue", "kimura", "hayashi", "saito", "shimizu"]
DOMAINS = ["example.jp", "example.co.jp", "mail.example.com", "shop.example.ne.jp"]
NAMED = "bench-names"


def load_named(chats: int) -> tuple[float, float]:
    """Chats with Japanese names and emails and their search pieces (the term
    index of R-CH-3b), as the engine writes them; returns the pieces per chat and
    the write units they cost a chat's start (a transaction writes each item of
    up to 1 KB for 2 units)."""
    from chalicelib import clock
    from chalicelib.models import Chat, SearchTerm
    from chalicelib.services import chat_index, search_terms

    pieces = 0
    rng = random.Random(7)
    with Chat.batch_write() as chat_batch, SearchTerm.batch_write() as term_batch:
        for n in range(chats):
            family = rng.randrange(len(SURNAMES))
            name = f"{SURNAMES[family]} {rng.choice(GIVEN)}"
            email = f"{ROMAJI[family]}.{n}@{rng.choice(DOMAINS)}"
            created = clock.iso(NOW - timedelta(seconds=rng.randrange(30 * 24 * 3600))) or ""
            chat_id = f"ch_named_{n:07d}"
            keys = chat_index.new_chat_keys(NAMED, "widget", name, email)
            chat_batch.save(Chat(
                chat_id=chat_id, service_id=NAMED, customer_id=f"cu_{n}", status="ended",
                customer={"name": name, "email": email, "verified": False,
                          "ip": "203.0.113.9", "device": "Chrome on Windows (desktop)"},
                created_at=created, ended_at=created, **keys,
            ))
            items = search_terms.items_for(NAMED, chat_id, created, name, email)
            pieces += len(items)
            for item in items:
                term_batch.save(item)
    per_chat = pieces / max(chats, 1)
    return per_chat, per_chat * 2


def measure_partial(meter: Meter) -> list[tuple[str, int, int, float, float, int]]:
    """Pages of searches by part of a name or email (R-CH-3b)."""
    from chalicelib.models import Chat
    from chalicelib.services import history

    searches = {
        "part of name: 田中 (surname)": "田中",
        "part of name: 藤花 (across)": "藤花",
        "part of name: ｻｸﾗ (width, kana)": "ｻｸﾗ",
        "part of email: yamada.1": "yamada.1",
        "part of email: co.jp": "co.jp",
    }
    rows = []
    for label, q in searches.items():
        search = history.parse_filter({"q": q}, now=NOW)
        with meter.measure() as tally:
            page = history.search_page(NAMED, search, PAGE, None)
        with meter.measure() as baseline:
            list(Chat.batch_get([chat.chat_id for chat in page.chats]))
        rows.append((f"history page: {label}", len(page.chats), page.index_items_read,
                     tally.read_units, baseline.read_units, tally.total))
    return rows


def print_pages(rows: list[tuple[str, int, int, float, float, int]]) -> bool:
    ok = True
    print(f"{'':38} {'rows':>5} {'index items':>11} {'RCU':>6} "
          f"{'rows alone':>10} {'ratio':>6} {'requests':>8}")
    for label, count, read, rcu, alone, requests in rows:
        ratio = rcu / alone if alone else None
        flag = ""
        if ratio is not None and ratio > TARGET_READ_RATIO:
            flag, ok = "  over target", False
        shown = f"{ratio:>6.2f}" if ratio is not None else f"{'-':>6}"
        print(f"{label:38} {count:>5} {read:>11} {rcu:>6.1f} {alone:>10.1f} {shown} "
              f"{requests:>8}{flag}")
    print(f"(ratio: the page's read capacity over reading just its rows by key, "
          f"measured here; target at most {TARGET_READ_RATIO:g}x)\n")
    return ok


_EXPORT = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from chalicelib.services import exports, history
from chalicelib.models import ExportJob
from chalicelib import clock
from dataclasses import asdict
from datetime import timedelta
{body}
# VmHWM: this process's peak resident memory (ru_maxrss would carry the parent's
# peak across exec on Linux).
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
print(json.dumps({{"rss_mb": peak_kb / 1024,
                  "seconds": time.perf_counter() - started, "rows": rows}}))
"""

_RUN = """
search = history.parse_filter({{}}, now=clock.parse_iso("2026-11-25T12:00:00Z"))
job = ExportJob(export_id="ex_bench", service_id={service!r}, created_by="bench",
                search=asdict(search), status="pending", rows=0,
                timezone="Asia/Tokyo", language="ja",
                created_at=clock.iso(clock.now()),
                expires_at=clock.now() + timedelta(days=1))
job.save()
started = time.perf_counter()
exports.run("ex_bench")
rows = ExportJob.get("ex_bench").rows
"""

_BASELINE = """
import openpyxl, boto3
from chalicelib.services import workbook
started = time.perf_counter()
rows = 0
"""


def measure_export(s3_endpoint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    env = {**os.environ, "S3_ENDPOINT": s3_endpoint, "EXPORTS_BUCKET": "bench-exports"}

    def child(body: str) -> dict[str, Any]:
        code = _EXPORT.format(root=str(ROOT), body=body)
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the export child failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    return child(_BASELINE), child(_RUN.format(service=SERVICE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2, help="messages per chat")
    parser.add_argument("--endpoint", help="an already running DynamoDB (Local) URL")
    parser.add_argument("--named", type=int, default=20_000,
                        help="chats with Japanese names for the partial search")
    parser.add_argument("--partial-only", action="store_true",
                        help="only the partial search (no 100k archive, no export)")
    args = parser.parse_args()
    meter = Meter()
    meter.install()
    # Local servers only: placeholder credentials, never a real account's.
    os.environ["AWS_ACCESS_KEY_ID"] = "bench"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "bench"
    os.environ.pop("AWS_PROFILE", None)
    from infra.local import moto_servers
    from tests.integration.stack_runner import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # S3's access log
    s3 = moto_servers.start(free_port())
    moto_servers.create_bucket(s3.endpoint, "bench-exports")
    ok = True
    try:
        with dynamodb(args.endpoint, False) as where:
            started = time.perf_counter()
            per_chat, units = load_named(args.named)
            print(f"Partial search (R-CH-3b) over {args.named:,} chats with Japanese names "
                  f"and emails, {where}; loaded in {time.perf_counter() - started:.0f} s")
            print(f"search pieces written per chat: {per_chat:.1f} items, "
                  f"{units:.0f} WCU in the start transaction\n")
            ok = print_pages(measure_partial(meter))
            if args.partial_only:
                return 0 if ok else 1
            started = time.perf_counter()
            load(args.chats, args.messages)
            print(f"Chat History with {args.chats:,} chats ({args.messages} messages each), "
                  f"{where}; loaded in {time.perf_counter() - started:.0f} s\n")
            ok = print_pages(measure_pages(meter)) and ok
            baseline, export = measure_export(s3.endpoint)
            print(f"export of {export['rows']:,} chats: {export['seconds']:.1f} s, "
                  f"peak RSS {export['rss_mb']:.0f} MB "
                  f"(baseline process importing the same code: {baseline['rss_mb']:.0f} MB, "
                  f"ratio {export['rss_mb'] / baseline['rss_mb']:.2f}); "
                  f"target under {TARGET_EXPORT_MB} MB")
            ok = ok and export["rss_mb"] < TARGET_EXPORT_MB and export["rows"] == args.chats
    finally:
        s3.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
