"""`logwarden trace ID`: every record of one trace, request or queue id, across sources and hosts."""

from __future__ import annotations

import sys
from typing import Any

import click

from logwarden import settings
from logwarden.output import OUTPUTS


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
        from logwarden.correlate.trace import trace as find
        from logwarden.output import write_rows
        from logwarden.timeparse import time_range

        tz = settings.timezone(timezone)
        _check_zone(tz)
        lo, hi = time_range(since, start, end, tz)
        with obj.store("trace") as store:
            rows = find(store, id, limit=limit or None, time_from=lo, time_to=hi)
        if rows or output != "table":
            write_rows(rows, "events", output)
        if not rows:
            click.echo(f"logwarden: no record carries {id!r} as a trace_id, request_id, tr or queue_id", err=True)
            sys.exit(1)
