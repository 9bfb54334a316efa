"""The server process: open the data directory, replay the WAL, listen, and shut down gracefully.

Files it keeps in `<data_dir>/server/` while it runs (removed on a clean stop):
    info.json    {"pid", "url", "syslog_tcp", "syslog_udp", "syslog_tls"} — how the CLI finds the running server
    credential   a token (mode 0600) that lets the CLI on this machine act as admin without a password
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import ssl
import sys
from pathlib import Path
from typing import Any

import uvicorn

from logwarden.auth import accounts
from logwarden.auth.model import ADMIN
from logwarden.auth.passwords import new_password, new_token
from logwarden.auth.service import AuthService
from logwarden.formats.registry import default_registry
from logwarden.server.config import ServerConfig, parse_address
from logwarden.server.engine import EngineWorker
from logwarden.server.engine_write import committed_state
from logwarden.server.queue import IngestQueue
from logwarden.server.state import ServerState
from logwarden.server.syslog import SyslogTcp
from logwarden.server.tls import tls_context
from logwarden.server.udp import UdpReader
from logwarden.server.wal import Wal
from logwarden.store.chdb_store import Store

log = logging.getLogger("logwarden.server")
INFO_DIR = "server"


def info_dir(data_dir: Path) -> Path:
    return data_dir / INFO_DIR


class _Uvicorn(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()  # the process handles SIGTERM/SIGINT itself (flush first)


def _say(text: str) -> None:
    print(text, flush=True)


def _bind(address: str, kind: int, what: str) -> socket.socket:
    host, port = parse_address(address, what)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY only on such sockets. Without it a kept-alive
    # HTTP connection waited ~40 ms for every answer (Nagle against the client's delayed ACK).
    sock = socket.socket(family, kind, socket.IPPROTO_TCP if kind == socket.SOCK_STREAM else 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if kind == socket.SOCK_DGRAM:  # a big receive buffer rides out bursts (FORCE: past rmem_max, as root)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, 32 << 20)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from logwarden.errors import UsageError

        raise UsageError(f"cannot listen on {address} ({what}): {exc.strerror or exc}; choose another address") from None
    if kind == socket.SOCK_STREAM:
        sock.listen(1024)
    sock.setblocking(False)
    return sock


def _addr(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _first_admin(store: Store, auth: AuthService, password: str) -> None:
    auth.refresh(store)
    if any(u.role == ADMIN for u in auth.users.values()):
        return
    name = "admin" if "admin" not in auth.users else "logwarden-admin"
    shown = not password
    password = password or new_password()
    accounts.put_user(store, name, ADMIN, None, password=password)
    auth.refresh(store)
    if shown:
        _say(f"First start: created user {name} with password {password}\n"
             "  (shown once; change it with `logwarden user passwd {name}`)")
    else:
        _say(f"First start: created user {name} with the password from LOGWARDEN_ADMIN_PASSWORD")


def _write_info(folder: Path, info: dict[str, Any], token: str) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)
    cred = folder / "credential"
    cred.unlink(missing_ok=True)
    fd = os.open(cred, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    tmp = folder / "info.json.tmp"
    tmp.write_text(json.dumps(info) + "\n")
    tmp.replace(folder / "info.json")


def serve(config: ServerConfig) -> int:
    """Run the server until SIGTERM/SIGINT; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="logwarden: %(message)s", stream=sys.stderr)
    tls = tls_context(config.tls_cert, config.tls_key) if config.syslog_tls else None  # before anything opens
    store = Store(config.data_dir, "server")
    try:
        return asyncio.run(_main(config, store, tls))
    finally:
        store.close()
        for name in ("info.json", "credential"):
            (info_dir(config.data_dir) / name).unlink(missing_ok=True)


async def _main(config: ServerConfig, store: Store, tls: ssl.SSLContext | None = None) -> int:
    registry = default_registry(config.formats_dir)
    engine = EngineWorker(store)
    auth = AuthService(config.session_hours)
    await engine.run_batch(_first_admin, auth, config.admin_password)
    wal = Wal(config.data_dir / "wal")
    queue = IngestQueue(wal, engine, registry, config.timezone, max_pending_bytes=config.max_pending_bytes,
                        batch_bytes=config.batch_bytes, flush_ms=config.ingest_flush_ms)
    committed, seqs = await engine.run_batch(committed_state)
    replayed = queue.replay(committed, seqs)
    if replayed:
        _say(f"Replaying {replayed} records received before the last stop")
    state = ServerState(config, store, registry, engine, auth, queue)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    queue.start()

    closers: list[Any] = []
    info: dict[str, Any] = {"pid": os.getpid(), "url": "", "syslog_tcp": "", "syslog_udp": "", "syslog_tls": ""}
    if config.syslog_tcp:
        sock = _bind(config.syslog_tcp, socket.SOCK_STREAM, "--syslog-tcp")
        tcp = await loop.create_server(lambda: SyslogTcp(queue), sock=sock)
        closers.append(tcp)
        info["syslog_tcp"] = _addr(sock)
    if config.syslog_tls and tls is not None:  # RFC 5425: the TCP framing inside TLS
        sock = _bind(config.syslog_tls, socket.SOCK_STREAM, "--syslog-tls")
        closers.append(await loop.create_server(lambda: SyslogTcp(queue, "syslog-tls"), sock=sock, ssl=tls))
        info["syslog_tls"] = _addr(sock)
    udp: UdpReader | None = None
    if config.syslog_udp:
        sock = _bind(config.syslog_udp, socket.SOCK_DGRAM, "--syslog-udp")
        queue.udp_inode = os.fstat(sock.fileno()).st_ino
        info["syslog_udp"] = _addr(sock)
        udp = UdpReader(sock, queue, loop)
        udp.start()
    server: _Uvicorn | None = None
    serving: asyncio.Task[None] | None = None
    if config.http:
        from logwarden.web.app import create_app

        sock = _bind(config.http, socket.SOCK_STREAM, "--http")
        state.url = info["url"] = f"http://{_addr(sock)}"
        server = _Uvicorn(uvicorn.Config(create_app(state), log_level="warning", access_log=False,
                                         timeout_graceful_shutdown=5, lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
    token = new_token()
    auth.set_local_token(token)
    _write_info(info_dir(config.data_dir), info, token)
    for key, label in (("url", "HTTP API and UI"), ("syslog_tcp", "syslog TCP"), ("syslog_tls", "syslog TLS"),
                       ("syslog_udp", "syslog UDP")):
        if info[key]:
            _say(f"logwarden: {label} on {info[key]}")
    _say(f"logwarden: serving {config.data_dir} (pid {os.getpid()}); stop with Ctrl-C or SIGTERM")

    waits = [asyncio.create_task(stop.wait())] + ([serving] if serving else [])
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    _say("logwarden: stopping: storing what was received…")
    for closer in closers:
        closer.close()
    for conn in list(queue.connections):  # what they sent so far is taken, then they are closed
        if conn.transport is not None:
            conn.transport.close()
    await asyncio.sleep(0.05)
    if udp is not None:
        udp.stop()
    if server is not None and serving is not None:
        server.should_exit = True
        await serving
    await queue.close()
    stats = queue.stats
    _say(f"logwarden: stopped; {stats.stored_records} records stored since start, nothing pending")
    engine.shutdown()
    return 0
