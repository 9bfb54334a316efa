"""`logwarden trace ID`: every record of one trace, request or queue id, across sources and hosts."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from urllib.parse import quote

import click

from logwarden import settings
from logwarden.output import OUTPUTS


def server_params(lo: datetime | None, hi: datetime | None, **extra: Any) -> dict[str, Any]:
    """Query parameters for the server's API: times as ISO 8601 in UTC, empty values left out."""
    params = {k: v for k, v in extra.items() if v not in (None, "", 0)}
    if lo is not None:
        params["_from"] = lo.isoformat() + "+00:00"
    if hi is not None:
        params["_to"] = hi.isoformat() + "+00:00"
    return params


def from_server(row: dict[str, Any]) -> dict[str, Any]:
    """An event row of the API as the CLI's outputs take it: the engine's time text (the API gives ISO 8601),
    without the API's `_id` (not an event column)."""
    out = {k: v for k, v in row.items() if k != "_id"}
    if isinstance(out.get("ts"), str):
        out["ts"] = out["ts"].replace("T", " ").removesuffix("Z")
    return out


def register(cli: Any) -> None:
    from logwarden.cli import Context, _check_zone, _errors

    @cli.command()
    @click.argument("id")
    @click.option("--from", "start", default=None, help="start time (ISO 8601; zone from --timezone)")
    @click.option("--to", "end", default=None, help="end time, exclusive")
    @click.option("--since", default=None, help="a span back from now: 30m, 2h, 7d")
    @click.option("--limit", default=0, show_default=True, type=click.IntRange(min=0),
                  help="records to show, oldest first (0: all)")
    @click.option("--output", type=click.Choice(OUTPUTS), default="table", show_default=True)
    @click.option("--timezone", default=None, help=settings.TIMEZONE.help)
    @click.pass_obj
    @_errors
    def trace(obj: Context, id: str, start: str | None, end: str | None, since: str | None,
              limit: int, output: str, timezone: str | None) -> None:
        """Every record carrying ID, oldest first: a trace_id (Directum cl-3b6fac8b: the whole action),
        a request_id (VK Teams reqId, Directum cl-3b6fac8b-9d4d0c or its RequestId), a Postfix queue id.

        Все записи одной трассы, запроса или письма (queue id) из всех журналов и хостов, по времени.
        Exits 1 when no record carries ID."""
        from logwarden.client import local_server
        from logwarden.correlate.trace import trace as find
        from logwarden.output import write_rows
        from logwarden.timeparse import time_range

        tz = settings.timezone(timezone)
        _check_zone(tz)
        lo, hi = time_range(since, start, end, tz)
        if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: ask it
            answer = srv.request("GET", f"/api/v1/traces/{quote(id, safe='')}",
                                 params=server_params(lo, hi, _size=limit))
            rows = [from_server(r) for r in answer["rows"]]
        else:
            with obj.store("trace") as store:
                rows = find(store, id, limit=limit or None, time_from=lo, time_to=hi)
        if rows or output != "table":
            write_rows(rows, "events", output)
        if not rows:
            click.echo(f"logwarden: no record carries {id!r} as a trace_id, request_id, tr or queue_id", err=True)
            sys.exit(1)
