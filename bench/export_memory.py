"""Memory while exporting a large search: RSS stays flat because rows stream from the engine in chunks.

    .venv/bin/python bench/export_memory.py --rows 1000000 [--formats ndjson,csv,xlsx] [--data-dir DIR]

Fills a fresh data directory with ROWS synthetic events (generated inside the engine), then for each
format (XLSX as the server writes it: rows spooled out of the engine first, `engine_held`), in a fresh child process (so one format's allocations do not blur the next one's figure), runs
the export of `*` (every event, newest first: the engine sorts them, spilling to disk) through the
writer into a temporary file, sampling the process's RSS (from /proc/self/statm) every 50,000 rows. Prints one line per format: rows, bytes,
seconds, RSS before, peak RSS, and the growth; exits 1 if a format's export lost rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from logwarden.export import EXPORTERS, export_columns
from logwarden.export.stream import export_query, export_rows, read_spool, spool_rows
from logwarden.store.chdb_store import Store

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def fill(store: Store, rows: int) -> None:
    store.execute(
        "INSERT INTO lw.events (ts, source, service, host, format, origin, seq, level, raw, user, client_ip, fields) "
        "SELECT toDateTime64('2024-03-01 00:00:00', 6, 'UTC') + toIntervalMillisecond(number * 37), "
        "['zimbra','postfix','nginx'][number % 3 + 1], 'svc' || toString(number % 7), 'host' || toString(number % 5), "
        "'bench', '/var/log/bench-' || toString(number % 4) || '.log', number, "
        "['info','warn','error'][number % 3 + 1], "
        "'2024-03-01 00:00:00,000 INFO [qtp-' || toString(number % 97) || '] [name=user' || toString(number % 1000) "
        "|| '@corp.ru;ip=10.0.' || toString(number % 250) || '.1;] soap - SearchRequest elapsed=' || toString(number % 500) "
        "|| ' Привет мир', "
        "'user' || toString(number % 1000) || '@corp.ru', '10.0.' || toString(number % 250) || '.1', "
        "map('elapsed', toString(number % 500), 'thread', 'qtp-' || toString(number % 97)) "
        "FROM numbers({n:UInt64})", {"n": rows})


def export(store: Store, fmt: str, expected: int) -> bool:
    exporter = EXPORTERS[fmt]
    start_rss = rss_mb()
    peak = start_rss
    count = 0
    started = time.perf_counter()
    cq = export_query("*")
    kind, rows = cq.kind, export_rows(store, cq)
    held = ""
    if fmt == "xlsx":  # as the server does: copy the rows out of the engine, then write without it
        fd, spool = tempfile.mkstemp(prefix="lw-bench-spool-")
        os.close(fd)
        spooled = time.perf_counter()
        spool_rows(store, cq, spool)
        held = f" engine_held={time.perf_counter() - spooled:.1f}s"
        peak = max(peak, rss_mb())  # the allocator keeps what the spooling took
        rows = read_spool(spool)

    def counted():  # type: ignore[no-untyped-def]
        nonlocal count, peak
        for row in rows:
            count += 1
            if count % 50_000 == 0:
                peak = max(peak, rss_mb())
            yield row

    size = 0
    with tempfile.TemporaryFile() as out:
        for chunk in exporter.write(counted(), export_columns(kind, cq.columns)):
            out.write(chunk)
            size += len(chunk)
            peak = max(peak, rss_mb())
    elapsed = time.perf_counter() - started
    print(f"{fmt:7} rows={count:>9,} bytes={size:>13,} seconds={elapsed:6.1f} rss_start={start_rss:7.1f}MB "
          f"rss_peak={peak:7.1f}MB growth={peak - start_rss:6.1f}MB{held}", flush=True)
    return count == expected


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--formats", default="ndjson,csv,xlsx")
    ap.add_argument("--data-dir", default=None, help="a data directory to fill (default: a temporary one)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)  # export one format from --data-dir
    args = ap.parse_args()
    if args.child:
        with Store(Path(args.data_dir), "bench") as store:
            return 0 if export(store, args.child, args.rows) else 1
    with tempfile.TemporaryDirectory(prefix="lw-export-bench-") as tmp:
        data_dir = Path(args.data_dir or tmp)
        with Store(data_dir, "bench") as store:
            started = time.perf_counter()
            fill(store, args.rows)
            print(f"filled {args.rows:,} events in {time.perf_counter() - started:.1f}s", flush=True)
        ok = True
        for fmt in args.formats.split(","):
            child = [sys.executable, __file__, "--child", fmt, "--rows", str(args.rows), "--data-dir", str(data_dir)]
            ok = subprocess.run(child, check=False).returncode == 0 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
