#!/usr/bin/env python3
"""Write the benchmark's input: N log lines, one file per format (see logwarden.demo.generate.write_mixed).

    python bench/generate.py --lines 5000000 --out bench/out/data
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    from logwarden.demo.generate import DEFAULT_SEED, write_mixed
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from logwarden.demo.generate import DEFAULT_SEED, write_mixed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, required=True, help="how many lines in all")
    ap.add_argument("--out", type=Path, required=True, help="directory for the files")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU for big runs)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    files = write_mixed(args.out, args.lines, args.seed, args.workers)
    took = time.perf_counter() - started
    size = sum(f.stat().st_size for f in files)
    for f in files:
        print(f"{f}  {f.stat().st_size / 1e6:9.1f} MB")
    print(f"{args.lines} lines, {size / 1e6:.1f} MB in {took:.2f} s ({args.lines / took / 1e3:.0f}k lines/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
