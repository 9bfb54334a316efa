"""The export writers on hand-written rows: every format holds every row and cell exactly, in bounded chunks."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
import pytest

from logwarden.export import EXPORTERS, export_columns
from logwarden.export import xlsx as xlsx_module
from logwarden.query import EVENT_COLUMNS

ROWS: list[dict[str, Any]] = [
    {"ts": "2024-03-01 10:00:00.123456", "level": "error", "source": "zimbra", "service": "mailbox", "host": "mx1",
     "format": "zimbra_mailbox", "origin": "/var/log/mailbox.log", "seq": 7, "user": "olga@corp.ru",
     "client_ip": "10.0.0.5", "trace_id": "", "request_id": "", "status": "",
     "raw": "ERROR handler exception\njava.io.IOException: broken pipe\n\tat X.y(X.java:1)",
     "fields": {"thread": "LmtpServer-7", "empty": ""}},
    {"ts": "2024-03-01 10:00:01.000000", "level": "info", "source": "web", "service": "nginx", "host": "w1",
     "format": "access_combined", "origin": "/var/log/access.log", "seq": 8, "user": "", "client_ip": "1.2.3.4",
     "trace_id": "", "request_id": "", "status": "200",
     "raw": 'GET "/q?a=1,b=2" ; tab\there; =cmd|formula; Привет', "fields": {}},
    {"ts": "2024-03-01 10:00:02.000000", "level": "", "source": "app", "service": "", "host": "", "format": "",
     "origin": "-", "seq": 9, "user": "", "client_ip": "", "trace_id": "", "request_id": "", "status": "",
     "raw": "bad bytes: \udcff\udcfe end", "fields": {}},
]
COLUMNS = export_columns("events", EVENT_COLUMNS)


def _bytes(fmt: str, rows: list[dict[str, Any]] = ROWS, columns: list[str] = COLUMNS) -> bytes:
    return b"".join(EXPORTERS[fmt].write(iter(rows), columns))


def test_event_columns_are_fixed_with_fields_as_json() -> None:
    assert COLUMNS[0] == "ts" and COLUMNS[-2:] == ["raw", "fields"]
    assert export_columns("stats", ["service", "count"]) == ["service", "count"]


def test_ndjson_rows_are_exact() -> None:
    lines = _bytes("ndjson").decode("utf-8").splitlines()
    objs = [json.loads(x) for x in lines]
    assert [o["raw"] for o in objs[:2]] == [ROWS[0]["raw"], ROWS[1]["raw"]]
    assert objs[2]["raw"] == "bad bytes: \ufffd\ufffd end"  # invalid UTF-8 becomes U+FFFD in structured output
    assert objs[0]["ts"] == "2024-03-01T10:00:00.123456Z"
    assert objs[0]["fields"] == {"thread": "LmtpServer-7"}


def test_csv_quotes_newlines_tabs_and_quotes() -> None:
    data = _bytes("csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS
    raw = COLUMNS.index("raw")
    assert [r[raw] for r in rows[1:3]] == [ROWS[0]["raw"], ROWS[1]["raw"]]
    assert json.loads(rows[1][COLUMNS.index("fields")]) == {"thread": "LmtpServer-7"}


def test_xlsx_keeps_text_as_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(_bytes("xlsx")), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    raw = COLUMNS.index("raw")
    assert rows[2][raw] == ROWS[1]["raw"]  # "=cmd|formula" stays text, not a formula
    assert rows[1][COLUMNS.index("status")] in ("", None)


def test_xlsx_long_cells_are_cut_and_sheets_continue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_module, "SHEET_ROWS", 3)  # 2 rows + header per sheet
    long = [{**ROWS[1], "raw": "x" * 40_000, "seq": i} for i in range(5)]
    book = openpyxl.load_workbook(io.BytesIO(_bytes("xlsx", long)), read_only=True)
    sheets = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    assert [len(s) for s in sheets] == [3, 3, 2]
    assert all(s[0] == tuple(COLUMNS) for s in sheets)
    cell = sheets[0][1][COLUMNS.index("raw")]
    assert len(cell) == xlsx_module.MAX_CELL and cell.endswith("…")


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "xlsx"])
def test_empty_export_has_a_header_or_nothing(fmt: str) -> None:
    data = _bytes(fmt, [])
    if fmt == "ndjson":
        assert data == b""
    elif fmt == "csv":
        assert data.decode("utf-8-sig").splitlines() == [",".join(COLUMNS)]
    else:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert [list(r) for r in book.active.iter_rows(values_only=True)] == [COLUMNS]


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_chunks_are_bounded(fmt: str) -> None:
    many = [{**ROWS[1], "seq": i} for i in range(20_000)]
    chunks = list(EXPORTERS[fmt].write(iter(many), COLUMNS))
    assert len(chunks) > 5
    assert max(len(c) for c in chunks) < 2 * 256 * 1024
