#!/usr/bin/env python3
"""Search API latency of `logwarden serve` on 5M stored events, idle and while syslog TCP streams in.

    python bench/server_search.py [--lines 5250000] [--work DIR] [--requests 50] [--rate 30000]

1. The mixed lines of `bench/run.py` (`write_mixed`, fixed seed; 5.25M lines are 5.04M events, a
   multi-line record being one) are generated and ingested with the CLI into `WORK/store` (kept: a
   second run with the same --work reuses it; each run works on a copy, as the ingest pass adds events).
2. The server is started on that directory; each question of `bench/run.py`, plus a page of a common
   word, the hourly histogram and the facets of the UI's first screen, is asked `--requests` times
   through `GET /api/v1/search`, `/histogram`, `/facets` (one client, one request at a time).
3. The same again while a load generator (another process) sends `logger`-style syslog over TCP at
   `--rate` lines a second.

Latency is the client's (request sent to answer read); p50 and p95 per call. Prints a table and writes
bench/out/server_search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from logwarden.demo.generate import MIXED_START, PLANTED_QUEUE_ID, write_mixed
from server_ingest import ROOT, Server, generators, thread_cpu

TIMEZONE = "Europe/Moscow"  # the generated servers' wall clock (as bench/run.py)
DAY = (datetime(1970, 1, 1) + timedelta(seconds=MIXED_START + 2 * 86400)).date()
DAY1 = DAY + timedelta(days=1)
# (name, path, query parameters): bench/run.py's five questions, then what the UI asks on its first screen
CALLS: list[tuple[str, str, dict[str, str]]] = [
    ("rare token", "/api/v1/search", {"q": PLANTED_QUEUE_ID}),
    ("common word count", "/api/v1/search", {"q": '"status=sent" | stats count()'}),
    ("level+source+day", "/api/v1/search", {"q": "level:error source:zimbra", "_from": DAY.isoformat(),
                                            "_to": DAY1.isoformat()}),
    ("hourly histogram (stats)", "/api/v1/search", {"q": "* | stats count() by (_time:1h)"}),
    ("top IPs of failed logins", "/api/v1/search",
     {"q": "authentication failed | stats count() as n by (client_ip) | sort by n desc | limit 10"}),
    ("page of a common word", "/api/v1/search", {"q": "status:sent"}),
    ("histogram, all events", "/api/v1/histogram", {"q": "*"}),
    ("facets, errors", "/api/v1/facets", {"q": "level:error"}),
]


def prepare(work: Path, lines: int) -> Path:
    """The stored 5M events, and a copy of them for this run (the ingest pass adds events)."""
    store, run = work / "store", work / "run"
    shutil.rmtree(run, ignore_errors=True)
    if not (store / "engine").exists():
        ingest(work, store, lines)
    shutil.copytree(store, run, symlinks=True)
    return run


def ingest(work: Path, store: Path, lines: int) -> None:
    data = work / "data"
    if not data.exists():
        write_mixed(data, lines)
    env = {**os.environ, "LOGWARDEN_TIMEZONE": TIMEZONE,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "logwarden.cli", "--data-dir", str(store), "ingest", str(data),
                    "--output", "json"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"ingested {lines} lines in {time.perf_counter() - started:.0f} s", flush=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def ask(srv: Server, requests: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with srv.client() as c:
        for name, path, params in CALLS:
            c.get(path, params=params).raise_for_status()  # warm: the first answer opens the parts' indexes
            ms, server_ms = [], []
            for _ in range(requests):
                t = time.perf_counter()
                r = c.get(path, params=params)
                ms.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                if "elapsed_ms" in (body := r.json()):
                    server_ms.append(body["elapsed_ms"])
            out[name] = {"p50_ms": pct(ms, 0.5), "p95_ms": pct(ms, 0.95), "max_ms": round(max(ms), 1),
                         "mean_ms": round(statistics.mean(ms), 1), "requests": requests,
                         "server_p50_ms": pct(server_ms, 0.5) if server_ms else None}
            print(f"  {name:28s} p50 {out[name]['p50_ms']:7.1f} ms  p95 {out[name]['p95_ms']:7.1f} ms", flush=True)
    return out


def under_load(srv: Server, requests: int, rate: int) -> dict[str, Any]:
    before = srv.stats()
    seconds = 3600.0  # stopped when the questions are answered
    gens = generators(srv.port("syslog_tcp"), rate, seconds, n=1)
    time.sleep(3.0)  # let the stream settle
    mid = srv.stats()
    t0 = time.perf_counter()
    try:
        result = ask(srv, requests)
    finally:
        took = time.perf_counter() - t0
        after = srv.stats()
        for gen in gens:
            gen.terminate()
            gen.wait()
    stored = after["stored_records"] - mid["stored_records"]
    return {"target_lines_per_s": rate, "received_lines_per_s": round((after["received_records"]
                                                                        - mid["received_records"]) / took),
            "stored_lines_per_s": round(stored / took), "pending_at_end": after["pending_records"],
            "batches": after["batches"] - before["batches"], "last_batch_ms": after["last_batch_ms"],
            "last_batch_records": after["last_batch_records"], "seconds": round(took, 1),
            "load_avg": os.getloadavg(), "calls": result}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=5_250_000, help="lines to generate (5.25M lines: 5.04M events)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "server_search")
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--rate", type=int, default=30_000, help="syslog lines a second during the second pass")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    store = prepare(args.work, args.lines)
    srv = Server(store, {"LOGWARDEN_TIMEZONE": TIMEZONE}).start()
    try:
        total = srv.stats()
        with srv.client() as c:
            events = c.get("/api/v1/stats").json()["events"]
        print(f"idle ({events:,} events stored), load average {os.getloadavg()[0]:.2f}", flush=True)
        idle = {"load_avg": os.getloadavg(), "calls": ask(srv, args.requests)}
        print(f"while syslog TCP streams in at {args.rate:,} lines/s", flush=True)
        loaded = under_load(srv, args.requests, args.rate)
        print(f"  stored {loaded['stored_lines_per_s']:,} lines/s meanwhile (received "
              f"{loaded['received_lines_per_s']:,}/s), load average {loaded['load_avg'][0]:.2f}")
        assert srv.proc is not None
        cpu = thread_cpu(srv.proc.pid)
    finally:
        srv.stop()
    results = {"machine": {"cpus": os.cpu_count()}, "events": events, "idle": idle, "ingesting": loaded,
               "server_cpu_s_by_thread": cpu, "ingest_stats_at_start": total}
    out = ROOT / "bench" / "out"
    (out / "server_search.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
