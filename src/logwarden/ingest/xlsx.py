"""Spreadsheet exports (.xlsx) as containers, like a tar archive: each sheet is one input, `book.xlsx!Sheet`.

The corporate portal exports its audit journals (authorization, actions, impersonation…) to .xlsx. A sheet's
first row with at least two filled cells holds the column titles; every row after it becomes one record whose
raw text is a JSON object `{title: value}` on one line, so the record is stored once, is searchable as text,
and is parsed in the engine by a JSON format (the portal formats recognise each journal by its Russian
titles). The same JSON lines ingested directly parse identically. Rows above the titles (a caption) and empty
rows are not records. Cells: dates and times as `YYYY-MM-DD HH:MM:SS` (the portal's wall clock, read in the
ingest time zone), whole numbers as integers, empty cells as "" (every title stays in every object).

Secrets never reach the store: a column titled like a password, and password/secret/token values inside a
cell (JSON pairs, `password=…`, `Authorization:` headers, "Пароль: было → стало" change lines) are masked
before the record is written (`mask_row`). Reading is streaming (openpyxl read-only mode).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from logwarden.ingest.sources import Input, SkippedInput

MASK = "********"
# A column whose title names a password: its every value is masked.
SECRET_TITLE = re.compile(r"^\s*(?:(?:новый|старый|текущий|временный)\s+)?пароль|password|passwd|secret|token",
                          re.IGNORECASE)
_SECRET_WORD = r"(?:password|passwd|пароль|secret|token|api[-_]?key)"
# Inside a cell: a JSON pair whose key names a secret ({"password": "x"} in the impersonation journal's data).
_JSON_PAIR = re.compile(r'("[^"\\]*' + _SECRET_WORD + r'[^"\\]*"\s*:\s*")(?:[^"\\]|\\.)*"', re.IGNORECASE)
_QUERY_PAIR = re.compile(r"([?&;]" + _SECRET_WORD + r"=)[^&\s\";\\]*", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"^(\s*(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key)\s*:\s*).*$",
                          re.IGNORECASE | re.MULTILINE)
# A change line of the actions journal: "Пароль служебной учётной записи: было → Пароль …: стало".
_CHANGE = re.compile(r"^([^:\n]*(?:пароль|password)[^:\n]*:\s*)[^\n→]*?(\s*→\s*(?:[^:\n]*:\s*)?)[^\n]*$",
                     re.IGNORECASE | re.MULTILINE)


def mask_text(text: str) -> str:
    text = _JSON_PAIR.sub(lambda m: m.group(1) + MASK + '"', text)
    text = _QUERY_PAIR.sub(lambda m: m.group(1) + MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _CHANGE.sub(lambda m: m.group(1) + MASK + m.group(2) + MASK, text)


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row with password values masked (titles that name a password, secrets inside the cells)."""
    out: dict[str, Any] = {}
    for title, value in row.items():
        if SECRET_TITLE.search(title) and value not in ("", None):
            out[title] = MASK
        elif isinstance(value, str):
            out[title] = mask_text(value)
        else:
            out[title] = value
    return out


def cell_value(value: Any) -> Any:
    """A cell as JSON: dates as the portal's wall-clock text, whole floats as integers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds" if value.microsecond else "seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, int | float | bool | str):
        return value
    return str(value)


def titles_of(cells: Sequence[Any]) -> list[str]:
    """Column titles: text of the cells, unique (a repeated title gets ` (2)`), empty ones `column N`."""
    out: list[str] = []
    for i, cell in enumerate(cells, start=1):
        title = str(cell_value(cell)).strip() or f"column {i}"
        base, n = title, 2
        while title in out:
            title, n = f"{base} ({n})", n + 1
        out.append(title)
    return out


def row_json(titles: Sequence[str], cells: Sequence[Any]) -> str:
    """One record: the JSON object of a row, masked, on one line (what is stored as the raw record)."""
    row = {t: cell_value(cells[i]) if i < len(cells) else "" for i, t in enumerate(titles)}
    return json.dumps(mask_row(row), ensure_ascii=False, separators=(",", ":"))


def sheet_lines(rows: Iterator[Sequence[Any]]) -> Iterator[str]:
    """JSON lines of a sheet's rows: the first row with two filled cells gives the titles."""
    titles: list[str] | None = None
    for cells in rows:
        filled = sum(1 for c in cells if c not in (None, ""))
        if titles is None:
            if filled >= 2:
                last = max(i for i, c in enumerate(cells) if c not in (None, ""))
                titles = titles_of(cells[: last + 1])
            continue
        if filled:
            yield row_json(titles, cells)


class _LineStream(io.RawIOBase):
    """A readable byte stream over lines made on demand (a sheet is never held whole in memory)."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while len(self._buf) < len(b):
            line = next(self._lines, None)
            if line is None:
                break
            self._buf += line.encode("utf-8") + b"\n"
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _rows(path: Path, index: int) -> Iterator[Sequence[Any]]:
    """The rows of one sheet, reading the workbook only while they are asked for (a sheet's input may be
    read after the others, or never)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from book.worksheets[index].iter_rows(values_only=True)
    finally:
        book.close()


def xlsx_inputs(path: Path, st: os.stat_result) -> Iterator[Input | SkippedInput]:
    """One input per sheet of the workbook, `book.xlsx!Sheet`, streaming JSON lines."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        names = book.sheetnames
        book.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        yield SkippedInput(str(path), f"not a readable .xlsx workbook ({exc}); export the journal again or "
                                      "save it as .xlsx")
        return
    for index, name in enumerate(names):
        stream = io.BufferedReader(_LineStream(sheet_lines(_rows(path, index))), 1 << 16)
        yield Input(f"{path}!{name}", stream, st.st_mtime, 0, name=f"{path.stem}.{name}.jsonl")
