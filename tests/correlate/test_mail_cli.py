"""`logwarden mail` as a user runs it (a subprocess on its own data directory), and where its default mode
does better than collate.pl on the same file (each case checked against the real collate.pl)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from mail_lines import write_log

from conftest import SHARED, run_cli

COLLATE_PL = SHARED / "tools" / "collate.pl"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data dir, log file): the scenario log ingested by `logwarden ingest`."""
    root = tmp_path_factory.mktemp("mailcli")
    log = write_log(root / "mta" / "mail.log")
    done = run_cli("ingest", str(log), data_dir=root / "data")
    assert done.returncode == 0, done.stderr.decode()
    return root / "data", log


def mail(data: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_cli("mail", *args, data_dir=data[0])


def collate_pl(log: Path) -> str:
    if shutil.which("perl") is None or not COLLATE_PL.is_file():
        pytest.skip("perl or ../shared/tools/collate.pl is not available")
    return subprocess.run(["perl", str(COLLATE_PL), str(log)], capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8", "surrogateescape")


def blocks_with(text: str, needle: str) -> list[str]:
    return [b for b in text.split("\n\n") if needle in b]


def test_json_message(data) -> None:
    done = mail(data, "--queue-id", "4AA091855DA0", "--output", "json")
    assert done.returncode == 0, done.stderr.decode()
    [msg] = json.loads(done.stdout)
    assert msg["queue_ids"] == ["4AA091855DA0", "776E41855DB2"] and msg["status"] == "bounced"
    assert [(r["to"], r["status"], r["dsn"]) for r in msg["recipients"]] == [("nobody@partner.ru", "bounced", "5.1.1")]
    assert msg["hops"][1]["notifications"][0]["queue_id"] == "A48191855DA0"


@pytest.mark.parametrize("args,expected", [
    (["--queue-id", "4AA091855DA0"], ["-10-13 10:20:02 UTC  mx1  4AA091855DA0 → 776E41855DB2  bounced",  # the year is the file's
                                      "  client ws12.corp.ru[10.1.2.3] sasl ivanov@corp.ru (postfix/submission/smtpd)",
                                      "  4AA091855DA0: amavis Passed CLEAN → queued as 776E41855DB2",
                                      "  776E41855DB2: sender non-delivery notification → A48191855DA0 (sent)",
                                      "      host mx.partner.ru[198.51.100.4] said: 550 5.1.1 <nobody@partner.ru> User unknown"]),
    (["--from", "sales@corp.ru"], ["  9A8B7C6D5E: expired, returned to sender", "  to <x@dead.example>: deferred dsn=4.4.1"]),
    (["--to", "root", "--status", "sent", "--limit", "1"], ["  to <admin@mx1.corp.ru> (orig <root>): sent"]),
    (["--message-id", "first@partner.ru"], ["  client gw.partner.ru[198.51.100.7] (postfix/smtpd)"]),
    (["status:milter-reject"], ["  3C4D5E6F7A: cleanup milter-reject: 5.7.1 Spam message rejected"]),
    (["--queue-id", "776E41855DB2", "--records"], ["  -- 4AA091855DA0 (6 records)\n  Oct 13 10:20:00 mx1 postfix/submission/smtpd[9708]: 4AA091855DA0: client=",
                                                   "  -- 776E41855DB2 (6 records)\n  Oct 13 10:20:00 mx1 postfix/smtpd[9715]: 776E41855DB2: client="]),
])
def test_text_output(data, args: list[str], expected: list[str]) -> None:
    done = mail(data, *args)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    for line in expected:
        assert line in text, text


@pytest.mark.parametrize("args,code,message", [
    (["--queue-id", "NOSUCHID"], 1, "no Postfix message matches"),
    (["status:>"], 2, "status"),
    (["* | stats count()"], 2, "not a stats query"),
    (["--start", "yesterday"], 2, "cannot read the time"),
    (["--status", "lost"], 2, "Invalid value for '--status'"),
    (["--collate", "--to", "root"], 2, "takes no filters"),
    (["--origin", "mail.log"], 2, "--origin goes with --collate"),
    (["--collate", "--origin", "/nonexistent/mail.log"], 2, "no stored file"),
])
def test_errors_are_plain(data, args: list[str], code: int, message: str) -> None:
    done = mail(data, *args)
    assert done.returncode == code
    assert message in done.stderr.decode() and "Traceback" not in done.stderr.decode()


def test_collate_is_collate_pl(data) -> None:
    done = mail(data, "--collate")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == collate_pl(data[1])
    one = run_cli("mail", "--collate", "--origin", str(data[1]), data_dir=data[0])
    assert one.stdout == done.stdout


def test_content_filter_is_one_message_not_two_blocks(data) -> None:
    """collate.pl files the message under each queue id separately; `mail` follows `queued as`."""
    text = collate_pl(data[1])
    [first] = blocks_with(text, "4AA091855DA0: client=")
    [second] = blocks_with(text, "776E41855DB2: client=")
    assert "776E41855DB2:" not in first and "4AA091855DA0" not in second
    [msg] = json.loads(mail(data, "--queue-id", "776E41855DB2", "--output", "json").stdout)
    assert msg["queue_ids"] == ["4AA091855DA0", "776E41855DB2"] and msg["content_filter"]


def test_reused_queue_id_keeps_both_messages(data) -> None:
    """The first use of 1B2C3D4E5F has no `removed` in the log: collate.pl overwrites it with the second
    (its lines are lost from the output); `mail` shows both messages."""
    text = collate_pl(data[1])
    assert "first@partner.ru" not in text and "Connection refused" not in text
    found = json.loads(mail(data, "--queue-id", "1B2C3D4E5F", "--output", "json").stdout)
    assert [m["message_id"] for m in found] == ["second@corp.ru", "first@partner.ru"]


def test_transaction_begun_before_the_log_is_shown(data) -> None:
    """9A8B7C6D5E's arrival is not in the log: collate.pl prints none of its lines; `mail` shows it expired."""
    text = collate_pl(data[1])
    assert "9A8B7C6D5E: from=<sales@corp.ru>, status=expired" not in text
    [msg] = json.loads(mail(data, "--queue-id", "9A8B7C6D5E", "--output", "json").stdout)
    assert msg["status"] == "expired" and msg["hops"][0]["notifications"][0]["queue_id"] == "5E6F7A8B9C"


ODD_LINES = {  # bytes as some mail logs have them; collate.pl reads bytes, `mail --collate` must print the same
    "latin-1": b"Oct 22 17:10:03 conch postfix/cleanup[1]: 1859D2412F: warning: header Subject: \xe9t\xe9 \xff from x",
    "utf-8": "Oct 22 17:10:03 conch postfix/cleanup[1]: 1859D2412F: warning: header Subject: Отчёт from x".encode(),
    "crlf": b"Oct 22 17:10:03 conch postfix/cleanup[1]: 1859D2412F: message-id=<a@b>\r",
}


@pytest.mark.parametrize("kind", ODD_LINES)
def test_collate_reads_bytes_like_collate_pl(tmp_path: Path, kind: str) -> None:
    lines = [b"Oct 22 17:10:02 conch postfix/smtpd[7]: connect from x.example[192.0.2.1]",
             b"Oct 22 17:10:02 conch postfix/smtpd[7]: 1859D2412F: client=x.example[192.0.2.1]",
             ODD_LINES[kind],
             b"Oct 22 17:10:03 conch postfix/qmgr[2]: 1859D2412F: from=<a@b>, size=1, nrcpt=1 (queue active)",
             b"Oct 22 17:10:04 conch postfix/qmgr[2]: 1859D2412F: removed"]
    log = tmp_path / "mail.log"
    log.write_bytes(b"".join(line + b"\n" for line in lines))
    assert run_cli("ingest", str(log), data_dir=tmp_path / "data").returncode == 0
    done = run_cli("mail", "--collate", data_dir=tmp_path / "data")
    assert done.stdout.count(b"\n") == 6 and done.stdout == collate_pl(log).encode("utf-8", "surrogateescape")


def test_collate_last_line_without_newline(tmp_path: Path) -> None:
    """The file's last line has no newline and ends up in a printed transaction: collate.pl prints it bare."""
    log = tmp_path / "mail.log"
    log.write_bytes(b"Oct 22 17:10:02 conch postfix/smtpd[7]: connect from x.example[192.0.2.1]\n"
                    b"Oct 22 17:10:02 conch postfix/smtpd[7]: 1859D2412F: client=x.example[192.0.2.1]")
    assert run_cli("ingest", str(log), data_dir=tmp_path / "data").returncode == 0
    done = run_cli("mail", "--collate", data_dir=tmp_path / "data")
    assert done.stdout.endswith(b"]\n") and not done.stdout.endswith(b"\n\n")
    assert done.stdout == collate_pl(log).encode("utf-8", "surrogateescape")
