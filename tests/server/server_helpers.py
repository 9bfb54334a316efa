"""Run `logwarden serve` as a subprocess on 127.0.0.1 (ports chosen by the kernel) with its own data
directory, and talk to it as clients would. The pytest process never opens that directory's engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "test-admin-pw"
ADMIN = ("admin", PASSWORD)


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, http: bool = True):
        self.data_dir = data_dir
        self.extra_env = env or {}
        self.http = http
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.log = data_dir.parent / f"{data_dir.name}-server.log"

    # -- life ------------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> Server:
        info = self.data_dir / "server" / "info.json"
        info.unlink(missing_ok=True)
        env = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC", "LOGWARDEN_ADMIN_PASSWORD": PASSWORD, **self.extra_env}
        cmd = [sys.executable, "-m", "logwarden.cli", "--data-dir", str(self.data_dir), "serve",
               "--http", "127.0.0.1:0" if self.http else "", "--syslog-tcp", "127.0.0.1:0", "--syslog-udp", "127.0.0.1:0"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.output()}")
            if info.exists():
                self.info = json.loads(info.read_text())
                if not self.http or httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.proc = None
        return code

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None

    # -- addresses -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def tcp_port(self) -> int:
        return int(str(self.info["syslog_tcp"]).rsplit(":", 1)[1])

    @property
    def udp_port(self) -> int:
        return int(str(self.info["syslog_udp"]).rsplit(":", 1)[1])

    # -- client ----------------------------------------------------------------------------------
    def client(self, auth: Any = None) -> httpx.Client:
        """A client as `auth`: (user, password), a token, or None for the local credential file's token."""
        if auth is None:
            auth = (self.data_dir / "server" / "credential").read_text().strip()
        if isinstance(auth, str):
            return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {auth}"}, timeout=60)
        return httpx.Client(base_url=self.url, auth=auth, timeout=60)

    def stats(self) -> dict[str, Any]:
        with self.client() as c:
            return c.get("/api/v1/stats/ingest").raise_for_status().json()  # type: ignore[no-any-return]

    def wait_stored(self, n: int, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until at least `n` records received since start are stored (and nothing is pending)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s["stored_records"] >= n and s["pending_records"] == 0:
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"only {s['stored_records']} of {n} stored: {s}")
            time.sleep(0.1)

    def search(self, query: str, limit: int = 1000) -> list[dict[str, Any]]:
        with self.client() as c:
            r = c.post("/api/v1/cli/search", json={"query": query, "limit": limit})
            assert r.status_code == 200, r.text
            lines = [json.loads(line) for line in r.text.splitlines() if line]
        return [{**{k: v for k, v in row.items() if k != "fields"}, **(row.get("fields") or {})} for row in lines[1:]]

    def wait_for(self, query: str, n: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The events of `query` once there are at least `n` (or what there is after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.search(query)
            if len(rows) >= n or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)

    def count(self, query: str = "") -> int:
        rows = self.search(f"{query} | stats count() as n".strip())
        return int(rows[0]["n"]) if rows else 0


def plain_and_served(root: Path, log: Path) -> tuple[Path, Server]:
    """`log` ingested into two data directories under `root`: one left alone, one owned by a started server
    (the CLI then goes through it). Stop the server when done."""
    from conftest import run_cli

    plain, served = root / "plain", root / "served"
    for data in (plain, served):
        done = run_cli("ingest", str(log), data_dir=data)
        assert done.returncode == 0, done.stderr
    return plain, Server(served).start()


def assert_same_output(plain: Path, server: Server, *args: str) -> None:
    """`logwarden ARGS` prints the same, and something, with and without the server."""
    from conftest import run_cli

    direct = run_cli(*args, data_dir=plain)
    bridged = run_cli(*args, data_dir=server.data_dir)
    assert direct.returncode == 0, direct.stderr
    assert bridged.returncode == 0, bridged.stderr
    assert bridged.stdout == direct.stdout
    assert direct.stdout.strip()
