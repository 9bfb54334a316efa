"""Syslog over UDP and TCP, sent by real clients: util-linux `logger` and rsyslog forwarding to the server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import Server

pytestmark = pytest.mark.skipif(shutil.which("logger") is None, reason="util-linux logger missing (make test-deps)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("syslog") / "data").start()
    yield srv
    assert srv.stop() == 0, srv.output()


# (logger options, message, expected format, fields expected on the event)
LOGGER_CASES = [
    (["--tcp"], "tcp rfc5424 default framing", "syslog_rfc5424", {"service": "lwtest", "level": "notice"}),
    (["--tcp", "--rfc3164"], "tcp rfc3164 newline framing", "syslog_rfc3164", {"service": "lwtest"}),
    (["--tcp", "--octet-count"], "tcp rfc5424 octet counted", "syslog_rfc5424", {"service": "lwtest"}),
    (["--tcp", "--rfc3164", "--octet-count", "-p", "auth.err"], "tcp rfc3164 octet counted", "syslog_rfc3164",
     {"level": "error", "facility": "auth"}),
    (["--udp"], "udp rfc5424 datagram", "syslog_rfc5424", {"service": "lwtest"}),
    (["--udp", "--rfc3164", "-p", "mail.warning"], "udp rfc3164 datagram", "syslog_rfc3164",
     {"level": "warn", "facility": "mail"}),
]


@pytest.mark.parametrize(("options", "message", "fmt", "expect"), LOGGER_CASES, ids=[c[1] for c in LOGGER_CASES])
def test_logger(server: Server, options: list[str], message: str, fmt: str, expect: dict[str, str]) -> None:
    port = server.tcp_port if "--tcp" in options else server.udp_port
    subprocess.run(["logger", *options, "--server", "127.0.0.1", "--port", str(port), "-t", "lwtest", message],
                   check=True, timeout=30)
    rows = server.wait_for(f'"{message}"')
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["format"] == fmt
    assert row["raw"].endswith(message)
    assert row["origin"].startswith("syslog-tcp://127.0.0.1" if "--tcp" in options else "syslog-udp://127.0.0.1")
    for key, value in expect.items():
        assert row[key] == value, (key, row)


def test_octet_counted_multiline_record(server: Server) -> None:
    """A framed record may hold newlines (a stack trace): it stays one event with its newlines."""
    msgs = ["<11>1 2026-03-01T10:00:00Z app01 java 7 - - boom\n\tat a.B(C.java:1)\n\tat d.E(F.java:2)",
            "<14>1 2026-03-01T10:00:01Z app01 java 7 - - after the trace"]
    frames = b"".join(f"{len(m.encode())} {m}".encode() for m in msgs)
    with socket.create_connection(("127.0.0.1", server.tcp_port)) as s:
        s.sendall(frames)
    rows = server.wait_for("host:app01", 2)
    by_ts = sorted(rows, key=lambda r: r["ts"])
    assert [r["raw"] for r in by_ts] == msgs
    assert by_ts[0]["level"] == "error"
    assert by_ts[1]["seq"] == by_ts[0]["seq"] + 1


def test_tcp_split_across_packets(server: Server) -> None:
    """Records cut anywhere by TCP segments are put back together; the last one needs no newline."""
    lines = [f"<13>Mar  1 10:00:0{i} splithost prog[{i}]: piece {i} of the stream" for i in range(5)]
    data = ("\n".join(lines)).encode()
    with socket.create_connection(("127.0.0.1", server.tcp_port)) as s:
        for cut in range(0, len(data), 37):
            s.sendall(data[cut:cut + 37])
            time.sleep(0.005)
    rows = server.wait_for("host:splithost", 5)
    assert sorted(r["raw"] for r in rows) == sorted(lines)


def test_relay_block_mixing_snare_postfix_and_a_hostless_header(server: Server) -> None:
    """One TCP stream from a relay: a Snare Windows event, a Postfix line, a header naming no host. Each line is
    read by its own format; the hostless one gets the sender's address as its host, as rsyslog does."""
    snare = ("<141>Mar  1 10:00:05 dc01.corp.local MSWinEventLog\t1\tSecurity\t881\tSun Mar 01 10:00:04 2026\t4625"
             "\tMicrosoft-Windows-Security-Auditing\tCORP\\ivanov\tN/A\tFailure Audit\tDC01\tLogon"
             "\t\tAn account failed to log on.\t17")
    postfix = "<22>Mar  1 10:00:06 relaymta postfix/smtpd[812]: connect from unknown[198.51.100.11]"
    bare = "<14>Mar  1 10:00:07"
    with socket.create_connection(("127.0.0.1", server.tcp_port)) as s:
        s.sendall(f"{snare}\n{postfix}\n{bare}\n".encode())
    rows = {r["raw"]: r for r in server.wait_for("relaymta OR dc01.corp.local OR host:127.0.0.1", 3)}
    assert rows[snare]["format"] == "snare_windows"
    assert rows[snare]["event_id"] == "4625" and rows[snare]["level"] == "warn"
    assert rows[postfix]["format"] == "postfix" and rows[postfix]["client_ip"] == "198.51.100.11"
    assert rows[bare]["format"] == "postfix"  # it came with the Postfix line: that format reads syslog too
    assert rows[bare]["ts"].startswith(f"{time.gmtime().tm_year}-03-01 10:00:07")
    assert rows[bare]["host"] == "127.0.0.1"


def test_relay_stream_with_snare_in_rfc5424(server: Server) -> None:
    """RFC 5424 lines from a relay: a Snare Windows event of a Russian-locale server (NXLog's shape, the payload as
    the MSG) is read by snare_windows_5424 with its Russian event type as the level; the plain 5424 line beside it
    stays syslog_rfc5424."""
    snare = ("<13>1 2026-03-01T10:00:08.000+03:00 buh01.corp.local - - - - MSWinEventLog\t1\tSecurity\t883\t"
             "Sun Mar 01 10:00:07 2026\t4625\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\tАудит отказов\tBUH01\t"
             "Вход в систему\t\tНе удалось выполнить вход в учетную запись.\t19")
    plain = "<86>1 2026-03-01T10:00:09+03:00 gw5424 sshd 4242 - - Accepted publickey for deploy"
    with socket.create_connection(("127.0.0.1", server.tcp_port)) as s:
        s.sendall(f"{snare}\n{plain}\n".encode())
    rows = {r["raw"]: r for r in server.wait_for("buh01.corp.local OR gw5424", 2)}
    assert rows[snare]["format"] == "snare_windows_5424"
    assert (rows[snare]["event_id"], rows[snare]["level"], rows[snare]["service"]) == (
        "4625", "warn", "Microsoft-Windows-Security-Auditing")
    assert rows[snare]["category"] == "Вход в систему"
    assert rows[plain]["format"] == "syslog_rfc5424" and rows[plain]["service"] == "sshd"


RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{in_port}")
*.* action(type="omfwd" target="127.0.0.1" port="{out_port}" protocol="tcp"
           queue.type="LinkedList" action.resumeRetryCount="-1")
"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _udp_bound(port: int) -> bool:
    text = Path("/proc/net/udp").read_text()
    return f":{port:04X} " in text


@pytest.mark.skipif(shutil.which("rsyslogd") is None, reason="rsyslog missing (make test-deps)")
def test_rsyslog_forwarding(server: Server, tmp_path: Path) -> None:
    """A real rsyslog relays with `*.* @@server:port` (TCP), as in the Zimbra central-logging setup."""
    in_port = _free_udp_port()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(work=tmp_path, in_port=in_port, out_port=server.tcp_port))
    rsyslogd = shutil.which("rsyslogd")
    proc = subprocess.Popen([str(rsyslogd), "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslogd.pid")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _udp_bound(in_port):  # rsyslog is listening before anything is sent (UDP would drop it)
            assert time.monotonic() < deadline and proc.poll() is None, "rsyslogd did not start"
            time.sleep(0.1)
        lines = [("zimbra", "mail.info", "relay: authentication failed for [olga@corp.ru], invalid password"),
                 ("postfix/smtpd", "mail.info", "connect from unknown[203.0.113.9]"),
                 ("sshd", "auth.warning", "Failed password for root from 203.0.113.7 port 2222 ssh2")]
        for tag, prio, msg in lines:
            subprocess.run(["logger", "--udp", "--rfc3164", "--server", "127.0.0.1", "--port", str(in_port),
                            "-t", tag, "-p", prio, msg], check=True, timeout=30)
        rows = server.wait_for('"203.0.113" OR "olga@corp.ru"', 3)
    finally:
        proc.terminate()
        proc.wait(10)
    assert len(rows) == 3, rows
    services = {r["service"] for r in rows}
    assert {"zimbra", "postfix/smtpd", "sshd"} <= services, rows
    assert len({r["origin"] for r in rows}) == 1 and rows[0]["origin"].startswith("syslog-tcp://127.0.0.1:")
    sshd = next(r for r in rows if r["service"] == "sshd")
    assert sshd["level"] == "warn" and sshd["facility"] == "auth"
