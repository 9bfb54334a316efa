"""Render search results: table, json, ndjson, csv, raw."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

OUTPUTS = ("table", "json", "ndjson", "csv", "raw")
EVENT_KEYS = ("ts", "level", "source", "service", "host", "format", "origin", "seq", "raw",
              "user", "client_ip", "trace_id", "request_id", "status")


def iso(ts: str) -> str:
    """Engine time text (UTC) -> ISO 8601 with Z."""
    return ts.replace(" ", "T") + "Z" if ts and not ts.endswith("Z") else ts


def valid_text(value: Any) -> Any:
    """Text that every encoder accepts: bytes that were not UTF-8 (kept as surrogates so that `raw`
    output is exact) become U+FFFD in the structured outputs; other values pass unchanged."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return value
    if isinstance(value, dict):
        return {valid_text(k): valid_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_text(v) for v in value]
    return value


def event_object(row: dict[str, Any]) -> dict[str, Any]:
    """One flat object per event: the columns (empty promoted ones left out), then every field."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "fields":
            continue
        if key == "ts":
            value = iso(value)
        if value == "" and key not in ("level", "service", "host", "format"):
            continue
        out[key] = value
    for key, value in (row.get("fields") or {}).items():
        if value != "":  # the engine keeps a format's empty captures; they say nothing
            out.setdefault(key, value)
    return out


def write_rows(rows: Iterable[dict[str, Any]], kind: str, output: str, stream: TextIO | None = None,
               columns: list[str] | None = None) -> int:
    """Write rows in the chosen output; returns how many were written."""
    stream = stream or sys.stdout
    rows = list(rows) if output in ("table", "json", "csv") else rows
    objects = (valid_text(event_object(r) if kind == "events" else r) for r in rows)
    n = 0
    if output == "raw":
        out = stream.buffer if hasattr(stream, "buffer") else None
        for r in rows:
            text = r.get("raw", "") if kind == "events" else "\t".join(str(v) for v in r.values())
            if out is not None:
                out.write(text.encode("utf-8", "surrogateescape") + b"\n")
            else:
                stream.write(text + "\n")
            n += 1
        if out is not None:
            out.flush()
        return n
    if output == "ndjson":
        for obj in objects:
            stream.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
            n += 1
        return n
    if output == "json":
        items = list(objects)
        json.dump(items, stream, ensure_ascii=False, indent=1, default=str)
        stream.write("\n")
        return len(items)
    if output == "csv":
        items = list(objects)
        # Events: every column in a fixed order, then every field any event has.
        keys = columns or _keys(([dict.fromkeys(EVENT_KEYS)] if kind == "events" else []) + items)
        writer = csv.DictWriter(stream, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        for obj in items:
            writer.writerow({k: _csv_value(obj.get(k, "")) for k in keys})
        return len(items)
    return _table([valid_text(r) for r in rows], kind, stream, columns)


def _csv_value(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v


def _keys(items: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for obj in items:
        keys.update(dict.fromkeys(obj))
    return list(keys)


def _table(rows: list[dict[str, Any]], kind: str, stream: TextIO, columns: list[str] | None) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream, soft_wrap=False, highlight=False)
    table = Table(show_edge=False, pad_edge=False, expand=False)
    if kind == "events" and not columns:
        # The short columns keep their width (up to a cap); the record takes what is left (a ratio
        # column only gets the rest when the table expands, else rich squeezes the others to nothing).
        table.expand = True
        for name, key, cap in (("time (UTC)", "ts", 23), ("level", "level", 6), ("service", "service", 16),
                               ("host", "host", 16)):
            width = max([len(name)] + [len(str(r.get(key, ""))) for r in rows])
            table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=min(width, cap))
        table.add_column("record", no_wrap=True, overflow="ellipsis", ratio=1)
        for r in rows:
            first = (r.get("raw") or "").split("\n", 1)[0]
            # Text, not markup: a record's `[name=…]` must print as it is.
            table.add_row(*(Text(v) for v in (r.get("ts", "")[:23], r.get("level", ""), r.get("service", ""),
                                               r.get("host", ""), first)))
    else:
        keys = columns or _keys(rows)
        for k in keys:
            table.add_column(k, no_wrap=True, overflow="ellipsis")
        for r in rows:
            table.add_row(*(Text(_cell(r.get(k, ""))) for k in keys))
    console.print(table)
    return len(rows)


def _cell(v: Any) -> str:
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)
