"""The write-ahead file: every received batch is appended (and fsynced before it is acknowledged), and
replayed on start until the engine has committed it.

Layout: `<data_dir>/wal/<start>.wal` segments. A position is a byte offset in the endless stream of
all segments (a segment's name is the position of its first byte). An entry is

    b"LW" | u32 header length | u32 data length | u32 crc32(header + data) | header (JSON) | data

The engine's bookkeeping (lw.files, origin "#wal") records the position up to which entries are stored;
segments wholly before it are deleted. A torn entry at the end (a kill mid-write) is cut off on open.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

MAGIC = b"LW"
HEAD = struct.Struct("<2sIII")
SEGMENT_BYTES = 64 << 20


@dataclass
class Entry:
    """One received batch: records `\\n`-terminated (continuation newlines replaced by `meta['sep']`)."""

    meta: dict[str, Any]
    data: bytes
    end: int = 0  # WAL position just past this entry

    @property
    def records(self) -> int:
        return int(self.meta.get("n", 0))


def _segments(folder: Path) -> list[tuple[int, Path]]:
    out = []
    for p in folder.glob("*.wal"):
        try:
            out.append((int(p.stem), p))
        except ValueError:
            continue
    return sorted(out)


class Wal:
    def __init__(self, folder: Path, segment_bytes: int = SEGMENT_BYTES):
        self.folder = folder
        self.segment_bytes = segment_bytes
        folder.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        self._retired: list[int] = []  # rotated segments' descriptors, closed by the next sync
        self._seg_start = 0
        self.position = 0  # end of the last entry written
        self.synced = 0  # position known to be on disk

    # -- open and replay -------------------------------------------------------------------------
    def replay(self, committed: int) -> Iterator[Entry]:
        """Entries past `committed`, in order. Cuts a torn tail, sets the write position, and leaves
        the file ready for `append` (a fresh segment)."""
        end = committed
        segments = _segments(self.folder)
        for start, path in segments:
            data = path.read_bytes()
            pos, good = 0, 0
            while pos + HEAD.size <= len(data):
                magic, hlen, dlen, crc = HEAD.unpack_from(data, pos)
                body_end = pos + HEAD.size + hlen + dlen
                if magic != MAGIC or body_end > len(data):
                    break
                body = data[pos + HEAD.size:body_end]
                if zlib.crc32(body) != crc:
                    break
                pos = good = body_end
                if start + pos > committed:
                    meta = json.loads(body[:hlen])
                    yield Entry(meta, bytes(body[hlen:]), start + pos)
            end = max(end, start + good)
            if good < len(data):  # a torn or corrupt tail: nothing after it was acknowledged
                with path.open("r+b") as f:
                    f.truncate(good)
                for _, later in segments[segments.index((start, path)) + 1:]:
                    later.unlink()
                break
        self._open_segment(end)
        self.synced = self.position

    def _open_segment(self, start: int) -> None:
        if self._fd is not None:
            self._retired.append(self._fd)  # a sync in another thread may be using it: close it there
        path = self.folder / f"{start:020d}.wal"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._seg_start = start
        # An existing segment of this name holds entries before `start` only if it was cut; keep its length.
        self.position = start + os.fstat(self._fd).st_size
        _fsync_dir(self.folder)

    # -- write -----------------------------------------------------------------------------------
    def append(self, meta: dict[str, Any], data: bytes) -> Entry:
        assert self._fd is not None, "replay() opens the WAL"
        header = json.dumps(meta, separators=(",", ":")).encode()
        crc = zlib.crc32(data, zlib.crc32(header))
        record = HEAD.pack(MAGIC, len(header), len(data), crc) + header + data
        try:
            written = os.write(self._fd, record)
        except OSError:
            written = -1
        if written != len(record):  # a full disk: take the torn piece back, so later entries stay readable
            os.ftruncate(self._fd, self.position - self._seg_start)
            raise OSError(28, "no space left for the write-ahead file")
        self.position += len(record)
        entry = Entry(meta, data, self.position)
        if self.position - self._seg_start >= self.segment_bytes:
            self._open_segment(self.position)
        return entry

    def sync(self) -> int:
        """Make everything written so far durable; returns the durable position (runs in a thread)."""
        target, fd = self.position, self._fd
        retired, self._retired = self._retired, []
        for old in retired:
            os.fdatasync(old)
            os.close(old)
        if fd is not None and target > self.synced:
            os.fdatasync(fd)
            self.synced = max(self.synced, target)
        return self.synced

    def checkpoint(self, committed: int) -> None:
        """The engine holds everything before `committed`: drop segments that lie wholly before it."""
        segments = _segments(self.folder)
        for (_start, path), (next_start, _) in pairwise(segments):
            if next_start <= committed and next_start <= self._seg_start:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self.sync()
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
