"""`Store.settle`: parts that merges replaced are deleted promptly, so a short command leaves no doubled directory."""

from __future__ import annotations

import time
from pathlib import Path

from test_store import EVENTS, insert_events

from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB


def test_replaced_parts_are_deleted_within_seconds_after_an_idle_spell(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        time.sleep(3)  # idle: the engine's cleanup used to back off towards 300 s here
        for batch in range(1, 7):  # six inserts, six parts of one partition
            insert_events(store, [{**e, "batch": batch} for e in EVENTS])
        store.execute(f"OPTIMIZE TABLE {DB}.events FINAL")  # one merged part replaces the six
        replaced = store.value(f"SELECT count() AS n FROM system.parts WHERE database = '{DB}' "
                               "AND table = 'events' AND NOT active")
        assert replaced >= 6  # (a background merge may have replaced some first)
        assert store.settle(timeout=4) == 0
        assert store.value(f"SELECT count() AS n FROM {DB}.events") == 18
