"""The embedded store: a chDB session over `<data_dir>/engine`, owned by one process."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from logwarden.errors import LogwardenError
from logwarden.store.lock import DirLock
from logwarden.store.schema import DB, MIGRATIONS


def _tsv_escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r").replace("\0", "\\0"))


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def engine_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters as the engine reads them: text values are TSV-escaped (the engine unescapes
    them, so a regex's backslashes or a newline would otherwise change or fail); arrays are quoted literals."""
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            out[key] = _tsv_escape(value)
        elif isinstance(value, list | tuple):
            out[key] = "[" + ", ".join(_quote(str(v)) for v in value) + "]"
        else:
            out[key] = value
    return out


def _decode_rows(data: bytes) -> list[dict[str, Any]]:
    # Raw records may hold invalid UTF-8; surrogateescape keeps every byte so `raw` output is exact.
    text = data.decode("utf-8", "surrogateescape")
    return [json.loads(line) for line in text.splitlines() if line]


class Store:
    """Open (and lock) a data directory, bring its schema up to date, and run SQL on it."""

    def __init__(self, data_dir: Path, purpose: str = "cli"):
        from chdb import session  # imported late: loading the engine costs ~0.3 s

        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = DirLock(data_dir)
        self._lock.acquire(purpose)
        try:
            self._session = session.Session(str(data_dir / "engine"))
        except Exception as exc:
            self._lock.release()
            raise LogwardenError(f"cannot open the engine in {data_dir}: {exc}") from exc
        try:
            self.migrate()
            self.recover()
        except BaseException:
            self.close()  # a refused open leaves the directory free for the next opener
            raise

    # -- SQL -------------------------------------------------------------------------------------
    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._session.query(sql, "Null", params=engine_params(params))

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        res = self._session.query(sql, "JSONEachRow", params=engine_params(params))
        return _decode_rows(res.bytes())

    def value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def stream(self, sql: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows of a large result without holding it all in memory."""
        streaming = self._session.send_query(sql, "JSONEachRow", params=engine_params(params))
        for chunk in streaming:
            yield from _decode_rows(chunk.bytes())

    def insert_lines(self, table: str, data: bytes) -> None:
        """Append newline-separated records to `table (raw)` through the engine's own reader."""
        inserter = self._session.send_insert(f"INSERT INTO {table} (raw)", "LineAsString")
        try:
            inserter.append(data)
            inserter.finish()
        except BaseException:
            inserter.cancel()
            raise

    # -- schema ----------------------------------------------------------------------------------
    def migrate(self) -> None:
        self.execute(f"CREATE DATABASE IF NOT EXISTS {DB}")
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {DB}.meta (version UInt32, at DateTime DEFAULT now()) "
            "ENGINE = MergeTree ORDER BY version"
        )
        current = int(self.value(f"SELECT max(version) AS v FROM {DB}.meta") or 0)
        if current > len(MIGRATIONS):
            raise LogwardenError(
                f"data directory {self.data_dir} has schema version {current}, newer than this "
                f"logwarden knows ({len(MIGRATIONS)}). Upgrade logwarden."
            )
        if 0 < current < len(MIGRATIONS):  # an existing directory: a rebuild may take a while, say so
            events = self.value(f"SELECT count() AS n FROM {DB}.events") or 0
            print(f"logwarden: upgrading {self.data_dir} from schema {current} to {len(MIGRATIONS)} "
                  f"({events:,} events; a table rebuild takes about a minute per 15 million)", file=sys.stderr)
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            for sql in statements:
                self.execute(sql)
            self.execute(f"INSERT INTO {DB}.meta (version) VALUES ({version})")

    @property
    def schema_version(self) -> int:
        return int(self.value(f"SELECT max(version) AS v FROM {DB}.meta") or 0)

    def recover(self) -> None:
        """Remove events of ingest batches that started but never committed (a crash, a kill)."""
        orphans = self.rows(
            f"SELECT batch, any(origin) AS origin FROM {DB}.files GROUP BY batch "
            "HAVING countIf(state = 'pending') > 0 AND countIf(state IN ('done', 'aborted')) = 0"
        )
        for row in orphans:
            self.delete_batch(int(row["batch"]))
            self.execute(
                f"INSERT INTO {DB}.files (origin, batch, state) VALUES ({{o:String}}, {{b:UInt64}}, 'aborted')",
                {"o": row["origin"], "b": int(row["batch"])},
            )

    def delete_batch(self, batch: int) -> None:
        self.execute(
            f"ALTER TABLE {DB}.events DELETE WHERE batch = {{b:UInt64}} SETTINGS mutations_sync = 2",
            {"b": batch},
        )

    @staticmethod
    def new_batch_id() -> int:
        return time.time_ns() // 1000

    def settle(self, timeout: float = 10.0) -> int:
        """Wait (up to `timeout` s) for the engine to delete events parts that merges have replaced, so a
        data directory is not left at twice its size when a short-lived command exits. Returns those left.
        (The bookkeeping tables' few replaced parts are small and go on the engine's slower schedule.)"""
        deadline = time.monotonic() + timeout
        while True:
            left = int(self.value(f"SELECT count() AS n FROM system.parts WHERE database = '{DB}' "
                                  "AND table = 'events' AND NOT active") or 0)
            if left == 0 or time.monotonic() >= deadline:
                return left
            time.sleep(0.25)

    def disk_bytes(self) -> int:
        return int(
            self.value(
                f"SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE database = '{DB}' AND active"
            )
            or 0
        )

    def close(self) -> None:
        if getattr(self, "_session", None) is not None:
            self._session.close()
            self._session = None
        self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
