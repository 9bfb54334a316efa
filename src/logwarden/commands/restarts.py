"""`logwarden restarts`: service starts found in the logs, each with the records just before it."""

from __future__ import annotations

from typing import Any

import click

from logwarden import settings


def register(cli: Any) -> None:
    from logwarden.cli import Context, _check_zone, _errors

    @cli.command()
    @click.option("--service", default=None, help="only starts of this service, system or format (or whose "
                  "start-up line names it: --service nginx finds systemd's 'Started … nginx …')")
    @click.option("--before", default=5, show_default=True, type=click.IntRange(min=0, max=10_000),
                  help="records before each start to show (same file)")
    @click.option("--from", "start", default=None, help="start time (ISO 8601; zone from --timezone)")
    @click.option("--to", "end", default=None, help="end time, exclusive")
    @click.option("--since", default=None, help="a span back from now: 30m, 2h, 7d")
    @click.option("--output", type=click.Choice(["table", "json", "ndjson", "csv", "raw"]), default="table",
                  show_default=True)
    @click.option("--timezone", default=None, help=settings.TIMEZONE.help)
    @click.pass_obj
    @_errors
    def restarts(obj: Context, service: str | None, before: int, start: str | None, end: str | None,
                 since: str | None, output: str, timezone: str | None) -> None:
        """Service starts (start-up lines each format declares), oldest first, each after the --before
        records that precede it in its file; in the table '>' marks the start, '!' the most severe record
        before it (the likely cause).

        Перезапуски служб и записи перед каждым: что уронило сервер."""
        from logwarden.client import local_server
        from logwarden.commands.trace import from_server, server_params
        from logwarden.correlate.render import write_restarts
        from logwarden.correlate.restarts import restarts as find
        from logwarden.timeparse import time_range

        tz = settings.timezone(timezone)
        _check_zone(tz)
        lo, hi = time_range(since, start, end, tz)
        if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: ask it
            answer = srv.request("GET", "/api/v1/restarts",
                                 params=server_params(lo, hi, service=service, before=str(before)))
            starts = [{**from_server(s), "before": [from_server(r) for r in s.get("before") or []],
                       "cause": from_server(s["cause"]) if s.get("cause") else None} for s in answer["rows"]]
        else:
            registry = obj.registry()
            with obj.store("restarts") as store:
                starts = find(store, service=service, before=before, time_from=lo, time_to=hi, registry=registry)
        write_restarts(starts, output)
        if not starts and output == "table":
            click.echo("logwarden: no service start found in the stored logs"
                       + (f" for {service!r}" if service else ""), err=True)
