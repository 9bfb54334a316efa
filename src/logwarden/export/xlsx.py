"""XLSX export in XlsxWriter's constant-memory mode: each row is flushed to a temporary file as it is
written, the workbook is assembled on close, and the file is then streamed out in chunks and removed.

A sheet holds at most 1,048,576 rows (Excel's limit); longer exports continue on the next sheet, each
with the header. Cells longer than Excel's 32,767 characters are cut (the raw record stays whole in the
other formats).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from logwarden.export.writers import flat_row

SHEET_ROWS = 1_048_576
MAX_CELL = 32_767
READ_CHUNK = 256 * 1024


def _cell(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_CELL:
        return value[: MAX_CELL - 1] + "…"
    return value


def xlsx_stream(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    import xlsxwriter

    fd, path = tempfile.mkstemp(prefix="logwarden-export-", suffix=".xlsx")
    os.close(fd)
    try:
        workbook = xlsxwriter.Workbook(
            path, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                   "strings_to_urls": False, "tmpdir": os.path.dirname(path)},
        )
        bold = workbook.add_format({"bold": True})
        sheet = None
        r = SHEET_ROWS
        for row in rows:
            if r >= SHEET_ROWS:
                sheet = workbook.add_worksheet()
                sheet.write_row(0, 0, list(columns), bold)
                sheet.freeze_panes(1, 0)
                r = 1
            assert sheet is not None
            sheet.write_row(r, 0, [_cell(v) for v in flat_row(row, columns)])
            r += 1
        if sheet is None:  # no rows: a sheet with the header only
            sheet = workbook.add_worksheet()
            sheet.write_row(0, 0, list(columns), bold)
        workbook.close()
        with open(path, "rb") as f:
            while chunk := f.read(READ_CHUNK):
                yield chunk
    finally:
        os.unlink(path)
