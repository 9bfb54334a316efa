"""What `ingest PATH...` reads: files, directories, `-`, `.gz`, and members of `.tar.gz`, `.tar.bz2`,
`.tar.xz` and `.zip` archives (a support bundle, the VK Teams desktop log archive) as `archive!member`."""

from __future__ import annotations

import gzip
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from logwarden.errors import LogwardenError, UsageError

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_TAR_MODES = (((".tar",), "r:"), ((".tar.bz2", ".tbz2"), "r:bz2"), ((".tar.xz", ".txz"), "r:xz"))


@dataclass
class Input:
    """One stream of records with the identity that re-ingest bookkeeping needs."""

    origin: str
    stream: BinaryIO  # decompressed bytes
    mtime: float
    size: int  # bytes on disk (compressed size for archives), for progress
    device: int = 0
    inode: int = 0
    seekable: bool = False  # a plain file: resuming seeks instead of reading past the old part
    name: str = ""  # base name used for format hints (the member name inside an archive)


class SkippedInput(LogwardenError):
    """A path that cannot be ingested; reported, and the other paths go on."""

    def __init__(self, origin: str, reason: str):
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


def _walk(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # hidden folders too, like hidden files
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(root) / name
    else:
        yield path


def expand(paths: list[str]) -> list[str | Path]:
    """Check every path up front so a typo fails before anything is ingested."""
    out: list[str | Path] = []
    for p in paths:
        if p == "-":
            out.append("-")
            continue
        path = Path(p)
        if not path.exists():
            raise UsageError(f"no such file or directory: {p}")
        out.extend(_walk(path.resolve()))
    return out


def stdin_origin() -> str:
    """Each read of standard input is its own origin (`stdin@<UTC time>`), so records of two pipes never
    share a position; the same text piped twice is still recognised by its first bytes and added once."""
    from datetime import UTC

    return f"stdin@{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"


def open_inputs(item: str | Path) -> Iterator[Input | SkippedInput]:
    """Yield the inputs behind one expanded path (several for an archive)."""
    if item == "-":
        yield Input(stdin_origin(), sys.stdin.buffer, mtime=0.0, size=0, name="stdin")
        return
    path = Path(item)
    origin = str(path)
    try:
        st = path.stat()
        if path.name.endswith(TAR_SUFFIXES):
            yield from _tar_members(path, st)
            return
        if path.suffix.lower() == ".zip":
            yield from _zip_members(path, st)
            return
        if path.suffix.lower() == ".xlsx":  # a spreadsheet export: each sheet's rows as JSON lines (xlsx.py)
            from logwarden.ingest.xlsx import xlsx_inputs

            yield from xlsx_inputs(path, st)
            return
        raw = path.open("rb")
    except PermissionError:
        yield SkippedInput(origin, "permission denied (run as a user who can read it)")
        return
    except OSError as exc:
        yield SkippedInput(origin, f"cannot open: {exc.strerror or exc}")
        return
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
        yield SkippedInput(origin, f"corrupt archive: {exc}")
        return
    if path.suffix == ".gz":
        stream: BinaryIO = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        yield Input(origin, stream, st.st_mtime, st.st_size, st.st_dev, st.st_ino, False, path.name[:-3])
    else:
        yield Input(origin, raw, st.st_mtime, st.st_size, st.st_dev, st.st_ino, True, path.name)


def _tar_members(path: Path, st: os.stat_result) -> Iterator[Input | SkippedInput]:
    mode = next((m for suffixes, m in _TAR_MODES if path.name.endswith(suffixes)), "r:gz")
    try:
        with tarfile.open(path, mode) as tar:
            for member in tar:
                if not member.isfile():
                    continue
                origin = f"{path}!{member.name}"
                stream = tar.extractfile(member)
                if stream is None:
                    continue
                name = Path(member.name).name
                if name.endswith(".gz"):  # a rotated log inside the archive (mailbox.log.2020-09-28.gz)
                    stream = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
                    name = name[:-3]
                yield Input(origin, stream, member.mtime or st.st_mtime, member.size, name=name)  # type: ignore[arg-type]
    except (tarfile.TarError, EOFError, OSError) as exc:
        yield SkippedInput(str(path), f"corrupt or unreadable archive: {exc}")


def _zip_members(path: Path, st: os.stat_result) -> Iterator[Input | SkippedInput]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                name = Path(info.filename).name
                if name.startswith(".") or info.filename.startswith("__MACOSX/"):
                    continue
                origin = f"{path}!{info.filename}"
                try:
                    stream: BinaryIO = archive.open(info)  # type: ignore[assignment]
                except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as exc:  # encrypted, odd method
                    yield SkippedInput(origin, f"cannot read this member: {exc}")
                    continue
                if name.endswith(".gz"):
                    stream = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
                    name = name[:-3]
                mtime = datetime(*info.date_time).timestamp() if info.date_time[0] >= 1980 else st.st_mtime
                yield Input(origin, stream, mtime, info.compress_size, name=name)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        yield SkippedInput(str(path), f"corrupt or unreadable zip archive: {exc}")
