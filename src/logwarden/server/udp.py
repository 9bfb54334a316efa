"""Syslog over UDP: a thread reads datagrams in a tight loop (far cheaper per datagram than the event
loop's callbacks) and hands them to the event loop every UDP_FLUSH_S, grouped by sender. A datagram is
one record. When the server is overloaded, datagrams are dropped and counted (`udp_dropped`); those the
kernel dropped before we could read them are counted from /proc/net/udp (`udp_kernel_dropped`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from logwarden.server.queue import IngestQueue, Overloaded
from logwarden.server.syslog import deliver

UDP_FLUSH_S = 0.02
MAX_DATAGRAM = 65535


class UdpReader:
    def __init__(self, sock: socket.socket, queue: IngestQueue, loop: asyncio.AbstractEventLoop):
        self.sock, self.queue, self.loop = sock, queue, loop
        sock.setblocking(True)
        sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="syslog-udp", daemon=True)
        self._left: tuple[dict[str, list[bytes]], int, int] | None = None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        pending: dict[str, list[bytes]] = {}
        got = dropped = 0
        due = time.monotonic() + UDP_FLUSH_S
        recv = self.sock.recvfrom
        queue = self.queue
        while not self._stop.is_set():
            try:
                data, addr = recv(MAX_DATAGRAM)
                got += 1
                if queue.overloaded:
                    dropped += 1
                else:
                    pending.setdefault(addr[0], []).append(data.rstrip(b"\r\n\0"))
            except TimeoutError:
                pass
            except OSError:
                if self._stop.is_set():
                    break
            now = time.monotonic()
            if now >= due:
                if got:
                    self.loop.call_soon_threadsafe(self._hand_over, pending, got, dropped)
                    pending, got, dropped = {}, 0, 0
                due = now + UDP_FLUSH_S
        self._left = (pending, got, dropped)

    def _hand_over(self, pending: dict[str, list[bytes]], got: int, dropped: int) -> None:
        stats = self.queue.stats
        stats.udp_datagrams += got
        stats.udp_dropped += dropped
        for ip, records in pending.items():
            try:
                deliver(self.queue, f"syslog-udp://{ip}", records, sender=ip)
            except Overloaded:
                stats.udp_dropped += len(records)

    def stop(self) -> None:
        """Stop reading and hand over what was read (call from the event loop's thread)."""
        self._stop.set()
        self._thread.join(5)
        if self._left is not None:
            self._hand_over(*self._left)
            self._left = None
        self.sock.close()
