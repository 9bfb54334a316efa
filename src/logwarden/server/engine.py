"""The engine worker: one thread that runs everything touching the Store, one job at a time.

chDB allows one session per process and one query at a time on it (a query run while a streaming
result is open ends that stream), so the server funnels every engine call through this worker.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from logwarden.store.chdb_store import Store

T = TypeVar("T")
_DONE = object()


class EngineWorker:
    def __init__(self, store: Store):
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self.last_query = 0.0  # time.monotonic() of the last job other than an ingest batch

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.last_query = time.monotonic()
        return await self.run_batch(fn, *args, **kwargs)

    async def run_batch(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`run` for work that is nobody's query (ingest batches, start-up): while people query, the ingest
        queue keeps its batches short."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self.store, *args, **kwargs))

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The same from a plain thread (blocks it until done)."""
        return self._executor.submit(lambda: fn(self.store, *args, **kwargs)).result()

    async def stream(self, fn: Callable[..., Iterable[T]], *args: Any, buffer: int = 64,
                     **kwargs: Any) -> AsyncIterator[T]:
        """Items of `fn(store, *args)` as they come. The engine is held until the stream ends or the
        consumer stops (breaks out, or the HTTP client goes away), so other engine work waits."""
        self.last_query = time.monotonic()
        q: queue.Queue[Any] = queue.Queue(maxsize=buffer)
        stop = threading.Event()

        def produce(store: Store) -> None:
            try:
                for item in fn(store, *args, **kwargs):
                    while not stop.is_set():
                        try:
                            q.put(item, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                q.put(_DONE)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
                q.put(exc)

        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._executor, produce, self.store)
        try:
            while True:
                item = await asyncio.to_thread(q.get)
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while not job.done():  # unblock a producer waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.01)
            await job

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
