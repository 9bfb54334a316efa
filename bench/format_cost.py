"""What a format costs the engine, piece by piece: `python bench/format_cost.py FORMAT FILE [--mb N]`.

Stages the first N MB of FILE as ingest does, then measures the CPU time of the format's whole parse
SELECT, of its captures alone, and of each derived field (the parse without that field), so a format
author sees which regex to make cheaper. A note from measuring: RE2 extracts submatches fast only
when the regex is one-pass (unambiguous at every step) and has at most 4 capture groups; past that it
falls back to slower engines, several times the cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
from pathlib import Path

from logwarden.formats.registry import default_registry
from logwarden.formats.sql import select_sql
from logwarden.ingest.framing import Framer
from logwarden.ingest.staging import Stage
from logwarden.store.chdb_store import Store

PARAMS = {"origin": "bench", "source": "", "host": "", "batch": 1, "ref_ts": "2026-06-01 00:00:00",
          "tz": "UTC", "sep": "\x1e"}


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("format")
    ap.add_argument("file", type=Path)
    ap.add_argument("--mb", type=int, default=16)
    args = ap.parse_args()
    spec = default_registry().get(args.format)
    with args.file.open("rb") as f:
        batch = next(Framer(spec.record_start, chunk=args.mb << 20).batches(f))
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp), "format cost") as store, \
            Stage(store, batch.data, 0) as stage:

        def cost(s: object) -> float:
            sql, params = select_sql(s, stage.source, multiline=bool(batch.sep))  # type: ignore[arg-type]
            before = cpu()
            store.execute(f"SELECT * FROM ({sql}) FORMAT Null SETTINGS short_circuit_function_evaluation = "
                          "'disable'", {**params, **PARAMS, "sep": batch.sep.decode() or "\x1e"})
            return cpu() - before

        n = stage.records
        full = min(cost(spec) for _ in range(2))
        bare = min(cost(dataclasses.replace(spec, fields=())) for _ in range(2))
        print(f"{spec.name}: {n} records; whole parse {full:.3f} s CPU = {full / n * 1e6:.2f} µs/record "
              f"({n / full:,.0f} records/s/core); captures and time alone {bare / n * 1e6:.2f} µs/record")
        rows = []
        for rule in spec.fields:
            without = dataclasses.replace(spec, fields=tuple(r for r in spec.fields if r is not rule))
            try:
                rows.append((full - cost(without), rule.name))
            except Exception as exc:  # noqa: BLE001 - a field others depend on cannot be left out alone
                rows.append((float("nan"), f"{rule.name} (needed by another field: {str(exc)[:60]})"))
        for seconds, name in sorted(rows, key=lambda r: -r[0] if r[0] == r[0] else 0):
            print(f"  {seconds / n * 1e6:7.2f} µs/record  {name}")


if __name__ == "__main__":
    main()
