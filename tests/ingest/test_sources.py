"""What `ingest PATH...` reads: paths expanded up front, inputs opened (no engine involved)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest
from ingest_helpers import MAILBOX, SYSLOG, write

from logwarden.errors import UsageError
from logwarden.ingest.sources import Input, SkippedInput, expand, open_inputs


def opened(path: Path | str) -> list[Input | SkippedInput]:
    return [inp for item in expand([str(path)]) for inp in open_inputs(item)]


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1601398000
            tar.addfile(info, io.BytesIO(data))
    return path


def test_missing_path_fails_before_anything_is_read(tmp_path: Path) -> None:
    write(tmp_path / "ok.log", SYSLOG)
    with pytest.raises(UsageError, match="no such file or directory: .*nope.log") as exc:
        expand([str(tmp_path / "ok.log"), str(tmp_path / "nope.log")])
    assert exc.value.exit_code == 2


def test_directories_recurse_in_sorted_order_skipping_hidden_entries(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    for rel in ("b/syslog", "a/z/mailbox.log", "a/messages", "c.log", ".hidden.log", "a/.swap",
                ".git/HEAD", "a/.cache/old.log"):
        write(root / rel, SYSLOG)
    got = [str(Path(p).relative_to(root.resolve())) for p in expand([str(root)])]
    assert got == ["c.log", "a/messages", "a/z/mailbox.log", "b/syslog"]


def test_stdin_and_paths_are_kept_in_order(tmp_path: Path) -> None:
    f = write(tmp_path / "x.log", SYSLOG)
    assert expand(["-", str(f)]) == ["-", f.resolve()]
    (inp,) = list(open_inputs("-"))
    assert isinstance(inp, Input) and inp.origin.startswith("stdin@") and not inp.seekable


def test_plain_file_is_seekable_with_identity(tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", MAILBOX)
    (inp,) = opened(f)
    assert isinstance(inp, Input)
    st = f.stat()
    assert (inp.origin, inp.size, inp.inode, inp.seekable, inp.name) == (str(f.resolve()), st.st_size, st.st_ino,
                                                                        True, "mailbox.log")
    assert inp.stream.read() == MAILBOX.encode()


def test_gz_is_decompressed_and_named_without_the_suffix(tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log.1.gz", gzip.compress(MAILBOX.encode()))
    (inp,) = opened(f)
    assert isinstance(inp, Input)
    assert (inp.origin, inp.name, inp.seekable) == (str(f.resolve()), "mailbox.log.1", False)
    assert inp.stream.read() == MAILBOX.encode()


@pytest.mark.parametrize("name, mode", [("mailbox.log.2020-09-29.tar.gz", "w:gz"), ("logs.tgz", "w:gz"),
                                        ("logs.tar", "w")])
def test_archive_members_are_inputs_named_archive_bang_member(tmp_path: Path, name: str, mode: str) -> None:
    arc = make_tar(tmp_path / name, {"log/mailbox.log": MAILBOX.encode(), "log/syslog": SYSLOG.encode()}, mode)
    inputs = opened(arc)
    assert [i.origin for i in inputs] == [f"{arc.resolve()}!log/mailbox.log", f"{arc.resolve()}!log/syslog"]
    assert [i.name for i in inputs if isinstance(i, Input)] == ["mailbox.log", "syslog"]


def test_archive_member_streams_read_in_turn(tmp_path: Path) -> None:
    arc = make_tar(tmp_path / "a.tar.gz", {"mailbox.log": MAILBOX.encode(), "syslog": SYSLOG.encode()})
    data = []
    for item in expand([str(arc)]):
        for inp in open_inputs(item):
            assert isinstance(inp, Input)
            data.append((inp.origin.rsplit("!", 1)[1], inp.stream.read(), inp.mtime))
    assert data == [("mailbox.log", MAILBOX.encode(), 1601398000), ("syslog", SYSLOG.encode(), 1601398000)]


def test_gz_members_inside_an_archive_are_decompressed(tmp_path: Path) -> None:
    arc = make_tar(tmp_path / "zimbra-logs.tgz", {"log/mailbox.log.2020-09-28.gz": gzip.compress(MAILBOX.encode())})
    for item in expand([str(arc)]):
        for inp in open_inputs(item):
            assert isinstance(inp, Input)
            assert inp.origin.endswith("!log/mailbox.log.2020-09-28.gz")
            assert inp.name == "mailbox.log.2020-09-28"
            assert inp.stream.read() == MAILBOX.encode()


def test_corrupt_archive_is_skipped_with_a_reason(tmp_path: Path) -> None:
    arc = write(tmp_path / "broken.tar.gz", b"this is not gzip at all\n")
    (inp,) = opened(arc)
    assert isinstance(inp, SkippedInput)
    assert inp.origin == str(arc.resolve())
    assert "corrupt or unreadable archive" in inp.reason


def test_unreadable_file_is_skipped_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path / "secret.log", SYSLOG)
    if os.geteuid() != 0:
        f.chmod(0)
    else:  # root reads everything: make the open fail as it would for a user
        real_open = Path.open

        def deny(self: Path, *args: object, **kwargs: object) -> object:
            if self.name == "secret.log":
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", deny)
    (inp,) = opened(f)
    assert isinstance(inp, SkippedInput)
    assert inp.reason.startswith("permission denied")


def test_dangling_symlink_inside_a_directory_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "d" / "ok.log", SYSLOG)
    (tmp_path / "d" / "gone.log").symlink_to(tmp_path / "nowhere")
    inputs = opened(tmp_path / "d")
    assert [type(i).__name__ for i in inputs] == ["SkippedInput", "Input"]
    assert "cannot open" in inputs[0].reason  # type: ignore[union-attr]
