"""What the `logwarden` CLI needs while a server owns the data directory.

POST /api/v1/cli/ingest        {"paths": [...], "source", "host", "format", "timezone"} — the server reads the
                               files itself with the same Ingestor as `logwarden ingest` (origins, resume and
                               deduplication unchanged). Only for the local credential: it reads local paths.
POST /api/v1/cli/ingest-stdin  ?source&host&format&timezone — the body is ingested as `stdin` (local only)
POST /api/v1/cli/search        {"query", "from", "to", "limit", "stream", "chronological"} — NDJSON: a header
                               {"kind", "columns", "elapsed_ms"} then one row per line
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from logwarden.errors import LogwardenError
from logwarden.store.chdb_store import Store
from logwarden.web.deps import ADMIN, AUDITOR, VIEWER, ServerState, User, get_state, require_role

router = APIRouter(tags=["cli"])


def _local(user: User) -> None:
    if user.via != "local":
        raise HTTPException(403, "reading files on the server is only for the local CLI (its credential file)")


class IngestFiles(BaseModel):
    paths: list[str]
    source: str = ""
    host: str = ""
    format: str = "auto"
    timezone: str = "UTC"


def _ingest_files(store: Store, state: ServerState, body: IngestFiles) -> dict[str, Any]:
    from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport, check_format_name
    from logwarden.ingest.sources import expand, open_inputs

    check_format_name(state.registry, body.format)
    items = [p for p in expand(body.paths) if p != "-" and not p.is_relative_to(state.config.data_dir.resolve())]
    report = IngestReport()
    ingestor = Ingestor(store, state.registry, IngestOptions(body.source, body.host, body.format, body.timezone))
    for item in items:
        for inp in open_inputs(item):
            report.files.append(ingestor.ingest(inp))
    return report.as_json()


@router.post("/api/v1/cli/ingest")
async def ingest_files(body: IngestFiles, user: User = Depends(require_role(ADMIN)),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    _local(user)
    try:
        return await state.run(_ingest_files, state, body)
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None


def _ingest_stdin(store: Store, state: ServerState, spool: Any, q: dict[str, str]) -> dict[str, Any]:
    from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport, check_format_name
    from logwarden.ingest.sources import Input, stdin_origin

    fmt = q.get("format", "auto")
    check_format_name(state.registry, fmt)
    ingestor = Ingestor(store, state.registry, IngestOptions(q.get("source", ""), q.get("host", ""), fmt,
                                                            q.get("timezone", "UTC")))
    report = IngestReport([ingestor.ingest(Input(stdin_origin(), spool, mtime=0.0, size=0, name="stdin"))])
    return report.as_json()


@router.post("/api/v1/cli/ingest-stdin")
async def ingest_stdin(request: Request, user: User = Depends(require_role(ADMIN)),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    _local(user)
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        try:
            return await state.run(_ingest_stdin, state, spool, dict(request.query_params))
        except LogwardenError as exc:
            raise HTTPException(400, str(exc)) from None


class Search(BaseModel):
    query: str = ""
    time_from: str | None = None
    time_to: str | None = None
    limit: int | None = 100
    stream: bool = False
    chronological: bool = False


def _search_lines(store: Store, body: Search) -> Iterator[str]:
    from logwarden.query import service

    lo = datetime.fromisoformat(body.time_from) if body.time_from else None
    hi = datetime.fromisoformat(body.time_to) if body.time_to else None
    if body.stream:
        kind, rows = service.stream_search(store, body.query, time_from=lo, time_to=hi, limit=body.limit,
                                           chronological=body.chronological)
        yield json.dumps({"kind": kind, "columns": [], "elapsed_ms": 0.0}) + "\n"
        for row in rows:
            yield json.dumps(row) + "\n"
        return
    result = service.search(store, body.query, time_from=lo, time_to=hi, limit=body.limit)
    yield json.dumps({"kind": result.kind, "columns": result.columns, "elapsed_ms": result.elapsed_ms}) + "\n"
    for row in result.rows:
        yield json.dumps(row) + "\n"


@router.post("/api/v1/cli/search")
async def search(body: Search, user: User = Depends(require_role(ADMIN, AUDITOR, VIEWER)),
                 state: ServerState = Depends(get_state)) -> StreamingResponse:
    if user.sources is not None:
        raise HTTPException(403, "this user may read only some sources; use the search API (/api/v1/search)")
    from logwarden.query import QuerySyntaxError, parse

    try:
        parse(body.query)
    except QuerySyntaxError as exc:
        raise HTTPException(400, str(exc)) from None
    lines = state.stream(_search_lines, body)
    try:
        first = await lines.__anext__()
    except (LogwardenError, QuerySyntaxError) as exc:
        raise HTTPException(400, str(exc)) from None

    async def body_iter() -> AsyncIterator[bytes]:
        yield first.encode()
        async for line in lines:
            yield line.encode()

    return StreamingResponse(body_iter(), media_type="application/x-ndjson")
