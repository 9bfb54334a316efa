"""Framing: bytes -> batches of whole records (no engine involved)."""

from __future__ import annotations

import io
import random

import pytest

from logwarden.ingest.framing import SEPARATORS, Framer

MAILBOX_START = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "


def records_of(framer: Framer, data: bytes) -> tuple[list[bytes], int]:
    """Records as the engine would see them (separator turned back into newlines), and bytes consumed."""
    out: list[bytes] = []
    consumed = 0
    for batch in framer.batches(io.BytesIO(data)):
        assert batch.data.endswith(b"\n")
        consumed += batch.consumed
        for line in batch.data[:-1].split(b"\n"):
            out.append(line.replace(batch.sep, b"\n") if batch.sep else line)
    return out, consumed


def mailbox(n: int, trace_lines: int = 3) -> tuple[bytes, list[bytes]]:
    recs = []
    for i in range(n):
        rec = f"2020-09-29 16:{i // 60 % 60:02d}:{i % 60:02d},{i % 1000:03d} ERROR [t-{i}] [] x - record {i}"
        if i % 2:
            rec += "".join(f"\n\tat com.example.C{i}.m{j}(C.java:{j})" for j in range(trace_lines))
            rec += f"\nCaused by: java.io.IOException: {i}"  # not indented, still a continuation
        recs.append(rec.encode())
    return b"".join(r + b"\n" for r in recs), recs


@pytest.mark.parametrize("chunk", [7, 64, 1000, 1 << 20])
def test_single_line_records_survive_any_chunk_size(chunk: int) -> None:
    lines = [f"line {i} {'x' * (i % 50)}".encode() for i in range(300)]
    data = b"\n".join(lines) + b"\n"
    got, consumed = records_of(Framer("", chunk=chunk), data)
    assert got == lines
    assert consumed == len(data)


def test_last_line_without_newline_is_a_record() -> None:
    got, consumed = records_of(Framer(""), b"a\nb\nlast")
    assert got == [b"a", b"b", b"last"]
    assert consumed == len(b"a\nb\nlast")


def test_empty_input_yields_nothing() -> None:
    assert list(Framer("").batches(io.BytesIO(b""))) == []
    assert list(Framer(MAILBOX_START).batches(io.BytesIO(b""))) == []


@pytest.mark.parametrize("chunk", [50, 333, 4096, 1 << 20])
def test_stack_traces_join_their_record_and_batches_never_split_one(chunk: int) -> None:
    data, recs = mailbox(120)
    framer = Framer(MAILBOX_START, chunk=chunk)
    got, consumed = records_of(framer, data)
    assert got == recs
    assert consumed == len(data)
    for batch in framer.batches(io.BytesIO(data)):
        # every batch starts with a record start: no record is cut between two batches
        assert framer.start is not None and framer.start.match(batch.data)


def test_lines_before_the_first_record_start_form_their_own_record() -> None:
    data = b"\tat orphan.continuation(X.java:1)\n2020-09-29 16:45:00,123 INFO [t] [] x - first\n\tat a.b(C.java:2)\n"
    got, _ = records_of(Framer(MAILBOX_START), data)
    assert got == [b"\tat orphan.continuation(X.java:1)",
                   b"2020-09-29 16:45:00,123 INFO [t] [] x - first\n\tat a.b(C.java:2)"]


def test_separator_avoids_bytes_present_in_the_data() -> None:
    data = (b"2020-09-29 16:45:00,123 INFO [t] [] x - has \x1e and \x1f\n\tat a.b(C.java:2)\n"
            b"2020-09-29 16:45:01,123 INFO [t] [] x - next\n")
    first = next(Framer(MAILBOX_START).batches(io.BytesIO(data)))
    assert first.sep not in (b"", b"\x1e", b"\x1f")
    got, _ = records_of(Framer(MAILBOX_START), data)
    assert got == [b"2020-09-29 16:45:00,123 INFO [t] [] x - has \x1e and \x1f\n\tat a.b(C.java:2)",
                   b"2020-09-29 16:45:01,123 INFO [t] [] x - next"]


def test_every_separator_byte_in_the_data_keeps_lines_and_loses_nothing() -> None:
    data = b"2020-09-29 16:45:00,123 INFO [t] [] x - " + b"".join(SEPARATORS) + b"\n\tat a.b(C.java:2)\n"
    got, consumed = records_of(Framer(MAILBOX_START), data)
    assert b"\n".join(got) + b"\n" == data
    assert consumed == len(data)


def test_a_record_longer_than_the_chunk_is_read_whole() -> None:
    long_line = b"2020-09-29 16:45:00,123 INFO [t] [] x - " + b"y" * 10_000
    data = long_line + b"\n\tat a.b(C.java:1)\n" + b"2020-09-29 16:45:01,000 INFO [t] [] x - next\n"
    got, _ = records_of(Framer(MAILBOX_START, chunk=512), data)
    assert got == [long_line + b"\n\tat a.b(C.java:1)", b"2020-09-29 16:45:01,000 INFO [t] [] x - next"]
    single, _ = records_of(Framer("", chunk=512), b"z" * 5000 + b"\nshort\n")
    assert single == [b"z" * 5000, b"short"]


def test_random_reads_never_change_the_records() -> None:
    rng = random.Random(7)
    data, recs = mailbox(60, trace_lines=2)

    class Dribble(io.RawIOBase):
        """A pipe: every read returns fewer bytes than asked for."""

        def __init__(self, data: bytes):
            self.buf = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:  # type: ignore[override]
            return self.buf.read(rng.randint(1, max(1, n if n > 0 else 100)))

    for chunk in (40, 300):
        out: list[bytes] = []
        for batch in Framer(MAILBOX_START, chunk=chunk).batches(Dribble(data)):  # type: ignore[arg-type]
            out += [r.replace(batch.sep, b"\n") for r in batch.data[:-1].split(b"\n")]
        assert out == recs


@pytest.mark.parametrize("record_start", [r"^\d{4}-\d\d-\d\d |^\[\d+\] ", r"(?:\d{4}-\d\d-\d\d |\[\d+\] )"])
def test_record_start_alternatives_each_start_a_record(record_start: str) -> None:
    data = (b"2020-09-29 first\n\tat a.b(C.java:1)\n[42] second\n  wrapped\n"
            b"2020-09-29 third\nnot a start [7] \n")
    got, _ = records_of(Framer(record_start), data)
    assert got == [b"2020-09-29 first\n\tat a.b(C.java:1)", b"[42] second\n  wrapped",
                   b"2020-09-29 third\nnot a start [7] "]
