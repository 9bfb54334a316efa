"""Stage a batch of records in the engine so that parsing runs on every core.

The batch is cut into parts of at most PART_BYTES at line ends; each part goes into its own Memory
table (one block: read in order, so `rowNumberInAllBlocks` numbers its records exactly), and the parts
are read through one UNION ALL whose branches the engine runs in parallel.
"""

from __future__ import annotations

from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

PART_BYTES = 1 << 20
PART_LINES = 50_000  # below the engine's block size, so a part never splits into two blocks


def split(data: bytes) -> list[bytes]:
    """Cut `\\n`-terminated data into parts ending at line ends."""
    parts: list[bytes] = []
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + PART_BYTES)
        cut = len(data) if cut < 0 else cut + 1
        part = data[start:cut]
        while part.count(b"\n") > PART_LINES:  # very short lines: halve until a part is one block
            half = part.find(b"\n", len(part) // 2) + 1
            parts.append(part[:half])
            part = part[half:]
        parts.append(part)
        start = cut
    return parts


class Stage:
    """`with Stage(store, data, seq0) as stage:` — `stage.source` is a FROM-able `(seq, raw)` subquery."""

    def __init__(self, store: Store, data: bytes, seq0: int):
        self.store = store
        self.tables: list[str] = []
        branches = []
        seq = seq0
        for k, part in enumerate(split(data)):
            table = f"{DB}.stage_{k}"
            store.execute(f"DROP TABLE IF EXISTS {table}")
            store.execute(f"CREATE TABLE {table} (raw String) ENGINE = Memory")
            self.tables.append(table)
            store.insert_lines(table, part)
            branches.append(f"SELECT toUInt64({seq}) + rowNumberInAllBlocks() AS seq, raw FROM {table}")
            seq += part.count(b"\n")
        self.records = seq - seq0
        self.source = "(" + " UNION ALL ".join(branches) + ")" if branches else "(SELECT 0 AS seq, '' AS raw LIMIT 0)"

    def __enter__(self) -> Stage:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        for table in self.tables:
            self.store.execute(f"DROP TABLE IF EXISTS {table}")
