"""One micro-batch of received entries into the engine, parsed like files are.

Entries are grouped by (origin, format, source, host). All groups of one format are staged together (one
Memory table per part, as `ingest.staging` does for files) and parsed by the format's one SELECT, in one
INSERT: the group's index rides in seq's high bits and puts origin, source and host back. The batch
commits like a file: a `pending` row for origin "#wal" first, the events, then `done` rows that carry
the WAL position (origin "#wal", column offset) and each origin's next seq (column records). A failure
deletes the batch at once; a crash in between leaves a pending batch that `Store.recover` deletes; the
WAL then replays it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from logwarden.formats.registry import Registry
from logwarden.formats.sql import EVENT_COLUMNS, select_sql
from logwarden.ingest.framing import SEPARATORS
from logwarden.ingest.staging import split
from logwarden.server.wal import Entry
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

WAL_ORIGIN = "#wal"


def committed_state(store: Store) -> tuple[int, dict[str, int]]:
    """(WAL position the engine holds everything before, next seq of every listener origin)."""
    pos = store.value(
        f"SELECT max(offset) AS p FROM {DB}.files WHERE origin = {{o:String}} AND state = 'done'", {"o": WAL_ORIGIN}
    )
    rows = store.rows(
        f"SELECT origin, max(records) AS n FROM {DB}.files WHERE state = 'done' AND position(origin, '://') > 0 "
        "AND batch IN (SELECT batch FROM lw.files WHERE origin = {o:String}) GROUP BY origin", {"o": WAL_ORIGIN}
    )
    return int(pos or 0), {r["origin"]: int(r["n"]) for r in rows}


def _group(entries: Sequence[Entry]) -> dict[tuple[str, str, str, str], list[Entry]]:
    groups: dict[tuple[str, str, str, str], list[Entry]] = {}
    for e in entries:
        m = e.meta
        groups.setdefault((m["o"], m.get("f", ""), m.get("s", ""), m.get("h", "")), []).append(e)
    return groups


def _common_sep(entries: list[Entry]) -> bytes:
    seps = {e.meta.get("sep", "") for e in entries} - {""}
    if not seps:
        return b""
    if len(seps) == 1:
        return seps.pop().encode()
    return next((s for s in SEPARATORS if all(s not in e.data for e in entries)), b"")


def _runs(entries: list[Entry], sep: bytes) -> list[tuple[int, bytes]]:
    """(first seq, data) for each stretch of consecutive seq numbers."""
    runs: list[tuple[int, list[bytes]]] = []
    next_seq = -1
    for e in entries:
        data = e.data
        own = e.meta.get("sep", "").encode()
        if own and own != sep:
            data = data.replace(own, sep) if sep else data.replace(own, b"\n")
        seq0 = int(e.meta.get("seq", 0))
        if runs and seq0 == next_seq:
            runs[-1][1].append(data)
        else:
            runs.append((seq0, [data]))
        next_seq = seq0 + e.records
    return [(seq0, b"".join(parts)) for seq0, parts in runs]


GROUP_SHIFT = 1 << 40  # seq carries its group's index above this while staged (one INSERT per format)
HOST_UNSET = "\x01lw-host"  # the format's host default while staged: replaced by the group's host


def _stage(store: Store, runs: list[tuple[int, int, bytes]]) -> tuple[list[str], str]:
    """(group index, first seq, data) runs -> Memory tables and the UNION ALL reading them."""
    tables, branches = [], []
    for group, seq0, data in runs:
        seq = group * GROUP_SHIFT + seq0
        for part in split(data):
            table = f"{DB}.live_stage_{len(tables)}"
            store.execute(f"DROP TABLE IF EXISTS {table}")
            store.execute(f"CREATE TABLE {table} (raw String) ENGINE = Memory")
            tables.append(table)
            store.insert_lines(table, part)
            branches.append(f"SELECT toUInt64({seq}) + rowNumberInAllBlocks() AS seq, raw FROM {table}")
            seq += part.count(b"\n")
    return tables, "(" + " UNION ALL ".join(branches) + ")"


def write_entries(store: Store, entries: Sequence[Entry], registry: Registry, timezone: str, batch: int) -> int:
    """Store `entries` (all or nothing: a failure removes what the batch wrote); returns the records written."""
    _book(store, [(WAL_ORIGIN, 0, 0, "pending")], batch)
    try:
        return _write(store, entries, registry, timezone, batch)
    except Exception:
        store.delete_batch(batch)
        _book(store, [(WAL_ORIGIN, 0, 0, "aborted")], batch)
        raise


def _write(store: Store, entries: Sequence[Entry], registry: Registry, timezone: str, batch: int) -> int:
    """One INSERT per format: the groups (origin, source, host) of a format are staged together, their
    index riding in seq's high bits, and the outer SELECT puts each row's origin, source and host back
    (a statement costs more than its rows: fifty rsyslog clients must not mean fifty statements)."""
    total = 0
    next_seq: dict[str, int] = {}
    by_format: dict[str, list[tuple[tuple[str, str, str], list[Entry]]]] = {}
    for (origin, fmt, source, host), group in _group(entries).items():
        by_format.setdefault(fmt, []).append(((origin, source, host), group))
        total += sum(e.records for e in group)
        last = group[-1]
        next_seq[origin] = max(next_seq.get(origin, 0), int(last.meta.get("seq", 0)) + last.records)
    for fmt, groups in by_format.items():
        spec = registry.formats.get(fmt) if fmt else None
        every = [e for _, group in groups for e in group]
        sep = _common_sep(every)
        runs = [(gi, seq0, data) for gi, (_, group) in enumerate(groups) for seq0, data in _runs(group, sep)]
        received = min(float(e.meta.get("t", 0)) for e in every) or datetime.now(UTC).timestamp()
        params: dict[str, Any] = {
            "origin": "", "source": "", "host": HOST_UNSET, "batch": batch,
            "ref_ts": datetime.fromtimestamp(received, UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            "tz": timezone, "sep": sep.decode() if sep else "\x1e",
            "g_origin": [o for (o, _, _), _ in groups],
            "g_source": [src or (spec.source if spec else "") for (_, src, _), _ in groups],
            "g_host": [h for (_, _, h), _ in groups], "g_unset": HOST_UNSET,
        }
        tables, stage = _stage(store, runs)
        try:
            select, fparams = select_sql(spec, stage, multiline=bool(sep))
            g = f"intDiv(seq, {GROUP_SHIFT}) + 1"
            store.execute(
                f"INSERT INTO {DB}.events ({EVENT_COLUMNS}) SELECT * REPLACE ("
                f"arrayElement({{g_source:Array(String)}}, {g}) AS source, "
                f"if(host = {{g_unset:String}}, arrayElement({{g_host:Array(String)}}, {g}), host) AS host, "
                f"arrayElement({{g_origin:Array(String)}}, {g}) AS origin, seq % {GROUP_SHIFT} AS seq) "
                f"FROM ({select}) SETTINGS short_circuit_function_evaluation = 'disable'",
                {**fparams, **params},
            )
        finally:
            for table in tables:
                store.execute(f"DROP TABLE IF EXISTS {table}")
    rows = [(origin, 0, n, "done") for origin, n in next_seq.items()]
    _book(store, [*rows, (WAL_ORIGIN, entries[-1].end, total, "done")], batch)
    return total


def _book(store: Store, rows: list[tuple[str, int, int, str]], batch: int) -> None:
    values, params = [], {"b": batch}
    for i, (origin, offset, records, state) in enumerate(rows):
        values.append(f"({{o{i}:String}}, {{off{i}:UInt64}}, {{r{i}:UInt64}}, {{r{i}:UInt64}}, 'live', {{b:UInt64}}, "
                      f"{{s{i}:String}})")
        params.update({f"o{i}": origin, f"off{i}": offset, f"r{i}": records, f"s{i}": state})
    store.execute(
        f"INSERT INTO {DB}.files (origin, offset, lines, records, format, batch, state) VALUES " + ", ".join(values),
        params,
    )
