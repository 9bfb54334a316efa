"""Spreadsheet exports as containers: sheets become inputs of JSON lines (one object a row), secrets masked."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from logwarden.ingest.sources import Input, SkippedInput, expand, open_inputs
from logwarden.ingest.xlsx import MASK, mask_row, mask_text, sheet_lines


def _book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    when = book.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    ws.write_datetime(r, c, value, when)
                elif value is not None:
                    ws.write(r, c, value)
    book.close()
    return path


def _inputs(path: Path) -> list[Input | SkippedInput]:
    return [inp for item in expand([str(path)]) for inp in open_inputs(item)]


def _objects(inp: Input | SkippedInput) -> list[dict[str, Any]]:
    assert isinstance(inp, Input)
    data = inp.stream.read().decode("utf-8")
    assert data.endswith("\n") or data == ""
    return [json.loads(line) for line in data.splitlines()]


def test_each_sheet_is_an_input_of_json_lines(tmp_path: Path) -> None:
    path = _book(tmp_path / "export.xlsx", {
        "Лог ошибок": [
            ["Выгрузка от 04.03.2026"],  # a caption above the titles is not a record
            ["ID", "Время возникновения", "Страница", "Код ошибки"],
            [2, datetime(2026, 3, 4, 10, 0, 5), "/news/1", 404],
            [None, None, None, None],  # an empty row is not a record
            [1, datetime(2026, 3, 4, 9, 59, 0), "/courses/7", 500.0],
        ],
        "Второй": [["A", "B", "B"], ["x", "y"]],
    })
    first, second = _inputs(path)
    assert isinstance(first, Input) and first.origin == f"{path}!Лог ошибок"
    assert _objects(first) == [
        {"ID": 2, "Время возникновения": "2026-03-04 10:00:05", "Страница": "/news/1", "Код ошибки": 404},
        {"ID": 1, "Время возникновения": "2026-03-04 09:59:00", "Страница": "/courses/7", "Код ошибки": 500},
    ]
    # Repeated titles stay apart; a short row gets "" for its missing cells.
    assert _objects(second) == [{"A": "x", "B": "y", "B (2)": ""}]


def test_inputs_can_be_read_in_any_order(tmp_path: Path) -> None:
    path = _book(tmp_path / "two.xlsx", {"a": [["k", "v"], [1, 2]], "b": [["k", "v"], [3, 4]]})
    a, b = _inputs(path)  # both opened before either is read
    assert _objects(b) == [{"k": 3, "v": 4}] and _objects(a) == [{"k": 1, "v": 2}]


def test_a_sheet_is_streamed(tmp_path: Path) -> None:
    rows = [["ID", "Дата события", "Инициатор"]] + [[i, f"2026-03-04 10:{i % 60:02d}:00", "Иван Петров"]
                                                   for i in range(20000)]
    (inp,) = _inputs(_book(tmp_path / "big.xlsx", {"s": rows}))
    assert isinstance(inp, Input)
    head = inp.stream.read(4096)
    assert head.startswith(b'{"ID":0,') and len(head) == 4096
    rest = inp.stream.read()
    assert (head + rest).count(b"\n") == 20000


@pytest.mark.parametrize("data,reason", [
    (b"not a zip at all", "not a readable .xlsx workbook"),
    (b"PK\x03\x04broken", "not a readable .xlsx workbook"),
])
def test_a_broken_workbook_is_skipped_with_a_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "journal.xlsx"
    path.write_bytes(data)
    (inp,) = _inputs(path)
    assert isinstance(inp, SkippedInput) and reason in inp.reason and "export the journal again" in inp.reason


@pytest.mark.parametrize("row,want", [
    ({"Пароль": "qwerty", "Логин": "ivan"}, {"Пароль": MASK, "Логин": "ivan"}),
    ({"Новый пароль": "x1", "Кому загружен пароль": "Иван Петров (УИ: 1)"},
     {"Новый пароль": MASK, "Кому загружен пароль": "Иван Петров (УИ: 1)"}),
    ({"api_token": "abc", "Пароль": ""}, {"api_token": MASK, "Пароль": ""}),
    ({"Данные": '{"login": "a", "newPassword": "S3cret\\"x", "nested": {"client_secret": "zz"}}'},
     {"Данные": f'{{"login": "a", "newPassword": "{MASK}", "nested": {{"client_secret": "{MASK}"}}}}'}),
    ({"URL": "https://p/x?user=a&password=S3cret&z=1"}, {"URL": f"https://p/x?user=a&password={MASK}&z=1"}),
    ({"Запрос": "POST https://h/x\nAuthorization: Bearer abc.def\nCookie: sid=1\n\n{}"},
     {"Запрос": f"POST https://h/x\nAuthorization: {MASK}\nCookie: {MASK}\n\n{{}}"}),
    ({"Изменения": "Хост: a → Хост: b\nПароль служебной учётной записи: p1 → Пароль служебной учётной записи: p2"},
     {"Изменения": f"Хост: a → Хост: b\nПароль служебной учётной записи: {MASK} → Пароль служебной учётной "
                   f"записи: {MASK}"}),
    ({"Действие": "Обновил пароль", "Цель": "Иван Петров"}, {"Действие": "Обновил пароль", "Цель": "Иван Петров"}),
])
def test_mask_row(row: dict[str, Any], want: dict[str, Any]) -> None:
    assert mask_row(row) == want


def test_masked_before_the_record_is_made(tmp_path: Path) -> None:
    rows = [["ID", "Логин", "Пароль"], [1, "ivan", "Vesna2026!"]]
    (inp,) = _inputs(_book(tmp_path / "p.xlsx", {"s": rows}))
    assert isinstance(inp, Input)
    data = inp.stream.read()
    assert b"Vesna2026" not in data and MASK.encode() in data


def test_sheet_without_titles_gives_no_records() -> None:
    assert list(sheet_lines(iter([("only one cell",), (None, None)]))) == []
    assert mask_text("nothing secret here") == "nothing secret here"


# -- through the CLI, as a user runs it -------------------------------------------------------------------
def _run_cli() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_lw_root_conftest", Path(__file__).parents[1] / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_cli


def test_cli_ingests_journal_exports_and_cdn_logs(tmp_path: Path) -> None:
    from logwarden.demo.cdn import cdn_lines
    from logwarden.demo.pools import Rng, epoch
    from logwarden.demo.portal import journal_rows, write_xlsx

    run_cli = _run_cli()
    logs = tmp_path / "logs"
    start, end = epoch(2026, 3, 1), epoch(2026, 3, 2)
    write_xlsx(logs / "auth_log.xlsx", "auth", journal_rows(Rng("cli:auth"), "auth", start, end, 70))
    (logs / "cdn.tsv.gz").write_bytes(__import__("gzip").compress(
        ("\n".join(cdn_lines(Rng("cli:cdn"), start, end, 50)) + "\n").encode()))
    (logs / "broken.xlsx").write_bytes(b"PK\x03\x04 cut short")
    data = tmp_path / "data"

    done = run_cli("ingest", str(logs), "--output", "json", data_dir=data)
    assert done.returncode == 1, done.stderr  # the broken workbook fails; the others are kept
    files = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert files["auth_log.xlsx!Лог авторизации"]["format"] == "portal_auth"
    assert files["auth_log.xlsx!Лог авторизации"]["unparsed"] == 0
    assert files["cdn.tsv.gz"] == {"path": str(logs / "cdn.tsv.gz"), "format": "cdn_access", "records": 51,
                                   "unparsed": 0}
    assert "not a readable .xlsx workbook" in files["broken.xlsx"]["error"]
    assert b"Traceback" not in done.stderr

    found = run_cli("search", "service:auth status:failure attempt:>=8", "--output", "ndjson", data_dir=data)
    events = [json.loads(line) for line in found.stdout.decode().splitlines()]
    assert found.returncode == 0 and events and all(e["format"] == "portal_auth" for e in events)

    shown = run_cli("detect", str(logs / "auth_log.xlsx"), data_dir=data)
    assert shown.returncode == 0 and "portal_auth" in shown.stdout.decode()
    shown = run_cli("detect", str(logs / "cdn.tsv.gz"), data_dir=data)
    assert "cdn_access header" in shown.stdout.decode()
