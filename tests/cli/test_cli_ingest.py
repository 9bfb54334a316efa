"""`logwarden ingest` as a user runs it: outputs, exit codes, messages, and what bad input leaves behind."""

from __future__ import annotations

import gzip
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from cli_helpers import (
    AUTH_FAILED,
    BOB_1,
    HANDLER,
    MAILBOX,
    MAILBOX_RECORDS,
    SYSLOG,
    SYSLOG_RECORDS,
    failed,
    ndjson,
    ok,
    run_cli,
    store_fingerprint,
    write,
)

from logwarden.store.chdb_store import Store


def test_ingest_paths_archives_and_stdin_with_text_and_json_output(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    mailbox = write(logs / "zimbra" / "mailbox.log", MAILBOX)
    rotated = write(logs / "zimbra" / "mailbox.log.1.gz", gzip.compress(AUTH_FAILED.encode() + b"\n"))
    arc = logs / "mailbox.log.2020-09-28.tar.gz"
    with tarfile.open(arc, "w:gz") as tar:
        day_before = MAILBOX.replace("2020-09-29", "2020-09-28").encode()
        info = tarfile.TarInfo("log/mailbox.log")
        info.size = len(day_before)
        tar.addfile(info, io.BytesIO(day_before))
    data = logs / "store"  # inside the folder being ingested: its own files are never read as logs
    env = {"LOGWARDEN_DATA_DIR": str(data)}  # the directory comes from the environment here
    done = run_cli("ingest", str(logs), "-", "--timezone", "Europe/Moscow", "--host", "mbox1", "--output", "json",
                   input=SYSLOG.encode(), env=env)
    report = json.loads(ok(done))
    piped = report["files"][3]["path"]
    assert piped.startswith("stdin@20")  # each pipe is its own origin: stdin@<UTC time>
    assert report == {
        "files": [
            {"path": f"{arc.resolve()}!log/mailbox.log", "format": "zimbra_mailbox", "records": 4, "unparsed": 0},
            {"path": str(mailbox.resolve()), "format": "zimbra_mailbox", "records": 4, "unparsed": 0},
            {"path": str(rotated.resolve()), "format": "zimbra_mailbox", "records": 1, "unparsed": 0},
            {"path": piped, "format": "syslog_rfc3164", "records": 2, "unparsed": 0},
        ],
        "records": 11,
        "unparsed": 0,
    }
    assert (data / "engine").is_dir()

    # the same again, as text: one line per file, nothing added (and nothing read from the store's folder)
    text = ok(run_cli("ingest", str(logs), "-", input=SYSLOG.encode(), env=env)).splitlines()
    assert text[:3] == [f"{arc.resolve()}!log/mailbox.log: unchanged", f"{mailbox.resolve()}: unchanged",
                        f"{rotated.resolve()}: unchanged"]
    assert re.fullmatch(r"stdin@\S+: already ingested as " + re.escape(piped), text[3])
    assert text[4:] == ["4 file(s), 0 records, 0 unparsed"]

    # a grown file, as text: its format and the records its tail added
    with mailbox.open("a") as fh:
        fh.write(BOB_1.replace("16:47", "16:59") + "\n")
    text = ok(run_cli("ingest", str(mailbox), "--timezone", "Europe/Moscow", data_dir=data))
    assert text.splitlines() == [f"{mailbox.resolve()}: format=zimbra_mailbox records=1 unparsed=0",
                                 "1 file(s), 1 records, 0 unparsed"]

    events = ndjson(data)
    assert len(events) == 12
    mine = sorted((e for e in events if e["origin"] == str(mailbox.resolve())), key=lambda e: e["seq"])
    assert [e["seq"] for e in mine] == [0, 1, 2, 3, 4]
    assert mine[0]["ts"] == "2020-09-29T13:45:00.123000Z"  # read in Moscow, stored in UTC
    assert mine[0]["host"] == "mbox1"
    assert mine[1]["raw"] == HANDLER  # the stack trace is one record
    stdin = [e for e in events if e["origin"] == piped]
    assert sorted(e["raw"] for e in stdin) == sorted(SYSLOG_RECORDS)
    assert {e["host"] for e in stdin} == {"mail"}  # the record names its host: --host does not override it


def test_without_timezone_the_machines_zone_is_used(tmp_path: Path) -> None:
    data = tmp_path / "data"
    machine = {"LOGWARDEN_TIMEZONE": "", "TZ": "Asia/Yekaterinburg"}  # UTC+5, no daylight saving
    f = write(tmp_path / "mailbox.log", AUTH_FAILED + "\n")
    ok(run_cli("ingest", str(f), data_dir=data, env=machine))
    (event,) = ndjson(data)
    assert event["ts"] == "2020-09-29T11:45:00.123000Z"


def test_bad_input_gets_a_clear_message_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = write(tmp_path / "ok" / "mailbox.log", MAILBOX)
    ok(run_cli("ingest", str(good), data_dir=data))
    before = store_fingerprint(data)
    assert before[0] == 4

    # usage errors (exit 2) are found before anything is read
    later = write(tmp_path / "later" / "syslog", SYSLOG)
    err = failed(run_cli("ingest", str(later), str(tmp_path / "nope.log"), data_dir=data), 2)
    assert err == f"logwarden: no such file or directory: {tmp_path / 'nope.log'}\n"
    err = failed(run_cli("ingest", str(later), "--format", "nope", data_dir=data), 2)
    assert err.startswith("logwarden: unknown format 'nope'; known formats: ") and "zimbra_mailbox" in err
    err = failed(run_cli("ingest", str(later), "--timezone", "Mars/Olympus", data_dir=data), 2)
    assert err == ("logwarden: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Moscow or UTC\n")
    err = failed(run_cli("search", "level:", data_dir=data), 2)
    assert err.startswith("logwarden: query syntax error at column 7: missing value after 'level:'")
    assert err.endswith("  level:\n        ^\n")  # the caret points at the column
    err = failed(run_cli("search", "x", "--since", "2q", data_dir=data), 2)
    assert "cannot read the span '2q'" in err
    err = failed(run_cli("search", "x", "--from", "2020-01-02", "--to", "2020-01-01", data_dir=data), 2)
    assert "must be before --to" in err
    err = failed(run_cli("ingest", str(later), data_dir=good), 2)  # --data-dir names a file
    assert "is not a directory" in err

    # failures (exit 1): each bad file is reported, the good one still goes in
    bad = tmp_path / "bad"
    write(bad / "a.bin", os.urandom(3000) + b"\x00" * 16)
    write(bad / "b.log.gz", gzip.compress(SYSLOG.encode() * 100)[:60])
    write(bad / "c-empty.log", b"")
    (bad / "d-gone.log").symlink_to(tmp_path / "nowhere")
    write(bad / "e.tar.gz", b"plain text, not an archive\n")
    write(bad / "syslog", SYSLOG)
    done = run_cli("ingest", str(bad), data_dir=data)
    err = failed(done, 1)
    out = done.stdout.decode()
    b = bad.resolve()
    assert out.splitlines() == [
        f"{b}/a.bin: FAILED: binary file (NUL bytes in the first 8 KiB), not a log; skipped",
        f"{b}/b.log.gz: FAILED: cannot read: Compressed file ended before the end-of-stream marker was reached",
        f"{b}/c-empty.log: empty",
        f"{b}/d-gone.log: FAILED: cannot open: No such file or directory",
        f"{b}/e.tar.gz: FAILED: corrupt or unreadable archive: not a gzip file",
        f"{b}/syslog: format=syslog_rfc3164 records=2 unparsed=0",
        "6 file(s), 2 records, 0 unparsed",
    ]
    assert err.splitlines() == [
        f"logwarden: {b}/a.bin: binary file (NUL bytes in the first 8 KiB), not a log; skipped",
        f"logwarden: {b}/b.log.gz: cannot read: Compressed file ended before the end-of-stream marker was reached",
        f"logwarden: {b}/d-gone.log: cannot open: No such file or directory",
        f"logwarden: {b}/e.tar.gz: corrupt or unreadable archive: not a gzip file",
    ]

    after = ndjson(data)
    assert len(after) == 6
    assert {e["origin"] for e in after} == {str(good.resolve()), f"{b}/syslog"}
    # the events of the file stored first are exactly as they were
    assert store_fingerprint(data, origins={str(good.resolve())}) == before
    kept = [e for e in after if e["origin"] == str(good.resolve())]
    assert sorted(e["raw"] for e in kept) == sorted(MAILBOX_RECORDS)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.log", SYSLOG)
    secret.chmod(0)
    err = failed(run_cli("ingest", str(secret), data_dir=tmp_path / "data"), 1)
    assert "permission denied" in err


def test_invalid_utf8_and_a_10_mb_line_are_kept_exactly_and_ingest_stays_quiet(tmp_path: Path) -> None:
    data = tmp_path / "data"
    odd = [b"Oct 13 10:17:00 mail app[1]: bad \xff\xfe bytes \xc3\x28 here",
           b"Oct 13 10:17:01 mail app[1]: cp1251 \xcf\xf0\xe8\xe2\xe5\xf2"]
    big = b"Oct 13 10:17:02 mail app[1]: start " + b"x" * (10 << 20) + b" end"
    f = write(tmp_path / "logs" / "syslog", b"\n".join([*odd, big]) + b"\n")
    done = run_cli("ingest", str(f), data_dir=data)
    # more than 8 MB but no terminal: no progress bar, nothing on stderr
    assert ok(done).splitlines() == [f"{f}: format=syslog_rfc3164 records=3 unparsed=0",
                                     "1 file(s), 3 records, 0 unparsed"]
    raw = run_cli("search", "", "--limit", "0", "--output", "raw", data_dir=data)
    assert raw.returncode == 0
    assert raw.stdout == b"\n".join([*odd, big]) + b"\n"  # a log again: oldest first, byte for byte
    # structured outputs stay valid UTF-8 even where stdout is strict: the odd bytes become U+FFFD there
    done = run_cli("search", "bytes", "--output", "ndjson", data_dir=data, env={"PYTHONIOENCODING": "utf-8"})
    (event,) = [json.loads(line) for line in ok(done).splitlines()]
    assert event["raw"] == "Oct 13 10:17:00 mail app[1]: bad \ufffd\ufffd bytes \ufffd( here"


def test_ctrl_c_keeps_what_was_committed_and_rolls_back_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(run_cli("ingest", str(write(tmp_path / "mailbox.log", MAILBOX)), data_dir=data))
    before = store_fingerprint(data)
    env = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC"}
    proc = subprocess.Popen([sys.executable, "-m", "logwarden.cli", "--data-dir", str(data), "ingest", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    # More than the 256 KiB detection reads plus a pipe's buffer: when the write returns, the ingest is
    # past detection and waits for the rest of its input.
    proc.stdin.write(SYSLOG.encode() * (450_000 // len(SYSLOG)))
    proc.stdin.flush()
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.decode() == "logwarden: interrupted\n"
    assert out == b""
    assert store_fingerprint(data) == before  # nothing of stdin stays


def test_a_busy_data_directory_is_refused_in_words(tmp_path: Path) -> None:
    data = tmp_path / "data"
    f = write(tmp_path / "mailbox.log", MAILBOX)
    with Store(data, "tests"):
        err = failed(run_cli("ingest", str(f), data_dir=data), 1)
        assert err == (f"logwarden: data directory {data} is in use by pid {os.getpid()} (tests). "
                       "Stop that process, wait for it to finish, or use another --data-dir.\n")
    assert ok(run_cli("ingest", str(f), "--output", "json", data_dir=data)).startswith('{"files": [{')


LINE = b"Oct 13 10:17:00 mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2\n"
BIG_LINES = (9 << 20) // len(LINE)  # past the 8 MB from which a terminal gets a progress bar


def test_progress_bar_on_a_terminal_goes_to_stderr(tmp_path: Path) -> None:
    f = write(tmp_path / "syslog", LINE * BIG_LINES)
    master, slave = pty.openpty()
    env = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC"}
    proc = subprocess.Popen([sys.executable, "-m", "logwarden.cli", "--data-dir", str(tmp_path / "data"),
                             "ingest", str(f)], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        terminal += chunk
    os.close(master)
    out = proc.stdout.read() if proc.stdout else b""
    assert proc.wait() == 0
    assert out.decode().splitlines() == [f"{f}: format=syslog_rfc3164 records={BIG_LINES} unparsed=0",
                                         f"1 file(s), {BIG_LINES} records, 0 unparsed"]
    assert "━" in terminal.decode("utf-8", "replace")  # the bar was drawn where the user looks
