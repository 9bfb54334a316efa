"""The store: schema version and migrations, crash recovery, and the one-process lock on a data directory.

The engine allows one open data directory per process: every test here closes its store before the next
one opens (`with Store(...)`), and the fixture-held `engine` of other modules is never used."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from logwarden.errors import DataDirBusy
from logwarden.store import chdb_store
from logwarden.store.chdb_store import Store
from logwarden.store.lock import DirLock
from logwarden.store.schema import DB, MIGRATIONS

EVENTS = [
    {"ts": "2020-09-29 13:45:00.123", "source": "zimbra", "service": "mailbox", "origin": "/log/mailbox.log",
     "seq": i, "level": "warn", "raw": f"record {i}\n\tat a.b(C.java:{i})", "user": "user@corp.ru",
     "fields": {"category": "account"}, "batch": 1}
    for i in range(3)
]


def insert_events(store: Store, rows: list[dict[str, object]]) -> None:
    store.execute(f"INSERT INTO {DB}.events FORMAT JSONEachRow\n" + "\n".join(json.dumps(r) for r in rows))


def book(store: Store, origin: str, batch: int, state: str) -> None:
    store.execute(f"INSERT INTO {DB}.files (origin, batch, state) VALUES ({{o:String}}, {{b:UInt64}}, {{s:String}})",
                  {"o": origin, "b": batch, "s": state})


def snapshot(store: Store) -> list[dict[str, object]]:
    return store.rows(f"SELECT toString(ts) AS ts, origin, seq, raw, user, fields, batch FROM {DB}.events "
                      "ORDER BY batch, origin, seq")


# -- schema --------------------------------------------------------------------------------------------
def test_fresh_directory_gets_the_current_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        assert store.schema_version == len(MIGRATIONS) >= 1
        tables = {r["name"] for r in store.rows(f"SELECT name FROM system.tables WHERE database = '{DB}'")}
        assert {"events", "files", "meta"} <= tables
    with Store(tmp_path / "data") as store:  # reopening applies nothing twice
        assert [r["version"] for r in store.rows(f"SELECT version FROM {DB}.meta ORDER BY version")] == list(
            range(1, len(MIGRATIONS) + 1))


def test_migration_adds_a_column_and_keeps_every_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setattr(chdb_store, "MIGRATIONS", MIGRATIONS[:1])
    with Store(data) as store:  # a data directory made by a logwarden at schema version 1
        assert store.schema_version == 1
        insert_events(store, EVENTS)
        book(store, "/log/mailbox.log", 1, "done")
        before = snapshot(store)
    version_2 = [
        f"ALTER TABLE {DB}.events ADD COLUMN IF NOT EXISTS tenant LowCardinality(String) DEFAULT 'default'",
        f"CREATE TABLE IF NOT EXISTS {DB}.saved (name String, query String) ENGINE = MergeTree ORDER BY name",
    ]
    later = [*MIGRATIONS[:1], version_2]
    monkeypatch.setattr(chdb_store, "MIGRATIONS", later)
    with Store(data) as store:
        assert store.schema_version == 2
        assert snapshot(store) == before
        assert store.rows(f"SELECT DISTINCT tenant FROM {DB}.events") == [{"tenant": "default"}]
        assert store.value(f"SELECT count() AS n FROM {DB}.saved") == 0
        assert store.value(f"SELECT count() AS n FROM {DB}.files WHERE state = 'done'") == 1
    with Store(data) as store:
        assert [r["version"] for r in store.rows(f"SELECT version FROM {DB}.meta ORDER BY version")] == [1, 2]
        assert snapshot(store) == before


def _granularity(store: Store) -> int:
    ddl = store.value(f"SELECT create_table_query AS q FROM system.tables WHERE database = '{DB}' AND name = 'events'")
    return int(ddl.split("index_granularity = ")[1].split(",")[0])


@pytest.mark.parametrize("interrupted_after", [None, 2, 3, 4])
def test_rebuilding_the_events_table_keeps_every_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       interrupted_after: int | None) -> None:
    """Schema 3 rebuilds lw.events (granules of 1,024 rows); a run cut after any statement and rerun on the
    next open loses and doubles nothing."""
    data = tmp_path / "data"
    monkeypatch.setattr(chdb_store, "MIGRATIONS", MIGRATIONS[:2])
    with Store(data) as store:
        insert_events(store, EVENTS)
        insert_events(store, [{**e, "ts": "2020-09-30 08:00:00", "batch": 2} for e in EVENTS])
        before = snapshot(store)
        assert _granularity(store) == 8192
        if interrupted_after is not None:  # the first statements of migration 3 ran, then the process died
            for sql in MIGRATIONS[2][:interrupted_after]:
                store.execute(sql)
    monkeypatch.setattr(chdb_store, "MIGRATIONS", MIGRATIONS)
    capsys.readouterr()
    with Store(data) as store:
        assert f"upgrading {data} from schema 2 to {len(MIGRATIONS)} (6 events" in capsys.readouterr().err
        assert store.schema_version == 3
        assert snapshot(store) == before
        assert _granularity(store) == 1024
        assert store.value(f"SELECT count() AS n FROM system.tables WHERE database = '{DB}' "
                           "AND name = 'events_rebuild'") == 0
        found = store.rows(f"SELECT seq FROM {DB}.events WHERE hasToken(lower(raw), 'half') OR "
                           "hasToken(lower(raw), 'record') ORDER BY seq")
        assert len(found) == 6  # the text index answers on the rebuilt table


# -- crash recovery --------------------------------------------------------------------------------------
def test_batches_a_crash_left_pending_are_removed_on_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data) as store:
        insert_events(store, EVENTS)  # batch 1: committed
        book(store, "/log/mailbox.log", 1, "pending")
        book(store, "/log/mailbox.log", 1, "done")
        crashed = [{**e, "origin": "/log/syslog", "batch": 2, "raw": f"half-read {e['seq']}"} for e in EVENTS]
        insert_events(store, crashed)  # batch 2: started, never committed (the process was killed)
        book(store, "/log/syslog", 2, "pending")
        committed = [row for row in snapshot(store) if row["batch"] == 1]
        assert store.value(f"SELECT count() AS n FROM {DB}.events") == 6
    with Store(data) as store:
        assert snapshot(store) == committed
        states = store.rows(f"SELECT batch, state FROM {DB}.files ORDER BY batch, at")
        assert [(r["batch"], r["state"]) for r in states] == [(1, "pending"), (1, "done"), (2, "pending"),
                                                              (2, "aborted")]
    with Store(data) as store:  # recovery is done once: nothing more is removed or written
        assert snapshot(store) == committed
        assert store.value(f"SELECT count() AS n FROM {DB}.files WHERE state = 'aborted'") == 1


# -- one process per data directory ---------------------------------------------------------------------
def test_lock_names_its_holder_and_is_released_on_close(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(data, "tests")
    try:
        assert (data / "lock").read_text() == f"pid {os.getpid()} (tests)\n"
        with pytest.raises(DataDirBusy, match=rf"data directory {data} is in use by pid {os.getpid()} \(tests\)"):
            DirLock(data).acquire("second")
    finally:
        store.close()
    assert (data / "lock").read_text() == ""
    lock = DirLock(data)
    lock.acquire("again")
    lock.release()


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from logwarden.store.lock import DirLock
    DirLock(Path(sys.argv[1])).acquire("holder")
    print("locked", flush=True)
    sys.stdin.read()
""")


def test_a_directory_locked_by_another_process_is_refused_until_it_dies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(DataDirBusy) as exc:
            Store(data, "tests")
        assert f"is in use by pid {holder.pid} (holder)" in str(exc.value)
        assert "use another --data-dir" in str(exc.value)
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean release: the kernel drops the lock with the process
        holder.wait()
    assert "holder" in (data / "lock").read_text()  # a stale name is left behind...
    with Store(data, "tests") as store:  # ...and does not keep anyone out
        assert store.schema_version == len(MIGRATIONS)
        assert (data / "lock").read_text() == f"pid {os.getpid()} (tests)\n"


NEWER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from logwarden.errors import LogwardenError
    from logwarden.store.chdb_store import Store
    data = Path(sys.argv[1])
    for attempt in (1, 2):
        try:
            Store(data, "tests")
        except LogwardenError as exc:
            print(type(exc).__name__, exc, flush=True)
""")


def _newer_schema_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with Store(data) as store:
        store.execute(f"INSERT INTO {DB}.meta (version) VALUES (99)")
    return data


def test_a_directory_from_a_newer_logwarden_is_refused(tmp_path: Path) -> None:
    data = _newer_schema_dir(tmp_path)
    done = subprocess.run([sys.executable, "-m", "logwarden.cli", "--data-dir", str(data), "search", "x"],
                          capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1
    assert done.stderr == (f"logwarden: data directory {data} has schema version 99, newer than this logwarden "
                           f"knows ({len(MIGRATIONS)}). Upgrade logwarden.\n")


def test_a_refused_open_releases_the_directory(tmp_path: Path) -> None:
    data = _newer_schema_dir(tmp_path)
    done = subprocess.run([sys.executable, "-c", NEWER, str(data)], capture_output=True, text=True, timeout=120,
                          check=False)
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("LogwardenError") and "schema version 99" in line for line in lines), lines
