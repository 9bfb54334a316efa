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
async def collate_text(origin: list[str] | None = Query(
                           None, description="only this stored file; several: the first that is stored"),
                       user: User = Depends(require_role(ADMIN, AUDITOR)),
                       state: ServerState = Depends(get_state)) -> StreamingResponse:
    """The stored Postfix transactions grouped as collate.pl groups them, blocks separated by a blank line.
    Reads every source: admins and auditors only."""
    from logwarden.correlate.collate import stored_origin

    found = None
    if origin:
        found = await state.run(stored_origin, origin)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                detail=f"no stored file {origin[0]!r}; give the path as it was ingested")

    async def body() -> AsyncIterator[bytes]:
        async for chunk in state.stream(_blocks, found):
            yield chunk

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8")
