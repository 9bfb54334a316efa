"""`GET /api/v1/mail/collate`: every stored Postfix transaction as Postfix's collate.pl prints them (text),
for `logwarden mail --collate` while a server owns the data directory. Mail flows as JSON are
`/api/v1/mail/flows` (routers/search.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from logwarden.web.deps import ADMIN, AUDITOR, ServerState, User, get_state, require_role

router = APIRouter(prefix="/api/v1/mail", tags=["correlation"])


def _blocks(store: Any, origin: str | None) -> Any:
    from logwarden.correlate.collate import collate

    for block in collate(store, origin):
        yield (block + "\n").encode("utf-8", "surrogateescape")


@router.get("/collate", response_class=StreamingResponse)
async def collate_text(origin: str | None = Query(None, description="only this stored file (origin)"),
                       user: User = Depends(require_role(ADMIN, AUDITOR)),
                       state: ServerState = Depends(get_state)) -> StreamingResponse:
    """The stored Postfix transactions grouped as collate.pl groups them, blocks separated by a blank line.
    Reads every source: admins and auditors only."""
    if origin is not None:
        n = await state.run(lambda store: store.value(
            "SELECT count() AS n FROM lw.events WHERE origin = {o:String}", {"o": origin}))
        if not n:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no stored file {origin!r}")

    async def body() -> AsyncIterator[bytes]:
        async for chunk in state.stream(_blocks, origin):
            yield chunk

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8")
