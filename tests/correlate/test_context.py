"""`correlate.context` and `search -C/-A/-B`: the records around each hit in its own file, like grep -C.

The raw output is compared with what `grep` itself prints over the same file (single-line records), so the
windows, the merging of overlapping or adjacent groups and the `--` separators are grep's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from logwarden.correlate.context import context, windows
from logwarden.errors import UsageError
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs


def _line(i: int, word: str) -> str:
    return f"2020-09-29 16:{i:02d}:00,000 INFO  [qtp-9] [name=bob@corp.ru;ip=10.0.0.6;] soap - step{i} {word}"


# hits (the word "boom") at 0, 4, 5, 10 and 15 of 16 records
HITS = {0, 4, 5, 10, 15}
A = [_line(i, "boom" if i in HITS else "fine") for i in range(16)]
# a second file, later in time, with a hit in the middle; and a multi-line record
B = [
    "2020-09-29 17:00:00,000 INFO  [main] [] misc - quiet",
    ("2020-09-29 17:01:00,000 ERROR [LmtpServer-7] [] lmtp - boom handler exception\n"
    "java.io.IOException: broken pipe\n\tat com.zimbra.cs.lmtpserver.LmtpHandler.doDATA(LmtpHandler.java:412)"),
    "2020-09-29 17:02:00,000 INFO  [main] [] misc - after",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("context")
    out = {}
    for name, records in (("a/mailbox.log", A), ("b/mailbox.log", B)):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(r + "\n" for r in records), encoding="utf-8")
        out[name] = path
    return out


@pytest.fixture(scope="module")
def store(engine, registry, files):
    for path in files.values():
        ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
        for inp in open_inputs(path):
            assert not ingestor.ingest(inp).error
    return engine


def _seqs(groups: list[dict]) -> list[list[int]]:
    return [[int(r["seq"]) for r in g["records"]] for g in groups]


@pytest.mark.parametrize("hits,before,after,expected", [
    ([4], 1, 1, [(3, 5)]),
    ([0], 2, 2, [(0, 2)]),            # file start: nothing before seq 0
    ([4, 5], 1, 1, [(3, 6)]),         # overlapping windows merge
    ([2, 5], 1, 1, [(1, 6)]),         # adjacent windows (3 | 4) merge, as grep does
    ([2, 6], 1, 1, [(1, 3), (5, 7)]),  # a gap: two groups
    ([5, 4, 5], 0, 0, [(4, 5)]),      # duplicates and order do not matter
])
def test_windows(hits: list[int], before: int, after: int, expected: list[tuple[int, int]]) -> None:
    groups = windows([("f", h) for h in hits], before, after)
    assert [(g.first, g.last) for g in groups] == expected


@pytest.mark.parametrize("before,after,expected", [
    (1, 1, [[0, 1], [3, 4, 5, 6], [9, 10, 11], [14, 15]]),
    (0, 0, [[0], [4, 5], [10], [15]]),
    (2, 0, [[0], [2, 3, 4, 5], [8, 9, 10], [13, 14, 15]]),
    (0, 2, [[0, 1, 2], [4, 5, 6, 7], [10, 11, 12], [15]]),   # file end: nothing after the last record
    (0, 1, [[0, 1], [4, 5, 6], [10, 11], [15]]),
    (2, 1, [list(range(7)), [8, 9, 10, 11], [13, 14, 15]]),  # 0-1 and 2-6 touch: grep joins them
    (3, 3, [list(range(16))]),
])
def test_context_over_a_query(store, before: int, after: int, expected: list[list[int]]) -> None:
    groups = context(store, "boom soap", before=before, after=after, limit=None)
    assert _seqs(groups) == expected
    hits = [[int(r["seq"]) for r in g["records"] if r["hit"]] for g in groups]
    assert sorted(s for h in hits for s in h) == sorted(HITS)
    assert all(g["origin"].endswith("a/mailbox.log") for g in groups)


def test_context_keeps_origins_apart_and_reads_oldest_first(store) -> None:
    groups = context(store, "boom", before=1, after=1, limit=None)
    assert [g["origin"].rsplit("/", 2)[-2] for g in groups] == ["a", "a", "a", "a", "b"]
    last = groups[-1]["records"]
    assert [r["raw"] for r in last] == B and [r["hit"] for r in last] == [False, True, False]


def test_context_from_given_hits(store) -> None:
    hit = next(g for g in context(store, "step8", limit=None))["records"][0]
    groups = context(store, [hit], before=1, after=0)
    assert [r["raw"] for r in groups[0]["records"]] == [A[7], A[8]]


@pytest.mark.parametrize("query,problem", [
    ("boom | stats count()", "stats"),
    ("boom | fields ts, raw", "origin and seq"),
])
def test_context_needs_events(store, query: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        context(store, query, before=1, after=1)


def test_context_bounds(store) -> None:
    with pytest.raises(UsageError, match="before=-1"):
        context(store, "boom", before=-1)


@pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")
@pytest.mark.parametrize("flags", [["-C", "1"], ["-A", "2"], ["-B", "3"], ["-B", "1", "-A", "2"], ["-C", "0"]])
def test_cli_raw_is_grep(files: dict[str, Path], tmp_path: Path, flags: list[str]) -> None:
    from conftest import run_cli

    path = files["a/mailbox.log"]
    data = tmp_path / "data"
    assert run_cli("ingest", str(path), data_dir=data).returncode == 0
    expected = subprocess.run(["grep", *flags, "boom", str(path)], capture_output=True, check=True).stdout
    if flags == ["-C", "0"]:  # -C 0 is no context for logwarden: the plain search, oldest first
        flags = ["--output", "raw"]
        expected = b"".join(line + b"\n" for line in expected.splitlines() if line != b"--")
    done = run_cli("search", "boom", *flags, "--output", "raw", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_cli_table_marks_hits(files: dict[str, Path], tmp_path: Path) -> None:
    from conftest import run_cli

    data = tmp_path / "data"
    assert run_cli("ingest", str(files["a/mailbox.log"]), data_dir=data).returncode == 0
    done = run_cli("search", "boom", "-C", "1", data_dir=data, env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    marked = [ln for ln in lines if ln.startswith(">")]
    assert len(marked) == len(HITS) and all("boom" in ln for ln in marked)
    assert sum(1 for ln in lines if ln.startswith("--")) == 3
    assert not any(ln.startswith(">") and "fine" in ln for ln in lines)
