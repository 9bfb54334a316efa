"""The CLI's `ingest` and `search` when a server owns the data directory: the same output as the
direct commands, with the work done by the server (see web/routers/cli.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from logwarden.client import ServerClient
from logwarden.output import write_rows


def ingest(srv: ServerClient, paths: tuple[str, ...], source: str, host: str, fmt: str, tz: str, output: str) -> None:
    options = {"source": source, "host": host, "format": fmt, "timezone": tz}
    files = [str(Path(p).resolve()) for p in paths if p != "-"]
    report: dict[str, Any] = {"files": [], "records": 0, "unparsed": 0}
    if output == "text":
        click.echo(f"logwarden: a server (pid {srv.pid}) owns the data directory; ingesting through {srv.url}",
                   err=True)
    parts = []
    if files:
        parts.append(srv.post_json("/api/v1/cli/ingest", {"paths": files, **options}))
    if "-" in paths:
        parts.append(srv.request("POST", "/api/v1/cli/ingest-stdin", params=options, content=_stdin_chunks()))
    for part in parts:
        report["files"] += part["files"]
        report["records"] += part["records"]
        report["unparsed"] += part["unparsed"]
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        from logwarden.cli import _file_line
        from logwarden.ingest.pipeline import FileResult

        for f in report["files"]:
            click.echo(_file_line(FileResult(**f)))
        click.echo(f"{len(report['files'])} file(s), {report['records']} records, {report['unparsed']} unparsed")
    failed = [f for f in report["files"] if f.get("error")]
    for f in failed:
        click.echo(f"logwarden: {f['path']}: {f['error']}", err=True)
    if failed:
        sys.exit(1)


def _stdin_chunks() -> Any:
    while chunk := sys.stdin.buffer.read(1 << 20):
        yield chunk


def search(srv: ServerClient, text: str, lo: datetime | None, hi: datetime | None, limit: int | None, output: str,
           timing: bool) -> None:
    from types import SimpleNamespace

    from logwarden.cli import _columns

    stream = output in ("raw", "ndjson")
    body = {"query": text, "time_from": lo.isoformat() if lo else None, "time_to": hi.isoformat() if hi else None,
            "limit": limit, "stream": stream, "chronological": output == "raw"}
    lines = srv.ndjson("/api/v1/cli/search", body)
    head = next(lines)
    if stream:
        write_rows(lines, head["kind"], output)
        return
    result = SimpleNamespace(kind=head["kind"], rows=list(lines), columns=head["columns"],
                             elapsed_ms=head["elapsed_ms"])
    if timing:
        click.echo(f"query_ms={result.elapsed_ms:.1f}", err=True)
    write_rows(result.rows, result.kind, output, columns=_columns(result))
