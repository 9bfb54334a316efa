"""GET /healthz: liveness without authentication (load balancers, `logwarden` CLI probing the server)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends

from logwarden.web.deps import ServerState, get_state

router = APIRouter()


@router.get("/healthz", tags=["health"])
async def healthz(state: ServerState = Depends(get_state)) -> dict[str, Any]:
    return {"status": "ok", "uptime_s": round(time.time() - state.started, 1),
            "pending_records": state.ingest.stats.pending_records}
