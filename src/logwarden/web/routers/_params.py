"""What the search, export and UI routers share: reading the API's control parameters, the caller's
source restriction as SQL, errors as HTTP answers, and event rows as JSON.

Control parameters are prefixed with `_` (Datasette's convention) so they never clash with a field:
`q` the query text, `_from`/`_to` (ISO 8601; naive times in the server's zone) or `_since` (30m, 2h,
7d), `_size` (page size), `_next` (the opaque cursor of the next page), `_format`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Query, status

from logwarden.errors import LogwardenError
from logwarden.output import iso, valid_text
from logwarden.query.compiler import ExtraWhere
from logwarden.query.errors import QuerySyntaxError
from logwarden.query.paging import CursorError
from logwarden.timeparse import time_range
from logwarden.web.deps import (
    ADMIN,
    AUDITOR,
    VIEWER,
    ServerState,
    User,
    allowed_sources,
    get_state,
    require_role,
)

T = TypeVar("T")
# Who may read events: people and their tokens; `ingest` tokens may only send logs.
READERS = (ADMIN, AUDITOR, VIEWER)
UserDep = Annotated[User, Depends(require_role(*READERS))]
StateDep = Annotated[ServerState, Depends(get_state)]
MAX_SIZE = 10_000


@dataclass
class Search:
    """One request's search: the text, the time window (naive UTC), and the caller's restriction."""

    q: str
    time_from: datetime | None
    time_to: datetime | None
    where: ExtraWhere | None
    user: User
    state: ServerState

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(store, *args)` in the engine worker, with query errors turned into 400 answers."""
        return await guarded(self.state.run(fn, *args, **kwargs))


def source_where(user: User) -> ExtraWhere | None:
    """`has(sources, source)` for a caller limited to some sources; None for one who sees them all."""
    sources = allowed_sources(user)
    if sources is None:
        return None
    return "has({lw_sources:Array(String)}, source)", {"lw_sources": list(sources)}


def may_read(user: User, row: dict[str, Any]) -> bool:
    sources = allowed_sources(user)
    return sources is None or row.get("source") in sources


async def guarded(job: Awaitable[T]) -> T:
    try:
        return await job
    except QuerySyntaxError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    except CursorError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    except LogwardenError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    except ValueError as exc:  # a bad step, window or size from the caller
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None


def search_params(
    user: UserDep,
    state: StateDep,
    q: str = Query("", description="the query (docs/query.md); empty: every event"),
    from_: str | None = Query(None, alias="_from", description="start time, ISO 8601 (naive: server's zone)"),
    to: str | None = Query(None, alias="_to", description="end time, exclusive"),
    since: str | None = Query(None, alias="_since", description="a span back from now: 30m, 2h, 7d"),
) -> Search:
    try:
        lo, hi = time_range(since, from_, to, state.config.timezone or "UTC")
    except LogwardenError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            detail=str(exc).replace("--since", "_since").replace("--from", "_from")
                            .replace("--to", "_to")) from None
    return Search(q.strip() or "*", lo, hi, source_where(user), user, state)


def time_text(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """An event row for JSON: ts as ISO 8601 UTC, text made valid UTF-8, fields without empty values."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "ts" and isinstance(value, str):
            value = iso(value)
        elif key == "fields" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if v != ""}
        out[key] = valid_text(value)
    return out


SearchDep = Annotated[Search, Depends(search_params)]
