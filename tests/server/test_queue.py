"""The live ingest queue's rules on their own: which format a syslog block is read with, and how big a
batch may grow (bigger under a backlog, short while people query)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from logwarden.formats.registry import Registry
from logwarden.server.engine import EngineWorker
from logwarden.server.queue import BACKLOG_BATCHES, QUERY_QUIET_S, IngestQueue
from logwarden.server.syslog import _line_format, syslog_format
from logwarden.server.wal import Wal
from logwarden.store.chdb_store import Store

R5424 = b'<34>1 2026-03-01T10:00:00.000Z mail01 sshd 1234 - - Failed password for root from 203.0.113.9 port 22\n'
R5424_SD = b'<165>1 2026-03-01T10:00:01Z gw zimbra - ID47 [origin ip="10.0.0.9"] authentication failed\n'
R3164 = b"<38>Mar  1 10:00:02 mail01 sshd[1234]: Accepted publickey for backup from 203.0.113.10 port 5022\n"
POSTFIX = b"<22>Mar  1 10:00:03 mta01 postfix/smtpd[812]: connect from unknown[203.0.113.11]\n"
SNARE = (b"<141>Mar  1 10:00:05 dc01 MSWinEventLog\t1\tSecurity\t881\tSun Mar 01 10:00:04 2026\t4625\t"
         b"Microsoft-Windows-Security-Auditing\tCORP\\ivanov\tN/A\tFailure Audit\tDC01\tLogon\t\tfailed\t17\n")
# A 3164 message quoting a 5424 header in its text: only a header at a line start counts.
QUOTING = b"<13>Mar  1 10:00:04 web01 app[9]: got <13>1 2026-03-01T10:00:04Z from the relay\n"
# Snare's Windows event in an RFC 5424 envelope (NXLog's shape), from a server with the Russian locale.
SNARE_5424 = ("<13>1 2026-03-01T10:00:06.000+03:00 buh01 - - - - MSWinEventLog\t1\tSecurity\t882\t"
              "Sun Mar 01 10:00:05 2026\t4625\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\tАудит отказов\t"
              "BUH01\tВход в систему\t\tНе удалось выполнить вход в учетную запись.\t18\n").encode()


@pytest.mark.parametrize(("lines", "fmt"), [
    ([R5424], "syslog_rfc5424"),
    ([R5424, R5424_SD, R5424], "syslog_rfc5424"),
    ([R3164], "syslog_rfc3164"),
    ([R3164, QUOTING], "syslog_rfc3164"),
    ([R3164, POSTFIX], "postfix"),
    ([R5424, R3164], None),
    ([R3164, R5424], None),
    ([R5424, QUOTING, R5424_SD], None),
    ([R3164, SNARE], None),  # Snare's Windows events are read by their own format, line by line
    ([SNARE_5424], None),  # ... in an RFC 5424 envelope too (snare_windows_5424)
    ([R5424, SNARE_5424, R5424_SD], None),
])
def test_syslog_block_format(lines: list[bytes], fmt: str | None) -> None:
    assert syslog_format(b"".join(lines), len(lines)) == fmt


@pytest.mark.parametrize(("line", "fmt"), [
    (R5424, "syslog_rfc5424"),
    (R5424_SD, "syslog_rfc5424"),
    (SNARE_5424, "snare_windows_5424"),
    (SNARE, "snare_windows"),
    (R3164, "bsd"),
    (POSTFIX, "bsd"),  # bsd: postfix or syslog_rfc3164 by the lines it comes with
    (QUOTING, "bsd"),
])
def test_mixed_block_line_format(line: bytes, fmt: str) -> None:
    """A mixed block is split line by line: each line goes to the format that reads it."""
    assert _line_format(line) == fmt


MB = 1 << 20


@pytest.mark.parametrize(("pending_mb", "queried_ago_s", "cap_mb"), [
    (1, None, 8),  # no backlog: the configured batch
    (20, None, 20),  # a backlog: everything pending
    (100, None, 8 * BACKLOG_BATCHES),  # ... up to BACKLOG_BATCHES batches
    (100, 0.0, 8),  # someone queried just now: short batches, a search waits for at most one
    (100, QUERY_QUIET_S + 1, 8 * BACKLOG_BATCHES),  # ... and long ago: grown again
])
def test_batch_cap(tmp_path: Path, engine: Store, registry: Registry, pending_mb: int,
                   queried_ago_s: float | None, cap_mb: int) -> None:
    wal = Wal(tmp_path / "wal")
    list(wal.replay(0))
    worker = EngineWorker(engine)
    try:
        queue = IngestQueue(wal, worker, registry, "UTC", max_pending_bytes=256 * MB, batch_bytes=8 * MB,
                            flush_ms=250)
        block = R3164 * (MB // len(R3164))
        for _ in range(pending_mb):
            queue.accept("syslog-tcp://127.0.0.1:5000", "syslog_rfc3164", "", "", block, MB // len(R3164))
        if queried_ago_s is not None:
            worker.last_query = time.monotonic() - queried_ago_s
        expected = min(cap_mb * MB, max(8 * MB, queue.stats.pending_bytes))
        assert queue.batch_cap() == expected
    finally:
        worker.shutdown()
        wal.close()
