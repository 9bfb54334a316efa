"""The demo generator: same bytes every run, every file laid out as on a server, coherent content."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from logwarden.demo.generate import MIXED_SHARES, PLANTED_QUEUE_ID, demo_is_current, write_demo, write_mixed
from logwarden.demo.server_tree import LINES as SERVER_LINES

# file (relative to the demo root) → lines at scale 1 (for archives: lines of the member)
EXPECTED = {
    "zimbra/mailbox.log": 4000,
    "zimbra/mailbox.log.2026-03-01.tar.gz": 2000,
    "zimbra/audit.log": 2000,
    "mta/mail.log": 5000,
    "mta/mail.log.1.gz": 2500,
    "web/access.log": 4000,
    "directum/WebServer.log": 2000,
    "directum/WorkerService.log": 1000,
    "directum/NomadService.log": 600,
    "syslog/syslog": 2500,
    "syslog/rfc5424.log": 1500,
    "app/events.jsonl": 1500,
    "windows/snare.log": 1500,
    "vkteams/client-logs/ivan.petrov.log": 3620,  # request/response blocks: lines vary, blank lines belong
    "vkteams/client-logs/olga.smirnova.log": 2601,
    "cdn/cdn_access.tsv": 3001,  # a header line, then the requests
    "cdn/cdn_access.2026-03-01.tsv.gz": 1501,
    "portal/auth_log.xlsx": 466,  # .xlsx: the rows of its sheet, read as ingest reads them
    "portal/actions_log.xlsx": 120,
    "portal/password_import_log.xlsx": 37,
    "portal/impersonation_log.xlsx": 31,
    "portal/errors_log.xlsx": 60,
    "portal/users_log.xlsx": 40,
    "portal/services_log.xlsx": 30,
    "portal/webhooks_log.xlsx": 50,
    "portal/points_log.jsonl": 20,
}
EXPECTED.update(SERVER_LINES)  # VK Teams server logs and Zimbra's other logs (demo/server_tree.py)
BLOCK_LOGS = ("vkteams/",)  # multi-line blocks with blank lines inside (VK Teams client logs)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_demo(root)
    return root


def read_lines(path: Path) -> list[str]:
    """Lines of a plain, .gz or .tar.gz log (a tar's single member)."""
    if path.name.endswith(".tar.gz"):
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(tar.getmembers()[0])
            assert member is not None
            data = member.read()
    elif path.suffix == ".gz":
        data = gzip.decompress(path.read_bytes())
    elif path.suffix == ".xlsx":  # a journal export: its rows as the JSON lines ingest makes of them
        from logwarden.ingest.xlsx import xlsx_inputs

        data = b"".join(inp.stream.read() for inp in xlsx_inputs(path, path.stat()))  # type: ignore[union-attr]
    else:
        data = path.read_bytes()
    text = data.decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def test_same_bytes_every_run(demo: Path, tmp_path: Path) -> None:
    again = write_demo(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in again) == sorted(EXPECTED)
    for rel in EXPECTED:
        assert (demo / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_every_file_present(demo: Path) -> None:
    found = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file() and p.name != ".demo-version"}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_line_counts(demo: Path, rel: str) -> None:
    lines = read_lines(demo / rel)
    assert len(lines) == EXPECTED[rel]
    assert all(lines) or rel.startswith(BLOCK_LOGS), "no empty lines"


def test_zimbra_rotation_is_a_tar_gz_holding_the_dated_log(demo: Path) -> None:
    with tarfile.open(demo / "zimbra/mailbox.log.2026-03-01.tar.gz", "r:gz") as tar:
        assert tar.getnames() == ["mailbox.log.2026-03-01"]
    lines = read_lines(demo / "zimbra/mailbox.log.2026-03-01.tar.gz")
    assert lines[0].startswith("2026-03-01 ")


def test_rotated_mail_log_is_gzip(demo: Path) -> None:
    with gzip.open(demo / "mta/mail.log.1.gz", "rt", encoding="utf-8") as f:
        first = f.readline()
    assert re.match(r"Mar  1 \d\d:\d\d:\d\d mta01 postfix/", first)


def test_demo_version_stamp(demo: Path, tmp_path: Path) -> None:
    assert demo_is_current(demo)
    assert not demo_is_current(demo, scale=2)
    assert not demo_is_current(tmp_path)


# -- Zimbra ----------------------------------------------------------------------------------------
ZIMBRA_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO |WARN |ERROR|FATAL) \[[^\]]*\] \[[^\]]*\] \S+ - ")


def test_mailbox_log_records_and_stack_traces(demo: Path) -> None:
    lines = read_lines(demo / "zimbra/mailbox.log")
    records = [ln for ln in lines if ZIMBRA_RECORD.match(ln)]
    continuation = [ln for ln in lines if not ZIMBRA_RECORD.match(ln)]
    assert lines[0] in records
    assert any(ln.startswith("\tat com.zimbra.") for ln in continuation)
    assert any(ln.startswith("Caused by: ") for ln in continuation)
    assert all(ln.startswith(("\tat ", "\t... ", "Caused by: ", "ExceptionId:", "Code:")) or
               re.match(r"^[a-z][\w.$]*(Exception|Error)\b", ln) for ln in continuation), continuation[:5]
    levels = Counter(ln[24:29].strip() for ln in records)
    assert set(levels) == {"INFO", "WARN", "ERROR", "FATAL"}
    cats = {ln.split("] ", 2)[2].split(" - ", 1)[0] for ln in records}
    assert {"soap", "mailop", "lmtp", "imap", "pop", "account", "security", "zimlet", "SoapEngine"} <= cats
    text = "\n".join(lines)
    for needle in ("handler exception", "[LmtpServer-", "[ImapServer-", "[ImapSSLServer-", "[Pop3Server-",
                   "[Pop3SSLServer-", "invalid password"):
        assert needle in text, needle


def test_mailbox_restart_follows_a_fatal(demo: Path) -> None:
    lines = read_lines(demo / "zimbra/mailbox.log")
    fatal = next(i for i, ln in enumerate(lines) if " FATAL " in ln)
    after = [ln for ln in lines[fatal + 1:fatal + 30] if ZIMBRA_RECORD.match(ln)]
    assert "misc - Starting Zimbra Collaboration Suite" in after[0]
    assert any("Jetty server started" in ln for ln in after)


def test_audit_log_has_successes_and_failures(demo: Path) -> None:
    lines = read_lines(demo / "zimbra/audit.log")
    assert all(ZIMBRA_RECORD.match(ln) and " security - cmd=" in ln for ln in lines)
    failed = [ln for ln in lines if "error=authentication failed for [" in ln and ln.endswith("invalid password;")]
    ok = [ln for ln in lines if "error=" not in ln]
    assert len(failed) > 50 and len(ok) > 500
    # attackers: a few addresses behind many failures
    ips = Counter(re.search(r"oip=([^;]+);", ln).group(1) for ln in failed)  # type: ignore[union-attr]
    assert ips.most_common(1)[0][1] >= 20


# -- Postfix ---------------------------------------------------------------------------------------
QID = r"[0-9A-F]{10,12}"


@pytest.mark.parametrize("rel", ["mta/mail.log", "mta/mail.log.1.gz"])
def test_postfix_queue_ids_are_consistent(demo: Path, rel: str) -> None:
    lines = read_lines(demo / rel)
    queued: set[str] = set()
    for ln in lines:
        assert re.match(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d mta01 (postfix/[\w/]+|amavis)\[\d+\]: ", ln), ln
        if m := re.search(rf"postfix/qmgr\[\d+\]: ({QID}): from=<", ln):
            queued.add(m.group(1))
        elif m := re.search(rf": ({QID}): to=<", ln):
            assert m.group(1) in queued, f"to= before qmgr from= for {m.group(1)}"
    assert len(queued) > 100


def test_postfix_flows(demo: Path) -> None:
    lines = read_lines(demo / "mta/mail.log")
    text = "\n".join(lines)
    for needle in ("connect from ", ": client=", ": message-id=<", ", size=", ", nrcpt=", " orig_to=<",
                   "relay=127.0.0.1[127.0.0.1]:10024", "MTA(smtp:[127.0.0.1]:10025)", "relay=mailstore01.corp.ru",
                   "status=sent (", "status=deferred (", "status=bounced (", ": removed", "postfix/pickup[",
                   "postfix/local[", "postfix/bounce[", "amavis[", "NOQUEUE: reject: RCPT from ",
                   "SASL LOGIN authentication failed"):
        assert needle in text, needle
    # re-injection: "queued as NEW" names a queue ID that got its own qmgr line
    new_ids = set(re.findall(rf":10025\): 250 2\.0\.0 Ok: queued as ({QID})\)", text))
    assert new_ids and all(f"{q}: from=<" in text for q in new_ids)
    # bounces: the notification has its own queue ID from the null sender
    notes = re.findall(rf"sender non-delivery notification: ({QID})", text)
    assert notes and all(f"{q}: from=<>, " in text for q in notes)
    assert re.search(r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=\d\.\d\.\d, ", text)


# -- the other formats -----------------------------------------------------------------------------
def test_access_log_is_combined_format(demo: Path) -> None:
    pattern = re.compile(r'^(\S+) - (\S+) \[(\d\d/\w{3}/2026:\d\d:\d\d:\d\d \+0300)\] "(\w+) (\S+) HTTP/[\d.]+" '
                         r'(\d{3}) (\d+) "([^"]*)" "([^"]*)"$')
    statuses, methods, v6 = Counter(), Counter(), 0
    for ln in read_lines(demo / "web/access.log"):
        m = pattern.match(ln)
        assert m, ln
        statuses[m.group(6)[0]] += 1
        methods[m.group(4)] += 1
        v6 += ":" in m.group(1)
    assert set(statuses) == {"2", "3", "4", "5"}
    assert {"GET", "POST"} <= set(methods)
    assert v6 > 10


def test_directum_lines_are_json_with_rx_attributes(demo: Path) -> None:
    levels: Counter[str] = Counter()
    seen: set[str] = set()
    for name in ("WebServer", "WorkerService", "NomadService"):
        for ln in read_lines(demo / f"directum/{name}.log"):
            rec = json.loads(ln)
            levels[rec["l"]] += 1
            seen |= rec.keys()
            assert re.fullmatch(r"2026-03-0\d \d\d:\d\d:\d\d\.\d{3}\+03:00", rec["t"])
            if "tr" in rec:
                assert re.fullmatch(r"[a-z]{2}-[0-9a-f]{8}-([0-9a-f]{6}|[0-9a-f]{10})", rec["tr"]), rec["tr"]
            for placeholder in re.findall(r"\{(\w+)\}", rec.get("mt", "")):
                assert placeholder in rec["args"], (placeholder, ln)
            if "ex" in rec:
                assert {"type", "m"} <= rec["ex"].keys()
            if rec.get("un", "").startswith("CORP"):
                assert re.fullmatch(r"CORP\\[a-z]+_[a-z]{2}", rec["un"])
    assert {"Trace", "Debug", "Info", "Warning", "Error", "Fatal"} <= set(levels)
    assert {"t", "l", "mt", "args", "ex", "span", "tr", "lg", "v", "un", "tn", "application", "userAgent",
            "requestNumber", "requestUrl", "ip", "nomadVersion"} <= seen


def test_generic_json_lines(demo: Path) -> None:
    recs = [json.loads(ln) for ln in read_lines(demo / "app/events.jsonl")]
    assert all(list(r)[:3] == ["time", "level", "msg"] for r in recs)
    assert {r["level"] for r in recs} == {"debug", "info", "warn", "error"}


def test_bsd_syslog_spans_the_new_year(demo: Path) -> None:
    lines = read_lines(demo / "syslog/syslog")
    pattern = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) ([\w.-]+) ([\w-]+)(\[\d+\])?: ")
    assert all(pattern.match(ln) for ln in lines)
    assert lines[0].startswith("Dec 30 ") and lines[-1].startswith("Jan  2 ")
    text = "\n".join(lines)
    for needle in ("sshd[", "Failed password for ", "Accepted password for ", "CRON[", " kernel: ["):
        assert needle in text, needle


def test_rfc5424_with_and_without_structured_data(demo: Path) -> None:
    pattern = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(\[[^\]]+\])+) ")
    with_sd = without = 0
    for ln in read_lines(demo / "syslog/rfc5424.log"):
        m = pattern.match(ln)
        assert m, ln
        assert int(m.group(1)) < 192
        datetime.fromisoformat(m.group(2))
        with_sd += m.group(7) != "-"
        without += m.group(7) == "-"
    assert with_sd > 100 and without > 100


def _times(demo: Path) -> Iterator[tuple[str, list[str]]]:
    yield "zimbra/mailbox.log", [ln[:23] for ln in read_lines(demo / "zimbra/mailbox.log") if ZIMBRA_RECORD.match(ln)]
    yield "zimbra/audit.log", [ln[:23] for ln in read_lines(demo / "zimbra/audit.log")]
    yield "directum/WebServer.log", [json.loads(ln)["t"] for ln in read_lines(demo / "directum/WebServer.log")]
    yield "app/events.jsonl", [json.loads(ln)["time"] for ln in read_lines(demo / "app/events.jsonl")]
    yield "syslog/rfc5424.log", [ln.split(" ")[1] for ln in read_lines(demo / "syslog/rfc5424.log")]
    yield "web/access.log", [datetime.strptime(ln.split("[", 1)[1][:20], "%d/%b/%Y:%H:%M:%S").isoformat()
                             for ln in read_lines(demo / "web/access.log")]
    yield "mta/mail.log", [datetime.strptime("2026 " + ln[:15], "%Y %b %d %H:%M:%S").isoformat()
                           for ln in read_lines(demo / "mta/mail.log")]


def test_timestamps_increase_within_a_file(demo: Path) -> None:
    for rel, stamps in _times(demo):
        assert stamps == sorted(stamps), rel
        assert stamps[0] < stamps[-1], rel


# -- write_mixed -----------------------------------------------------------------------------------
def test_write_mixed(tmp_path: Path) -> None:
    files = write_mixed(tmp_path / "a", 20_000)
    assert [p.name for p in files] == list(MIXED_SHARES)
    counts = {p.name: len(read_lines(p)) for p in files}
    assert sum(counts.values()) == 20_000
    for name, share in MIXED_SHARES.items():
        assert abs(counts[name] / 20_000 - share) < 0.01, name
    planted = [ln for ln in read_lines(tmp_path / "a/mail.log") if PLANTED_QUEUE_ID in ln]
    assert 3 <= len(planted) <= 10
    # one format per file
    assert all(re.match(r"^[A-Z][a-z]{2} [ \d]\d ", ln) for ln in read_lines(tmp_path / "a/mail.log"))
    assert all(ln.startswith("{") for ln in read_lines(tmp_path / "a/directum.log"))
    assert all(" HTTP/" in ln for ln in read_lines(tmp_path / "a/access.log"))
    # and the same bytes, in parallel or not
    again = write_mixed(tmp_path / "b", 20_000, workers=2)
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(files, again, strict=True))
