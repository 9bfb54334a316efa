"""Portal audit journals: generated .xlsx exports and the same rows as JSON lines, ingested through the real
engine. Each journal is recognised by its Russian titles, fields are typed, passwords never reach the store,
and a JSON line parses exactly as the .xlsx row it came from."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from logwarden.demo.pools import Rng, epoch
from logwarden.demo.portal import JOURNALS, LEAKED_PASSWORD, journal_rows, jsonl_lines, write_xlsx
from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport
from logwarden.ingest.sources import expand, open_inputs
from logwarden.ingest.xlsx import MASK
from logwarden.query.service import search
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

START, END = epoch(2026, 3, 1), epoch(2026, 3, 4)
FORMAT = {j: f"portal_{j}" for j in JOURNALS}
# What every journal's records must carry (fields or columns), typed.
TYPED = {
    "auth": ("id", "user", "auth_type", "status", "client_ip", "device", "browser"),
    "points": ("id", "user", "action_code", "target", "changes", "changed", "before", "after"),
    "actions": ("id", "user", "action", "action_code", "target"),
    "password_import": ("id", "user", "status", "target", "target_name"),
    "impersonation": ("id", "user", "impersonated", "url", "method", "path"),
    "errors": ("id", "status", "page", "path"),
    "users": ("id", "user", "action_code", "target"),
    "services": ("id", "user", "service_name", "event", "status"),
    "webhooks": ("id", "status", "code", "webhook", "trigger", "request", "url"),
}


def _ingest(store: Store, registry: Registry, *paths: Path) -> IngestReport:
    report = IngestReport()
    ingestor = Ingestor(store, registry, IngestOptions(timezone="Europe/Moscow"))
    for item in expand([str(p) for p in paths]):
        for inp in open_inputs(item):
            report.files.append(ingestor.ingest(inp))
    return report


def _events(store: Store, origin: str) -> list[dict[str, Any]]:
    rows = store.rows(
        f"SELECT toString(ts) AS ts, ts_inferred, format, service, seq, level, raw, user, client_ip, status, fields "
        f"FROM {DB}.events WHERE origin = {{o:String}} ORDER BY seq", {"o": origin})
    return [{**r, **r.pop("fields")} for r in rows]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, list[list[Any]]]]:
    """journal -> (.xlsx export, .jsonl of the same rows, the rows)."""
    root = tmp_path_factory.mktemp("portal")
    out = {}
    for journal in JOURNALS:
        rows = journal_rows(Rng(f"test:{journal}"), journal, START, END, 40)
        xlsx = write_xlsx(root / "xlsx" / f"{JOURNALS[journal][0]}.xlsx", journal, rows)
        jsonl = root / "jsonl" / f"{journal}.jsonl"
        jsonl.parent.mkdir(exist_ok=True)
        jsonl.write_text("".join(line + "\n" for line in jsonl_lines(journal, rows)), encoding="utf-8")
        out[journal] = (xlsx, jsonl, rows)
    return out


@pytest.fixture(scope="module")
def ingested(engine: Store, registry: Registry, exports: dict[str, tuple[Path, Path, list[list[Any]]]]) -> IngestReport:
    root = next(iter(exports.values()))[0].parents[1]
    # The JSON lines go in under another data source's view: content already stored (the sheet's rows) would be
    # recognised and skipped, so each .jsonl gets one extra first line that no journal knows.
    for _, jsonl, _ in exports.values():
        jsonl.write_text('{"note":"copied from the portal"}\n' + jsonl.read_text(encoding="utf-8"), encoding="utf-8")
    return _ingest(engine, registry, root / "xlsx", root / "jsonl")


def _sheet_origin(exports: dict[str, Any], journal: str) -> str:
    return f"{exports[journal][0]}!{JOURNALS[journal][1]}"


@pytest.mark.parametrize("journal", sorted(JOURNALS))
def test_each_journal_is_recognised_and_typed(engine: Store, ingested: IngestReport, exports: dict[str, Any],
                                              journal: str) -> None:
    result = next(f for f in ingested.files if f.path == _sheet_origin(exports, journal))
    assert result.format == FORMAT[journal] and not result.error and result.unparsed == 0
    stored = _events(engine, _sheet_origin(exports, journal))
    rows = exports[journal][2]
    assert len(stored) == len(rows) and {e["format"] for e in stored} == {FORMAT[journal]}
    titles = JOURNALS[journal][2]
    for row, event in zip(rows, stored, strict=True):
        raw = json.loads(event["raw"])
        assert list(raw) == titles  # one JSON object a row, every title in order
        assert str(raw[titles[0]]) == event["id"] == str(row[0])
        assert not event["ts_inferred"]
        assert event["service"] == journal
        assert event["level"] in ("info", "notice", "warn", "error")
    for name in TYPED[journal]:
        assert any(e.get(name) for e in stored), f"{journal}: no record has {name}"


def test_times_are_read_in_the_portal_time_zone(engine: Store, ingested: IngestReport, exports: dict[str, Any]) -> None:
    """Dates are the portal's wall clock (here Moscow, UTC+3): stored in UTC."""
    for journal in ("auth", "password_import"):
        stored = _events(engine, _sheet_origin(exports, journal))
        for row, event in zip(exports[journal][2], stored, strict=True):
            wall = row[1] if isinstance(row[1], datetime) else datetime.fromisoformat(row[1])
            assert event["ts"][:19] == (wall - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")


def test_auth_values(engine: Store, ingested: IngestReport, exports: dict[str, Any]) -> None:
    stored = _events(engine, _sheet_origin(exports, "auth"))
    assert {e["auth_type"] for e in stored} <= {"local", "2fa", "ldap", "oauth"}
    assert {e["status"] for e in stored} == {"success", "failure"}
    for e in stored:
        raw = json.loads(e["raw"])
        assert e["level"] == ("warn" if raw["Статус"] == "Неуспешно" else "info")
        assert e["client_ip"] == raw["IP-адрес"]
        if e["auth_type"] == "oauth":
            assert e.get("oauth_provider") and "attempt" not in e and e["user"] in raw["Учётная запись"]
        else:
            assert e["attempt"] == str(raw["Номер попытки"]) and e["user"] == raw["Логин"]
    # The password-guessing run: ldap then local with the same attempt number, up to 9, from one address.
    ninth = [e for e in stored if e.get("attempt") == "9"]
    assert {e["auth_type"] for e in ninth} == {"ldap", "local"} and len({e["client_ip"] for e in ninth}) == 1
    run = [e for e in stored if e["client_ip"] == ninth[0]["client_ip"] and e["status"] == "failure"]
    assert sorted({int(e["attempt"]) for e in run}) == list(range(1, 10))


@pytest.mark.parametrize("journal", sorted(JOURNALS))
def test_json_lines_parse_like_the_xlsx_rows(engine: Store, ingested: IngestReport, exports: dict[str, Any],
                                             journal: str) -> None:
    from_xlsx = _events(engine, _sheet_origin(exports, journal))
    from_jsonl = _events(engine, str(exports[journal][1]))
    assert from_jsonl[0]["raw"] == '{"note":"copied from the portal"}'  # the extra first line
    assert len(from_jsonl) == len(from_xlsx) + 1
    for a, b in zip(from_xlsx, from_jsonl[1:], strict=True):
        assert a["raw"] == b["raw"]
        assert {k: v for k, v in a.items() if k != "seq"} == {k: v for k, v in b.items() if k != "seq"}


def test_the_same_rows_as_json_lines_are_known_content(engine: Store, registry: Registry, ingested: IngestReport,
                                                       exports: dict[str, Any], tmp_path: Path) -> None:
    """A .jsonl holding exactly the rows of an ingested sheet is recognised as content already stored."""
    journal = "errors"
    path = tmp_path / "errors.jsonl"
    path.write_text("".join(line + "\n" for line in jsonl_lines(journal, exports[journal][2])), encoding="utf-8")
    report = _ingest(engine, registry, path)
    assert report.records == 0 and report.files[0].skipped == f"already ingested as {_sheet_origin(exports, journal)}"


def test_passwords_are_masked_and_not_findable(engine: Store, ingested: IngestReport, exports: dict[str, Any]) -> None:
    rows = exports["impersonation"][2]
    assert any(LEAKED_PASSWORD in str(r) for r in rows), "the generator plants a password"
    assert search(engine, f'"{LEAKED_PASSWORD}"', limit=None).rows == []
    assert search(engine, "Vesna2026", limit=None).rows == []
    masked = [e for e in _events(engine, _sheet_origin(exports, "impersonation")) if "password" in e.get("path", "")]
    assert masked and all(json.loads(e["data"])["password"] == MASK for e in masked)
    hooks = _events(engine, _sheet_origin(exports, "webhooks"))
    assert all("Bearer" not in e["raw"] and "Authorization: " + MASK in e["request"] for e in hooks)


@pytest.mark.parametrize("line,secret,field,want", [
    (('{"ID":1,"Дата начала":"2026-03-04 00:28:40","Замаскированный пользователь":"А","Оригинальный пользователь":"Б",'
     '"URL":"https://p/api/v1/profile/password","Тип запроса":"POST","Данные":"{\\"newPassword\\":\\"S3cr3t-One\\"}"}'),
     "S3cr3t-One", "data", '{"newPassword":"' + MASK + '"}'),
    (('{"ID":2,"Дата события":"2026-03-04 01:20:00","Инициатор":"А","Действие":"Обновил","Цель":"Настройки → LDAP/AD",'
     '"Изменения":"Пароль служебной учётной записи: S3cr3t-Two → Пароль служебной учётной записи: S3cr3t-Three",'
     '"Комментарий":""}'), "S3cr3t-Two", "after", '{"Пароль служебной учётной записи":"' + MASK + '"}'),
    (('{"ID":3,"Дата":"2026-03-02 17:23:10","Статус":"Успешно","Код":200,"Вебхук":"H","Триггер":"T",'
     '"Запрос":"POST https://h/x?token=S3cr3t-Four\\nCookie: sid=S3cr3t-Five","Ответ":""}'), "S3cr3t-Four", "url",
     "https://h/x?token=" + MASK),
    (('{"ID":4,"Дата авторизации":"2026-03-03 21:03:44","Учётная запись":"А","Логин":"a","Пароль":"S3cr3t-Six",'
     '"Тип авторизации":"ldap","Статус":"Успешно","Номер попытки":1,"IP-адрес":"10.0.0.1","Тип устройства":"Компьютер",'
     '"Браузер":"Chrome 1"}'), "S3cr3t-Six", "auth_type", "ldap"),
])
def test_json_lines_with_secrets_are_masked_like_xlsx_rows(engine: Store, registry: Registry, ingested: IngestReport,
                                                           tmp_path: Path, line: str, secret: str, field: str,
                                                           want: str) -> None:
    """JSON lines ingested directly are masked in the engine by the format's [[mask]] rules; the stored record
    is what ingest/xlsx.py makes of the same row."""
    from logwarden.ingest.xlsx import mask_row

    path = tmp_path / "direct.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    report = _ingest(engine, registry, path)
    assert report.unparsed == 0
    event = _events(engine, str(path))[0]
    assert event[field] == want and secret not in event["raw"]
    assert event["raw"] == json.dumps(mask_row(json.loads(line)), ensure_ascii=False, separators=(",", ":"))
    assert [r for r in search(engine, f'"{secret}"', limit=None).rows if r["origin"] == str(path)] == []


@pytest.mark.parametrize("query,journal", [
    ("source:portal service:auth status:failure attempt:>=8", "auth"),
    ("auth_type:oauth oauth_provider:KeyCloak", "auth"),
    ("service:actions action_code:update", "actions"),
    ("service:errors status:>=500", "errors"),
    ("service:webhooks level:error", "webhooks"),
    ('impersonated:* method:POST', "impersonation"),
    ('"Пользователь не обнаружен"', "auth"),  # a phrase in Russian, any case: served by the text index
    ("action:Обновил target:*", "actions"),
])
def test_search_by_portal_fields(engine: Store, ingested: IngestReport, exports: dict[str, Any], query: str,
                                 journal: str) -> None:
    rows = [r for r in search(engine, query, limit=None).rows if r["origin"] == _sheet_origin(exports, journal)]
    assert rows, query
    assert all(r["format"] == FORMAT[journal] for r in rows)
