"""Ingest: inputs -> detection -> batches staged in the engine -> parsed by the format's SQL -> events.

Each input commits all or nothing: its rows carry one batch id, a `pending` bookkeeping row goes in
first and a `done` row last; a failure deletes the batch, and `Store.recover` deletes batches a crash
left pending. Re-ingesting a file adds only what lies past the committed offset.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from logwarden.errors import LogwardenError, UsageError
from logwarden.formats.detect_file import SNIFF, sniff
from logwarden.formats.registry import BUILTIN, Registry
from logwarden.formats.spec import FormatSpec
from logwarden.formats.sql import EVENT_COLUMNS, select_sql
from logwarden.formats.tsv_header import bind as bind_tsv_header
from logwarden.ingest.framing import Batch, Framer
from logwarden.ingest.path_rules import PathRules, default_path_rules
from logwarden.ingest.sources import Input, SkippedInput
from logwarden.ingest.staging import Stage
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

HEAD = 4096  # bytes hashed to recognise a file again
STREAM_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile, tarfile.TarError)


@dataclass
class FileResult:
    path: str
    format: str = ""
    records: int = 0
    unparsed: int = 0
    skipped: str = ""  # why nothing was added ("unchanged", "empty") — not an error
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "format": self.format, "records": self.records,
                               "unparsed": self.unparsed}
        if self.skipped:
            out["skipped"] = self.skipped
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class IngestOptions:
    source: str = ""
    host: str = ""
    format: str = "auto"
    timezone: str = "UTC"


@dataclass
class _Prior:
    offset: int
    records: int
    origin: str

    def skipped(self, origin: str) -> str:
        """Why nothing new was read from `origin`."""
        return "unchanged" if self.origin == origin else f"already ingested as {self.origin}"


class _Replay(io.RawIOBase):
    """A stream whose first bytes were already read for sniffing."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        if self._head:
            out, self._head = (self._head, b"") if n < 0 or n >= len(self._head) else (self._head[:n], self._head[n:])
            return out
        return self._rest.read(n)


def _skip(stream: BinaryIO, n: int) -> None:
    while n > 0:
        got = stream.read(min(n, 1 << 20))
        if not got:
            raise EOFError("the input is shorter than what was ingested before")
        n -= len(got)


def _head_hash(head: bytes) -> str:
    return hashlib.sha1(head).hexdigest()


class Ingestor:
    def __init__(self, store: Store, registry: Registry, options: IngestOptions,
                 progress: Callable[[int], None] | None = None, path_rules: PathRules | None = None):
        self.store, self.registry, self.options = store, registry, options
        # What a file's path says (data/path_rules.toml, and path_rules.toml in the user's formats folder).
        self.path_rules = path_rules or default_path_rules(*(f for f in registry.folders if f != BUILTIN))
        self.progress = progress or (lambda n: None)

    # -- one input ---------------------------------------------------------------------------------
    def ingest(self, item: Input | SkippedInput) -> FileResult:
        if isinstance(item, SkippedInput):
            return FileResult(item.origin, error=item.reason)
        result = FileResult(item.origin)
        try:
            head = item.stream.read(SNIFF)
        except STREAM_ERRORS as exc:
            result.error = f"cannot read: {exc}"
            return result
        if not head:
            result.skipped = "empty"
            return result
        if b"\x00" in head[:8192]:
            result.error = "binary file (NUL bytes in the first 8 KiB), not a log; skipped"
            return result
        prior = self._prior(item.origin, head)
        if prior and prior.offset == item.size and item.seekable:
            result.skipped = prior.skipped(item.origin)
            return result
        spec = self._choose(item, head)
        if spec is not None and spec.tsv is not None:
            spec = bind_tsv_header(spec, head)  # header-driven TSV: column positions from this file's header
        result.format = spec.name if spec else ""
        stream: BinaryIO = _Replay(head, item.stream)  # type: ignore[assignment]
        offset, seq = 0, 0
        try:
            if prior:
                if item.seekable:
                    item.stream.seek(prior.offset)
                    stream = item.stream
                else:
                    _skip(stream, prior.offset)
                offset, seq = prior.offset, prior.records
        except STREAM_ERRORS as exc:
            result.error = f"cannot read: {exc}"
            return result
        self._ingest_stream(item, spec, stream, head, offset, seq, result, prior)
        return result

    def _choose(self, item: Input, head: bytes) -> FormatSpec | None:
        if self.options.format not in ("auto", ""):
            return self.registry.get(self.options.format)
        by_path = self.path_rules.match(item.origin).format
        if by_path in self.registry.formats:
            return self.registry.formats[by_path]
        return sniff(self.registry, head, item.name or item.origin).spec

    def _prior(self, origin: str, head: bytes) -> _Prior | None:
        """What was committed before of this content: under this origin, or under another name whose
        first bytes are the same (a rotated file renamed, a log packed into an archive). A file is
        known by the hash of its first bytes, as many as it had (up to HEAD) when it was read."""
        lengths = self.store.rows(
            f"SELECT DISTINCT toUInt64OrZero(splitByChar(':', head_hash)[1]) AS k FROM {DB}.files "
            "WHERE state = 'done'"
        )
        candidates = [f"{k}:{_head_hash(head[:k])}" for k in (int(r["k"]) for r in lengths) if 0 < k <= len(head)]
        rows = self.store.rows(
            f"SELECT origin, argMax(head_hash, at) AS last_head, argMax(offset, at) AS last_offset, "
            f"argMax(records, at) AS last_records FROM {DB}.files WHERE state = 'done' "
            "AND (origin = {o:String} OR has({c:Array(String)}, head_hash)) GROUP BY origin",
            {"o": origin, "c": candidates},
        )
        best: _Prior | None = None
        for row in rows:
            if row["last_head"] not in candidates:
                continue  # replaced (rotation): a new stream under this name, or other content now
            prior = _Prior(int(row["last_offset"]), int(row["last_records"]), row["origin"])
            if best is None or prior.offset > best.offset or (prior.offset == best.offset and row["origin"] == origin):
                best = prior
        return best

    # -- the batch loop ----------------------------------------------------------------------------
    def _ingest_stream(self, item: Input, spec: FormatSpec | None, stream: BinaryIO, head: bytes,
                       offset: int, seq: int, result: FileResult, prior: _Prior | None) -> None:
        batch_id = self.store.new_batch_id()
        self._book(item, batch_id, "pending", head, offset, seq, result)
        framer = Framer(spec.record_start if spec else "", continues=spec.continues if spec else "")
        try:
            for batch in framer.batches(stream):
                records, unparsed = self._load(batch, spec, item, batch_id, seq)
                seq += records
                offset += batch.consumed
                result.records += records
                result.unparsed += unparsed
                self.progress(batch.consumed)
        except STREAM_ERRORS as exc:
            self._abort(item, batch_id, result, f"read failed after {offset} bytes: {exc}; nothing from this file was kept")
            return
        except BaseException as exc:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            self._abort(item, batch_id, result, f"ingest failed ({reason}); nothing from this file was kept")
            if not isinstance(exc, Exception):
                raise
            return
        self._book(item, batch_id, "done", head, offset, seq, result)
        if result.records == 0:
            result.skipped = prior.skipped(item.origin) if prior and seq else "empty"

    def _abort(self, item: Input, batch_id: int, result: FileResult, message: str) -> None:
        self.store.delete_batch(batch_id)
        self._book(item, batch_id, "aborted", b"", 0, 0, result)
        result.error = message
        result.records = result.unparsed = 0

    def _book(self, item: Input, batch_id: int, state: str, head: bytes, offset: int, seq: int,
              result: FileResult) -> None:
        n = min(len(head), HEAD)
        self.store.execute(
            f"INSERT INTO {DB}.files (origin, device, inode, head_hash, offset, lines, records, unparsed, "
            "format, batch, state) VALUES ({o:String}, {d:UInt64}, {i:UInt64}, {h:String}, {off:UInt64}, "
            "{seq:UInt64}, {seq:UInt64}, {u:UInt64}, {f:String}, {b:UInt64}, {s:String})",
            {"o": item.origin, "d": item.device, "i": item.inode, "h": f"{n}:{_head_hash(head[:n])}",
             "off": offset, "seq": seq, "u": result.unparsed, "f": result.format, "b": batch_id, "s": state},
        )

    def _load(self, batch: Batch, spec: FormatSpec | None, item: Input, batch_id: int, seq0: int) -> tuple[int, int]:
        """Stage one batch and parse it into events in one statement; returns (records, unparsed)."""
        ref = datetime.fromtimestamp(item.mtime or time.time(), UTC).replace(tzinfo=None)
        path = self.path_rules.match(item.origin)
        params = {
            "origin": item.origin,
            "source": self.options.source or path.source or (spec.source if spec else ""),
            "host": self.options.host or path.host,
            "batch": batch_id,
            "ref_ts": ref.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "tz": self.options.timezone,
            "sep": batch.sep.decode() if batch.sep else "\x1e",
        }
        with Stage(self.store, batch.data, seq0) as stage:
            select, fparams = select_sql(spec, stage.source, multiline=bool(batch.sep), service=path.service,
                                         const_fields=path.fields)
            # No short-circuit `if`: it would run the capture regex again inside each branch.
            self.store.execute(
                f"INSERT INTO {DB}.events ({EVENT_COLUMNS}) {select} "
                "SETTINGS short_circuit_function_evaluation = 'disable'",
                {**fparams, **params},
            )
        unparsed = self.store.value(
            f"SELECT count() AS u FROM {DB}.events WHERE batch = {{b:UInt64}} AND seq >= {{s:UInt64}} "
            "AND format = ''",
            {"b": batch_id, "s": seq0},
        )
        return stage.records, int(unparsed or 0)


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def unparsed(self) -> int:
        return sum(f.unparsed for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    def as_json(self) -> dict[str, Any]:
        return {"files": [f.as_json() for f in self.files], "records": self.records, "unparsed": self.unparsed}


def check_format_name(registry: Registry, name: str) -> None:
    """`--format NAME` must name a known format: a usage error, before anything is read."""
    if name not in ("auto", ""):
        try:
            registry.get(name)
        except LogwardenError as exc:
            raise UsageError(str(exc)) from None
