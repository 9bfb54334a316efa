"""Live HTTP ingest: NDJSON/lines at /api/v1/ingest, the Loki push API, the Elasticsearch _bulk API.

A 2xx answer means the records are in the write-ahead file on disk (they survive a kill -9 of the
server). 429 (with Retry-After) means more is waiting for the engine than the server may hold: retry.
Roles: admin or ingest (a token made with `logwarden token create --role ingest`).
Query parameters: `source`, `host` (defaults when the records or labels name none), `format` (a format
name, or auto to detect per request).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from logwarden.errors import LogwardenError
from logwarden.server import http_ingest
from logwarden.server.queue import Overloaded
from logwarden.web.deps import (
    ADMIN,
    AUDITOR,
    INGEST,
    VIEWER,
    ServerState,
    User,
    client_ip,
    get_state,
    require_role,
)

router = APIRouter(tags=["ingest"])
ES_HEADERS = {"X-Elastic-Product": "Elasticsearch"}  # Elasticsearch 8 clients refuse answers without it
may_ingest = require_role(ADMIN, INGEST)


async def _body(request: Request) -> bytes:
    length = int(request.headers.get("content-length") or 0)
    if length > http_ingest.MAX_BODY:
        raise HTTPException(413, f"the body is {length >> 20} MiB; send at most {http_ingest.MAX_BODY >> 20} MiB")
    chunks, size = [], 0
    async for chunk in request.stream():  # a chunked body has no length to check up front
        size += len(chunk)
        if size > http_ingest.MAX_BODY:
            raise HTTPException(413, f"the body is over {http_ingest.MAX_BODY >> 20} MiB; send less per request")
        chunks.append(chunk)
    try:
        return http_ingest.decode_body(b"".join(chunks), request.headers.get("content-encoding", ""))
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None


async def _submit(state: ServerState, origin: str, parsed: http_ingest.Parsed) -> None:
    try:
        for block in parsed.blocks:
            await state.ingest.submit(origin, block.fmt, block.source, block.host, block.data, block.records,
                                      block.sep)
    except Overloaded as exc:
        state.ingest.stats.http_rejected += 1
        unavailable = "shutting down" in str(exc) or "write-ahead" in str(exc)
        raise HTTPException(503 if unavailable else 429, f"not accepted: {exc}; retry later",
                            headers={"Retry-After": "1"}) from None


def _params(request: Request) -> tuple[str, str, str]:
    q = request.query_params
    return q.get("format", "auto"), q.get("source", ""), q.get("host", "")


@router.post("/api/v1/ingest")
async def ingest_lines(request: Request, user: User = Depends(may_ingest),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    """NDJSON (or plain text): one record per line."""
    fmt, source, host = _params(request)
    body = await _body(request)
    try:
        parsed = http_ingest.lines(body, state.registry, fmt, source, host)
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None
    await _submit(state, f"http://{client_ip(request)}", parsed)
    return {"accepted": parsed.records, "formats": sorted({b.fmt for b in parsed.blocks})}


@router.post("/loki/api/v1/push", status_code=204)
async def loki_push(request: Request, user: User = Depends(may_ingest),
                    state: ServerState = Depends(get_state)) -> None:
    """Loki's push API: JSON, or snappy-compressed protobuf (Promtail's and Vector's default). Labels
    source/job/app give the source, host/hostname/instance the host."""
    protobuf = "protobuf" in request.headers.get("content-type", "")
    fmt, source, host = _params(request)
    body = await _body(request)
    try:
        if protobuf:
            parsed = http_ingest.loki_protobuf(body, state.registry, fmt, source, host)
        else:
            parsed = http_ingest.loki(body, state.registry, fmt, source, host)
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None
    await _submit(state, f"loki://{client_ip(request)}", parsed)


async def _bulk(request: Request, state: ServerState, index: str) -> JSONResponse:
    started = time.perf_counter()
    fmt, source, host = _params(request)
    body = await _body(request)
    try:
        parsed, items = http_ingest.bulk(body, state.registry, fmt, source, host)
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None
    await _submit(state, f"es-bulk://{client_ip(request)}", parsed)
    answer = [{op: {"_index": index or "logwarden", "_id": f"{i}", "status": 201 if op in ("index", "create") else 200,
                    "result": "created" if op in ("index", "create") else "noop"}} for i, op in enumerate(items)]
    return JSONResponse({"took": int((time.perf_counter() - started) * 1000), "errors": False, "items": answer},
                        headers=ES_HEADERS)


@router.post("/_bulk")
@router.post("/api/v1/es/_bulk")
async def es_bulk(request: Request, user: User = Depends(may_ingest),
                  state: ServerState = Depends(get_state)) -> JSONResponse:
    """Elasticsearch bulk API (Filebeat, Vector, Fluent Bit `es` outputs)."""
    return await _bulk(request, state, "")


@router.post("/{index}/_bulk")
@router.post("/api/v1/es/{index}/_bulk")
async def es_bulk_index(index: str, request: Request, user: User = Depends(may_ingest),
                        state: ServerState = Depends(get_state)) -> JSONResponse:
    return await _bulk(request, state, index)


@router.get("/api/v1/es")
@router.get("/api/v1/es/")
async def es_info(user: User = Depends(may_ingest)) -> JSONResponse:
    """What an Elasticsearch client's version check expects (point shippers at http://HOST:PORT/api/v1/es)."""
    return JSONResponse({"name": "logwarden", "cluster_name": "logwarden", "version": {
        "number": "8.11.0", "build_flavor": "default", "lucene_version": "9.8.0"}, "tagline": "You Know, for Search"},
        headers=ES_HEADERS)


@router.get("/api/v1/stats/ingest")
async def ingest_stats(user: User = Depends(require_role(ADMIN, AUDITOR, VIEWER, INGEST)),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    """Counters of live ingest: received, durable (in the WAL), stored, pending, UDP drops, 429s."""
    if state.ingest.udp_inode:
        from logwarden.server.syslog import kernel_drops

        drops = kernel_drops(state.ingest.udp_inode)
        if drops is not None:
            state.ingest.stats.udp_kernel_dropped = drops
    return {**state.ingest.stats.as_json(), "wal_position": state.ingest.wal.position,
            "overloaded": state.ingest.overloaded}
