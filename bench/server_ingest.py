#!/usr/bin/env python3
"""Live ingest of `logwarden serve`: sustained syslog TCP rate, zero loss across kill -9, UDP loss at rate.

    python bench/server_ingest.py [--lines 2000000] [--conns 4] [--udp-rate 100000] [--udp-seconds 5]

Everything runs on 127.0.0.1 against a server started here on a temporary data directory. Traffic is
what `logger` sends (RFC 5424 with structured data, and RFC 3164), with varied hosts, programs, users
and addresses. Prints a table and writes bench/out/server_ingest.json.

1. TCP: `--lines` lines over `--conns` connections as fast as the server reads them; the rate is lines
   divided by the time from the first byte sent until the engine has stored (parsed) the last one.
   Steady: two load generator processes send `--steady-rate` lines/s for `--steady-seconds`; the rates
   received and stored over that window, the most pending at once, and the time to drain after it.
2. kill -9: TCP and HTTP traffic; the server is killed right after HTTP acknowledgements and after
   the TCP lines were reported durable; after the restart every acknowledged line is counted.
3. UDP: datagrams at `--udp-rate` per second for `--udp-seconds`; sent, received, dropped and stored.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC", "LOGWARDEN_ADMIN_PASSWORD": "bench-password",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
HOSTS = [f"mail{i:02d}" for i in range(12)] + ["mta01", "ldap01", "web01", "rx01"]
PROGRAMS = ["sshd", "postfix/smtpd", "postfix/qmgr", "zimbra", "amavis", "nginx", "cron", "kernel", "dovecot"]
USERS = ["olga.smirnova", "ivan.petrov", "root", "admin", "backup", "anna.k"]
MESSAGES = [
    "Failed password for {u} from {ip} port {port} ssh2",
    "Accepted publickey for {u} from {ip} port {port} ssh2: RSA SHA256:abc{n}",
    "connect from unknown[{ip}]",
    "{q}: from=<{u}@corp.ru>, size={n}, nrcpt=1 (queue active)",
    "authentication failed for [{u}@corp.ru], invalid password; ip={ip}",
    "({n}-{port}) Passed CLEAN {{RelayedInbound}}, [{ip}] <{u}@corp.ru> -> <info@corp.ru>",
    "pam_unix(cron:session): session opened for user {u}(uid={port}) by (uid=0)",
]


def logger_lines(n: int, seed: int, rfc5424: bool) -> bytes:
    rnd = random.Random(seed)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        ts = t0 + timedelta(microseconds=i * 997)
        msg = rnd.choice(MESSAGES).format(u=rnd.choice(USERS), ip=f"203.0.{rnd.randrange(256)}.{rnd.randrange(256)}",
                                          port=rnd.randrange(1024, 65535), n=rnd.randrange(10**6),
                                          q=f"{rnd.getrandbits(40):010X}")
        pri, host, prog = 8 + rnd.randrange(8), rnd.choice(HOSTS), rnd.choice(PROGRAMS)
        if rfc5424:
            out.append(f"<{pri}>1 {ts.isoformat(timespec='microseconds')} {host} {prog} {1000 + i % 5000} - "
                       f"[timeQuality tzKnown=\"1\" isSynced=\"1\"] {msg}\n")
        else:
            out.append(f"<{pri}>{ts.strftime('%b %e %H:%M:%S')} {host} {prog}[{1000 + i % 5000}]: {msg}\n")
    return "".join(out).encode()


def ndjson_lines(n: int, seed: int) -> bytes:
    """An application's JSON log (what Vector or a JSON logger posts): one object a line."""
    rnd = random.Random(seed)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        msg = rnd.choice(MESSAGES).format(u=rnd.choice(USERS), ip=f"203.0.{rnd.randrange(256)}.{rnd.randrange(256)}",
                                          port=rnd.randrange(1024, 65535), n=rnd.randrange(10**6),
                                          q=f"{rnd.getrandbits(40):010X}")
        out.append(json.dumps({"time": (t0 + timedelta(microseconds=i * 997)).isoformat(timespec="microseconds"),
                               "level": rnd.choice(["info", "info", "warn", "error"]), "host": rnd.choice(HOSTS),
                               "service": rnd.choice(PROGRAMS), "msg": msg}))
    return ("\n".join(out) + "\n").encode()


class Server:
    def __init__(self, data: Path, env: dict[str, str] | None = None):
        self.data, self.env = data, {**ENV, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    def start(self) -> Server:
        info = self.data / "server" / "info.json"
        info.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "logwarden.cli", "--data-dir", str(self.data), "serve", "--http", "127.0.0.1:0",
               "--syslog-tcp", "127.0.0.1:0", "--syslog-udp", "127.0.0.1:0"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not info.exists():
            assert self.proc.poll() is None, "the server exited"
            time.sleep(0.1)
        self.info = json.loads(info.read_text())
        return self

    def port(self, key: str) -> int:
        return int(str(self.info[key]).rsplit(":", 1)[1])

    def client(self) -> httpx.Client:
        """An admin client with the local credential (a Bearer token, as API clients and shippers use:
        HTTP Basic would cost every request an Argon2 check, ~50 ms of CPU)."""
        token = (self.data / "server" / "credential").read_text().strip()
        return httpx.Client(base_url=self.info["url"], headers={"Authorization": f"Bearer {token}"}, timeout=600)

    def stats(self) -> dict[str, Any]:
        with self.client() as c:
            return c.get("/api/v1/stats/ingest").json()  # type: ignore[no-any-return]

    def count(self, query: str) -> int:
        with self.client() as c:
            r = c.post("/api/v1/cli/search", json={"query": f"{query} | stats count() as n", "limit": 10})
            rows = [json.loads(x) for x in r.text.splitlines()[1:]]
        return int(rows[0]["n"]) if rows else 0

    def wait_stored(self, n: int, timeout: float = 1800) -> float:
        deadline = time.monotonic() + timeout
        while (s := self.stats())["stored_records"] < n or s["pending_records"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"stored {s['stored_records']} of {n}")
            time.sleep(0.05)
        return time.perf_counter()

    def stop(self, kill: bool = False) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.proc.wait(600)


def send_steady(port: int, rate: int, seconds: float, rfc5424: bool = True) -> None:
    """A load generator (run as its own process: `--send PORT`): one TCP connection, `rate` lines a
    second in chunks of 100, for `seconds`."""
    lines = logger_lines(100_000, seed=3 if rfc5424 else 4, rfc5424=rfc5424).split(b"\n")[:-1]
    chunks = [b"\n".join(lines[i:i + 100]) + b"\n" for i in range(0, len(lines), 100)]
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            due = int(elapsed * rate) // 100
            while sent < due:
                s.sendall(chunks[sent % len(chunks)])
                sent += 1
            time.sleep(0.005)
    print(json.dumps({"sent": sent * 100, "seconds": round(time.perf_counter() - start, 2)}), flush=True)


def generators(port: int, rate: int, seconds: float, n: int = 2) -> list[subprocess.Popen[bytes]]:
    """`n` load generator processes (RFC 5424 and RFC 3164 in turn) sharing `rate` lines a second."""
    return [subprocess.Popen([sys.executable, __file__, "--send", str(port), "--send-rate", str(rate // n),
                              "--send-seconds", str(seconds), *(["--send-rfc3164"] if k % 2 else [])],
                             stdout=subprocess.PIPE) for k in range(n)]


def steady(work: Path, rate: int, seconds: float) -> dict[str, Any]:
    """Syslog TCP at a steady `rate` for `seconds` (two senders): is it stored as fast as it comes?"""
    srv = Server(work / "steady").start()
    try:
        gens = generators(srv.port("syslog_tcp"), rate, seconds)
        time.sleep(2.0)  # past the senders' start-up
        first, t0, peak = srv.stats(), time.perf_counter(), 0
        while any(g.poll() is None for g in gens):
            time.sleep(0.5)
            s = srv.stats()
            peak = max(peak, s["pending_records"])
            if s["received_records"] > first["received_records"]:
                last, t1 = s, time.perf_counter()
        sent = sum(json.loads(g.communicate()[0])["sent"] for g in gens)
        ended = time.perf_counter()
        srv.wait_stored(sent)
        drained = time.perf_counter() - ended
        assert srv.proc is not None
        cpu, rss = thread_cpu(srv.proc.pid), peak_rss_mb(srv.proc.pid)
        stored = srv.count("")
    finally:
        srv.stop()
    window = t1 - t0
    return {"target_per_s": rate, "seconds": round(window, 1), "sent": sent,
            "received_per_s": round((last["received_records"] - first["received_records"]) / window),
            "stored_per_s": round((last["stored_records"] - first["stored_records"]) / window),
            "peak_pending_records": peak, "drained_s_after_end": round(drained, 2), "stored": stored,
            "lost": sent - stored, "load_avg": os.getloadavg(), "server_cpu_s_by_thread": cpu, "peak_rss_mb": rss}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process by thread name (Linux /proc): where the server spends its time. The
    engine's own threads are named by ClickHouse (ThreadPool: parsing and writing; MergeMutate: merging
    parts); a query also runs partly on the Python thread that called it (the engine worker)."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        key = "".join(c for c in name if not c.isdigit()).rstrip("_-:") or name
        if key == "python":  # Python threads keep the process's name; the main one runs the event loop
            key = "python: event loop" if task.name == str(pid) else "python: engine caller, WAL sync, UDP"
        out[key] = round(out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / tick, 2)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def send_tcp(port: int, blocks: list[bytes]) -> None:
    def one(block: bytes) -> None:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(block)

    threads = [threading.Thread(target=one, args=(b,)) for b in blocks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def tcp_rate(work: Path, lines: int, conns: int) -> dict[str, Any]:
    per = lines // conns
    blocks = [logger_lines(per, seed=k, rfc5424=k % 2 == 0) for k in range(conns)]
    srv = Server(work / "tcp").start()
    try:
        started = time.perf_counter()
        send_tcp(srv.port("syslog_tcp"), blocks)
        sent = time.perf_counter()
        done = srv.wait_stored(per * conns)
        assert srv.proc is not None
        cpu, rss = thread_cpu(srv.proc.pid), peak_rss_mb(srv.proc.pid)
        stats = srv.stats()
        stored = srv.count("")
    finally:
        srv.stop()
    return {"lines": per * conns, "connections": conns, "bytes": sum(map(len, blocks)),
            "send_s": round(sent - started, 2), "stored_s": round(done - started, 2),
            "lines_per_s": round(per * conns / (done - started)), "stored": stored,
            "lost": per * conns - stored, "batches": stats["batches"], "last_batch_ms": stats["last_batch_ms"],
            "tcp_pauses": stats["tcp_pauses"],
            "load_avg": os.getloadavg(), "server_cpu_s_by_thread": cpu, "peak_rss_mb": rss}


def http_rate(work: Path, lines: int, requests_lines: int = 10_000) -> dict[str, Any]:
    """NDJSON lines over POST /api/v1/ingest from 4 client threads, each request acknowledged (fsynced)."""
    bodies = [ndjson_lines(requests_lines, seed=500 + k) for k in range(8)]
    n_requests = max(1, lines // requests_lines)
    srv = Server(work / "http").start()
    acked = [0]
    lock = threading.Lock()

    def worker(ks: range) -> None:
        with srv.client() as c:
            for k in ks:
                while True:
                    r = c.post("/api/v1/ingest", content=bodies[k % len(bodies)], params={"format": "auto"})
                    if r.status_code == 200:
                        break
                    time.sleep(0.2)  # 429: the server asks to come back
                with lock:
                    acked[0] += r.json()["accepted"]

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(range(t, n_requests, 4),)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent = time.perf_counter()
        done = srv.wait_stored(acked[0])
        stored = srv.count("")
    finally:
        srv.stop()
    return {"lines": acked[0], "requests": n_requests, "send_s": round(sent - started, 2),
            "stored_s": round(done - started, 2), "lines_per_s": round(acked[0] / (done - started)),
            "stored": stored, "lost": acked[0] - stored, "load_avg": os.getloadavg()}


def kill9(work: Path, tcp_lines: int, http_requests: int) -> dict[str, Any]:
    data = work / "kill"
    srv = Server(data, {"LOGWARDEN_INGEST_FLUSH_MS": "1000"}).start()  # some of it only in the WAL at the kill
    acked = 0
    block = logger_lines(tcp_lines, seed=99, rfc5424=True).replace(b" - [", b" killtcp [")
    tcp = threading.Thread(target=send_tcp, args=(srv.port("syslog_tcp"), [block]))
    tcp.start()
    with srv.client() as c:
        for k in range(http_requests):
            body = logger_lines(1000, seed=1000 + k, rfc5424=False).replace(b"]: ", b"]: killhttp ")
            r = c.post("/api/v1/ingest", content=body)
            if r.status_code == 200:
                acked += r.json()["accepted"]
    tcp.join()
    while srv.stats()["durable_records"] < acked + tcp_lines:
        time.sleep(0.01)
    before = srv.stats()
    srv.stop(kill=True)
    srv = Server(data).start()
    try:
        after = srv.stats()
        srv.wait_stored(after["received_records"])
        http_stored, tcp_stored = srv.count("killhttp"), srv.count("killtcp")
    finally:
        srv.stop()
    return {"http_acknowledged": acked, "http_stored": http_stored, "tcp_sent": tcp_lines, "tcp_stored": tcp_stored,
            "stored_before_kill": before["stored_records"], "replayed_after_restart": after["replayed_records"],
            "lost": (acked - http_stored) + (tcp_lines - tcp_stored),
            "duplicated": max(0, http_stored - acked) + max(0, tcp_stored - tcp_lines)}


def udp(work: Path, rate: int, seconds: float) -> dict[str, Any]:
    lines = logger_lines(min(rate, 200_000), seed=7, rfc5424=False).splitlines()
    srv = Server(work / "udp").start()
    sent = 0
    try:
        port = srv.port("syslog_udp")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            start = time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                due = int(elapsed * rate)
                while sent < due:
                    s.sendto(lines[sent % len(lines)], ("127.0.0.1", port))
                    sent += 1
                time.sleep(0.0005)
            took = time.perf_counter() - start
        time.sleep(1.0)
        stats = srv.stats()
        srv.wait_stored(stats["received_records"])
        stored = srv.count("")
        stats = srv.stats()
    finally:
        srv.stop()
    return {"target_per_s": rate, "sent": sent, "sent_per_s": round(sent / took), "received": stats["udp_datagrams"],
            "dropped_by_server": stats["udp_dropped"], "dropped_by_kernel": stats["udp_kernel_dropped"], "stored": stored,
            "lost": sent - stored, "loss_pct": round(100 * (sent - stored) / max(sent, 1), 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--kill-tcp-lines", type=int, default=200_000)
    ap.add_argument("--kill-http-requests", type=int, default=100)
    ap.add_argument("--udp-rate", type=int, default=100_000)
    ap.add_argument("--udp-seconds", type=float, default=5.0)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--steady-rate", type=int, default=100_000, help="syslog TCP lines/s of the steady part")
    ap.add_argument("--steady-seconds", type=float, default=30.0)
    ap.add_argument("--only", choices=["tcp", "steady", "http", "kill9", "udp"], default=None, help="run one part")
    ap.add_argument("--send", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--send-rate", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--send-seconds", type=float, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--send-rfc3164", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.send:
        send_steady(args.send, args.send_rate, args.send_seconds, not args.send_rfc3164)
        return 0
    parts: dict[str, Any] = {
        "tcp": lambda w: tcp_rate(w, args.lines, args.conns),
        "steady": lambda w: steady(w, args.steady_rate, args.steady_seconds),
        "http": lambda w: http_rate(w, args.lines // 2),
        "kill9": lambda w: kill9(w, args.kill_tcp_lines, args.kill_http_requests),
        "udp": lambda w: udp(w, args.udp_rate, args.udp_seconds)}
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory(prefix="lw-server-bench-", dir=args.work) as tmp:
        for name, run in parts.items():
            if args.only in (None, name):
                results[name] = run(Path(tmp))
                print(name, json.dumps(results[name]), flush=True)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"server_ingest{'_' + args.only if args.only else ''}.json").write_text(json.dumps(results, indent=1) + "\n")
    if args.only:
        return 0
    t, st, h, k, u = results["tcp"], results["steady"], results["http"], results["kill9"], results["udp"]
    print(f"steady TCP   {st['target_per_s']:,} lines/s offered for {st['seconds']} s: received "
          f"{st['received_per_s']:,}/s, stored {st['stored_per_s']:,}/s, at most {st['peak_pending_records']:,} "
          f"pending, drained {st['drained_s_after_end']} s after the end, lost {st['lost']}")
    print(f"HTTP NDJSON  {h['lines']} lines: {h['lines_per_s']:,} lines/s stored, lost {h['lost']}")
    print(f"syslog TCP   {t['lines']} lines over {t['connections']} connections: {t['lines_per_s']:,} lines/s "
          f"stored (sent in {t['send_s']} s, stored in {t['stored_s']} s), lost {t['lost']}")
    print(f"kill -9      HTTP acknowledged {k['http_acknowledged']}, stored {k['http_stored']}; TCP sent "
          f"{k['tcp_sent']}, stored {k['tcp_stored']}; replayed {k['replayed_after_restart']}; lost {k['lost']}, "
          f"duplicated {k['duplicated']}")
    print(f"syslog UDP   {u['sent_per_s']:,}/s for {u['sent']} datagrams: received {u['received']}, dropped "
          f"{u['dropped_by_server']} by the server and {u['dropped_by_kernel']} by the kernel (both counted), "
          f"stored {u['stored']}, loss {u['loss_pct']} %")
    return 0 if t["lost"] == 0 and k["lost"] == 0 and k["duplicated"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
