"""Syslog listeners: TCP (RFC 6587 framing: newline-terminated, or
octet-counted `LEN SP MSG`, chosen per connection by its first byte). RFC 3164 and RFC 5424 records
are told apart per block; blocks mentioning postfix are read with the postfix format (which reads the
other programs' lines as plain syslog). The origin is `syslog-tcp://IP:PORT` (one per connection),
`syslog-tls://IP:PORT` (RFC 5425: the same framing inside TLS) or `syslog-udp://IP`.
"""

from __future__ import annotations

import asyncio
import logging
import re

from logwarden.ingest.framing import SEPARATORS
from logwarden.server.queue import IngestQueue, Overloaded

log = logging.getLogger("logwarden.server")
RFC5424 = re.compile(rb"^<\d{1,3}>1 ", re.MULTILINE)
# Records after the first: a literal prefix lets the regex engine jump between newlines (7-10x faster
# than scanning every position for ^ in MULTILINE mode; ~1 µs a line was a fifth of the receive path).
_RFC5424_NEXT = re.compile(rb"\n<\d{1,3}>1 ")
SNARE = b"MSWinEventLog"  # Snare for Windows: tab-separated event columns after this tag
MAX_RECORD = 1 << 20  # a newline-framed record longer than this is cut (stored in pieces)


def syslog_format(block: bytes, records: int) -> str | None:
    """The format for a block of syslog records, or None when it mixes formats (RFC 5424 and 3164 lines, or
    Snare's Windows events, in either envelope, among other lines): `deliver` then splits it line by line."""
    n5424 = len(_RFC5424_NEXT.findall(block, 0, len(block) - 1)) + (1 if RFC5424.match(block) else 0)
    snare = SNARE in block  # one scan of the block (this runs for every block received)
    if n5424 == records and not snare:
        return "syslog_rfc5424"
    if n5424 or snare:
        return None
    return _bsd_format(block)


def _bsd_format(block: bytes) -> str:
    # The postfix format reads every other syslog line as syslog_rfc3164 does, and adds Postfix's fields.
    return "postfix" if b"postfix" in block else "syslog_rfc3164"


def _line_format(line: bytes) -> str:
    # A line with Snare's tag goes to a Snare format, which reads it as plain syslog if it is not Snare's.
    if RFC5424.match(line):
        return "snare_windows_5424" if SNARE in line else "syslog_rfc5424"
    return "snare_windows" if SNARE in line else "bsd"


def deliver(queue: IngestQueue, origin: str, records: list[bytes] | bytes, count: int = 0,
            sender: str = "") -> None:
    """Hand whole records to the queue: a `\\n`-terminated block (with its count), or a list of records
    that may hold newlines (they travel with a separator byte, as multi-line file records do). `sender` (the
    peer's address) is the host of records whose header names none, as rsyslog does."""
    if isinstance(records, bytes):
        block, sep = records, b""
    else:
        count = len(records)
        multi = [r for r in records if b"\n" in r]
        sep = b""
        if multi:
            sep = next((s for s in SEPARATORS if not any(s in r for r in records)), b"")
            records = [r.replace(b"\n", sep) if sep else r.replace(b"\n", b" ") for r in records]
        block = b"\n".join(records) + b"\n"
    fmt = syslog_format(block, count)
    if fmt is None:  # mixed: one block per format
        parts: dict[str, list[bytes]] = {}
        for line in block.splitlines(keepends=True):
            parts.setdefault(_line_format(line), []).append(line)
        for name, part in parts.items():
            data = b"".join(part)
            queue.accept(origin, _bsd_format(data) if name == "bsd" else name, "", sender, data, len(part), sep)
        return
    queue.accept(origin, fmt, "", sender, block, count, sep)


class SyslogTcp(asyncio.Protocol):
    def __init__(self, queue: IngestQueue, scheme: str = "syslog-tcp"):
        """`scheme` names the transport in the origin: `syslog-tcp`, or `syslog-tls` for RFC 5425 (the same
        framing, inside TLS)."""
        self.queue = queue
        self.scheme = scheme
        self.buf = bytearray()
        self.octet: bool | None = None
        self.origin = f"{scheme}://unknown"
        self.sender = ""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.queue.connections.add(self)
        peer = transport.get_extra_info("peername")
        if peer:  # one origin per connection: its records' seq numbers follow its stream
            host = f"[{peer[0]}]" if ":" in peer[0] else peer[0]
            self.origin = f"{self.scheme}://{host}:{peer[1]}"
            self.sender = peer[0]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.octet is None:
            stripped = self.buf.lstrip()
            if not stripped:
                return
            self.octet = stripped[:1].isdigit()
        try:
            if self.octet:
                self._octet_frames()
            else:
                self._lines()
        except Overloaded:
            pass  # the block stays in the buffer; reading pauses below until the engine catches up
        if self.queue.overloaded and self.transport is not None:
            self.transport.pause_reading()
            self.queue.when_drained(self._resume)

    def _resume(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            if self.buf:
                self.data_received(b"")

    def _lines(self) -> None:
        cut = self.buf.rfind(b"\n")
        if cut < 0:
            if len(self.buf) > MAX_RECORD:
                cut = len(self.buf) - 1
                self.buf += b"\n"
            else:
                return
        block = bytes(self.buf[:cut + 1])
        deliver(self.queue, self.origin, block, block.count(b"\n"), self.sender)
        del self.buf[:cut + 1]

    def _octet_frames(self) -> None:
        records: list[bytes] = []
        pos, buf = 0, self.buf
        while True:
            while pos < len(buf) and buf[pos] in b" \r\n":
                pos += 1
            sp = buf.find(b" ", pos, pos + 12)
            if sp < 0:
                if len(buf) - pos > 12:  # not a length: the sender switched to newline framing
                    self.octet = False
                break
            digits = bytes(buf[pos:sp])
            if not digits.isdigit():
                self.octet = False
                break
            end = sp + 1 + int(digits)
            if end > len(buf):
                break
            records.append(bytes(buf[sp + 1:end]).rstrip(b"\n"))
            pos = end
        if records:
            deliver(self.queue, self.origin, records, sender=self.sender)
        del self.buf[:pos]
        if self.octet is False and self.buf:
            self._lines()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.buf.strip():
            try:
                if self.octet:
                    self._octet_frames()
                if self.buf.strip():
                    tail = bytes(self.buf).rstrip(b"\n")
                    deliver(self.queue, self.origin, [tail], sender=self.sender)
            except Overloaded:
                log.warning("%s: %d bytes lost at disconnect: the server is overloaded", self.origin, len(self.buf))
        self.buf.clear()
        self.transport = None
        self.queue.connections.discard(self)


def kernel_drops(sock_inode: int) -> int | None:
    """Datagrams the kernel dropped for our UDP socket (its receive buffer was full), from /proc/net/udp*;
    None where that is not readable (not Linux)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if len(cols) >= 13 and cols[9] == str(sock_inode):
                        return int(cols[12])
        except (OSError, ValueError, StopIteration):
            continue
    return None

