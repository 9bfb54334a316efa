"""The one query service: the CLI, the API and the UI all call these functions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logwarden.query import CompiledQuery, compile_query, parse
from logwarden.store.chdb_store import Store


@dataclass
class SearchResult:
    kind: str  # "events" or "stats"
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0


def search(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
           limit: int | None = 100) -> SearchResult:
    compiled = compile_query(parse(text), time_from=time_from, time_to=time_to, limit=limit)
    started = time.perf_counter()
    rows = store.rows(compiled.sql, compiled.params)
    elapsed = (time.perf_counter() - started) * 1000
    return SearchResult(compiled.kind, rows, list(compiled.columns), elapsed)


def stream_search(store: Store, text: str, *, time_from: datetime | None = None,
                  time_to: datetime | None = None, limit: int | None = None,
                  chronological: bool = False) -> tuple[str, Iterator[dict[str, Any]]]:
    """Like `search`, but rows arrive as the engine produces them (exports, `--output raw`).

    `chronological` gives the same events (the newest `limit`) oldest first, as a log file reads,
    unless the query sorts: `search user:x --output raw > x.log` then extracts a readable log."""
    query = parse(text)
    compiled: CompiledQuery = compile_query(query, time_from=time_from, time_to=time_to, limit=limit)
    sql = compiled.sql
    if chronological and compiled.kind == "events" and query.sort is None:
        sql = f"SELECT * FROM ({sql}) ORDER BY ts, origin, seq"
    return compiled.kind, store.stream(sql, compiled.params)
