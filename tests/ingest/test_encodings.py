"""Records that are not valid UTF-8 (a CP1251 log, a cut multi-byte character) are parsed like any other,
and their raw text is stored and given back byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

CP1251 = "Ошибка входа пользователя".encode("cp1251")
LINES = [
    b"Oct 13 10:17:00 mail sshd[4089]: " + CP1251 + b" ivanov from 203.0.113.7",
    b"Oct 13 10:17:01 mail postfix/smtpd[77]: 4FF14284F45: client=unknown[198.51.100.9], sasl_username=" + CP1251,
    b"Oct 13 10:17:02 mail sshd[4090]: cut \xd0 in the middle, then more text",
]


def test_non_utf8_records_parse_and_come_back_exactly(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_bytes(b"\n".join(LINES) + b"\n")
    data = tmp_path / "data"
    proc = run_cli("ingest", str(log), "--format", "postfix", "--output", "json", data_dir=data)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["unparsed"] == 0
    rows = [json.loads(x) for x in run_cli("search", "*", "--output", "ndjson", data_dir=data).stdout.splitlines()]
    by_pid = {r.get("pid"): r for r in rows}
    assert set(by_pid) == {"4089", "77", "4090"}
    assert by_pid["77"]["queue_id"] == "4FF14284F45" and by_pid["77"]["client_ip"] == "198.51.100.9"
    assert by_pid["4090"]["service"] == "sshd"
    raw = run_cli("search", "*", "--output", "raw", "--limit", "0", data_dir=data).stdout
    assert raw == b"\n".join(LINES) + b"\n"
