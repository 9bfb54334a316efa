"""`logwarden`: the command line. Commands are thin calls into the packages below."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from logwarden import settings
from logwarden.errors import LogwardenError, UsageError
from logwarden.output import OUTPUTS, write_rows


class Context:
    def __init__(self, data_dir: str, formats_dir: str):
        self.data_dir = Path(data_dir).expanduser()
        self.formats_dir = Path(formats_dir).expanduser() if formats_dir else None

    def registry(self) -> Any:
        from logwarden.formats.registry import default_registry

        return default_registry(self.formats_dir)

    def store(self, purpose: str) -> Any:
        from logwarden.store.chdb_store import Store

        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise UsageError(f"--data-dir {self.data_dir} is not a directory; give a directory (it is created if missing)")
        try:
            return Store(self.data_dir, purpose)
        except OSError as exc:  # the directory or its lock file cannot be created or opened
            raise LogwardenError(
                f"cannot use the data directory {self.data_dir}: {exc.strerror or exc}. "
                "Check that it is writable, or give another --data-dir."
            ) from None


def _errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """People-readable errors: exit 2 for usage errors, 1 for failures, never a stack trace."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LogwardenError as exc:
            click.echo(f"logwarden: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except KeyboardInterrupt:  # Ctrl-C: what was committed stays, the input being read is rolled back
            click.echo("logwarden: interrupted", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", default=settings.DATA_DIR.default, show_default=settings.DATA_DIR.default(), envvar=settings.DATA_DIR.env,
              help=settings.DATA_DIR.help)
@click.option("--formats-dir", default=settings.FORMATS_DIR.default, envvar=settings.FORMATS_DIR.env,
              help=settings.FORMATS_DIR.help)
@click.version_option(package_name="logwarden")
@click.pass_context
def cli(ctx: click.Context, data_dir: str, formats_dir: str) -> None:
    """logwarden — collect, parse and search the logs of on-prem systems.

    Журналы Zimbra/Postfix, VK Teams, Directum RX, nginx и syslog: сбор, разбор и поиск.
    """
    ctx.obj = Context(data_dir, formats_dir)


# -- ingest ----------------------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--source", default="", help="system the logs come from (default: the format's)")
@click.option("--host", default="", help="host to record when the records name none")
@click.option("--format", "fmt", default="auto", show_default=True, help="format name, or auto to detect per file")
@click.option("--timezone", default=None, help=settings.TIMEZONE.help)
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@_errors
def ingest(obj: Context, paths: tuple[str, ...], source: str, host: str, fmt: str, timezone: str | None,
           output: str) -> None:
    """Ingest files, directories (recursive), .gz, archives (.tar.gz, .tar.bz2, .tar.xz, .zip), .xlsx journal
    exports, or - for stdin."""
    from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport, check_format_name
    from logwarden.ingest.sources import expand, open_inputs
    from logwarden.progress import Progress

    registry = obj.registry()
    check_format_name(registry, fmt)
    store_dir = obj.data_dir.resolve()
    items = [p for p in expand(list(paths)) if p == "-" or not Path(p).is_relative_to(store_dir)]  # not our own files
    tz = settings.timezone(timezone)
    _check_zone(tz)
    from logwarden.client import local_server

    if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: it does the work
        from logwarden.server import cli_bridge

        return cli_bridge.ingest(srv, paths, source, host, fmt, tz, output)
    report = IngestReport()
    total = sum(_size(p) for p in items if p != "-")
    with obj.store("ingest") as store, Progress(total) as progress:
        ingestor = Ingestor(store, registry, IngestOptions(source, host, fmt, tz), progress.advance)
        for item in items:
            for inp in open_inputs(item):
                result = ingestor.ingest(inp)
                report.files.append(result)
                if output == "text":
                    progress.print(_file_line(result))
        store.settle()
    if output == "json":
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        click.echo(f"{len(report.files)} file(s), {report.records} records, {report.unparsed} unparsed")
    for failed in report.failed:
        click.echo(f"logwarden: {failed.path}: {failed.error}", err=True)
    if report.failed:
        sys.exit(1)


def _size(path: str | Path) -> int:
    """Bytes on disk for the progress bar; a path that cannot be read is reported when it is opened."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _check_zone(tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Moscow or UTC") from None


def _file_line(r: Any) -> str:
    if r.error:
        return f"{r.path}: FAILED: {r.error}"
    if r.skipped and not r.records:
        return f"{r.path}: {r.skipped}"
    return f"{r.path}: format={r.format or '-'} records={r.records} unparsed={r.unparsed}"


# -- search ----------------------------------------------------------------------------------------
@cli.command()
@click.argument("query", nargs=-1)
@click.option("--from", "start", default=None, help="start time (ISO 8601; zone from --timezone)")
@click.option("--to", "end", default=None, help="end time, exclusive")
@click.option("--since", default=None, help="a span back from now: 30m, 2h, 7d")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=0), help="events to show (0: all)")
@click.option("--output", type=click.Choice(OUTPUTS), default="table", show_default=True)
@click.option("--timezone", default=None, help=settings.TIMEZONE.help)
@click.option("--timing", is_flag=True, help="print the engine's time to stderr as query_ms=N")
@click.option("--context", "-C", "ctx_n", default=0, type=click.IntRange(0, 10_000),
              help="records before and after each hit, from the same file (like grep -C)")
@click.option("--after-context", "-A", "ctx_a", default=None, type=click.IntRange(0, 10_000),
              help="records after each hit (like grep -A)")
@click.option("--before-context", "-B", "ctx_b", default=None, type=click.IntRange(0, 10_000),
              help="records before each hit (like grep -B)")
@click.pass_obj
@_errors
def search(obj: Context, query: tuple[str, ...], start: str | None, end: str | None, since: str | None,
           limit: int, output: str, timezone: str | None, timing: bool, ctx_n: int, ctx_a: int | None,
           ctx_b: int | None) -> None:
    """Search events, newest first. See docs/query.md for the query language."""
    from logwarden.timeparse import time_range

    text = " ".join(query)
    tz = settings.timezone(timezone)
    _check_zone(tz)
    lo, hi = time_range(since, start, end, tz)
    from logwarden.client import local_server

    if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: ask it
        from logwarden.server import cli_bridge

        if ctx_n or ctx_a or ctx_b:  # grep -C/-A/-B through the server's API
            from logwarden.commands.context_bridge import context_through_server
            from logwarden.correlate.render import write_context

            write_context(context_through_server(srv, text, lo, hi, limit or None, ctx_n if ctx_b is None else ctx_b,
                                                 ctx_n if ctx_a is None else ctx_a), output)
            return None

        return cli_bridge.search(srv, text, lo, hi, limit or None, output, timing)
    from logwarden.query import QuerySyntaxError, service  # (the server's path above does without: ~40 ms)

    try:
        with obj.store("search") as store:
            if ctx_n or ctx_a or ctx_b:  # grep -C/-A/-B: the records around each hit, from the same file
                from logwarden.correlate.context import context
                from logwarden.correlate.render import write_context

                groups = context(store, text, before=ctx_n if ctx_b is None else ctx_b,
                                 after=ctx_n if ctx_a is None else ctx_a, time_from=lo, time_to=hi,
                                 limit=limit or None)
                write_context(groups, output)
                return
            if output in ("raw", "ndjson"):
                kind, rows = service.stream_search(store, text, time_from=lo, time_to=hi, limit=limit or None,
                                                  chronological=output == "raw")
                write_rows(rows, kind, output)
                return
            result = service.search(store, text, time_from=lo, time_to=hi, limit=limit or None)
    except QuerySyntaxError as exc:
        raise UsageError(str(exc)) from None
    if timing:
        click.echo(f"query_ms={result.elapsed_ms:.1f}", err=True)
    write_rows(result.rows, result.kind, output, columns=_columns(result))


def _columns(result: Any) -> list[str] | None:
    """Output columns: the ones a `fields` pipe or `stats` chose; None for plain events, so that the table
    shows its compact event view and csv gets a column for every field."""
    from logwarden.store.schema import EVENT_COLUMNS

    if not result.columns or (result.kind == "events" and tuple(result.columns) == EVENT_COLUMNS):
        return None
    return list(result.columns)


# -- formats ---------------------------------------------------------------------------------------
@cli.group(invoke_without_command=True)
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@_errors
def formats(ctx: click.Context, output: str) -> None:
    """List the formats logwarden understands."""
    if ctx.invoked_subcommand:
        return
    registry = ctx.obj.registry()
    rows = [
        {"name": s.name, "title": s.title, "system": s.system, "source": s.source, "kind": s.kind,
         "multiline": bool(s.record_start), "samples": len(s.samples), "file": str(s.path)}
        for s in sorted(registry.formats.values(), key=lambda s: s.name)
    ]
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        write_rows(rows, "rows", "table", columns=["name", "title", "system", "source", "kind", "multiline", "samples"])


@formats.command("check")
@click.pass_obj
@_errors
def formats_check(obj: Context) -> None:
    """Run every format's samples through the engine and compare with their expectations."""
    from logwarden.formats.check import check_samples

    failures = check_samples(obj.registry())
    for f in failures:
        click.echo(f, err=True)
    if failures:
        sys.exit(1)
    click.echo("all samples pass")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@_errors
def detect(obj: Context, file: str, output: str) -> None:
    """Say which format would be chosen for FILE, and why."""
    from logwarden.formats.detect_file import detect_path

    found, path = detect_path(obj.registry(), Path(file))
    top = sorted(found.scores.items(), key=lambda kv: -kv[1])[:5]
    if output == "json":
        click.echo(json.dumps({"path": path, "format": found.spec.name if found.spec else None,
                               "reason": found.reason, "scores": dict(top)}, ensure_ascii=False))
        return
    click.echo(f"{path}: {found.spec.name if found.spec else 'no format (records are stored unparsed)'}")
    click.echo(f"  why: {found.reason}")
    for name, score in top:
        click.echo(f"  {name:<24} {score:6.1%}")


def _register_commands() -> None:
    from logwarden.commands import register_all

    register_all(cli)


_register_commands()


def main() -> None:
    cli(prog_name="logwarden")



if __name__ == "__main__":
    main()
