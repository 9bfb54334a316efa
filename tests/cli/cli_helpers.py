"""Helpers for CLI tests: `run_cli` from the root conftest, small hand-written logs, and readers of the output.

No conftest.py here: a second module named `conftest` would shadow the root one for the directories
collected after this one. The root conftest is loaded by its path instead of `from conftest import`, which
would pick whichever conftest module was imported last."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location("_logwarden_root_conftest", Path(__file__).parents[1] / "conftest.py")
assert _spec is not None and _spec.loader is not None
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
run_cli = _root.run_cli

AUTH_FAILED = (
    "2020-09-29 16:45:00,123 WARN  [qtp-123] [name=user@corp.ru;ip=10.0.0.5;] account - "
    "authentication failed for [user@corp.ru], invalid password"
)
HANDLER = (
    "2020-09-29 16:46:01,005 ERROR [LmtpServer-7] [oip=192.168.1.20;mid=42;] lmtp - handler exception\n"
    "java.io.IOException: broken pipe\n"
    "\tat com.zimbra.cs.lmtpserver.LmtpHandler.doDATA(LmtpHandler.java:412)"
)
BOB_1 = "2020-09-29 16:47:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - SearchRequest elapsed=12"
BOB_2 = "2020-09-29 16:48:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - GetMsgRequest elapsed=3"
MAILBOX_RECORDS = [AUTH_FAILED, HANDLER, BOB_1, BOB_2]
MAILBOX = "".join(r + "\n" for r in MAILBOX_RECORDS)

SSHD = "Oct 13 10:17:00 mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2"
SYSLOG_RECORDS = [SSHD, "Oct 13 10:17:05 mail sshd[4089]: Connection closed by 203.0.113.7 port 2222"]
SYSLOG = "".join(r + "\n" for r in SYSLOG_RECORDS)


def write(path: Path, data: str | bytes, mtime: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def ok(done: subprocess.CompletedProcess[bytes]) -> str:
    """stdout of a command that must succeed quietly."""
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8", "surrogateescape")


def failed(done: subprocess.CompletedProcess[bytes], code: int) -> str:
    """stderr of a command that must fail with `code`, in words, without a stack trace."""
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, (done.returncode, err)
    assert "Traceback" not in err, err
    assert err.startswith(("logwarden: ", "Usage:")), err
    return err


def ndjson(data_dir: Path, query: str = "", *args: str) -> list[dict[str, Any]]:
    out = ok(run_cli("search", query, "--limit", "0", "--output", "ndjson", *args, data_dir=data_dir))
    return [json.loads(line) for line in out.splitlines()]


def store_fingerprint(data_dir: Path, origins: set[str] | None = None) -> tuple[int, str]:
    """How many events the directory holds (from `origins`, or all), and a checksum of what they are."""
    events = [e for e in ndjson(data_dir) if origins is None or e["origin"] in origins]
    digest = hashlib.sha256()
    for e in sorted(events, key=lambda e: (e["origin"], e["seq"])):
        digest.update(json.dumps([e["origin"], e["seq"], e["ts"], e["raw"], e.get("user")]).encode())
    return len(events), digest.hexdigest()
