"""`logwarden formats coverage PATH…`: what logwarden understands of given files, and what not yet."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from logwarden import settings


@click.command("coverage")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", default="auto", show_default=True, help="format name, or auto to detect per file")
@click.option("--timezone", default=None, help=settings.TIMEZONE.help)
@click.option("--min-share", type=click.FloatRange(0, 1), default=None,
              help="exit 1 when a file's share of understood records is below this (e.g. 0.995)")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def coverage(obj: Any, paths: tuple[str, ...], fmt: str, timezone: str | None, min_share: float | None,
             output: str) -> None:
    """Per file: the format chosen, the share of records parsed with a timestamp and a level, and
    examples of records not understood. Nothing is stored: files are parsed in a scratch engine.

    По каждому файлу: выбранный формат, доля записей с разобранными временем и уровнем, примеры
    непонятых записей. В хранилище ничего не записывается."""
    from logwarden.cli import _errors

    _errors(_run)(obj, paths, fmt, timezone, min_share, output)


def _run(obj: Any, paths: tuple[str, ...], fmt: str, timezone: str | None, min_share: float | None,
         output: str) -> None:
    from logwarden.formats.coverage import measure
    from logwarden.ingest.pipeline import IngestOptions, check_format_name
    from logwarden.store.chdb_store import Store

    registry = obj.registry()
    check_format_name(registry, fmt)
    tz = settings.timezone(timezone)
    with tempfile.TemporaryDirectory(prefix="logwarden-coverage-") as tmp:
        store = Store(Path(tmp), "formats coverage")
        try:
            files = measure(store, registry, paths, IngestOptions(format=fmt, timezone=tz))
        finally:
            store.close()
    if output == "json":
        click.echo(json.dumps([f.as_json() for f in files], ensure_ascii=False, indent=1))
    else:
        for f in files:
            _print(f)
    if min_share is not None and any(f.records and f.share < min_share for f in files):
        sys.exit(1)


def _print(f: Any) -> None:
    if f.note and not f.records:
        click.echo(f"{f.path}: {f.note}")
        return
    click.echo(f"{f.path}: format={f.format or '-'} records={f.records} understood={f.share:.2%} "
               f"(timestamp {f.with_ts}, level {f.with_level}, parsed {f.parsed}"
               + (f", blank {f.blank}" if f.blank else "") + (f", header {f.headers}" if f.headers else "") + ")")
    for ex in f.examples:
        click.echo(f"  #{ex['seq']} {ex['why']}: {ex['record'][:160]!r}")


def register(cli: click.Group) -> None:
    group = cli.commands["formats"]
    assert isinstance(group, click.Group)
    group.add_command(coverage)
