"""Text for the correlation results (context groups, restarts) in the CLI's outputs.

`raw` is what `grep -C` prints over the stored records: each group's records as they were received, a `--`
line between groups. The table marks hits with `>`; json keeps the groups; ndjson and csv give one event a
line with its `group` number and `hit` flag.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from logwarden.output import event_object, valid_text, write_rows

SEPARATOR = "--"


def _write_raw(stream: TextIO, texts: Iterable[str]) -> None:
    out = stream.buffer if hasattr(stream, "buffer") else None
    for text in texts:
        if out is not None:
            out.write(text.encode("utf-8", "surrogateescape") + b"\n")
        else:
            stream.write(text + "\n")
    if out is not None:
        out.flush()


def _raw_groups(groups: list[list[dict[str, Any]]]) -> Iterable[str]:
    for i, records in enumerate(groups):
        if i:
            yield SEPARATOR
        for r in records:
            yield r.get("raw", "")


def _table(groups: list[list[dict[str, Any]]], stream: TextIO, marks: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream, soft_wrap=False, highlight=False)
    table = Table(show_edge=False, pad_edge=False, expand=True)
    flat = [r for g in groups for r in g]
    table.add_column("", no_wrap=True, width=2)
    for name, key, cap in (("time (UTC)", "ts", 23), ("level", "level", 6), ("service", "service", 16),
                           ("host", "host", 16)):
        width = max([len(name)] + [len(str(r.get(key, ""))) for r in flat])
        table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=min(width, cap))
    table.add_column("record", no_wrap=True, overflow="ellipsis", ratio=1)
    for i, records in enumerate(groups):
        if i:
            table.add_row(Text(SEPARATOR), *(Text("") for _ in range(5)))
        for r, mark in zip(records, marks[i], strict=True):
            first = (r.get("raw") or "").split("\n", 1)[0]
            table.add_row(*(Text(v) for v in (mark, str(r.get("ts", ""))[:23], r.get("level", ""),
                                               r.get("service", ""), r.get("host", ""), first)))
    console.print(table)


def _flat(groups: list[list[dict[str, Any]]], extra: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for i, records in enumerate(groups):
        for r, more in zip(records, extra[i], strict=True):
            out.append({"group": i + 1, **more, **valid_text(event_object(r))})
    return out


def write_context(groups: list[dict[str, Any]], output: str, stream: TextIO | None = None) -> int:
    """Write context groups (from `correlate.context.context`); returns the number of records written."""
    stream = stream or sys.stdout
    recs = [g["records"] for g in groups]
    if output == "raw":
        _write_raw(stream, _raw_groups(recs))
    elif output == "table":
        _table(recs, stream, [[">" if r.get("hit") else "" for r in g] for g in recs])
    elif output == "json":
        items = [{**{k: v for k, v in g.items() if k != "records"},
                  "records": [{"hit": bool(r.get("hit")), **valid_text(event_object(r))} for r in g["records"]]}
                 for g in groups]
        json.dump(items, stream, ensure_ascii=False, indent=1, default=str)
        stream.write("\n")
    else:
        flat = _flat(recs, [[{"hit": bool(r.get("hit"))} for r in g] for g in recs])
        write_rows(flat, "rows", output, stream=stream)
    return sum(len(g) for g in recs)


def _is(record: dict[str, Any], other: dict[str, Any] | None) -> bool:
    """The same stored record (a copy that came through the API counts)."""
    return other is not None and (record.get("origin"), record.get("seq")) == (other.get("origin"), other.get("seq"))


def write_restarts(starts: list[dict[str, Any]], output: str, stream: TextIO | None = None) -> int:
    """Write restarts (from `correlate.restarts.restarts`): each start after the records before it."""
    stream = stream or sys.stdout
    recs = [[*s["before"], {k: v for k, v in s.items() if k not in ("before", "cause")}] for s in starts]
    if output == "raw":
        _write_raw(stream, _raw_groups(recs))
    elif output == "table":
        marks = [["!" if _is(r, s.get("cause")) else "" for r in g[:-1]] + [">"] for s, g in zip(starts, recs, strict=True)]
        _table(recs, stream, marks)
    elif output == "json":
        items = [{**valid_text(event_object({k: v for k, v in s.items() if k not in ("before", "cause")})),
                  "before": [valid_text(event_object(r)) for r in s["before"]],
                  "cause": valid_text(event_object(s["cause"])) if s.get("cause") else None}
                 for s in starts]
        json.dump(items, stream, ensure_ascii=False, indent=1, default=str)
        stream.write("\n")
    else:
        extra = [[{"startup": False, "cause": _is(r, s.get("cause"))} for r in s["before"]]
                 + [{"startup": True, "cause": False}] for s in starts]
        write_rows(_flat(recs, extra), "rows", output, stream=stream)
    return len(starts)
