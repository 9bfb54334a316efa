"""Run format samples through the engine, exactly as ingest parses them, and compare expectations."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from logwarden.formats.registry import Registry
from logwarden.formats.spec import FormatSpec
from logwarden.formats.sql import STAGE_COLUMNS, select_sql
from logwarden.output import event_object
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

SEP = "\x1e"
# Samples read in UTC, with the file time fixed so that years inferred for syslog are stable.
SAMPLE_PARAMS = {"origin": "sample", "source": "", "host": "", "batch": 0,
                 "ref_ts": "2026-06-01 00:00:00.000000", "tz": "UTC", "sep": SEP}


def parse_lines(store: Store, spec: FormatSpec | None, lines: list[str], host: str = "") -> list[dict[str, Any]]:
    """Events (flat objects, as `--output ndjson` shows them) for records given as text; `host` is the run's
    host (`--host`), which a record whose format captures no host gets."""
    store.execute(f"DROP TABLE IF EXISTS {DB}.sample_stage")
    store.execute(f"CREATE TABLE {DB}.sample_stage ({STAGE_COLUMNS}) ENGINE = Memory")
    data = "".join(line.replace("\n", SEP) + "\n" for line in lines)
    store.execute(f"INSERT INTO {DB}.sample_stage SELECT rowNumberInAllBlocks(), raw FROM "
                  "format(LineAsString, 'raw String', {d:String}) SETTINGS max_threads = 1", {"d": data})
    select, params = select_sql(spec, f"{DB}.sample_stage", multiline=True)
    rows = store.rows(f"SELECT * FROM ({select}) ORDER BY seq", {**params, **SAMPLE_PARAMS, "host": host})
    store.execute(f"DROP TABLE {DB}.sample_stage")
    return [event_object(r) for r in rows]


def compare(spec: FormatSpec, got: dict[str, Any], expect: dict[str, str]) -> list[str]:
    problems = []
    if got.get("format") != spec.name:
        problems.append(f"not parsed (format={got.get('format')!r}, fields={got.get('_unparsed', '')})")
    for key, want in expect.items():
        have = got.get(key, "")
        if key == "ts" and isinstance(have, str):
            have = have.replace(".000000Z", "Z") if not want.count(".") else have
        if str(have) != str(want):
            problems.append(f"{key}: expected {want!r}, got {have!r}")
    return problems


def check_samples(registry: Registry, store: Store | None = None) -> list[str]:
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="logwarden-check-") as tmp:
        own = store is None
        st = store or Store(Path(tmp), "formats check")
        try:
            for spec in registry.formats.values():
                try:
                    events = parse_lines(st, spec, [s.line for s in spec.samples])
                except Exception as exc:  # noqa: BLE001 - the engine's own words, for the format author
                    failures.append(f"{spec.path.name}: the engine rejects this format's SQL "
                                    f"(an `expr` field?): {str(exc).splitlines()[0][:300]}")
                    continue
                for sample, got in zip(spec.samples, events, strict=True):
                    for problem in compare(spec, got, sample.expect):
                        failures.append(f"{spec.path.name}: {sample.line[:80]!r}: {problem}")
        finally:
            if own:
                st.close()
    return failures
