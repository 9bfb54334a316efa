"""Mail flow at scale: a generated Postfix mail.log (the demo's Zimbra MTA generator) through `logwarden mail`.

    .venv/bin/python bench/mail_flow.py --lines 200000 [--data-dir DIR]

Writes LINES lines of one week of mail.log (fixed seed; the planted queue id half-way), ingests them with the
CLI into a fresh data directory, then times, each as a user runs it (a subprocess): `mail --collate` against
`perl collate.pl` on the same file (and says whether the outputs are byte-identical), `mail --queue-id` on the
planted id, `mail --status bounced --limit 20`, and `mail --limit 0 --output json` (every message). Prints one
line per step: seconds and what it produced. Exits 1 if --collate differs from collate.pl.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from logwarden.demo.generate import DAY, DEMO_START, PLANTED_QUEUE_ID, _rng
from logwarden.demo.postfix import postfix_lines

ROOT = Path(__file__).resolve().parents[1]
COLLATE_PL = ROOT.parent / "shared" / "tools" / "collate.pl"


def run(args: list[str], data: Path) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "logwarden.cli", "--data-dir", str(data), *args],
                          capture_output=True, check=False, env={"LOGWARDEN_TIMEZONE": "UTC", "PATH": "/usr/bin:/bin"})
    if done.returncode not in (0, 1):
        raise SystemExit(f"logwarden {' '.join(args)} failed: {done.stderr.decode()}")
    return time.perf_counter() - started, done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--data-dir", type=Path, default=None, help="kept afterwards (default: a temporary one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lw-mail-bench-"))
    data = args.data_dir or tmp / "data"
    log = tmp / "mail.log"
    with open(log, "w", encoding="utf-8") as f:
        lines = postfix_lines(_rng(1, "bench.mail"), DEMO_START, DEMO_START + 7 * DAY, args.lines,
                              planted_qid=PLANTED_QUEUE_ID)
        f.writelines(line + "\n" for line in itertools.islice(lines, args.lines))
    print(f"mail.log: {args.lines} lines, {log.stat().st_size / 2**20:.1f} MiB")
    seconds, _ = run(["ingest", str(log)], data)
    print(f"ingest: {seconds:.1f} s")
    seconds, ours = run(["mail", "--collate"], data)
    started = time.perf_counter()
    theirs = subprocess.run(["perl", str(COLLATE_PL), str(log)], capture_output=True, check=True).stdout
    perl = time.perf_counter() - started
    same = ours == theirs
    print(f"mail --collate: {seconds:.1f} s, {len(ours) / 2**20:.1f} MiB; perl collate.pl: {perl:.1f} s; "
          f"{'byte-identical' if same else 'DIFFERENT'}")
    seconds, out = run(["mail", "--queue-id", PLANTED_QUEUE_ID], data)
    print(f"mail --queue-id {PLANTED_QUEUE_ID}: {seconds:.2f} s, {out.decode().splitlines()[0] if out else 'nothing'}")
    seconds, out = run(["mail", "--status", "bounced", "--limit", "20"], data)
    print(f"mail --status bounced --limit 20: {seconds:.2f} s, {out.decode().count(' bounced' + chr(10))} messages")
    seconds, out = run(["mail", "--limit", "0", "--output", "json"], data)
    messages = json.loads(out or b"[]")
    print(f"mail --limit 0 --output json: {seconds:.1f} s, {len(messages)} messages, "
          f"{sum(m['content_filter'] for m in messages)} across the content filter")
    if args.data_dir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
