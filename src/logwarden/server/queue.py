"""Received records -> the WAL -> micro-batches -> the engine, with backpressure and counters.

Listeners call `submit` with a block of whole records. The block is appended to the WAL at once;
`durable=True` (HTTP) waits until it is fsynced (many requests share one fsync). A flusher task takes
what is pending, up to `batch_bytes` or every `flush_ms`, and writes it with `engine_write`. When more
than `max_pending_bytes` wait for the engine, `submit` raises `Overloaded` (HTTP answers 429) and TCP
listeners stop reading until it drains; UDP datagrams are then dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from logwarden.formats.registry import Registry
from logwarden.server.engine import EngineWorker
from logwarden.server.engine_write import write_entries
from logwarden.server.wal import Entry, Wal
from logwarden.store.chdb_store import Store

log = logging.getLogger("logwarden.server")
UNPARSED_AFTER = 3  # a batch the engine refuses this many times in a row is stored without parsing
BACKLOG_BATCHES = 4  # a batch grows to this many times ingest_batch_mb while a backlog waits
QUERY_QUIET_S = 5.0  # ... and no query came for this long


class Overloaded(Exception):
    """More is waiting for the engine than the server may hold: the sender should retry later."""


@dataclass
class IngestStats:
    received_records: int = 0
    received_bytes: int = 0
    durable_records: int = 0  # fsynced to the WAL: survives kill -9
    stored_records: int = 0  # parsed into the engine
    pending_records: int = 0
    pending_bytes: int = 0
    replayed_records: int = 0  # taken from the WAL on start
    batches: int = 0
    last_batch_ms: float = 0.0
    last_batch_records: int = 0
    udp_datagrams: int = 0
    udp_dropped: int = 0  # refused by the server (overloaded)
    udp_kernel_dropped: int = 0  # lost before the server could read them (socket buffer full)
    http_rejected: int = 0  # answered 429 / 503
    tcp_pauses: int = 0
    engine_errors: int = 0
    last_error: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class IngestQueue:
    def __init__(self, wal: Wal, engine: EngineWorker, registry: Registry, timezone: str, *,
                 max_pending_bytes: int, batch_bytes: int, flush_ms: int):
        self.wal, self.engine, self.registry, self.timezone = wal, engine, registry, timezone
        self.max_pending_bytes, self.batch_bytes, self.flush_s = max_pending_bytes, batch_bytes, flush_ms / 1000
        self.stats = IngestStats()
        self.seq: dict[str, int] = {}
        self.connections: set[Any] = set()  # open syslog TCP connections, closed on shutdown
        self.udp_inode = 0  # the UDP listener's socket, for the kernel's drop counter
        self._pending: list[Entry] = []
        self._wake = asyncio.Event()
        self._sync_wake = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._drained: list[Callable[[], None]] = []  # resume callbacks of paused TCP readers
        self._closing = False
        self._flush_lock = asyncio.Lock()
        self._failures = 0  # consecutive failed batches
        self._tasks: list[asyncio.Task[None]] = []

    # -- start: replay ---------------------------------------------------------------------------
    def replay(self, committed: int, seqs: dict[str, int]) -> int:
        """Queue what the WAL holds past `committed` (called before listeners start)."""
        self.seq.update(seqs)
        for entry in self.wal.replay(committed):
            m = entry.meta
            self.seq[m["o"]] = max(self.seq.get(m["o"], 0), int(m.get("seq", 0)) + entry.records)
            self._queue(entry)
            self.stats.replayed_records += entry.records
        self.stats.durable_records = self.stats.received_records = self.stats.pending_records
        return self.stats.replayed_records

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._flusher()), asyncio.create_task(self._syncer())]
        if self._pending:
            self._wake.set()

    # -- receive ---------------------------------------------------------------------------------
    @property
    def overloaded(self) -> bool:
        return self.stats.pending_bytes >= self.max_pending_bytes

    def accept(self, origin: str, fmt: str, source: str, host: str, data: bytes, records: int, sep: bytes = b"") -> Entry:
        """Append a block of `records` whole records (each ending in `\\n`) to the WAL and the queue."""
        if self._closing:
            raise Overloaded("the server is shutting down")
        if self.overloaded:
            raise Overloaded(f"{self.stats.pending_bytes >> 20} MiB wait for the engine")
        seq0 = self.seq.get(origin, 0)
        self.seq[origin] = seq0 + records
        meta = {"o": origin, "f": fmt, "s": source, "h": host, "n": records, "seq": seq0, "t": round(time.time(), 6)}
        if sep:
            meta["sep"] = sep.decode()
        try:
            entry = self.wal.append(meta, data)
        except OSError as exc:  # a full or failing disk: refuse (503) rather than acknowledge what is not kept
            self.seq[origin] = seq0
            raise Overloaded(f"cannot write the write-ahead file: {exc.strerror or exc}") from None
        self.stats.received_records += records
        self.stats.received_bytes += len(data)
        self._queue(entry)
        self._sync_wake.set()
        if self.stats.pending_bytes >= self.batch_bytes:
            self._wake.set()
        elif len(self._pending) == 1:
            self._wake.set()  # the flusher starts its flush_ms wait with the first pending entry
        return entry

    async def submit(self, origin: str, fmt: str, source: str, host: str, data: bytes, records: int,
                     sep: bytes = b"") -> None:
        """`accept`, then wait until the block is on disk (the HTTP acknowledgement)."""
        entry = self.accept(origin, fmt, source, host, data, records, sep)
        await self.durable(entry.end)

    async def durable(self, position: int) -> None:
        if self.wal.synced >= position:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((position, fut))
        self._sync_wake.set()
        await fut

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the pending data falls below three quarters of the limit."""
        self.stats.tcp_pauses += 1
        self._drained.append(callback)

    def _queue(self, entry: Entry) -> None:
        self._pending.append(entry)
        self.stats.pending_bytes += len(entry.data)
        self.stats.pending_records += entry.records

    # -- background tasks ------------------------------------------------------------------------
    async def _syncer(self) -> None:
        while True:
            await self._sync_wake.wait()
            self._sync_wake.clear()
            records = self.stats.received_records
            try:
                synced = await asyncio.to_thread(self.wal.sync)
            except OSError as exc:  # nothing waiting is acknowledged; senders are told to retry
                self.stats.last_error = f"cannot sync the write-ahead file: {exc}"
                log.error("%s", self.stats.last_error)
                waiters, self._waiters = self._waiters, []
                for _pos, fut in waiters:
                    if not fut.done():
                        fut.set_exception(Overloaded(self.stats.last_error))
                await asyncio.sleep(1.0)
                continue
            self.stats.durable_records = max(self.stats.durable_records, records)
            keep = []
            for pos, fut in self._waiters:
                if pos <= synced:
                    if not fut.done():
                        fut.set_result(None)
                else:
                    keep.append((pos, fut))
            self._waiters = keep
            if keep:
                self._sync_wake.set()

    async def _flusher(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            # With nobody querying, flush_ms counts from the oldest pending record's arrival: what came in
            # while the engine wrote the last batch is due at once (it idled flush_ms between batches
            # under sustained load). While people query, it counts from the last batch: the gap is theirs,
            # and fewer batches spend less of the engine on each batch's fixed cost (~60 ms a format).
            wait = self.flush_s
            if time.monotonic() - self.engine.last_query >= QUERY_QUIET_S:
                age = time.time() - float(self._pending[0].meta.get("t", 0))
                wait -= max(0.0, age)  # a clock set back never lengthens the wait
            if self.stats.pending_bytes < self.batch_bytes and not self._closing and wait > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
            await self.flush_once()

    async def flush_once(self) -> None:
        async with self._flush_lock:
            await self._flush()

    def batch_cap(self) -> int:
        """Most bytes the next batch takes: `batch_bytes`, and up to BACKLOG_BATCHES times that while a
        backlog waits (a statement and a stored part cost more than their rows: under load, bigger
        batches store ~1.5x more lines a second and leave the engine fewer parts to merge)."""
        if time.monotonic() - self.engine.last_query < QUERY_QUIET_S:
            return self.batch_bytes  # people are searching: a query waits at most one short batch
        backlog = self.stats.pending_bytes
        return max(self.batch_bytes, min(backlog, self.batch_bytes * BACKLOG_BATCHES))

    async def _flush(self) -> None:
        take, size, cap = [], 0, self.batch_cap()
        for entry in self._pending:
            if take and size + len(entry.data) > cap:
                break
            take.append(entry)
            size += len(entry.data)
        if not take:
            return
        try:
            await self.durable(take[-1].end)  # never store what the WAL could lose
        except Overloaded:
            await asyncio.sleep(1.0)  # the WAL cannot sync now; the syncer retries
            return
        started = time.perf_counter()
        try:
            n = await self.engine.run_batch(write_entries, take, self.registry, self.timezone, Store.new_batch_id())
        except Exception as exc:  # noqa: BLE001 - kept in the WAL and retried; the reason is shown in stats
            self.stats.engine_errors += 1
            self._failures += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if self._failures >= UNPARSED_AFTER:  # bad data is data: store these records unparsed
                for entry in take:
                    entry.meta["f"] = ""
            log.error("storing a batch failed (kept, retrying%s): %s",
                      " unparsed" if self._failures >= UNPARSED_AFTER else "", self.stats.last_error)
            await asyncio.sleep(1.0)
            return
        self._failures = 0
        del self._pending[:len(take)]
        self.stats.pending_bytes -= size
        self.stats.pending_records -= n
        self.stats.stored_records += n
        self.stats.batches += 1
        self.stats.last_batch_records = n
        self.stats.last_batch_ms = round((time.perf_counter() - started) * 1000, 1)
        await asyncio.to_thread(self.wal.checkpoint, take[-1].end)
        if self._drained and self.stats.pending_bytes < self.max_pending_bytes * 3 // 4:
            callbacks, self._drained = self._drained, []
            for cb in callbacks:
                cb()

    # -- stop ------------------------------------------------------------------------------------
    async def close(self, timeout: float = 120.0) -> None:
        """Refuse new data, store everything pending, stop the tasks (graceful shutdown)."""
        self._closing = True
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            await self.flush_once()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self.wal.close)
