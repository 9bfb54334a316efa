"""Stream writers: rows (dicts from the engine) → chunks of bytes in NDJSON, CSV or XLSX.

Events are flattened to fixed columns (`EXPORT_EVENT_COLUMNS`) plus `fields`, the extracted fields as
one JSON object, so a writer knows its header before the first row and never has to hold rows back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from logwarden.output import iso, valid_text

EXPORT_EVENT_COLUMNS = (
    "ts", "level", "source", "service", "host", "format", "origin", "seq",
    "user", "client_ip", "trace_id", "request_id", "status", "raw", "fields",
)  # fmt: skip
CHUNK_BYTES = 256 * 1024  # flush the text buffer to the client at about this size


def export_columns(kind: str, columns: Sequence[str]) -> list[str]:
    """The header of an export: the query's own columns, or the event columns for plain events."""
    if kind == "events" and ("raw" in columns and "fields" in columns and "seq" in columns):
        return list(EXPORT_EVENT_COLUMNS)
    return list(columns)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(valid_text(value), ensure_ascii=False, sort_keys=True)
    return valid_text(value)


def _value(row: dict[str, Any], key: str) -> Any:
    """A row's value as every export writes it: times as ISO 8601 UTC, the fields map without empty values."""
    value = row.get(key, "")
    if key == "ts" and isinstance(value, str):
        return iso(value)
    if key == "fields" and isinstance(value, dict):
        return {k: v for k, v in value.items() if v != ""}
    return value


def flat_row(row: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """One row as a list of cells in `columns` order: times as ISO 8601 UTC, maps as JSON text."""
    return [_cell(_value(row, key)) for key in columns]


def _ndjson(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    buf: list[str] = []
    size = 0
    for row in rows:
        obj = {key: valid_text(_value(row, key)) for key in columns}
        line = json.dumps(obj, ensure_ascii=False, default=str) + "\n"
        buf.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8")


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    text = io.StringIO()
    # A BOM so that Excel opens the UTF-8 (Cyrillic) text correctly; other readers skip it.
    text.write("\ufeff")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(flat_row(row, columns))
        if text.tell() >= CHUNK_BYTES:
            yield text.getvalue().encode("utf-8")
            text.seek(0)
            text.truncate()
    if text.tell():
        yield text.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Exporter:
    name: str
    media_type: str
    suffix: str
    write: Callable[[Iterable[dict[str, Any]], Sequence[str]], Iterator[bytes]]


def _xlsx(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    from logwarden.export.xlsx import xlsx_stream

    return xlsx_stream(rows, columns)


EXPORTERS: dict[str, Exporter] = {
    "ndjson": Exporter("ndjson", "application/x-ndjson", "ndjson", _ndjson),
    "csv": Exporter("csv", "text/csv; charset=utf-8", "csv", _csv),
    "xlsx": Exporter("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", _xlsx),
}
