"""Helpers for ingest tests: small hand-written logs, in-process ingest, what the store holds, and the
`stores`/`store` fixtures (test modules import `stores_fixture, store_fixture`).

No conftest.py here on purpose: a second module named `conftest` would shadow the root one for every
directory collected after this one (`from conftest import run_cli`). The engine allows one open data
directory per process: `store` opens one per test, `stores.open()` closes the current one first."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport
from logwarden.ingest.sources import expand, open_inputs
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

AUTH_FAILED = (
    "2020-09-29 16:45:00,123 WARN  [qtp-123] [name=user@corp.ru;ip=10.0.0.5;] account - "
    "authentication failed for [user@corp.ru], invalid password"
)
HANDLER = "2020-09-29 16:46:01,005 ERROR [LmtpServer-7] [oip=192.168.1.20;mid=42;] lmtp - handler exception"
TRACE = (
    "java.io.IOException: broken pipe\n"
    "\tat com.zimbra.cs.lmtpserver.LmtpHandler.doDATA(LmtpHandler.java:412)\n"
    "\tat com.zimbra.cs.lmtpserver.LmtpHandler.processCommand(LmtpHandler.java:200)"
)
SEARCH = "2020-09-29 16:47:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - SearchRequest elapsed=12"
# Four records, the second with a three-line stack trace.
MAILBOX_RECORDS = [AUTH_FAILED, HANDLER + "\n" + TRACE, SEARCH,
                   "2020-09-29 16:48:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - done"]
MAILBOX = "".join(r + "\n" for r in MAILBOX_RECORDS)

SSHD = "Oct 13 10:17:00 mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2"
SYSLOG_RECORDS = [SSHD, "Oct 13 10:17:05 mail sshd[4089]: Connection closed by 203.0.113.7 port 2222",
                  "Oct 13 10:18:00 mail CRON[812]: (root) CMD (run-parts /etc/cron.hourly)"]
SYSLOG = "".join(r + "\n" for r in SYSLOG_RECORDS)


def mailbox_line(ts: str, message: str = "soap - ping", user: str = "bob@corp.ru") -> str:
    """A mailbox.log record at `ts` (`YYYY-MM-DD HH:MM:SS`)."""
    return f"{ts},000 INFO  [qtp-9] [name={user};ip=10.0.0.6;] {message}"


def write(path: Path, data: str | bytes, mtime: datetime | float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if mtime is not None:
        stamp = mtime.timestamp() if isinstance(mtime, datetime) else mtime
        os.utime(path, (stamp, stamp))
    return path


def ingest(store: Store, registry: Registry, *paths: str | Path, timezone: str = "UTC",
           fmt: str = "auto", source: str = "", host: str = "",
           progress: Callable[[int], None] | None = None) -> IngestReport:
    """What `logwarden ingest PATHS` does, in process."""
    report = IngestReport()
    ingestor = Ingestor(store, registry, IngestOptions(source, host, fmt, timezone), progress)
    for item in expand([str(p) for p in paths]):
        for inp in open_inputs(item):
            report.files.append(ingestor.ingest(inp))
    return report


def events(store: Store, where: str = "1", params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Stored events in file order (origin, seq), ts as engine text (UTC)."""
    return store.rows(
        f"SELECT toString(ts) AS ts, ts_inferred, source, service, host, format, origin, seq, level, raw, "
        f"user, client_ip, fields, batch FROM {DB}.events WHERE {where} ORDER BY origin, seq",
        params,
    )


def fingerprint(store: Store) -> tuple[int, str]:
    """Count and a checksum of every stored event's identity and text."""
    rows = store.rows(f"SELECT origin, seq, toString(ts) AS ts, raw FROM {DB}.events ORDER BY origin, seq, ts")
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r['origin']}\0{r['seq']}\0{r['ts']}\0".encode())
        digest.update(r["raw"].encode("utf-8", "surrogateescape") + b"\0")
    return len(rows), digest.hexdigest()


class Stores:
    """Opens stores on one data directory, one at a time, and closes the last at teardown."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.current: Store | None = None

    def open(self) -> Store:
        self.close()
        self.current = Store(self.data_dir, "tests")
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


@pytest.fixture(name="stores")
def stores_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    s = Stores(tmp_path_factory.mktemp("data"))  # not under tmp_path, where the tests write logs
    yield s
    s.close()


@pytest.fixture(name="store")
def store_fixture(stores: Stores) -> Store:
    return stores.open()
