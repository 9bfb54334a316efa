"""The rows of a whole search for an export, streamed from the engine with bounded memory.

A search is ordered (newest first, or by its `sort` pipe); sorting a million rows in memory would hold
them all, so the export's SELECT lets the engine sort (and group, for stats) in external chunks on disk
past `SPILL_BYTES`, and hands rows over in blocks of `BLOCK_ROWS`.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from logwarden.query.compiler import CompiledQuery, ExtraWhere, compile_query
from logwarden.query.parser import parse
from logwarden.store.chdb_store import Store

SPILL_BYTES = 64 * 2**20
BLOCK_ROWS = 8192
# `max_bytes_ratio_before_external_sort = 0`: spill by the byte bound above, not by a share of the
# machine's memory (the default ratio would let the sort grow to half of RAM first). One thread: the
# export is bound by the client and the writer, not the engine, and each sort thread holds its own buffer.
SETTINGS = (f" SETTINGS max_bytes_before_external_sort = {SPILL_BYTES}, max_bytes_ratio_before_external_sort = 0, "
            f"max_bytes_before_external_group_by = {SPILL_BYTES}, max_bytes_ratio_before_external_group_by = 0, "
            f"max_block_size = {BLOCK_ROWS}, max_threads = 1")


def export_query(text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
                 extra_where: ExtraWhere | None = None) -> CompiledQuery:
    """The compiled search of `text` with no row cap (only the query's own `| limit`)."""
    return compile_query(parse(text), time_from=time_from, time_to=time_to, extra_where=extra_where)


def export_rows(store: Store, cq: CompiledQuery) -> Iterator[dict[str, Any]]:
    """Every row of `cq`, as the engine produces them, with external sorting past SPILL_BYTES."""
    return store.stream(cq.sql + SETTINGS, cq.params)


SPOOL_BATCH = 2000


def spool_rows(store: Store, cq: CompiledQuery, path: str) -> int:
    """Every row of `cq` into a spool file (pickled batches); returns the row count.

    For the slow writers (XLSX: ~2,600 rows/s in pure Python) the engine is held only while rows are
    copied out (~15x faster), and the writer then reads the spool without it (`read_spool`)."""
    n = 0
    batch: list[dict[str, Any]] = []
    with open(path, "wb") as f:
        for row in export_rows(store, cq):
            batch.append(row)
            if len(batch) >= SPOOL_BATCH:
                pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
                n += len(batch)
                batch = []
        if batch:
            pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
            n += len(batch)
    return n


def read_spool(path: str) -> Iterator[dict[str, Any]]:
    """The rows of a spool file, batch by batch; the file is removed when read (or abandoned)."""
    try:
        with open(path, "rb") as f:
            while True:
                try:
                    batch = pickle.load(f)  # our own file, written by spool_rows
                except EOFError:
                    return
                yield from batch
    finally:
        os.unlink(path)
