"""Lookup tables for format fields: a TSV file shipped as data, read once when the format loads.

A `[fields]` rule `action = { from = "api_method", lookup = "vkteams_methods.tsv", key = "method",
value = "action_ru" }` becomes `transform(api_method, [keys], [values], '')` in the engine: the table
travels with the SQL as two bound arrays, so the lookup runs inside the parse like every other rule.

The file is tab-separated with a header row naming its columns; lines starting with `#` are comments.
A key listed on several rows (a method meaning two actions) gets its distinct values joined with " / ".
Files are searched next to the format file first (a user's formats folder may ship its own), then in
the package's `logwarden/data/` folder.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from logwarden.errors import FormatError

DATA = Path(__file__).resolve().parent.parent / "data"
JOIN = " / "


def find(name: str, format_path: Path) -> Path:
    for folder in (format_path.parent, DATA):
        path = folder / name
        if path.is_file():
            return path
    raise FormatError(f"{format_path}: lookup file {name!r} not found next to the format nor in {DATA}")


@cache
def _rows(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the lookup table: {exc}") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise FormatError(f"{path}: a lookup table needs a header row")
    header = tuple(c.strip() for c in lines[0].split("\t"))
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = tuple(c.strip() for c in line.split("\t"))
        if len(cells) != len(header):
            raise FormatError(f"{path}: row {number} has {len(cells)} columns, the header {len(header)}")
        rows.append(cells)
    return header, tuple(rows)


def table(name: str, key: str, value: str, format_path: Path) -> tuple[tuple[str, str], ...]:
    """(key, value) pairs of a lookup file, one per distinct key, in file order."""
    path = find(name, format_path)
    header, rows = _rows(path)
    for column in (key, value):
        if column not in header:
            raise FormatError(f"{format_path}: lookup {name!r} has no column {column!r} (columns: {', '.join(header)})")
    k, v = header.index(key), header.index(value)
    merged: dict[str, list[str]] = {}
    for row in rows:
        values = merged.setdefault(row[k], [])
        if row[v] and row[v] not in values:
            values.append(row[v])
    return tuple((key_, JOIN.join(values)) for key_, values in merged.items())
