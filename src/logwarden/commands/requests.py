"""`logwarden requests`: VK Teams client requests paired with their responses, and the orphans."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import click

from logwarden import settings

TABLE_COLUMNS = ["ts", "outcome", "method", "status", "latency_s", "user", "meaning", "request_id", "action"]
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_seconds(text: str) -> float:
    """`2s`, `1.5s`, `500ms`, `1m`, or a bare number of seconds."""
    from logwarden.errors import UsageError

    m = _SECONDS.match(text)
    if not m:
        raise UsageError(f"--slower-than {text!r}: give a duration such as 2s, 1.5s, 500ms or 1m")
    return float(m.group(1)) * _UNIT[(m.group(2) or "s").lower()]


@click.command("requests")
@click.option("--method", default=None, help="only this API method (e.g. getChatInfo)")
@click.option("--status", default=None, help="only responses with this IM status code (e.g. 50000: timed out)")
@click.option("--orphans", is_flag=True, help="only requests without a response, responses without a request, "
              "and network failures")
@click.option("--slower-than", "slower", default=None, help="only pairs answered later than this (2s, 500ms)")
@click.option("--from", "start", default=None, help="start time (ISO 8601; zone from --timezone)")
@click.option("--to", "end", default=None, help="end time, exclusive")
@click.option("--since", default=None, help="a span back from now: 30m, 2h, 7d")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=0), help="rows to show (0: all)")
@click.option("--output", type=click.Choice(["table", "json", "ndjson", "csv"]), default="table", show_default=True)
@click.option("--timezone", default=None, help=settings.TIMEZONE.help)
@click.pass_obj
def requests_command(obj: Any, method: str | None, status: str | None, orphans: bool, slower: str | None,
                     start: str | None, end: str | None, since: str | None, limit: int, output: str,
                     timezone: str | None) -> None:
    """VK Teams client requests paired with their responses by reqId: method, action, latency, HTTP and IM
    status; with --orphans, what stayed unpaired (no response, no request, DNS and other network failures).

    Запросы клиента VK Teams и ответы на них (по reqId): метод, действие, задержка, статусы HTTP и IM;
    с --orphans — запросы без ответа, ответы без запроса и сбои сети."""
    from logwarden.cli import _errors

    _errors(_run)(obj, method, status, orphans, slower, start, end, since, limit, output, timezone)


def _run(obj: Any, method: str | None, status: str | None, orphans: bool, slower: str | None, start: str | None,
         end: str | None, since: str | None, limit: int, output: str, timezone: str | None) -> None:
    from logwarden.cli import _check_zone
    from logwarden.correlate.requests import FORMAT, pair_requests
    from logwarden.errors import UsageError
    from logwarden.output import iso, write_rows
    from logwarden.store.schema import DB
    from logwarden.timeparse import time_range

    if status is not None and not status.strip().isdigit():
        raise UsageError(f"--status {status!r}: give an IM status code such as 20000, 40000 or 50000")
    slower_than = parse_seconds(slower) if slower is not None else None
    tz = settings.timezone(timezone)
    _check_zone(tz)
    lo, hi = time_range(since, start, end, tz)
    from logwarden.client import local_server

    code = status.strip() if status else None
    if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: ask it
        rows = _from_server(srv, method, code, orphans, slower_than, lo, hi, limit)
    else:
        with obj.store("requests") as store:
            rows = pair_requests(store, method=method, status=code, orphans=orphans, slower_than=slower_than,
                                 time_from=lo, time_to=hi, limit=limit or None)
            if not rows and not store.value(f"SELECT count() FROM {DB}.events WHERE format = {{f:String}}",
                                            {"f": FORMAT}):
                click.echo("logwarden: no VK Teams client records in the store; ingest a client log first "
                           "(logwarden ingest VKTeams/logs)", err=True)
    for row in rows:
        row["ts"] = iso(str(row["ts"]))
    if output == "table":
        _table(rows)
        return
    write_rows(rows, "rows", output, columns=list(rows[0]) if rows and output == "csv" else None)


def _from_server(srv: Any, method: str | None, status: str | None, orphans: bool, slower_than: float | None,
                 lo: datetime | None, hi: datetime | None, limit: int) -> list[dict[str, Any]]:
    """The same rows from the running server's `/api/v1/requests/pairs` (it owns the data directory)."""
    params: dict[str, Any] = {"_size": limit or 100_000}
    for key, value in (("method", method), ("status", status), ("slower_than", slower_than),
                       ("_from", lo and lo.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                       ("_to", hi and hi.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))):
        if value is not None:
            params[key] = value
    if orphans:
        params["orphans"] = "true"
    return list(srv.request("GET", "/api/v1/requests/pairs", params=params)["rows"])


def _table(rows: list[dict[str, Any]]) -> None:
    """The short columns keep their width (up to a cap); the action takes what is left."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [{k: "" if row[k] is None else str(row[k]) for k in TABLE_COLUMNS} for row in rows]
    for cell in cells:  # whole seconds: the client log's times have no fraction
        cell["ts"] = cell["ts"].replace(".000000Z", "Z")
    table = Table(show_edge=False, pad_edge=False, expand=True)
    for key in TABLE_COLUMNS[:-1]:
        width = max([len(key)] + [len(c[key]) for c in cells])
        table.add_column(key, no_wrap=True, overflow="ellipsis", min_width=min(width, _CAPS.get(key, 24)))
    table.add_column(TABLE_COLUMNS[-1], no_wrap=True, overflow="ellipsis", ratio=1)
    for cell in cells:
        table.add_row(*(Text(cell[k]) for k in TABLE_COLUMNS))
    Console(soft_wrap=False, highlight=False).print(table)


_CAPS = {"ts": 20, "outcome": 13, "method": 16, "user": 22, "request_id": 16, "latency_s": 9, "status": 6,
         "meaning": 18}


def register(cli: click.Group) -> None:
    cli.add_command(requests_command)
