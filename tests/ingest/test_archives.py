"""Archives beyond .tar.gz: .zip (support bundles, the VK Teams desktop log archive), .tar.bz2 and .tar.xz.
Each member is ingested with `archive!member` as its origin; a gzip member is read decompressed."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import run_cli

LINES = [f"Oct 13 10:17:{i:02d} mail sshd[4089]: Failed password for root from 203.0.113.{i} port 22 ssh2"
         for i in range(30)]
TEXT = ("\n".join(LINES) + "\n").encode()


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("logs/auth.log", TEXT.replace(b"Oct 13", b"Oct 14")[: len(TEXT) // 2].rsplit(b"\n", 1)[0] + b"\n")
        z.writestr("logs/auth.log.1.gz", gzip.compress(TEXT))
        z.writestr("__MACOSX/._auth.log", b"\x00\x05\x16\x07junk")
        z.writestr("logs/", b"")


def _tar(path: Path, mode: str) -> None:
    with tarfile.open(path, mode) as t:
        info = tarfile.TarInfo("var/log/auth.log")
        info.size = len(TEXT)
        t.addfile(info, io.BytesIO(TEXT))


def test_zip_members_are_ingested_with_their_origin(tmp_path: Path) -> None:
    archive = tmp_path / "vkteams-logs.zip"
    _zip(archive)
    proc = run_cli("ingest", str(archive), "--output", "json", data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    origins = sorted(f["path"] for f in report["files"])
    assert origins == [f"{archive}!logs/auth.log", f"{archive}!logs/auth.log.1.gz"]
    assert report["records"] == 15 + 30 and report["unparsed"] == 0
    found = run_cli("search", "203.0.113.29", "--output", "ndjson", data_dir=tmp_path / "data")
    assert [json.loads(x)["origin"] for x in found.stdout.splitlines()] == [f"{archive}!logs/auth.log.1.gz"]
    again = run_cli("ingest", str(archive), "--output", "json", data_dir=tmp_path / "data")
    assert json.loads(again.stdout)["records"] == 0


@pytest.mark.parametrize("suffix,mode", [(".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_compressed_tar_members(tmp_path: Path, suffix: str, mode: str) -> None:
    archive = tmp_path / f"bundle{suffix}"
    _tar(archive, mode)
    proc = run_cli("ingest", str(archive), "--output", "json", data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr
    [f] = json.loads(proc.stdout)["files"]
    assert (f["path"], f["records"], f["format"]) == (f"{archive}!var/log/auth.log", 30, "syslog_rfc3164")


def test_a_broken_zip_is_reported_and_the_rest_is_kept(tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    good = tmp_path / "auth.log"
    good.write_bytes(TEXT)
    proc = run_cli("ingest", str(bad), str(good), "--output", "json", data_dir=tmp_path / "data")
    assert proc.returncode == 1
    assert b"broken.zip" in proc.stderr and b"zip" in proc.stderr and b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["records"] == 30
