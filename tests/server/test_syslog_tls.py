"""Syslog over TLS (RFC 5425), sent by real clients: `openssl s_client`, Python's ssl module, and rsyslog with a TLS
stream driver when one is installed. A self-signed certificate is made with the openssl CLI for each module."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import Server

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is missing")
RSYSLOG_LIB = Path("/usr/lib/x86_64-linux-gnu/rsyslog")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(certificate, key): self-signed for 127.0.0.1 (CN and an IP subjectAltName), so clients can verify it."""
    folder = tmp_path_factory.mktemp("tls")
    crt, key = folder / "server.crt", folder / "server.key"
    subprocess.run([str(OPENSSL), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return crt, key


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, cert: tuple[Path, Path]) -> Iterator[Server]:
    """A real server; the TLS listener is configured through the environment (LOGWARDEN_SYSLOG_TLS …)."""
    env = {"LOGWARDEN_SYSLOG_TLS": "127.0.0.1:0", "LOGWARDEN_TLS_CERT": str(cert[0]), "LOGWARDEN_TLS_KEY": str(cert[1])}
    srv = Server(tmp_path_factory.mktemp("syslogtls") / "data", env=env).start()
    yield srv
    assert srv.stop() == 0, srv.output()


def _tls_port(server: Server) -> int:
    return int(str(server.info["syslog_tls"]).rsplit(":", 1)[1])


def _octets(*msgs: str) -> bytes:
    return b"".join(f"{len(m.encode())} {m}".encode() for m in msgs)


def _s_client(port: int, ca: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """openssl s_client verifying the server against our certificate; it closes the connection at end of input."""
    return subprocess.run([str(OPENSSL), "s_client", "-connect", f"127.0.0.1:{port}", "-quiet", "-no_ign_eof",
                           "-CAfile", str(ca), "-verify_return_error", "-verify_ip", "127.0.0.1"],
                          input=data, capture_output=True, timeout=60, check=False)


def _py_client(port: int, ca: Path, data: bytes) -> None:
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        assert s.version() in ("TLSv1.2", "TLSv1.3")
        s.sendall(data)
        _close(s)


def _close(s: ssl.SSLSocket) -> None:
    """A clean TLS close (close_notify both ways), as rsyslog does."""
    s.unwrap()


def test_listener_is_announced(server: Server) -> None:
    assert str(server.info["syslog_tls"]).startswith("127.0.0.1:") and _tls_port(server) > 0
    assert f"syslog TLS on {server.info['syslog_tls']}" in server.output()


# (client, framing, the records sent, expected format, fields expected on each event)
CASES = [
    ("s_client", "octet", [("<22>1 2026-03-01T10:00:00Z mx01.corp.ru postfix/smtpd 812 - - tls-a connect from "
                           "unknown[198.51.100.21]"),
                           ("<22>1 2026-03-01T10:00:01Z mx01.corp.ru postfix/smtpd 812 - - tls-a disconnect from "
                           "unknown[198.51.100.21]")],
     "syslog_rfc5424", {"host": "mx01.corp.ru", "service": "postfix/smtpd", "level": "info", "facility": "mail"}),
    ("s_client", "newline", [("<86>1 2026-03-01T10:00:02+03:00 zimbra01 sshd 4242 - - tls-b Accepted publickey "
                             "for deploy")],
     "syslog_rfc5424", {"host": "zimbra01", "service": "sshd", "facility": "authpriv"}),
    ("python", "octet", ["<11>1 2026-03-01T10:00:03Z app01 java 7 - - tls-c boom\n\tat a.B(C.java:1)",
                         "<14>1 2026-03-01T10:00:04Z app01 java 7 - - tls-c after the trace"],
     "syslog_rfc5424", {"host": "app01", "service": "java"}),
    ("python", "newline", ["<13>1 2026-03-01T10:00:05Z gw01 cron 99 - - tls-d job done"],
     "syslog_rfc5424", {"host": "gw01", "service": "cron", "level": "notice"}),
]


@pytest.mark.parametrize(("client", "framing", "msgs", "fmt", "expect"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_tls_clients(server: Server, cert: tuple[Path, Path], client: str, framing: str, msgs: list[str], fmt: str,
                     expect: dict[str, str]) -> None:
    data = _octets(*msgs) if framing == "octet" else "".join(m + "\n" for m in msgs).encode()
    if client == "s_client":
        r = _s_client(_tls_port(server), cert[0], data)
        assert r.returncode == 0, r.stderr.decode(errors="replace")
    else:
        _py_client(_tls_port(server), cert[0], data)
    tag = msgs[0].split(" - - ", 1)[1].split()[0]
    rows = server.wait_for(f'"{tag}"', len(msgs))
    assert sorted(r["raw"] for r in rows) == sorted(msgs)
    assert len({r["origin"] for r in rows}) == 1  # one connection, one origin
    for row in rows:
        assert row["origin"].startswith("syslog-tls://127.0.0.1:"), row
        assert row["format"] == fmt
        for key, value in expect.items():
            assert row[key] == value, (key, row)


def test_plain_tcp_to_the_tls_port_is_refused_and_others_go_on(server: Server, cert: tuple[Path, Path]) -> None:
    """A client speaking plain syslog to the TLS port fails the handshake: nothing of it is stored, it is logged,
    and a TLS client connected at the same time (and one after) is served."""
    port = _tls_port(server)
    before = server.stats()["stored_records"]
    ctx = ssl.create_default_context(cafile=str(cert[0]))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as good:
        good.sendall(_octets("<14>1 2026-03-01T10:01:00Z keeper app 1 - - tls-e first half"))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as plain:
            plain.sendall(b"<13>1 2026-03-01T10:01:01Z intruder app 1 - - tls-plain should not be stored\n" * 3)
            plain.settimeout(30)
            try:
                while plain.recv(4096):  # the server answers with an alert (or nothing) and closes
                    pass
            except ConnectionResetError:
                pass
        good.sendall(_octets("<14>1 2026-03-01T10:01:02Z keeper app 1 - - tls-e second half"))
        # closed bare (no close_notify), as naive clients do: the server sends no session tickets the client
        # would leave unread, so its kernel closes with FIN, not a reset that loses the record still in flight
    _py_client(port, cert[0], _octets("<14>1 2026-03-01T10:01:03Z keeper app 1 - - tls-e after"))
    rows = server.wait_for('"tls-e"', 3)
    assert len(rows) == 3 and all(r["origin"].startswith("syslog-tls://") for r in rows), rows
    server.wait_stored(before + 3)
    assert server.count('"tls-plain"') == 0
    assert server.count("host:intruder") == 0
    assert server.stats()["stored_records"] == before + 3
    deadline = time.monotonic() + 10
    while "failed the handshake" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "failed the handshake" in server.output()


def _serve(data_dir: Path, *args: str, env: dict[str, str] | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC", **(env or {})}
    for name in ("LOGWARDEN_SYSLOG_TLS", "LOGWARDEN_TLS_CERT", "LOGWARDEN_TLS_KEY", "LOGWARDEN_CONFIG"):
        if env is None or name not in env:
            full.pop(name, None)
    return subprocess.run([sys.executable, "-m", "logwarden.cli", "--data-dir", str(data_dir), "serve", "--http", "",
                           *args], capture_output=True, text=True, env=full, timeout=timeout, check=False)


BAD = [  # (what is wrong, extra args given with --syslog-tls, words the message must hold)
    ("missing key file", ["--tls-key", "{tmp}/nokey.pem"], ["nokey.pem", "tls_key"]),
    ("missing cert file", ["--tls-cert", "{tmp}/nocert.pem"], ["nocert.pem", "tls_cert"]),
    ("no key given", ["--tls-key", ""], ["tls_key", "--tls-key", "LOGWARDEN_TLS_KEY"]),
    ("cert is not PEM", ["--tls-cert", "{tmp}/garbage.pem"], ["garbage.pem", "certificate"]),
]


@pytest.mark.parametrize(("what", "args", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_tls_config_is_a_usage_error(tmp_path: Path, cert: tuple[Path, Path], what: str, args: list[str],
                                         words: list[str]) -> None:
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    base = {"--tls-cert": str(cert[0]), "--tls-key": str(cert[1])}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1].format(tmp=tmp_path)
    flat = [x for kv in base.items() for x in kv]
    r = _serve(tmp_path / "data", "--syslog-tls", "127.0.0.1:0", *flat)
    assert r.returncode == 2, (what, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    for word in words:
        assert word in r.stderr, (word, r.stderr)
    assert not (tmp_path / "data" / "server" / "info.json").exists()


def test_config_file_keys(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """The [server] table takes syslog_tls, tls_cert and tls_key; a missing key named there is reported too."""
    conf = tmp_path / "lw.toml"
    conf.write_text(f'[server]\nsyslog_tls = "127.0.0.1:0"\ntls_cert = "{cert[0]}"\ntls_key = "{tmp_path}/gone.key"\n')
    r = _serve(tmp_path / "data", "--config", str(conf))
    assert r.returncode == 2 and "gone.key" in r.stderr and "Traceback" not in r.stderr, r.stderr


RSYSLOG_TLS_CONF = """
global(workDirectory="{work}" DefaultNetstreamDriverCAFile="{ca}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{in_port}")
*.* action(type="omfwd" target="127.0.0.1" port="{out_port}" protocol="tcp" TCP_Framing="octet-counted"
           StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="anon"
           queue.type="LinkedList" action.resumeRetryCount="-1")
"""


def _rsyslog_driver() -> str | None:
    for driver in ("gtls", "ossl"):
        if (RSYSLOG_LIB / f"lmnsd_{driver}.so").exists():
            return driver
    return None


@pytest.mark.skipif(shutil.which("rsyslogd") is None or _rsyslog_driver() is None,
                    reason="rsyslog with a TLS stream driver (lmnsd_gtls/lmnsd_ossl) is not installed")
def test_rsyslog_forwards_over_tls(server: Server, cert: tuple[Path, Path], tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        in_port = int(s.getsockname()[1])
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(RSYSLOG_TLS_CONF.format(work=tmp_path, ca=cert[0], in_port=in_port, out_port=_tls_port(server),
                                            driver=_rsyslog_driver()))
    proc = subprocess.Popen([str(shutil.which("rsyslogd")), "-n", "-f", str(conf), "-i", str(tmp_path / "pid")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while f":{in_port:04X} " not in Path("/proc/net/udp").read_text():
            assert time.monotonic() < deadline and proc.poll() is None, "rsyslogd did not start"
            time.sleep(0.1)
        msg = "tls-rsyslog relay: authentication failed for [olga@corp.ru]"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(f"<22>Mar  1 10:02:00 zimbra01 zimbra: {msg}".encode(), ("127.0.0.1", in_port))
        rows = server.wait_for('"tls-rsyslog"', 1)
    finally:
        proc.terminate()
        proc.wait(10)
    assert len(rows) == 1, rows
    assert rows[0]["origin"].startswith("syslog-tls://127.0.0.1:") and rows[0]["service"] == "zimbra"
