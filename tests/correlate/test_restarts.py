"""`correlate.restarts`: service starts from each format's declared start-up patterns, each with the records
just before it in its own file — the Zimbra seed's way to find the error that brought a server down."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from logwarden.correlate.restarts import restarts, startup_patterns
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs

FATAL = ("2020-09-29 16:49:58,001 FATAL [MailboxPurge] [] system - Fatal error; shutting down the server\n"
         "java.lang.OutOfMemoryError: Java heap space\n"
         "\tat com.zimbra.cs.index.LuceneIndex.search(LuceneIndex.java:517)")
MAILBOX = [
    "2020-09-29 16:45:00,000 INFO  [main] [] misc - Starting up",                       # 0: a start at seq 0
    "2020-09-29 16:45:01,000 INFO  [main] [] misc - Server started",                    # 1: the same start
    "2020-09-29 16:47:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - SearchRequest",
    "2020-09-29 16:48:00,000 ERROR [LmtpServer-7] [] lmtp - handler exception",
    "2020-09-29 16:49:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - GetMsgRequest",
    FATAL,                                                                              # 5: the cause
    "2020-09-29 16:51:02,004 INFO  [main] [] misc - Starting Zimbra Collaboration Suite 9.0.0_GA_4273",  # 6
    "2020-09-29 16:51:03,000 INFO  [main] [] soap - Servlet SoapServlet starting up",
    "2020-09-29 16:51:05,000 INFO  [main] [] misc - Jetty server started: https://mail.corp.ru:8443",   # same start
    "2020-09-29 17:30:00,000 WARN  [qtp-9] [] soap - slow request",
    "2020-09-29 17:40:00,000 INFO  [main] [] misc - Server started",                    # 10: a second start
]
MAIL = [
    "Sep 29 16:40:00 mta01 postfix/qmgr[9946]: 4FF14284F45: removed",
    "Sep 29 16:50:00 mta01 postfix/postfix-script[100]: stopping the Postfix mail system",
    "Sep 29 16:50:00 mta01 postfix/master[15019]: terminating on signal 15",
    "Sep 29 16:50:02 mta01 postfix/master[15301]: daemon started -- version 3.4.14, configuration /etc/postfix",
]
SYSLOG = [
    "Sep 29 16:40:00 web01 systemd[1]: Started Session 42 of User root.",   # a login, not a service start
    "Sep 29 16:41:00 web01 kernel: Out of memory: Killed process 812 (nginx)",
    "Sep 29 16:41:02 web01 systemd[1]: Started The nginx HTTP and reverse proxy server.",
]
RX = [
    ('{"t":"2020-09-29 20:00:00.000+03:00","l":"Fatal","lg":"Sungero.Reporting.Server.Host",'
    '"mt":"Application is stopping due to an unhandled exception.","tn":"DirectumRX"}'),
    ('{"t":"2020-09-29 20:01:00.000+03:00","l":"Info","lg":"Microsoft.Hosting.Lifetime",'
    '"mt":"Now listening on: http://[::]:44310","tn":"DirectumRX"}'),
    ('{"t":"2020-09-29 20:01:00.500+03:00","l":"Info","lg":"Microsoft.Hosting.Lifetime",'
    '"mt":"Application started. Press Ctrl+C to shut down.","tn":"DirectumRX"}'),
]
FILES = {"zimbra/mailbox.log": MAILBOX, "mta/mail.log": MAIL, "web01/syslog": SYSLOG, "rx/WebServer.log": RX}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("restarts")
    mtime = datetime(2020, 10, 1).timestamp()  # the year of the syslog lines
    for rel, records in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(r + "\n" for r in records), encoding="utf-8")
        os.utime(path, (mtime, mtime))
    return root


@pytest.fixture(scope="module")
def store(engine, registry, root: Path):
    for rel in FILES:
        ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
        for inp in open_inputs(root / rel):
            assert not ingestor.ingest(inp).error
    return engine


def _starts(rows: list[dict]) -> list[str]:
    return [r["raw"] for r in rows]


def test_every_declared_start_found_once_per_start(store, registry) -> None:
    got = restarts(store, registry=registry)
    assert _starts(got) == [SYSLOG[2], MAILBOX[0], MAIL[3], MAILBOX[6], RX[1], MAILBOX[10]]


@pytest.mark.parametrize("start,before,expected", [
    (MAILBOX[6], 1, [FATAL]),
    (MAILBOX[6], 3, [MAILBOX[3], MAILBOX[4], FATAL]),
    (MAILBOX[0], 5, []),                       # a start at the top of its file has nothing before it
    (MAILBOX[10], 2, [MAILBOX[9]]),           # not past the previous start's own start-up lines
    (MAILBOX[10], 5, [MAILBOX[9]]),
    (MAIL[3], 2, [MAIL[1], MAIL[2]]),
    (SYSLOG[2], 5, SYSLOG[:2]),                # the file's start bounds the window
    (RX[1], 1, [RX[0]]),
    (MAILBOX[6], 0, []),
])
def test_records_before_each_start_come_from_its_own_file(store, registry, start: str, before: int,
                                                          expected: list[str]) -> None:
    got = {r["raw"]: r for r in restarts(store, before=before, registry=registry)}
    assert [r["raw"] for r in got[start]["before"]] == expected


@pytest.mark.parametrize("start,cause", [
    (MAILBOX[6], FATAL),          # the FATAL, not the earlier ERROR
    (MAILBOX[10], MAILBOX[9]),    # a WARN is the worst there
    (RX[1], RX[0]),
    (MAIL[3], None),              # nothing worse than info before Postfix's start
])
def test_cause_is_the_most_severe_record_before(store, registry, start: str, cause: str | None) -> None:
    got = {r["raw"]: r for r in restarts(store, before=5, registry=registry)}
    found = got[start]["cause"]
    assert (found["raw"] if found else None) == cause


@pytest.mark.parametrize("service,expected", [
    ("mailbox", [MAILBOX[0], MAILBOX[6], MAILBOX[10]]),   # the service column
    ("zimbra", [MAILBOX[0], MAILBOX[6], MAILBOX[10]]),    # the system (source)
    ("postfix", [MAIL[3]]),
    ("nginx", [SYSLOG[2]]),                               # named by the start-up line (systemd's unit)
    ("directum_rx", [RX[1]]),                             # the format
    ("keycloak", []),
])
def test_service_filter(store, registry, service: str, expected: list[str]) -> None:
    assert _starts(restarts(store, service=service, registry=registry)) == expected


def test_time_range(store, registry) -> None:
    got = restarts(store, registry=registry, time_from=datetime(2020, 9, 29, 16, 50), time_to=datetime(2020, 9, 29, 17))
    assert _starts(got) == [MAIL[3], MAILBOX[6]]


def test_engine_matches_startup_patterns_as_re2_does(engine, registry) -> None:
    """Every format's samples: the engine's match() of the combined pattern agrees with RE2 in Python."""
    import re2

    patterns = startup_patterns(registry)
    assert {"zimbra_mailbox", "postfix", "syslog_rfc3164", "directum_rx"} <= set(patterns)
    for name, pattern in patterns.items():
        lines = [s.line for s in registry.get(name).samples]
        got = engine.rows("SELECT match(l, {p:String}) AS m FROM (SELECT arrayJoin({ls:Array(String)}) AS l)",
                          {"p": pattern, "ls": lines})
        want = [bool(re2.search(pattern, line)) for line in lines]
        assert [bool(r["m"]) for r in got] == want, name
        assert any(want), f"{name}: no sample proves its startup patterns"


def test_cli_restarts(root: Path, tmp_path: Path) -> None:
    from conftest import run_cli

    data = tmp_path / "data"
    assert run_cli("ingest", str(root / "zimbra"), data_dir=data).returncode == 0
    raw = run_cli("restarts", "--before", "1", "--output", "raw", data_dir=data)
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.decode() == "\n".join([MAILBOX[0], "--", FATAL, MAILBOX[6], "--", MAILBOX[9], MAILBOX[10]]) + "\n"
    table = run_cli("restarts", data_dir=data, env={"COLUMNS": "200"})
    lines = table.stdout.decode().splitlines()
    assert table.returncode == 0 and sum(ln.startswith(">") for ln in lines) == 3
    assert any(ln.startswith("!") and "FATAL" in ln for ln in lines)
    bad = run_cli("restarts", "--before", "-1", data_dir=data)
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
