"""The one query service: the CLI, the API and the UI all call these functions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logwarden.store.chdb_store import Store


@dataclass
class SearchResult:
    kind: str  # "events" or "stats"
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0


def _compile(text: str, time_from: datetime | None, time_to: datetime | None, limit: int | None) -> Any:
    from logwarden.query import compile_query, parse

    return compile_query(parse(text), time_from=time_from, time_to=time_to, limit=limit)


def search(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
           limit: int | None = 100) -> SearchResult:
    compiled = _compile(text, time_from, time_to, limit)
    started = time.perf_counter()
    rows = store.rows(compiled.sql, compiled.params)
    elapsed = (time.perf_counter() - started) * 1000
    return SearchResult(compiled.kind, rows, list(getattr(compiled, "columns", []) or []), elapsed)


def stream_search(store: Store, text: str, *, time_from: datetime | None = None,
                  time_to: datetime | None = None, limit: int | None = None) -> tuple[str, Iterator[dict[str, Any]]]:
    """Like `search`, but rows arrive as the engine produces them (exports, `--output raw`)."""
    compiled = _compile(text, time_from, time_to, limit)
    return compiled.kind, store.stream(compiled.sql, compiled.params)
