"""Real Postfix mail logs (kdent, lightmeter complete, NoLE, gomaillex): ingest counts and field shares.

No repository ships a collate.pl/pflogsumm result for them, so the checks are made against independent
readings of the same lines in Python: the queue id as Postfix's own collate.pl finds it (per daemon:
smtpd `QID: client=`, pickup `QID: uid=`, cleanup/qmgr `QID: `, delivery agents `QID: to=`, bounce
`QID: … notification: NEWID`), delivery statuses counted with a plain regex, the client address of
`connect from host[ip]`, and the message-id of cleanup lines.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from corpus_util import parse, read_lines, share

from conftest import run_cli

LIGHTMETER = "lightmeter-controlcenter/test_files/postfix_logs/complete.tar.gz.extracted/logs_sample"
FILES = [
    "kdent-postfix_log_analysis/mail.log",
    "kdent-postfix_log_analysis/mail2.log",
    "kdent-postfix_log_analysis/mail3.log",
    f"{LIGHTMETER}/mail.log",
    f"{LIGHTMETER}/mail.log.1",
    "NoLE-MailLog/mail.log",
    "MensEtManus-gomaillex/maillog",
]

POSTFIX = re.compile(r"^\S+ +\d+ \d\d:\d\d:\d\d \S+ (postfix(?:-[^/\s]+)?)/(?:\S+/)?([\w-]+)\[\d+\]: (.*)$")
AGENTS = {"discard", "error", "lmtp", "local", "pipe", "smtp", "virtual"}
NOT_QID = {"warning", "error", "fatal", "panic", "statistics", "NOQUEUE"}


def collate_qid(line: str) -> str:
    """The queue id collate.pl (Postfix auxiliary/collate) would file this line under, or ''."""
    m = POSTFIX.match(line)
    if not m:
        return ""
    command, rest = m.group(2), m.group(3)
    rules = {"smtpd": r"(\w+): client=", "pickup": r"(\w+): uid=", "cleanup": r"(\w+): ",
             "qmgr": r"(\w+): ", "bounce": r"(\w+): .*? notification: \w+$"}
    pattern = rules.get(command) or (r"(\w+): to=" if command in AGENTS else "")
    q = re.match(pattern, rest) if pattern else None
    return q.group(1) if q and q.group(1) not in NOT_QID else ""


# Measured on these files (records, share with a time, collate.pl queue ids we agree with):
#   kdent mail.log 6646, mail2.log 11061, mail3.log 5222; lightmeter mail.log 2252, mail.log.1 5282;
#   NoLE 1368; gomaillex 999 — 100% with a time, 100% of the queue ids, statuses and connect addresses.
MIN_TS = 0.995
MIN_QID = 0.995


@pytest.mark.parametrize("rel", FILES, ids=[f.replace(LIGHTMETER, "lightmeter") for f in FILES])
def test_mail_log_fields(corpora: Path, registry, engine, rel: str) -> None:
    path = corpora / rel
    lines = read_lines(path)
    found = registry.detect(lines, path.name)
    assert found.spec is not None and found.spec.name == "postfix", found.reason
    events = parse(engine, found.spec, lines)
    parsed = [e for e in events if e["format"] == "postfix"]
    timed = [e for e in parsed if not e["ts_inferred"]]
    assert share(len(timed), len(events)) >= MIN_TS, f"{len(timed)}/{len(events)} with a time"

    expected_qids = [(collate_qid(line), e) for line, e in zip(lines, events, strict=True)]
    expected_qids = [(q, e) for q, e in expected_qids if q]
    agree = sum(1 for q, e in expected_qids if e.get("queue_id") == q)
    assert expected_qids
    assert share(agree, len(expected_qids)) >= MIN_QID, f"{agree}/{len(expected_qids)} queue ids agree"

    want_status = Counter(m.group(1) for line in lines if POSTFIX.match(line)
                          for m in [re.search(r"\bstatus=([\w-]+)", line)] if m)
    got_status = Counter(e["status"] for e in parsed if e.get("status") and "status=" in e["raw"])
    assert got_status == want_status

    for line, e in zip(lines, events, strict=True):
        m = re.search(r"\]: connect from [^\s\[]*\[([0-9a-fA-F.:]+)\]$", line)
        if m:
            assert e.get("client_ip") == m.group(1), line
        m = re.search(r"/cleanup\[\d+\]: \w+: message-id=<([^>]*)>", line)
        if m:
            assert e.get("message_id") == m.group(1), line
        if POSTFIX.match(line):
            assert e.get("level") in ("info", "warn", "error", "fatal"), line


def test_mail_logs_ingest(corpora: Path, tmp_path: Path) -> None:
    """The same files through `logwarden ingest`: each detected as postfix, ≥ 99.5% of records parsed."""
    paths = [str(corpora / rel) for rel in FILES]
    done = run_cli("ingest", *paths, "--output", "json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    files = report["files"] if isinstance(report, dict) else report
    assert len(files) == len(FILES)
    for item in files:
        assert item["format"] == "postfix", item
        assert item["records"] > 900
        assert item["unparsed"] <= 0.005 * item["records"], item
