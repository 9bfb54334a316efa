"""Helpers for the web tests: hand-written log files of three systems, ingested by the CLI into a data
directory, then `logwarden serve` on it as a subprocess (tests/server's `Server`) with CDN accounts.

No conftest.py here on purpose (a second `conftest` module would shadow the root one)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_helpers import ADMIN, PASSWORD, Server

__all__ = ["ACCESS", "ADMIN", "CDN_HEADER", "CDN_LINES", "CDN_TOKEN", "MAILBOX", "PASSWORD", "Server", "cdn_config",
           "ingest", "write_logs"]

CDN_TOKEN = "cdn-secret-token-1"
CDN_HEADER = ("timestamp\tremote_addr\tremote_user\ttime_local\trequest\tstatus\tbody_bytes_sent\tout_bytes\t"
              "referrer\tuseragent\thttp_x_forwarded_for\thost\ttorso_id\tduration\tupstream_response_time\t"
              "upstream_status\tcountry\tservice\tcache_status\tlogtype\tcustom_field")
CDN_START = datetime(2019, 9, 16, 12, 0, 16, 178000, tzinfo=UTC)


def _cdn_line(i: int) -> str:
    t = CDN_START + timedelta(minutes=10 * i)
    status = "502" if i == 7 else "200"
    return "\t".join([
        f"{t.timestamp():.3f}", f"81.19.133.{10 + i}", "-", t.strftime("%Y-%m-%d %H:%M:%S+0000"),
        f"/live/smil:chanel1.smil/m_b1600000_{126952 + i}.ts", status, str(80840 + i), str(81076 + i),
        "http://www.site1.ru/",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.65 Safari/537.36",
        f"192.168.7.114, 192.168.0.205, 81.19.133.{10 + i}", "site1.cdn.ru", "-", "0.616", "0.021", status, "RU",
        "media", "MISS" if i % 3 == 0 else "HIT", "-", "-",
    ])


# Twelve requests, ten minutes apart from 2019-09-16 12:00:16.178 UTC.
CDN_LINES = [_cdn_line(i) for i in range(12)]

ACCESS = [
    f'10.0.0.{i % 4 + 1} - {["-", "olga.smirnova", "ivan.petrov"][i % 3]} [16/Sep/2019:12:{i:02d}:05 +0000] '
    f'"GET /portal/page/{i} HTTP/1.1" {[200, 200, 404, 500][i % 4]} {1000 + i} "-" "curl/8.5.0"'
    for i in range(30)
]
MAILBOX = [
    ("2019-09-16 12:30:00,123 WARN  [qtp-123] [name=olga.smirnova@corp.ru;ip=10.0.0.5;] account - "
    "authentication failed for [olga.smirnova@corp.ru], invalid password"),
    ("2019-09-16 12:31:01,005 ERROR [LmtpServer-7] [oip=192.168.1.20;mid=42;] lmtp - handler exception\n"
    "java.io.IOException: broken pipe\n\tat com.zimbra.cs.lmtpserver.LmtpHandler.doDATA(LmtpHandler.java:412)"),
    "2019-09-16 12:32:00,000 INFO  [qtp-9] [name=ivan.petrov@corp.ru;ip=10.0.0.6;] soap - SearchRequest elapsed=12",
    "2019-09-16 12:33:00,000 INFO  [qtp-9] [name=ivan.petrov@corp.ru;ip=10.0.0.6;] soap - Привет, поиск завершён",
    ("2019-09-16 12:34:00,000 WARN  [qtp-9] [name=olga.smirnova@corp.ru;ip=10.0.0.5;] account - "
    "authentication failed for [olga.smirnova@corp.ru], invalid password"),
]


def write_logs(root: Path) -> Path:
    logs = root / "logs"
    (logs / "cdn").mkdir(parents=True)
    (logs / "web").mkdir()
    (logs / "zimbra").mkdir()
    (logs / "cdn" / "cdn-access.tsv").write_text(CDN_HEADER + "\n" + "\n".join(CDN_LINES) + "\n", encoding="utf-8")
    (logs / "web" / "access.log").write_text("\n".join(ACCESS) + "\n", encoding="utf-8")
    (logs / "zimbra" / "mailbox.log").write_text("\n".join(MAILBOX) + "\n", encoding="utf-8")
    return logs


def ingest(data_dir: Path, *paths: Path) -> None:
    cmd = [sys.executable, "-m", "logwarden.cli", "--data-dir", str(data_dir), "ingest", "--timezone", "UTC",
           *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr.decode()


def cdn_config(root: Path) -> Path:
    path = root / "logwarden.toml"
    path.write_text(f'[cdn.accounts.paejgjuv]\ntoken = "{CDN_TOKEN}"\nsources = ["cdn"]\n\n'
                    '[cdn.accounts.webonly]\ntoken = "web-token"\nsources = ["web"]\n', encoding="utf-8")
    return path
