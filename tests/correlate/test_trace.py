"""`correlate.trace`: one id, every record carrying it, across sources and hosts, oldest first.

Real lines of the seeds' systems are ingested into the module's engine: Directum RX web server and worker
service on two hosts (one action `cl-3b6fac8b` of two HTTP requests and one RabbitMQ message), a Postfix
mail.log, and JSON lines with a reqId-like request_id."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from logwarden.correlate.trace import trace
from logwarden.errors import UsageError
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs


def _rx(t: str, level: str, tr: str, mt: str) -> str:
    return (f'{{"t":"2024-05-06 {t}+03:00","l":"{level}","tr":"{tr}","lg":"Sungero.Web.Server",'
            f'"mt":"{mt}","tn":"DirectumRX"}}')


WEB = [  # rx01: two requests of the action cl-3b6fac8b, and another action
    _rx("10:00:00.100", "Debug", "cl-3b6fac8b-9d4d0c", "Request GET /DirectumRX/Client/api/doc started"),
    _rx("10:00:00.200", "Info", "ws-11111111-222222", "Other action"),
    _rx("10:00:00.900", "Info", "cl-3b6fac8b-9d4d0c", "Request GET /DirectumRX/Client/api/doc completed"),
    _rx("10:00:02.000", "Error", "cl-3b6fac8b-0a1b2c", "Unhandled exception while saving the document"),
]
WORKER = [  # rx02: the action's RabbitMQ message, between the web server's records in time
    _rx("10:00:00.500", "Info", "cl-3b6fac8b-50bd4ac762", "Async handler IndexDocument started"),
    _rx("10:00:01.500", "Info", "ws-99999999-50bd4ac762", "Async handler of another trace"),
]
MAIL = [
    "Oct 13 10:17:00 mail postfix/pickup[4089]: 4FF14284F45: uid=1034 from=<user@mail.company.ru>",
    "Oct 13 10:17:00 mail postfix/cleanup[26776]: 4FF14284F45: message-id=<20201013101700.user@mail.company.ru>",
    "Oct 13 10:17:00 mail postfix/qmgr[9946]: 4FF14284F45: from=<user@mail.company.ru>, size=1387, nrcpt=1 (queue active)",
    "Oct 13 10:17:07 mail postfix/smtpd[21777]: connect from zimbra.corp.ru[10.0.0.4]",
    "Oct 13 10:17:08 mail postfix/smtpd[21777]: 0CB69282F4E: client=zimbra.corp.ru[10.0.0.4]",
    ("Oct 13 10:17:00 mail postfix/smtp[7516]: 4FF14284F45: to=<client@example.com>, relay=mx.example.com[198.51.100.4]:25, "
    "delay=0.25, delays=0.02/0.02/0.16/0.06, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 878833424CF)"),
    "Oct 13 10:17:00 mail postfix/qmgr[9946]: 4FF14284F45: removed",
]
APP = [
    '{"time":"2024-05-06T07:00:05Z","level":"info","msg":"getChatInfo","request_id":"21257-1606742661"}',
    '{"time":"2024-05-06T07:00:09Z","level":"error","msg":"Request timed out","request_id":"21257-1606742661"}',
    '{"time":"2024-05-06T07:00:10Z","level":"info","msg":"getPrivacySettings","request_id":"1-1606731232"}',
    # The id only as a JSON escape in the text: the text index cannot narrow to it, the fallback finds it.
    '{"time":"2024-05-06T07:00:11Z","level":"info","msg":"escaped","request_id":"x\\u0041BCDEF"}',
]


@pytest.fixture(scope="module")
def store(engine, registry, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("trace")
    for rel, lines, host in (("rx01/WebServer.log", WEB, "rx01"), ("rx02/WorkerService.log", WORKER, "rx02"),
                             ("mta/mail.log", MAIL, ""), ("app/events.jsonl", APP, "app01")):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        ingestor = Ingestor(engine, registry, IngestOptions(host=host, timezone="UTC"))
        for inp in open_inputs(path):
            assert not ingestor.ingest(inp).error
    return engine


def _texts(rows: list[dict]) -> list[str]:
    return [r["raw"] for r in rows]


@pytest.mark.parametrize("trace_id,expected", [
    # Directum TraceId: every request and message of the action, across both hosts, in time order.
    ("cl-3b6fac8b", [WEB[0], WORKER[0], WEB[2], WEB[3]]),
    # The TraceId without its application prefix.
    ("3b6fac8b", [WEB[0], WORKER[0], WEB[2], WEB[3]]),
    # The whole tr: one request.
    ("cl-3b6fac8b-9d4d0c", [WEB[0], WEB[2]]),
    # The RequestId alone, and a MessageId alone.
    ("9d4d0c", [WEB[0], WEB[2]]),
    ("50bd4ac762", [WORKER[0], WORKER[1]]),
    ("ws-99999999", [WORKER[1]]),
    # A reqId-like request_id.
    ("21257-1606742661", APP[:2]),
    ("xABCDEF", [APP[3]]),
    # Postfix queue id: its lines only, not the other message's.
    ("4FF14284F45", [MAIL[0], MAIL[1], MAIL[2], MAIL[5], MAIL[6]]),
    ("0CB69282F4E", [MAIL[4]]),
    ("nothing-here", []),
])
def test_trace_finds_every_record(store, trace_id: str, expected: list[str]) -> None:
    assert _texts(trace(store, trace_id)) == expected


def test_trace_spans_hosts_and_origins_in_time_order(store) -> None:
    rows = trace(store, "cl-3b6fac8b")
    assert [r["host"] for r in rows] == ["rx01", "rx02", "rx01", "rx01"]
    assert len({r["origin"] for r in rows}) == 2
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
    assert {r["trace_id"] for r in rows} == {"cl-3b6fac8b"}
    assert [r["request_id"] for r in rows] == ["9d4d0c", "50bd4ac762", "9d4d0c", "0a1b2c"]


def test_trace_limit_and_time_range(store) -> None:
    assert _texts(trace(store, "cl-3b6fac8b", limit=2)) == [WEB[0], WORKER[0]]
    later = trace(store, "cl-3b6fac8b", time_from=datetime(2024, 5, 6, 7, 0, 0, 600000))
    assert _texts(later) == [WEB[2], WEB[3]]
    assert _texts(trace(store, "cl-3b6fac8b", time_to=datetime(2024, 5, 6, 7, 0, 0, 600000))) == [WEB[0], WORKER[0]]


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "x" * 300])
def test_trace_rejects_what_is_not_an_id(store, bad: str) -> None:
    with pytest.raises(UsageError):
        trace(store, bad)


def test_directum_tr_parts_are_fields(store) -> None:
    row = trace(store, "cl-3b6fac8b-50bd4ac762")[0]
    assert row["fields"]["tr"] == "cl-3b6fac8b-50bd4ac762"
    assert row["fields"]["trace_app"] == "cl"
    assert row["fields"]["message_id"] == "50bd4ac762"


def test_cli_trace(tmp_path: Path) -> None:
    from conftest import run_cli

    log = tmp_path / "WebServer.log"
    log.write_text("".join(line + "\n" for line in WEB), encoding="utf-8")
    data = tmp_path / "data"
    assert run_cli("ingest", str(log), data_dir=data).returncode == 0
    done = run_cli("trace", "cl-3b6fac8b", "--output", "raw", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == [WEB[0], WEB[2], WEB[3]]
    table = run_cli("trace", "cl-3b6fac8b-0a1b2c", data_dir=data, env={"COLUMNS": "200"})
    assert table.returncode == 0 and "Unhandled exception" in table.stdout.decode()
    missing = run_cli("trace", "cl-00000000", data_dir=data)
    assert missing.returncode == 1 and missing.stdout == b""
    assert "no record carries 'cl-00000000'" in missing.stderr.decode()
    assert b"Traceback" not in missing.stderr
