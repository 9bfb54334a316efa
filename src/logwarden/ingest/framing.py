"""Bytes -> batches of records, ready for the engine's line reader.

A batch is a bytes block of whole records separated by `\n`. For a multi-line format, the newline
before each continuation line (a line that does not start a record) is replaced by a separator byte
absent from the block, so the engine reads one record per line; the parse SQL turns the separator
back into `\n`. Batches never split a record: they end before the last record start they hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 8 << 20
SEPARATORS = (b"\x1e", b"\x1f", b"\x1d", b"\x1c")


@dataclass
class Batch:
    data: bytes  # records, `\n`-terminated
    consumed: int  # input bytes this batch stands for
    sep: bytes  # separator used for continuation lines ("" when single-line)


def python_pattern(record_start: str) -> re.Pattern[bytes]:
    """The record-start regex for Python's re, matched at a line start. Multi-line mode keeps every `^`
    meaningful (`^a|^b`: stripping only the first one left `^b` unable to match after a newline)."""
    return re.compile(record_start.encode(), re.MULTILINE)


BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark at the start of a file is not part of its first record


class Framer:
    """`record_start`: lines not matching it continue the record before (stack traces). `continues`: a line
    matching it is continued by the next line (CRI's `P` flag, a Docker line whose text has no newline); it is
    matched at the line's start and may look ahead into the next line (the same stream: `(?P=stream)`)."""

    def __init__(self, record_start: str = "", chunk: int = CHUNK, continues: str = ""):
        self.chunk = chunk
        self.start: re.Pattern[bytes] | None = python_pattern(record_start) if record_start else None
        if self.start is not None:
            self._continuation = re.compile(rb"\n(?!(?:" + self.start.pattern + rb"))", self.start.flags)
            self._starts = re.compile(rb"\n(?=(?:" + self.start.pattern + rb"))", self.start.flags)
        self.continues: re.Pattern[bytes] | None = None
        if continues:
            self.continues = re.compile(continues.encode())  # matched at a line's start (match(data, pos))

    def batches(self, stream: BinaryIO) -> Iterator[Batch]:
        pending = b""
        first = stream.read(len(BOM))
        skipped = len(first) if first == BOM else 0
        if not skipped:
            pending = first
        block = stream.read(self.chunk)
        while True:
            # One block read ahead: at the end of the input the last record goes with the batch before it
            # (a record that reads its neighbours, `[timestamp] inherit`, finds them in the same batch).
            ahead = stream.read(self.chunk) if block else b""
            eof = not ahead
            data = pending + block
            block = ahead
            if not data:
                return
            if eof:
                cut = len(data)
            else:
                cut = self._cut(data)
                if cut == 0:  # one record longer than the chunk: read on
                    pending = data
                    continue
            head, pending = data[:cut], data[cut:]
            batch = self._frame(head)
            batch.consumed += skipped
            skipped = 0
            yield batch
            if eof:
                return

    def _cut(self, data: bytes) -> int:
        """End of the last whole record in `data` (0 when there is none yet)."""
        cut = self._cut_start(data)
        if self.continues is None:
            return cut
        if cut > 0 and data.find(b"\n", cut) < 0:  # `continues` may look into the next line: it must be whole
            cut = data.rfind(b"\n", 0, cut - 1) + 1
        # Not after a line the next one continues: step back over such lines.
        while cut > 0:
            line_start = data.rfind(b"\n", 0, cut - 1) + 1
            if not self.continues.match(data, line_start):
                return cut
            cut = line_start
        return 0 if len(data) < 4 * self.chunk else data.rfind(b"\n") + 1

    def _cut_start(self, data: bytes) -> int:
        last_nl = data.rfind(b"\n")
        if last_nl < 0:
            return 0
        if self.start is None:
            return last_nl + 1
        # The last record may go on in the next block: cut before the last record start.
        lo = max(0, len(data) - (1 << 20))
        while True:
            starts = [m.start() + 1 for m in self._starts.finditer(data, lo)]
            if starts:
                return starts[-1]
            if lo == 0:
                break
            lo = max(0, lo - (4 << 20))
        # No record starts after the first one: keep reading, unless it grows past reason.
        return 0 if len(data) < 4 * self.chunk else last_nl + 1

    def _frame(self, head: bytes) -> Batch:
        body = head if head.endswith(b"\n") else head + b"\n"
        if self.start is None and self.continues is None:
            return Batch(body, len(head), b"")
        sep = next((s for s in SEPARATORS if s not in body), b"")
        if not sep:  # every separator byte occurs in the data: keep lines as records, lose nothing
            return Batch(body, len(head), b"")
        joined = body[:-1]
        if self.continues is not None:  # the last line keeps its newline: nothing after it to continue it
            joined = self._join_continued(joined, sep)
        if self.start is not None:
            joined = self._continuation.sub(sep, joined)
        return Batch(joined + b"\n", len(head), sep)

    def _join_continued(self, body: bytes, sep: bytes) -> bytes:
        """`body` with the newline after every line that `continues` matches replaced by `sep`. The pattern is
        tried once at each line's start (anchored), not scanned across the text: ~10x faster on big batches."""
        assert self.continues is not None
        match = self.continues.match
        lines = body.split(b"\n")
        out: list[bytes] = []
        pos = 0
        for line in lines[:-1]:
            out.append(line)
            out.append(sep if match(body, pos) else b"\n")
            pos += len(line) + 1
        out.append(lines[-1])
        return b"".join(out)

