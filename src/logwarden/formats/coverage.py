"""How well logwarden understands given files: per file, the chosen format, the share of records parsed
with a timestamp and a level, and examples of records it does not understand.

The files go through the real ingest (framing, detection, parsing in the engine) into the store given,
usually a temporary one, so the figures are exactly what `logwarden ingest` would store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from logwarden.formats.registry import Registry
from logwarden.formats.tsv_header import HEADER_FIELD
from logwarden.ingest.pipeline import FileResult, IngestOptions, Ingestor
from logwarden.ingest.sources import expand, open_inputs
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

EXAMPLES = 3  # records shown per file that are not fully understood


@dataclass
class FileCoverage:
    path: str
    format: str = ""
    records: int = 0
    blank: int = 0  # empty or whitespace-only records: stored, but nothing to understand
    headers: int = 0  # a TSV file's header line (`tsv_header`): the file's column names, not an event
    parsed: int = 0  # matched by the format
    with_ts: int = 0  # parsed, with a timestamp read from the record
    with_level: int = 0  # parsed, with a normalised level
    understood: int = 0  # parsed with both a timestamp and a level
    examples: list[dict[str, str]] = field(default_factory=list)
    note: str = ""  # skipped or failed: why

    @property
    def share(self) -> float:
        """Share of non-blank records parsed with a timestamp and a level (1.0 when there are none)."""
        lines = self.records - self.blank - self.headers
        return self.understood / lines if lines else 1.0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "share": round(self.share, 6)}


_COUNTS = f"""
SELECT origin, anyIf(format, format != '') AS fmt, count() AS records,
       countIf(format = '' AND trimBoth(raw) = '') AS blank, countIf(fields['{HEADER_FIELD}'] = '1') AS headers,
       countIf(format != '') AS parsed,
       countIf(format != '' AND ts_inferred = 0) AS with_ts, countIf(format != '' AND level != '') AS with_level,
       countIf(format != '' AND ts_inferred = 0 AND level != '') AS understood
FROM {DB}.events WHERE origin IN {{origins:Array(String)}} GROUP BY origin
"""

_EXAMPLES = f"""
SELECT origin, seq, raw, format, ts_inferred, level, fields['_unparsed'] AS reason
FROM {DB}.events
WHERE origin IN {{origins:Array(String)}} AND NOT (format != '' AND ts_inferred = 0 AND level != '') AND trimBoth(raw) != ''
  AND fields['{HEADER_FIELD}'] != '1'
ORDER BY origin, seq LIMIT {EXAMPLES} BY origin
"""


def _why(row: dict[str, Any]) -> str:
    if not row["format"]:
        return row["reason"] or "no format matched"
    missing = [name for name, gone in (("timestamp", row["ts_inferred"]), ("level", not row["level"])) if gone]
    return "parsed without " + " and ".join(missing)


def measure(store: Store, registry: Registry, paths: Iterable[str], options: IngestOptions,
            progress: Callable[[int], None] | None = None) -> list[FileCoverage]:
    """Ingest `paths` into `store` and report, per input, how much of it was understood."""
    ingestor = Ingestor(store, registry, options, progress)
    results: list[FileResult] = []
    for item in expand(list(paths)):
        for inp in open_inputs(item):
            results.append(ingestor.ingest(inp))
    origins = [r.path for r in results if r.records]
    counts = {r["origin"]: r for r in store.rows(_COUNTS, {"origins": origins})} if origins else {}
    examples: dict[str, list[dict[str, str]]] = {}
    for row in store.rows(_EXAMPLES, {"origins": origins}) if origins else []:
        examples.setdefault(row["origin"], []).append(
            {"seq": str(row["seq"]), "why": _why(row), "record": row["raw"][:300]})
    out = []
    for r in results:
        c = counts.get(r.path)
        cov = FileCoverage(r.path, format=r.format, note=r.error or r.skipped)
        if c:
            cov.records, cov.blank, cov.parsed = int(c["records"]), int(c["blank"]), int(c["parsed"])
            cov.headers = int(c["headers"])
            cov.with_ts, cov.with_level, cov.understood = int(c["with_ts"]), int(c["with_level"]), int(c["understood"])
            cov.examples = examples.get(r.path, [])
        out.append(cov)
    return out
