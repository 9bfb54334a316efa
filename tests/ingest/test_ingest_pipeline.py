"""Ingest through the real engine, in process: what is stored, what re-ingest adds, and what a failure leaves."""

from __future__ import annotations

import gzip
import io
import os
import random
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import (
    AUTH_FAILED,
    HANDLER,
    MAILBOX,
    MAILBOX_RECORDS,
    SYSLOG,
    SYSLOG_RECORDS,
    TRACE,
    Stores,
    events,
    fingerprint,
    ingest,
    mailbox_line,
    store_fixture,  # noqa: F401
    stores_fixture,  # noqa: F401
    write,
)

from logwarden.formats.registry import Registry
from logwarden.ingest import pipeline
from logwarden.ingest.framing import Framer
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB


def raws(store: Store, origin: Path | str | None = None) -> list[str]:
    if origin is None:
        return [e["raw"] for e in events(store)]
    return [e["raw"] for e in events(store, "origin = {o:String}", {"o": str(origin)})]


def tar_gz(path: Path, members: dict[str, bytes], mtime: int = 1601398000) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
    return path


# -- what one file becomes -------------------------------------------------------------------------
def test_mailbox_log_stack_trace_is_one_record_with_its_fields(store: Store, registry: Registry,
                                                                 tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", MAILBOX)
    report = ingest(store, registry, f)
    (res,) = report.files
    assert (res.path, res.format, res.records, res.unparsed, res.error) == (str(f), "zimbra_mailbox", 4, 0, "")
    rows = events(store)
    assert [r["seq"] for r in rows] == [0, 1, 2, 3]
    assert [r["raw"] for r in rows] == MAILBOX_RECORDS
    trace = rows[1]
    assert trace["raw"] == HANDLER + "\n" + TRACE  # continuation lines joined with \n, tabs kept
    assert trace["raw"].count("\n") == 3
    assert (trace["level"], trace["client_ip"], trace["fields"]["exception"]) == ("error", "192.168.1.20",
                                                                                 "java.io.IOException")
    first = rows[0]
    assert (first["ts"], first["ts_inferred"], first["level"], first["user"], first["client_ip"]) == (
        "2020-09-29 16:45:00.123000", 0, "warn", "user@corp.ru", "10.0.0.5")
    assert (first["source"], first["service"], first["format"], first["origin"]) == (
        "zimbra", "mailbox", "zimbra_mailbox", str(f))
    assert first["fields"]["reason"] == "invalid password"
    assert {r["batch"] for r in rows} == {rows[0]["batch"]}  # one file, one batch


def test_source_host_and_explicit_format_apply(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "app-output.txt", MAILBOX)  # a name no format hints at
    (res,) = ingest(store, registry, f, fmt="zimbra_mailbox", source="mail-prod", host="mbox1").files
    assert (res.format, res.records, res.unparsed) == ("zimbra_mailbox", 4, 0)
    rows = events(store)
    assert {(r["source"], r["host"]) for r in rows} == {("mail-prod", "mbox1")}
    assert rows[1]["raw"] == HANDLER + "\n" + TRACE


def test_lines_no_format_understands_are_kept_and_counted(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "syslog", SYSLOG + "garbage that is not syslog\n" + SYSLOG_RECORDS[0] + "\n")
    (res,) = ingest(store, registry, f).files
    assert (res.format, res.records, res.unparsed) == ("syslog_rfc3164", 5, 1)
    bad = events(store, "seq = 3")[0]
    assert bad["raw"] == "garbage that is not syslog"
    assert bad["format"] == "" and bad["fields"]["_unparsed"] == "no match for syslog_rfc3164"


# -- re-ingest ---------------------------------------------------------------------------------------
def test_same_file_again_adds_nothing(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", MAILBOX)
    ingest(store, registry, f)
    before = fingerprint(store)
    (res,) = ingest(store, registry, f).files
    assert (res.records, res.skipped, res.error) == (0, "unchanged", "")
    (res,) = ingest(store, registry, tmp_path).files  # the same file reached through its directory
    assert (res.records, res.skipped) == (0, "unchanged")
    assert fingerprint(store) == before


def test_grown_file_adds_only_its_tail_and_seq_goes_on(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", MAILBOX)
    ingest(store, registry, f)
    first = events(store)
    tail = [mailbox_line("2020-09-29 17:00:00", "lmtp - handler exception") + "\n" + TRACE,
            mailbox_line("2020-09-29 17:00:01", "soap - after")]
    with f.open("a") as fh:
        fh.write("".join(r + "\n" for r in tail))
    (res,) = ingest(store, registry, f).files
    assert (res.records, res.unparsed, res.format) == (2, 0, "zimbra_mailbox")
    rows = events(store)
    assert [r["seq"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert [r["raw"] for r in rows] == MAILBOX_RECORDS + tail
    assert rows[:4] == first  # the old events are untouched (same batch, same everything)
    assert rows[4]["batch"] != first[0]["batch"]
    assert ingest(store, registry, f).files[0].skipped == "unchanged"


def test_replaced_file_under_the_same_name_is_read_from_its_start(store: Store, registry: Registry,
                                                                  tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", MAILBOX)
    ingest(store, registry, f)
    new = [mailbox_line(f"2020-09-30 00:00:0{i}", f"soap - new day {i}") for i in range(3)]
    f.unlink()
    write(f, "".join(r + "\n" for r in new))  # rotation: a new file, shorter than the old one
    (res,) = ingest(store, registry, f).files
    assert (res.records, res.error) == (3, "")
    assert sorted(raws(store)) == sorted(MAILBOX_RECORDS + new)  # the old events stay
    assert ingest(store, registry, f).files[0].skipped == "unchanged"


def _day(day: int, n: int) -> list[str]:
    """`n` mailbox.log records of one September day (a file past the 4 KiB that identify it, for n >= 40)."""
    return [mailbox_line(f"2020-09-{day:02d} {10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
                         f"soap - SearchRequest elapsed={i}") for i in range(n)]


def test_rotated_file_renamed_adds_only_its_unread_tail(store: Store, registry: Registry, tmp_path: Path) -> None:
    logdir = tmp_path / "log"
    day1 = _day(28, 60)
    f = write(logdir / "mailbox.log", "".join(r + "\n" for r in day1[:50]))
    assert f.stat().st_size > 4096
    ingest(store, registry, logdir)
    with f.open("a") as fh:  # written after the last ingest, just before rotation
        fh.write("".join(r + "\n" for r in day1[50:]))
    f.rename(logdir / "mailbox.log.1")  # logrotate: same bytes, new name
    day2 = _day(29, 3)
    write(logdir / "mailbox.log", "".join(r + "\n" for r in day2))
    report = ingest(store, registry, logdir)
    assert [(Path(r.path).name, r.records) for r in report.files] == [("mailbox.log", 3), ("mailbox.log.1", 10)]
    assert sorted(raws(store)) == sorted(day1 + day2)  # nothing twice
    tail = events(store, "origin = {o:String}", {"o": str(logdir / "mailbox.log.1")})
    assert [e["seq"] for e in tail] == list(range(50, 60))  # positions go on from where the old name stopped


def test_rotated_file_compressed_is_recognised(store: Store, registry: Registry, tmp_path: Path) -> None:
    logdir = tmp_path / "log"
    day1 = "".join(r + "\n" for r in _day(28, 60))
    f = write(logdir / "mailbox.log", day1)
    ingest(store, registry, logdir)
    f.unlink()
    write(logdir / "mailbox.log.2020-09-28.gz", gzip.compress(day1.encode()))
    (res,) = ingest(store, registry, logdir).files
    assert (res.records, res.skipped) == (0, f"already ingested as {f}")
    assert len(raws(store)) == 60


def test_rotated_small_file_is_not_ingested_twice(store: Store, registry: Registry, tmp_path: Path) -> None:
    logdir = tmp_path / "log"
    f = write(logdir / "mailbox.log", MAILBOX)
    assert f.stat().st_size < 4096
    ingest(store, registry, logdir)
    with f.open("a") as fh:
        fh.write(mailbox_line("2020-09-29 23:59:59", "soap - last of the day") + "\n")
    f.rename(logdir / "mailbox.log.1")
    write(logdir / "mailbox.log", mailbox_line("2020-09-30 00:00:00", "soap - new day") + "\n")
    report = ingest(store, registry, logdir)
    assert report.records == 2  # the new file's record and the renamed file's tail
    assert len(raws(store)) == 6


def test_gz_again_adds_nothing_and_a_longer_gz_adds_its_tail(store: Store, registry: Registry,
                                                             tmp_path: Path) -> None:
    f = write(tmp_path / "auth.log.1.gz", gzip.compress(SYSLOG.encode()))
    (res,) = ingest(store, registry, f).files
    assert (res.path, res.format, res.records) == (str(f), "syslog_rfc3164", 3)
    assert ingest(store, registry, f).files[0].skipped == "unchanged"
    more = "Oct 13 10:19:00 mail sshd[4100]: Accepted publickey for admin from 10.0.0.9 port 5000 ssh2\n"
    write(f, gzip.compress((SYSLOG + more).encode()))
    (res,) = ingest(store, registry, f).files
    assert res.records == 1
    assert raws(store) == SYSLOG_RECORDS + [more.rstrip("\n")]
    assert [e["seq"] for e in events(store)] == [0, 1, 2, 3]


def test_tar_gz_members_are_ingested_as_archive_bang_member(store: Store, registry: Registry,
                                                            tmp_path: Path) -> None:
    arc = tar_gz(tmp_path / "mailbox.log.2020-09-29.tar.gz",
                 {"opt/zimbra/log/mailbox.log": MAILBOX.encode(), "opt/zimbra/log/syslog": SYSLOG.encode()},
                 mtime=int(datetime(2020, 12, 1, tzinfo=UTC).timestamp()))
    report = ingest(store, registry, arc)
    assert [(r.path, r.format, r.records) for r in report.files] == [
        (f"{arc}!opt/zimbra/log/mailbox.log", "zimbra_mailbox", 4),
        (f"{arc}!opt/zimbra/log/syslog", "syslog_rfc3164", 3),
    ]
    assert raws(store, f"{arc}!opt/zimbra/log/mailbox.log") == MAILBOX_RECORDS
    # a member's syslog year comes from the member's own time, not the archive's
    sshd = events(store, "origin = {o:String} AND seq = 0", {"o": f"{arc}!opt/zimbra/log/syslog"})[0]
    assert sshd["ts"] == "2020-10-13 10:17:00.000000"
    before = fingerprint(store)
    assert [r.skipped for r in ingest(store, registry, arc).files] == ["unchanged", "unchanged"]
    assert fingerprint(store) == before


def test_directories_are_read_recursively(store: Store, registry: Registry, tmp_path: Path) -> None:
    root = tmp_path / "logs"
    write(root / "zimbra" / "mailbox.log", MAILBOX)
    write(root / "zimbra" / "old" / "mailbox.log.1.gz", gzip.compress("".join(r + "\n" for r in _day(28, 4)).encode()))
    write(root / "syslog", SYSLOG)
    write(root / ".hidden" / "syslog", SYSLOG)
    report = ingest(store, registry, root)
    assert [(Path(r.path).relative_to(root), r.records) for r in report.files] == [
        (Path("syslog"), 3), (Path("zimbra/mailbox.log"), 4), (Path("zimbra/old/mailbox.log.1.gz"), 4)]
    assert fingerprint(store)[0] == 11


# -- time ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tz, stored", [("Europe/Moscow", "2020-09-29 13:45:00.123000"),
                                        ("UTC", "2020-09-29 16:45:00.123000"),
                                        ("America/New_York", "2020-09-29 20:45:00.123000")])
def test_zoneless_timestamps_are_read_in_the_given_zone_and_stored_in_utc(
        store: Store, registry: Registry, tmp_path: Path, tz: str, stored: str) -> None:
    f = write(tmp_path / "mailbox.log", AUTH_FAILED + "\n")
    ingest(store, registry, f, timezone=tz)
    assert events(store)[0]["ts"] == stored


def test_syslog_in_a_zone(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "syslog", SYSLOG_RECORDS[0] + "\n", mtime=datetime(2020, 10, 20, tzinfo=UTC))
    ingest(store, registry, f, timezone="Europe/Moscow")
    assert events(store)[0]["ts"] == "2020-10-13 07:17:00.000000"


@pytest.mark.parametrize("mtime, lines, years", [
    # written on 2 January: December lines are from the year before
    (datetime(2021, 1, 2, 12, tzinfo=UTC), ["Dec 31 23:59:00", "Jan  1 00:00:10"], ["2020-12-31", "2021-01-01"]),
    # written in June: October cannot be this year's; a line up to a day after the file's time is
    (datetime(2019, 6, 15, 12, tzinfo=UTC), ["Oct 13 10:17:00", "Jun 14 08:00:00", "Jun 16 10:00:00"],
     ["2018-10-13", "2019-06-14", "2019-06-16"]),
])
def test_syslog_year_comes_from_the_file_time_with_rollover(store: Store, registry: Registry, tmp_path: Path,
                                                            mtime: datetime, lines: list[str],
                                                            years: list[str]) -> None:
    f = write(tmp_path / "syslog", "".join(f"{t} mail sshd[1]: line {i}\n" for i, t in enumerate(lines)),
              mtime=mtime)
    ingest(store, registry, f)
    assert [e["ts"][:10] for e in events(store)] == years


# -- bytes as they are ---------------------------------------------------------------------------------
def test_invalid_utf8_is_kept_byte_for_byte(store: Store, registry: Registry, tmp_path: Path) -> None:
    lines = [b"Oct 13 10:17:00 mail app[1]: bad \xff\xfe bytes \xc3\x28 here",
             b"Oct 13 10:17:01 mail app[1]: cp1251 \xcf\xf0\xe8\xe2\xe5\xf2 and utf-8 \xd0\xbf\xd1\x80"]
    f = write(tmp_path / "syslog", b"\n".join(lines) + b"\n")
    (res,) = ingest(store, registry, f).files
    assert (res.format, res.records, res.unparsed) == ("syslog_rfc3164", 2, 0)
    assert [r.encode("utf-8", "surrogateescape") for r in raws(store)] == lines
    assert store.value(f"SELECT sum(length(raw)) AS n FROM {DB}.events") == sum(len(line) for line in lines)


def test_a_10_mb_line_is_stored_whole(store: Store, registry: Registry, tmp_path: Path) -> None:
    big = b"Oct 13 10:17:00 mail app[1]: start " + b"x" * (10 << 20) + b" end"
    f = write(tmp_path / "syslog", SYSLOG_RECORDS[0].encode() + b"\n" + big + b"\n" + SYSLOG_RECORDS[1].encode() + b"\n")
    (res,) = ingest(store, registry, f).files
    assert (res.records, res.error) == (3, "")
    got = store.rows(f"SELECT seq, length(raw) AS n, startsWith(raw, 'Oct 13 10:17:00 mail app[1]: start xxx') AS s, "
                     f"endsWith(raw, 'xxx end') AS e FROM {DB}.events ORDER BY seq")
    assert got[1] == {"seq": 1, "n": len(big), "s": 1, "e": 1}
    assert [g["n"] for g in got] == [len(SYSLOG_RECORDS[0]), len(big), len(SYSLOG_RECORDS[1])]


# -- bad input and failures leave the store as it was -------------------------------------------------
def test_bad_inputs_are_reported_and_change_nothing(store: Store, registry: Registry, tmp_path: Path) -> None:
    good = write(tmp_path / "ok" / "mailbox.log", MAILBOX)
    ingest(store, registry, good)
    before = fingerprint(store)
    bad = tmp_path / "bad"
    write(bad / "a-binary.log", os.urandom(2000) + b"\x00\x00" + os.urandom(100))
    write(bad / "b-empty.log", b"")
    write(bad / "c-corrupt.log.gz", gzip.compress(SYSLOG.encode() * 50)[:40])
    write(bad / "d-not-gzip.log.gz", SYSLOG)
    write(bad / "e-broken.tar.gz", b"\x1f\x8b\x08\x00garbage")
    report = ingest(store, registry, bad)
    got = {Path(r.path).name: (r.records, r.skipped, r.error) for r in report.files}
    assert got["a-binary.log"][2].startswith("binary file")
    assert got["b-empty.log"] == (0, "empty", "")
    assert got["c-corrupt.log.gz"][2] == "cannot read: Compressed file ended before the end-of-stream marker was reached"
    assert got["d-not-gzip.log.gz"][2].startswith("cannot read")
    assert "corrupt or unreadable archive" in got["e-broken.tar.gz"][2]
    assert report.records == 0
    assert fingerprint(store) == before


def _small_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(pipeline, "Framer",
                        lambda record_start="", continues="": Framer(record_start, chunk=chunk, continues=continues))


def _spy_abort(monkeypatch: pytest.MonkeyPatch, store: Store) -> list[int]:
    """Record how many events of the batch were stored when the ingest gave up."""
    seen: list[int] = []
    real = pipeline.Ingestor._abort

    def spy(self: Any, item: Any, batch_id: int, result: Any, message: str) -> None:
        seen.append(int(store.value(f"SELECT count() AS n FROM {DB}.events WHERE batch = {{b:UInt64}}",
                                    {"b": batch_id})))
        real(self, item, batch_id, result, message)

    monkeypatch.setattr(pipeline.Ingestor, "_abort", spy)
    return seen


def test_corrupt_gzip_whose_first_part_decompresses_keeps_nothing(store: Store, registry: Registry, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(store, registry, write(tmp_path / "ok" / "mailbox.log", MAILBOX))
    before = fingerprint(store)
    rng = random.Random(1)
    text = "".join(f"Oct 13 10:{i // 60 % 60:02d}:{i % 60:02d} mail sshd[{rng.randint(1, 99999)}]: "
                   f"Failed password for u{rng.getrandbits(40):x} from 203.0.113.{i % 250} port {i} ssh2\n"
                   for i in range(12000)).encode()
    packed = gzip.compress(text)
    f = write(tmp_path / "auth.log.2.gz", packed[: len(packed) * 2 // 3])
    _small_chunks(monkeypatch, 64 << 10)
    seen = _spy_abort(monkeypatch, store)
    (res,) = ingest(store, registry, f).files
    assert seen and seen[0] > 1000  # batches had gone in before the read failed...
    assert res.error.startswith("read failed after") and "nothing from this file was kept" in res.error
    assert (res.records, res.unparsed) == (0, 0)
    assert fingerprint(store) == before  # ...and none of them stays
    states = store.rows(f"SELECT state FROM {DB}.files WHERE origin = {{o:String}} ORDER BY at", {"o": str(f)})
    assert [s["state"] for s in states] == ["pending", "aborted"]


def test_failure_while_a_grown_file_loads_keeps_the_old_part_and_retries_the_tail(
        store: Store, registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path / "syslog", SYSLOG)
    ingest(store, registry, f)
    before = fingerprint(store)
    with f.open("a") as fh:
        fh.write("".join(f"Oct 13 11:00:{i:02d} mail sshd[7]: tail {i}\n" for i in range(50)))
    _small_chunks(monkeypatch, 256)

    def boom(n: int) -> None:
        raise RuntimeError("disk full")

    (res,) = ingest(store, registry, f, progress=boom).files
    assert res.error == "ingest failed (RuntimeError: disk full); nothing from this file was kept"
    assert fingerprint(store) == before
    (res,) = ingest(store, registry, f).files  # the next run picks up where the last commit ended
    assert (res.records, res.error) == (50, "")
    assert [e["seq"] for e in events(store)] == list(range(53))


# -- detection ---------------------------------------------------------------------------------------
STACKY = "".join(
    f"2020-09-29 16:46:0{i},005 ERROR [LmtpServer-7] [oip=192.168.1.20;mid=42;] lmtp - handler exception\n"
    "com.zimbra.common.service.ServiceException: system failure: broken\n"
    "ExceptionId:LmtpServer-7:1601387161005:abc\n"
    "Code:service.FAILURE\n"
    "\tat com.zimbra.common.service.ServiceException.FAILURE(ServiceException.java:293)\n"
    "Caused by: java.io.IOException: broken pipe\n"
    "\t... 12 more\n"
    for i in range(5)
)


def test_stack_trace_heavy_mailbox_log_with_explicit_format(store: Store, registry: Registry,
                                                            tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", STACKY)
    (res,) = ingest(store, registry, f, fmt="zimbra_mailbox").files
    assert (res.records, res.unparsed) == (5, 0)
    assert all(r.count("\n") == 6 for r in raws(store))


def test_stack_trace_heavy_mailbox_log_is_detected(store: Store, registry: Registry, tmp_path: Path) -> None:
    f = write(tmp_path / "mailbox.log", STACKY)
    (res,) = ingest(store, registry, f).files
    assert (res.format, res.records, res.unparsed) == ("zimbra_mailbox", 5, 0)


def test_store_reopened_sees_the_same_events(stores: Stores, registry: Registry, tmp_path: Path) -> None:
    store = stores.open()
    ingest(store, registry, write(tmp_path / "mailbox.log", MAILBOX), write(tmp_path / "syslog", SYSLOG))
    before = fingerprint(store)
    store = stores.open()
    assert fingerprint(store) == before
    assert [r.skipped for r in ingest(store, registry, tmp_path / "mailbox.log", tmp_path / "syslog").files] == [
        "unchanged", "unchanged"]
