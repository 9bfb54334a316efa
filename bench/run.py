#!/usr/bin/env python3
"""logwarden benchmark: ingest speed against the engine's ceiling, size on disk against zstd, and query
latency against ripgrep and lnav on the same files. Prints a table, writes bench/out/results.json.

    python bench/run.py --lines 1000000 [--work DIR] [--runs 5] [--server-runs 20] [--lnav-runs 2]

One run, on the same generated files (`write_mixed`, fixed seed; cached in --work):
1. `logwarden ingest` of the files (wall time, lines/s, peak RSS, data directory size);
2. the engine's ceiling: the same lines unparsed into a MergeTree String column with CODEC(ZSTD(3)), and
   the storage floor: the same with ZSTD(5) and ZSTD(9) (insert s, lines/s, size settled after
   OPTIMIZE FINAL, against `zstd -3` of the files);
3. five questions, median of --runs, asked of the CLI (a process each; engine time in brackets), `rg`
   and `lnav -n -c ';SELECT ...'` (--lnav-runs);
4. the same questions through a running `logwarden serve` on the ingested directory (GET
   /api/v1/search, Bearer token, kept-alive client; one warm-up, then max(--runs, --server-runs)
   requests: median of the first --runs, and median, min, p95 of all), checked against the CLI's answers;
5. ratios, and issue 2's targets met or not.

A step that fails (say the CLI lacks a feature) is reported as n/a with its error; the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from run_server import report_server, server_questions

ROOT = Path(__file__).resolve().parents[1]
try:
    from logwarden.demo.generate import CONTENT_VERSION, MIXED_START, PLANTED_QUEUE_ID, write_mixed
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT / "src"))
    from logwarden.demo.generate import CONTENT_VERSION, MIXED_START, PLANTED_QUEUE_ID, write_mixed

TIMEZONE = "Europe/Moscow"  # the generated servers' wall clock
DAY = (datetime(1970, 1, 1) + timedelta(seconds=MIXED_START + 2 * 86400)).date()  # a busy day in the data
ENV = {**os.environ, "LOGWARDEN_TIMEZONE": TIMEZONE, "LC_ALL": "C",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
CLI = [sys.executable, "-m", "logwarden.cli"]
FLOOR_CODECS = ("ZSTD(5)", "ZSTD(9)")  # the raw lines alone at higher levels: the storage floor
# Pulls the client address out of a failed login: Zimbra's oip= (the real client behind the proxy),
# else ip=, else Postfix's unknown[...]. The greedy .* makes the last oip=/ip= of the line win.
IP_RE = r"^(?:.*oip=|.*[\[;]ip=|.*unknown\[)([0-9a-f.:]+)"

# (name, logwarden query and extra args, rg shell pipeline, lnav SQL or None); {data}, {token}, {day} filled in
QUESTIONS = [
    ("rare token", ["{token}"], "rg -c -i {token} {data}",
     "SELECT count(*) FROM all_logs WHERE log_text LIKE '%{token}%'"),
    ("common word count", ['"status=sent" | stats count()'], "rg -c -F status=sent {data}",
     "SELECT count(*) FROM all_logs WHERE log_text LIKE '%status=sent%'"),
    ("level+source+day", ["level:error source:zimbra", "--from", "{day}", "--to", "{day1}"],
     "rg -c '^{day} \\S+ ERROR ' {data}/mailbox.log",
     ("SELECT count(*) FROM all_logs WHERE log_path LIKE '%mailbox.log' AND log_level = 'error'"
     " AND log_time >= '{day}' AND log_time < '{day1}'")),
    ("hourly histogram", ["* | stats count() by (_time:1h)"],
     ("rg -oN --no-filename '^[A-Z][a-z]{{2}} [ 0-9][0-9] [0-9]{{2}}|^[0-9]{{4}}-[0-9-]{{5}} [0-9]{{2}}|"
     "\\[[0-9]{{2}}/[A-Za-z]{{3}}/[0-9]{{4}}:[0-9]{{2}}|\"t\":\"[0-9-]{{10}} [0-9]{{2}}' {data} | sort | uniq -c | wc -l"),
     "SELECT strftime('%Y-%m-%d %H', log_time) AS hour, count(*) FROM all_logs GROUP BY hour"),
    ("top IPs of failed logins",
     ['authentication failed | stats count() as n by (client_ip) | sort by n desc | limit 10'],
     (f"rg -i --no-filename 'authentication failed' {{data}} | rg -o -r '$1' '{IP_RE}' | sort | uniq -c"
     " | sort -rn | head -10"),
     (f"SELECT regexp_match('{IP_RE}', log_text) AS ip, count(*) AS n FROM all_logs"
     " WHERE log_text LIKE '%authentication failed%' GROUP BY ip ORDER BY n DESC LIMIT 10")),
]


@dataclass
class Run:
    code: int
    wall: float
    rss_mb: float
    out: str
    err: str


def measure(cmd: list[str] | str, timeout: float | None = None) -> Run:
    """Run a command (a list, or a string for bash), with its wall time and peak RSS (via wait4)."""
    argv = ["bash", "-c", cmd] if isinstance(cmd, str) else cmd
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=ENV)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, wall, usage.ru_maxrss / 1024, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


def repeat(cmd: list[str] | str, runs: int, timeout: float | None = None) -> dict[str, Any]:
    """Median wall time of ``runs`` runs; stops at the first failure and says why."""
    walls, rss, engine = [], 0.0, []
    for _ in range(runs):
        r = measure(cmd, timeout)
        if r.code != 0:
            why = "timed out" if r.code < 0 and timeout and r.wall >= timeout else (r.err.strip() or r.out.strip())
            return {"ok": False, "error": f"exit {r.code}: {why[-300:]}"}
        walls.append(r.wall)
        rss = max(rss, r.rss_mb)
        if m := re.search(r"query_ms=([\d.]+)", r.err):
            engine.append(float(m.group(1)))
    return {"ok": True, "median_ms": 1000 * statistics.median(walls), "runs_ms": [round(1000 * w) for w in walls],
            "engine_ms": statistics.median(engine) if engine else None, "rss_mb": round(rss, 1),
            "answer": r.out.strip()[-400:], "_out": r.out}  # _out: the whole answer, dropped before writing


def version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return "n/a"


def machine() -> dict[str, Any]:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    try:
        import chdb

        chdb_version = getattr(chdb, "__version__", "?")
    except ImportError:
        chdb_version = "n/a"
    return {"nproc": os.cpu_count(), "cpu": cpu.group(1) if cpu else platform.processor(),
            "ram_gb": round(int(mem.group(1)) / 1024**2, 1) if mem else None, "python": platform.python_version(),
            "chdb": chdb_version, "logwarden": version([*CLI, "--version"]), "rg": version(["rg", "--version"]),
            "lnav": version(["lnav", "-V"]), "zstd": version(["zstd", "--version"]), "kernel": platform.release()}


def tree_bytes(path: Path) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of every file under ``path``."""
    apparent = allocated = 0
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return apparent, allocated


def generate(work: Path, lines: int) -> tuple[Path, list[Path], float | None]:
    data = work / f"data-{lines}"
    stamp = data / ".complete"
    files = sorted(data.glob("*.log"))
    if stamp.exists() and stamp.read_text() == CONTENT_VERSION and files:
        print(f"using cached data in {data}")
        return data, files, None
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    files = sorted(write_mixed(data, lines))
    took = time.perf_counter() - started
    stamp.write_text(CONTENT_VERSION)
    print(f"generated {lines} lines into {data} in {took:.1f} s")
    return data, files, took


CEILING = r"""
import json, os, sys, time
from chdb import session
path, codec, token, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def allocated(top):
    return sum(os.stat(os.path.join(d, f)).st_blocks * 512 for d, _, fs in os.walk(top) for f in fs)

s = session.Session(path)
s.query("CREATE DATABASE x")
s.query(f"CREATE TABLE x.t (raw String CODEC({codec})) ENGINE=MergeTree ORDER BY tuple()")
started = time.perf_counter()
for f in files:
    f = f.replace("\\", "\\\\").replace("'", "\\'")
    s.query(f"INSERT INTO x.t SELECT line FROM file('{f}', 'LineAsString', 'line String')")
took = time.perf_counter() - started
rows = int(str(s.query("SELECT count() FROM x.t", "CSV")).strip())
after_insert = allocated(path)
started = time.perf_counter()
s.query("OPTIMIZE TABLE x.t FINAL")
optimize = time.perf_counter() - started
active = str(s.query("SELECT path FROM system.parts WHERE database = 'x' AND active", "JSONCompactEachRow"))
settled = sum(allocated(json.loads(line)[0]) for line in active.splitlines() if line.strip())
# What a store of raw text alone answers: a scan (first run: the query condition cache off).
scans = {}
for name, where in (("rare_token_ms", f"positionCaseInsensitive(raw, '{token}') > 0"),
                    ("phrase_count_ms", "positionCaseInsensitive(raw, 'status=sent') > 0")):
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        s.query(f"SELECT count() FROM x.t WHERE {where} SETTINGS use_query_condition_cache = 0")
        runs.append((time.perf_counter() - started) * 1000)
    scans[name] = sorted(runs)[1]
print(json.dumps({"insert_s": took, "rows": rows, "optimize_s": optimize, "disk_bytes": after_insert,
                  "settled_bytes": settled, **scans}))
"""


def ceiling(work: Path, files: list[Path], lines: int, codec: str = "ZSTD(3)") -> dict[str, Any]:
    """The same lines, unparsed, into a MergeTree table (one String column with ``codec``) with chDB
    directly: what the engine can do. ZSTD(3) is the ingest ceiling; higher levels are the storage floor.
    Disk: allocated bytes after the inserts, and settled (the active part after OPTIMIZE FINAL)."""
    path = work / f"ceiling-{re.sub(r'[^A-Za-z0-9]+', '', codec)}"
    shutil.rmtree(path, ignore_errors=True)
    r = measure([sys.executable, "-c", CEILING, str(path), codec, PLANTED_QUEUE_ID, *map(str, files)])
    shutil.rmtree(path, ignore_errors=True)
    if r.code != 0:
        return {"ok": False, "codec": codec, "error": r.err.strip()[-300:]}
    got = json.loads(r.out.strip().splitlines()[-1])
    return {"ok": got["rows"] == lines, "codec": codec, "rows": got["rows"], "insert_s": got["insert_s"],
            "optimize_s": got["optimize_s"], "wall_s": r.wall, "lines_per_s": lines / got["insert_s"],
            "rss_mb": round(r.rss_mb, 1), "disk_bytes": got["disk_bytes"], "settled_bytes": got["settled_bytes"],
            "rare_token_ms": got["rare_token_ms"], "phrase_count_ms": got["phrase_count_ms"]}


def ingest(store: Path, data: Path, lines: int) -> dict[str, Any]:
    shutil.rmtree(store, ignore_errors=True)
    r = measure([*CLI, "--data-dir", str(store), "ingest", str(data), "--output", "json"])
    if r.code != 0:
        return {"ok": False, "error": f"exit {r.code}: {(r.err.strip() or r.out.strip())[-300:]}"}
    try:
        report = json.loads(r.out)
    except json.JSONDecodeError:
        report = {}
    apparent, allocated = tree_bytes(store)
    return {"ok": True, "wall_s": r.wall, "lines_per_s": lines / r.wall, "rss_mb": round(r.rss_mb, 1),
            "records": report.get("records"), "unparsed": report.get("unparsed"), "disk_bytes": allocated,
            "apparent_bytes": apparent}


def zstd_bytes(files: list[Path]) -> int | None:
    if not shutil.which("zstd"):
        return None
    total = 0
    for f in files:
        r = subprocess.run(f"zstd -3 -c -- '{f}' | wc -c", shell=True, capture_output=True, text=True, check=False)
        total += int(r.stdout.strip() or 0)
    return total


def filling(data: Path) -> dict[str, str]:
    return {"token": PLANTED_QUEUE_ID, "data": str(data), "day": DAY.isoformat(),
            "day1": (DAY + timedelta(days=1)).isoformat()}


def questions(store: Path, data: Path, files: list[Path], runs: int, lnav_runs: int, lnav_timeout: float,
              timing: bool) -> list[dict[str, Any]]:
    fill = filling(data)
    lnav_home = Path(tempfile.mkdtemp(prefix="lnav-home-"))
    out = []
    for name, query, rg, lnav in QUESTIONS:
        args = [a.format(**fill) for a in query]
        cmd = [*CLI, "--data-dir", str(store), "search", *args, "--output", "json"] + (["--timing"] if timing else [])
        print(f"  {name}: logwarden", end="", flush=True)
        row = {"question": name, "logwarden_query": " ".join(args), "logwarden": repeat(cmd, runs, 600)}
        print(", rg", end="", flush=True)
        row["rg_command"] = rg.format(**fill)
        row["rg"] = repeat(row["rg_command"], runs, 600) if shutil.which("rg") else {"ok": False, "error": "no rg"}
        if lnav and shutil.which("lnav"):
            print(", lnav", end="", flush=True)
            sql = ";" + lnav.format(**fill)
            row["lnav_command"] = f"lnav -n -c \"{sql}\" {data}/*.log"
            # lnav keeps state under ~/.lnav: give it a scratch home (env execs lnav: same pid for wait4)
            cmd = ["env", f"HOME={lnav_home}", "lnav", "-n", "-c", sql, *map(str, files)]
            row["lnav"] = repeat(cmd, lnav_runs, lnav_timeout)
        else:
            row["lnav"] = {"ok": False, "error": "not expressible in lnav" if not lnav else "no lnav"}
        print(flush=True)
        out.append(row)
    shutil.rmtree(lnav_home, ignore_errors=True)
    return out


def _ms(r: dict[str, Any]) -> str:
    return f"{r['median_ms']:.0f}" if r.get("ok") else "n/a"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def _mb(value: float | None) -> str:
    return f"{value / 1e6:10.1f} MB" if value else "       n/a"


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 2's targets: (measure, value, target, met); met is None when the value is missing."""
    ing, ceil, disk, qs = res["ingest"], res["ceiling"], res["disk"], res["queries"]

    def row(measure: str, value: float | None, text: str, target: str, met: bool | None) -> dict[str, Any]:
        return {"measure": measure, "value": value, "text": text if value is not None else "n/a",
                "target": target, "met": met if value is not None else None}

    def div(a: float | None, b: float | None) -> float | None:
        return a / b if a and b else None

    out = []
    x = div(ing.get("lines_per_s"), ceil.get("lines_per_s"))
    out.append(row("ingest vs engine ceiling", x, f"{x or 0:.3f}x", ">= 0.5x", (x or 0) >= 0.5))
    x = div(disk.get("logwarden_settled"), disk.get("zstd"))
    out.append(row("disk vs zstd -3 (settled)", x, f"{x or 0:.2f}x", "<= 1x", (x or 0) <= 1))
    rss = [ing.get("rss_mb"), res["server"].get("rss_mb"), *(q["logwarden"].get("rss_mb") for q in qs)]
    peak = max((r for r in rss if r), default=None)
    out.append(row("peak RSS (ingest, CLI, server)", peak, f"{peak or 0:.0f} MB", "<= 1024 MB", (peak or 0) <= 1024))
    rare = next(q for q in qs if q["question"] == "rare token")
    for how, tool in (("CLI process", "logwarden"), ("server", "server")):
        x = div(rare["rg"].get("median_ms"), rare[tool].get("median_ms"))
        out.append(row(f"rare token vs rg ({how})", x, f"{x or 0:.{1 if (x or 0) >= 10 else 2}f}x faster", ">= 20x",
                       (x or 0) >= 20))
    for how, tool, key in (("CLI process", "logwarden", "median_ms"), ("server", "server", "median_ms"),
                           ("CLI process, server running", "server", "cli_via_server_ms")):
        ms = [q[tool].get(key) for q in qs]
        worst = max(ms) if all(ms) else None  # type: ignore[type-var]
        out.append(row(f"every query < 0.3 s ({how})", worst, f"{'yes' if (worst or 0) < 300 else 'no'} "
                       f"(slowest {worst or 0:.0f} ms)", "< 300 ms", (worst or 0) < 300))
    return out


def report(res: dict[str, Any]) -> None:
    m, ing, ceil, disk = res["machine"], res["ingest"], res["ceiling"], res["disk"]
    print(f"\nmachine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, chDB {m['chdb']}")
    print(f"tools:   {m['logwarden']} | {m['rg']} | {m['lnav']} | {m['zstd']}")
    print(f"data:    {res['lines']:,} lines, {res['raw_bytes'] / 1e6:.1f} MB raw in {len(res['files'])} files")
    print("\n-- ingest")
    if ing.get("ok"):
        print(f"logwarden ingest   {ing['wall_s']:8.2f} s  {ing['lines_per_s']:>12,.0f} lines/s  "
              f"peak RSS {ing['rss_mb']:.0f} MB  ({ing['records']} records, {ing['unparsed']} unparsed)")
    else:
        print(f"logwarden ingest   n/a: {ing.get('error')}")
    if ceil.get("ok"):
        print(f"engine ceiling     {ceil['insert_s']:8.2f} s  {ceil['lines_per_s']:>12,.0f} lines/s  "
              f"peak RSS {ceil['rss_mb']:.0f} MB  (raw lines, no parsing; process wall {ceil['wall_s']:.2f} s)")
    else:
        print(f"engine ceiling     n/a: {ceil.get('error')}")
    print("\n-- size on disk")
    for label, value in (("raw files", res["raw_bytes"]), ("zstd -3 of the files", disk["zstd"]),
                         ("logwarden, after ingest", disk["logwarden"]),
                         ("logwarden, settled", disk.get("logwarden_settled")),
                         ("raw lines in MergeTree", disk["ceiling"])):
        print(f"{label:24} {_mb(value)}")
    print("\n-- raw lines only in this engine (one String column, MergeTree; settled = after OPTIMIZE FINAL;\n"
          "   scans: the rare token and the `status=sent` count without an index, first run, median of 3)")
    print(f"{'codec':9} {'insert s':>9} {'lines/s':>12} {'optimize s':>11} {'after insert':>13} {'settled':>13} "
          f"{'/zstd -3':>9} {'/raw':>6} {'rare scan':>10} {'phrase scan':>12}")
    for f in [ceil, *res["floors"]]:
        if not f.get("ok"):
            why = f.get("error") or f"{f.get('rows')} rows of {res['lines']}"
            print(f"{f['codec']:9} n/a: {why}")
            continue
        print(f"{f['codec']:9} {f['insert_s']:9.2f} {f['lines_per_s']:>12,.0f} {f['optimize_s']:11.2f} "
              f"{_mb(f['disk_bytes']):>13} {_mb(f['settled_bytes']):>13} "
              f"{_ratio(f['settled_bytes'], disk['zstd']):>9} {_ratio(f['settled_bytes'], res['raw_bytes']):>6} "
              f"{f['rare_token_ms']:8.0f} ms {f['phrase_count_ms']:9.0f} ms")
    print("\n-- queries: median wall ms of the process (logwarden: engine ms in brackets), peak RSS MB")
    print(f"{'question':26} {'logwarden':>16} {'rg':>9} {'lnav':>9} {'RSS':>6}  ours/rg  engine/rg  ours/lnav")
    for q in res["queries"]:
        lw, r = q["logwarden"], res["ratios"]["queries"][q["question"]]
        eng = f" [{lw['engine_ms']:.0f}]" if lw.get("engine_ms") is not None else ""
        print(f"{q['question']:26} {_ms(lw) + eng:>16} {_ms(q['rg']):>9} {_ms(q['lnav']):>9} "
              f"{lw.get('rss_mb', 'n/a'):>6}  {r['vs_rg']:>7}  {r['engine_vs_rg']:>9}  {r['vs_lnav']:>8}")
        for tool in ("logwarden", "rg", "lnav"):
            if not q[tool].get("ok") or q[tool].get("note"):
                print(f"    {tool}: {q[tool].get('error') or q[tool].get('note')}")
    report_server(res)
    r = res["ratios"]
    print(f"\nratios: ingest/ceiling {r['ingest_vs_ceiling']} | disk/zstd {r['disk_vs_zstd']} | "
          f"disk/raw {r['disk_vs_raw']}   (CLI query ratios: time ours / time theirs, below 1 = faster)")
    print("\n-- targets (issue 2)")
    for t in res["targets"]:
        met = {True: "yes", False: "NO", None: "n/a"}[t["met"]]
        print(f"{t['measure']:34} {t['text']:>26}   target {t['target']:10} met: {met}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines to generate (default 1,000,000)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench/out/work", help="generated data and stores")
    ap.add_argument("--runs", type=int, default=5, help="runs per query (median): CLI, rg, and server requests")
    ap.add_argument("--server-runs", type=int, default=20,
                    help="requests per question to the server, for its min and p95 (at least --runs)")
    ap.add_argument("--lnav-runs", type=int, default=2, help="runs per lnav query (it is slow)")
    ap.add_argument("--lnav-timeout", type=float, default=300, help="seconds before an lnav run is abandoned")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/results.json", help="the results as JSON")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"started": datetime.now().isoformat(timespec="seconds"), "machine": machine(),
                           "lines": args.lines, "args": {"runs": args.runs, "server_runs": args.server_runs,
                                                         "lnav_runs": args.lnav_runs}}
    data, files, gen_s = generate(work, args.lines)
    res.update(files=[f.name for f in files], raw_bytes=sum(f.stat().st_size for f in files), generate_s=gen_s)
    store = work / f"store-{args.lines}"
    print("ingest ...", flush=True)
    res["ingest"] = ingest(store, data, args.lines)
    print("engine ceiling ...", flush=True)
    res["ceiling"] = ceiling(work, files, args.lines)
    print(f"storage floor ({', '.join(FLOOR_CODECS)}) ...", flush=True)
    res["floors"] = [ceiling(work, files, args.lines, codec) for codec in FLOOR_CODECS]
    print("zstd ...", flush=True)
    res["disk"] = {"zstd": zstd_bytes(files), "logwarden": res["ingest"].get("disk_bytes"),
                   "ceiling": res["ceiling"].get("disk_bytes"), "ceiling_settled": res["ceiling"].get("settled_bytes")}
    timing = "--timing" in measure([*CLI, "search", "--help"]).out
    print("queries ...", flush=True)
    res["queries"] = questions(store, data, files, args.runs, args.lnav_runs, args.lnav_timeout, timing)
    # Merged-away parts linger until the engine's cleanup runs in a later process: the size that stays
    # is the one after the queries have opened the store a few times (measured before the server runs).
    res["disk"]["logwarden_settled"] = tree_bytes(store)[1]
    cli_out = {q["question"]: q["logwarden"].pop("_out", None) for q in res["queries"]}
    for q in res["queries"]:
        for tool in ("rg", "lnav"):
            q[tool].pop("_out", None)
    print("server queries ...", flush=True)
    fill = filling(data)
    asked = [(name, [a.format(**fill) for a in query]) for name, query, _, _ in QUESTIONS]
    srv = server_questions(CLI, store, ENV, asked, cli_out, args.runs, args.server_runs, work / "server.log")
    res["server"] = {k: v for k, v in srv.items() if k != "questions"}
    for q in res["queries"]:
        q["server"] = srv.get("questions", {}).get(q["question"]) or {"ok": False, "error": srv.get("error")}
    res["ratios"] = {
        "ingest_vs_ceiling": _ratio(res["ingest"].get("lines_per_s"), res["ceiling"].get("lines_per_s")),
        "disk_vs_zstd": _ratio(res["disk"]["logwarden_settled"], res["disk"]["zstd"]),
        "disk_vs_raw": _ratio(res["disk"]["logwarden_settled"], res["raw_bytes"]),
        "queries": {q["question"]: {"vs_rg": _ratio(q["logwarden"].get("median_ms"), q["rg"].get("median_ms")),
                                    "engine_vs_rg": _ratio(q["logwarden"].get("engine_ms"), q["rg"].get("median_ms")),
                                    "vs_lnav": _ratio(q["logwarden"].get("median_ms"), q["lnav"].get("median_ms")),
                                    "rg_vs_server": _ratio(q["rg"].get("median_ms"), q["server"].get("median_ms")),
                                    "cli_vs_server": _ratio(q["logwarden"].get("median_ms"),
                                                            q["server"].get("median_ms"))}
                    for q in res["queries"]},
    }
    res["targets"] = targets(res)
    report(res)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten {args.out}")
    ok = res["ingest"].get("ok") and all(q["logwarden"].get("ok") and q["server"].get("ok") for q in res["queries"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
