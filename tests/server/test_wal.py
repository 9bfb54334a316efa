"""The write-ahead file on its own: replay from a position, a torn tail cut off, old segments dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from logwarden.server.wal import Wal


def _fill(folder: Path, n: int, segment_bytes: int = 1 << 20) -> list[int]:
    wal = Wal(folder, segment_bytes)
    list(wal.replay(0))
    ends = [wal.append({"o": "t://x", "n": 1, "seq": i}, f"record {i}\n".encode()).end for i in range(n)]
    wal.close()
    return ends


@pytest.mark.parametrize("committed_index", [-1, 0, 4, 9])
def test_replay_from_committed_position(tmp_path: Path, committed_index: int) -> None:
    ends = _fill(tmp_path, 10)
    committed = ends[committed_index] if committed_index >= 0 else 0
    wal = Wal(tmp_path)
    got = [e.data for e in wal.replay(committed)]
    assert got == [f"record {i}\n".encode() for i in range(committed_index + 1, 10)]
    assert wal.position == ends[-1]


@pytest.mark.parametrize("cut", [1, 5, 14, 20])
def test_torn_tail_is_cut_and_writing_goes_on(tmp_path: Path, cut: int) -> None:
    ends = _fill(tmp_path, 3)
    seg = next(tmp_path.glob("*.wal"))
    seg.write_bytes(seg.read_bytes()[:-cut])  # a kill in the middle of the last write
    wal = Wal(tmp_path)
    assert [e.data for e in wal.replay(0)] == [b"record 0\n", b"record 1\n"]
    assert wal.position == ends[1]
    wal.append({"o": "t://x", "n": 1, "seq": 2}, b"again\n")
    wal.close()
    assert [e.data for e in Wal(tmp_path).replay(0)] == [b"record 0\n", b"record 1\n", b"again\n"]


def test_corrupt_entry_ends_replay(tmp_path: Path) -> None:
    _fill(tmp_path, 3)
    seg = next(tmp_path.glob("*.wal"))
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF  # a flipped byte in the last entry's record: its checksum fails
    seg.write_bytes(bytes(data))
    assert len(list(Wal(tmp_path).replay(0))) == 2


def test_checkpoint_drops_stored_segments(tmp_path: Path) -> None:
    ends = _fill(tmp_path, 200, segment_bytes=1000)
    assert len(list(tmp_path.glob("*.wal"))) > 3
    wal = Wal(tmp_path, 1000)
    list(wal.replay(ends[150]))
    wal.checkpoint(ends[150])
    left = sorted(int(p.stem) for p in tmp_path.glob("*.wal"))
    assert left[0] <= ends[150] and len(left) < 4 + (ends[-1] - ends[150]) // 1000
    assert [e.meta["seq"] for e in Wal(tmp_path, 1000).replay(ends[150])] == list(range(151, 200))
