"""`GET /api/v1/export?q=…&_format=ndjson|csv|xlsx`: a whole search as a download, with no row cap.

The rows stream from the engine (external sort past a bound, see `export.stream`) through the format's
writer to the client; memory stays flat however many rows there are (bench/export_memory.py). NDJSON and
CSV hold the engine while they stream (other queries and ingest batches wait; live ingest is queued in its
WAL, not lost); XLSX, ~15x slower to write, first copies the rows to a spool file on disk and then builds
the workbook without the engine.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from logwarden.export import EXPORTERS, export_columns
from logwarden.export.stream import export_query, export_rows, read_spool, spool_rows
from logwarden.query.compiler import CompiledQuery
from logwarden.store.chdb_store import Store
from logwarden.web.routers._params import Search, SearchDep, guarded

router = APIRouter(prefix="/api/v1", tags=["export"])


def _chunks(store: Store, cq: CompiledQuery, fmt: str) -> Iterator[bytes]:
    exporter = EXPORTERS[fmt]
    return exporter.write(export_rows(store, cq), export_columns(cq.kind, cq.columns))


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {e.media_type.split(";")[0]: {} for e in EXPORTERS.values()},
                             "description": "the search as a file"}})
async def export(s: SearchDep,
                 fmt: str = Query("ndjson", alias="_format", description="ndjson, csv or xlsx")) -> StreamingResponse:
    """Every row of the search (newest first, or as the query sorts) as NDJSON, CSV (UTF-8 with BOM) or
    XLSX. Plain events get the columns ts … status, raw, and `fields` (the extracted fields as JSON)."""
    if fmt not in EXPORTERS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            detail=f"unknown export format {fmt!r}; use one of {', '.join(EXPORTERS)}")
    cq = await guarded(_compile(s))
    exporter = EXPORTERS[fmt]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Disposition": f'attachment; filename="logwarden-{stamp}.{exporter.suffix}"',
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if fmt != "xlsx":
        return StreamingResponse(s.state.stream(_chunks, cq, fmt), media_type=exporter.media_type, headers=headers)
    # XLSX is written far slower than the engine reads: copy the rows out first (holding the engine only
    # for that), then build the workbook in a worker thread and stream it.
    fd, spool = tempfile.mkstemp(prefix="logwarden-spool-")
    os.close(fd)
    try:
        await guarded(s.state.run(spool_rows, cq, spool))
    except BaseException:
        os.unlink(spool)
        raise
    columns = export_columns(cq.kind, cq.columns)
    return StreamingResponse(exporter.write(read_spool(spool), columns), media_type=exporter.media_type,
                             headers=headers)


async def _compile(s: Search) -> CompiledQuery:
    """The export's query (awaited through `guarded`, so a bad query is a 400 before any byte is sent)."""
    return export_query(s.q, time_from=s.time_from, time_to=s.time_to, extra_where=s.where)
