"""`logwarden search`, `detect` and `formats` as a user runs them, on one small data directory."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import (
    AUTH_FAILED,
    BOB_1,
    BOB_2,
    HANDLER,
    MAILBOX,
    SYSLOG,
    failed,
    ndjson,
    ok,
    run_cli,
    write,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime.now(UTC).replace(microsecond=0)


def _recent(hours_ago: int) -> str:
    local = (NOW - timedelta(hours=hours_ago)).astimezone(MOSCOW)
    return (f"{local:%Y-%m-%d %H:%M:%S},000 ERROR [qtp-1] [name=carol@corp.ru;ip=10.0.0.8;] soap - "
            f"handler exception {hours_ago}h ago")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("search")
    files = {
        "mailbox": write(root / "logs" / "mailbox.log", MAILBOX),
        "recent": write(root / "logs" / "recent" / "mailbox.log", _recent(3) + "\n" + _recent(1) + "\n"),
        "syslog": write(root / "logs" / "syslog", SYSLOG, mtime=datetime(2020, 10, 20, tzinfo=UTC)),
    }
    data = root / "data"
    out = ok(run_cli("ingest", str(root / "logs"), "--timezone", "Europe/Moscow", data_dir=data))
    assert out.endswith("3 file(s), 8 records, 0 unparsed\n")
    return {"data": data, **files}


@pytest.fixture(scope="module")
def everything(logs: dict[str, Path]) -> list[dict[str, Any]]:
    return ndjson(logs["data"])


def test_ndjson_is_one_object_per_event_newest_first(logs: dict[str, Path], everything: list[dict[str, Any]]) -> None:
    assert len(everything) == 8
    stamps = [e["ts"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert all(ts.endswith("Z") and "T" in ts for ts in stamps)
    auth = next(e for e in everything if e["raw"] == AUTH_FAILED)
    assert {k: auth[k] for k in ("ts", "level", "source", "service", "host", "origin", "seq", "format")} == {
        "ts": "2020-09-29T13:45:00.123000Z", "level": "warn", "source": "zimbra", "service": "mailbox", "host": "",
        "origin": str(logs["mailbox"]), "seq": 0, "format": "zimbra_mailbox"}
    # promoted columns and every field the format extracted, flat
    assert (auth["user"], auth["client_ip"]) == ("user@corp.ru", "10.0.0.5")
    assert (auth["category"], auth["thread"], auth["reason"], auth["level_raw"]) == (
        "account", "qtp-123", "invalid password", "WARN")
    trace = next(e for e in everything if e["raw"].startswith(HANDLER[:30]))
    assert trace["raw"] == HANDLER and trace["exception"] == "java.io.IOException"
    sshd = next(e for e in everything if e["origin"] == str(logs["syslog"]) and e["seq"] == 0)
    assert (sshd["ts"], sshd["host"], sshd["service"], sshd["pid"]) == ("2020-10-13T07:17:00.000000Z", "mail", "sshd",
                                                                       "4089")


def test_json_holds_the_same_objects(logs: dict[str, Path], everything: list[dict[str, Any]]) -> None:
    out = ok(run_cli("search", "", "--limit", "0", "--output", "json", data_dir=logs["data"]))
    assert json.loads(out) == everything


def test_csv_has_every_column_and_field(logs: dict[str, Path], everything: list[dict[str, Any]]) -> None:
    out = ok(run_cli("search", "source:zimbra", "--limit", "0", "--output", "csv", data_dir=logs["data"]))
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",")
    assert header[:9] == ["ts", "level", "source", "service", "host", "format", "origin", "seq", "raw"]
    assert {"user", "client_ip", "category", "thread", "exception"} <= set(header)
    assert len(rows) == 6
    trace = next(r for r in rows if r["raw"].startswith(HANDLER[:30]))
    assert (trace["raw"], trace["level"], trace["exception"], trace["ts"]) == (
        HANDLER, "error", "java.io.IOException", "2020-09-29T13:46:01.005000Z")


def test_raw_prints_one_accounts_records_exactly(logs: dict[str, Path]) -> None:
    done = run_cli("search", "user:bob@corp.ru", "--output", "raw", data_dir=logs["data"])
    assert done.returncode == 0
    # raw output reads as the log it came from: oldest first (other outputs are newest first)
    assert done.stdout == (BOB_1 + "\n" + BOB_2 + "\n").encode()
    newest = run_cli("search", "user:bob@corp.ru", "--limit", "1", "--output", "raw", data_dir=logs["data"])
    assert newest.stdout == (BOB_2 + "\n").encode()  # the limit still keeps the newest
    trace = run_cli("search", "level:error", "java", "--output", "raw", data_dir=logs["data"])
    assert trace.stdout == (HANDLER + "\n").encode()  # a multi-line record comes out with its lines


def test_table_shows_time_level_service_host_and_the_record(logs: dict[str, Path]) -> None:
    out = ok(run_cli("search", "source:zimbra", "--limit", "3", data_dir=logs["data"], env={"COLUMNS": "200"}))
    lines = out.splitlines()
    assert lines[0].split() == ["time", "(UTC)", "┃", "level", "┃", "service", "┃", "host", "┃", "record"]
    assert len(lines) == 2 + 3
    assert "│ error │ mailbox │" in lines[2] and "handler exception 1h ago" in lines[2]
    old = ok(run_cli("search", "user:user@corp.ru", data_dir=logs["data"], env={"COLUMNS": "220"}))
    row = old.splitlines()[2]
    assert row.startswith("2020-09-29 13:45:00.123 │ warn  │ mailbox │")
    assert AUTH_FAILED in row  # brackets in a record are text, not markup


def test_level_filter_and_limit(logs: dict[str, Path]) -> None:
    errors = ndjson(logs["data"], "level:error")
    assert [e["raw"].split(" - ", 1)[1].split("\n")[0] for e in errors] == [
        "handler exception 1h ago", "handler exception 3h ago", "handler exception"]
    out = ok(run_cli("search", "", "--limit", "1", "--output", "ndjson", data_dir=logs["data"]))
    (newest,) = [json.loads(line) for line in out.splitlines()]
    assert newest["raw"] == _recent(1)


def test_since_keeps_the_recent_span(logs: dict[str, Path]) -> None:
    assert [e["raw"] for e in ndjson(logs["data"], "", "--since", "2h")] == [_recent(1)]
    assert [e["raw"] for e in ndjson(logs["data"], "", "--since", "4h")] == [_recent(1), _recent(3)]
    err = failed(run_cli("search", "", "--since", "2h", "--from", "2020-01-01", data_dir=logs["data"]), 2)
    assert err == "logwarden: use either --since or --from, not both\n"


def test_time_options_that_cannot_work_are_usage_errors(logs: dict[str, Path]) -> None:
    err = failed(run_cli("search", "x", "--from", "2020-09-29", "--timezone", "Mars/Olympus", data_dir=logs["data"]), 2)
    assert err == "logwarden: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Moscow or UTC\n"
    err = failed(run_cli("search", "x", "--since", "1h", "--to", "2020-01-01", data_dir=logs["data"]), 2)
    assert err == "logwarden: --since 1h starts after --to (2020-01-01): nothing can match\n"


def test_from_to_read_in_the_zone_given(logs: dict[str, Path]) -> None:
    local = ndjson(logs["data"], "", "--from", "2020-09-29 16:46", "--to", "2020-09-29 16:48",
                   "--timezone", "Europe/Moscow")
    assert [e["raw"] for e in local] == [BOB_1, HANDLER]  # --to is exclusive
    utc = ndjson(logs["data"], "source:zimbra", "--from", "2020-09-29T13:46:01.005Z", "--to", "2020-09-29T13:48:00Z")
    assert [e["raw"] for e in utc] == [BOB_1, HANDLER]


def test_detect_says_which_format_and_why(logs: dict[str, Path], tmp_path: Path) -> None:
    out = ok(run_cli("detect", str(logs["mailbox"])))
    lines = out.splitlines()
    assert lines[0] == f"{logs['mailbox']}: zimbra_mailbox"
    assert lines[1] == "  why: 100% of the first 4 records match zimbra_mailbox (priority 10)"
    assert lines[2].split() == ["zimbra_mailbox", "100.0%"]
    found = json.loads(ok(run_cli("detect", str(logs["syslog"]), "--output", "json")))
    assert (found["path"], found["format"]) == (str(logs["syslog"]), "syslog_rfc3164")
    assert found["scores"]["syslog_rfc3164"] == 1.0 and found["reason"].startswith("100% of the first 2 records")
    text = write(tmp_path / "notes.txt", "just some words\nand more words\n")
    out = ok(run_cli("detect", str(text)))
    assert out.splitlines()[:2] == [f"{text}: no format (records are stored unparsed)",
                                    "  why: no format matches ≥30% of the first records"]
    err = failed(run_cli("detect", str(tmp_path / "nope.log")), 2)
    assert err == f"logwarden: no such file or directory: {tmp_path / 'nope.log'}\n"


def test_formats_lists_every_format(logs: dict[str, Path]) -> None:
    listed = json.loads(ok(run_cli("formats", "--output", "json")))
    names = [f["name"] for f in listed]
    assert names == sorted(names)
    assert {"zimbra_mailbox", "syslog_rfc3164", "postfix"} <= set(names)
    mailbox = next(f for f in listed if f["name"] == "zimbra_mailbox")
    assert (mailbox["title"], mailbox["source"], mailbox["multiline"]) == ("Zimbra mailbox.log", "zimbra", True)
    assert mailbox["samples"] >= 1
    table = ok(run_cli("formats", env={"COLUMNS": "200"}))
    assert table.splitlines()[0].split()[:2] == ["name", "┃"]
    assert any(line.startswith("zimbra_mailbox ") and "Zimbra mailbox.log" in line for line in table.splitlines())
