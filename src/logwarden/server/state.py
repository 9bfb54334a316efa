"""`ServerState`: what every request handler of the running server shares.

    state.config       ServerConfig (settings resolved from flags, env, config file; .cdn_accounts)
    state.store        the one Store — touch it ONLY through state.run / state.stream
    state.registry     the format registry
    state.auth         AuthService (users, tokens, sessions in memory)
    state.ingest       IngestQueue (live ingest: WAL, micro-batches, backpressure, .stats)
    await state.run(fn, *args)        fn(store, *args) in the engine worker thread, one job at a time
    async for x in state.stream(fn, *args):   items of the iterator fn(store, *args) (holds the engine)
    await state.journal(service, message, level=..., user=..., client_ip=...)   logwarden's own journal
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from logwarden.auth.service import AuthService
from logwarden.formats.registry import Registry
from logwarden.server.config import ServerConfig
from logwarden.server.engine import EngineWorker
from logwarden.server.queue import IngestQueue
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

T = TypeVar("T")
JOURNAL_SOURCE = "logwarden"


@dataclass
class ServerState:
    config: ServerConfig
    store: Store
    registry: Registry
    engine: EngineWorker
    auth: AuthService
    ingest: IngestQueue
    url: str = ""
    started: float = field(default_factory=time.time)
    _journal_seq: int = 0

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(store, *args, **kwargs)` in the engine worker; engine jobs never overlap."""
        return await self.engine.run(fn, *args, **kwargs)

    def stream(self, fn: Callable[..., Iterable[T]], *args: Any, **kwargs: Any) -> AsyncIterator[T]:
        """Iterate `fn(store, *args, **kwargs)` (e.g. `service.stream_search(...)[1]`) without loading
        it all. The engine is held for the whole iteration: ingest batches and other queries wait, so
        use it for exports, and prefer `run` with a LIMIT for pages."""
        return self.engine.stream(fn, *args, **kwargs)

    async def journal(self, service: str, message: str, *, level: str = "info", user: str = "",
                      client_ip: str = "", fields: dict[str, str] | None = None) -> None:
        """Write an event of logwarden's own (source "logwarden"): failed logins, user changes."""
        self._journal_seq += 1
        now = datetime.now(UTC)
        raw = f"{now.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} {level.upper()} logwarden/{service}: {message}"
        await self.run(_write_journal, {
            "ts": now.strftime("%Y-%m-%d %H:%M:%S.%f"), "svc": service, "lvl": level, "raw": raw, "user": user,
            "ip": client_ip, "seq": int(self.started * 1000) * 1000 + self._journal_seq,
            "fk": list((fields or {}).keys()), "fv": list((fields or {}).values()), "b": Store.new_batch_id(),
        })


def _write_journal(store: Store, p: dict[str, Any]) -> None:
    store.execute(
        f"INSERT INTO {DB}.events (ts, source, service, host, format, origin, seq, level, raw, user, client_ip, "
        "fields, batch) VALUES ({ts:DateTime64(6, 'UTC')}, 'logwarden', {svc:String}, hostName(), 'logwarden', "
        "'logwarden://journal', {seq:UInt64}, {lvl:String}, {raw:String}, {user:String}, {ip:String}, "
        "mapFromArrays({fk:Array(String)}, {fv:Array(String)}), {b:UInt64})",
        p,
    )
