"""The JSON API of search: `/api/v1/search`, `/histogram`, `/facets`, `/stats`, `/events/{id}`,
`/events/{id}/context`, `/tail`, `/traces/{id}`, `/restarts`. Every answer is what the UI renders.

All of them read through `query.paging`, `query.facets`, `query.histogram` and `correlate.*` (the one
query service) in the engine worker, restricted to the caller's sources.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status

from logwarden.query import histogram as hist
from logwarden.query.facets import FACETS, count, facets, time_span
from logwarden.query.paging import combine, get_event, search_page, tail
from logwarden.query.paging import event_id as id_of
from logwarden.query.parser import parse
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB
from logwarden.web.deps import User
from logwarden.web.routers._params import (
    MAX_SIZE,
    Search,
    SearchDep,
    StateDep,
    UserDep,
    event_json,
    guarded,
    may_read,
    source_where,
    time_text,
)

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.get("/search")
async def search(s: SearchDep,
                 size: int = Query(20, alias="_size", ge=1, le=MAX_SIZE, description="rows per page"),
                 next_: str | None = Query(None, alias="_next", description="the cursor from the previous page")
                 ) -> dict[str, Any]:
    """One page of a search, newest first (or as the query sorts); `next` is the cursor of the next page
    (null on the last one). Events carry `_id`, the stable id for `/events/{id}`."""
    started = time.perf_counter()
    page = await s.run(search_page, s.q, time_from=s.time_from, time_to=s.time_to, size=size, cursor=next_,
                       extra_where=s.where)
    rows = [event_json(r) for r in page.rows] if page.kind == "events" else page.rows
    return {"query": str(parse(s.q)), "kind": page.kind, "columns": page.columns, "rows": rows,
            "next": page.next, "from": time_text(page.time_from), "to": time_text(page.time_to),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1)}


def _bounds(store: Store, s: Search) -> tuple[datetime, datetime] | None:
    """The window of a histogram: the asked one, or the matching events' first and last time."""
    if s.time_from is not None and s.time_to is not None:
        return s.time_from, s.time_to
    span = time_span(store, s.q, time_from=s.time_from, time_to=s.time_to, extra_where=s.where)
    if span is None:
        return None
    lo = s.time_from or span[0]
    last = span[1] + timedelta(seconds=1)
    # An open end is now when a start was asked for (the last 2 hours end now), else the last event.
    hi = s.time_to or (max(last, datetime.now(UTC).replace(tzinfo=None)) if s.time_from else last)
    return lo, hi


def _histogram(store: Store, s: Search, step: str | None) -> dict[str, Any]:
    bounds = _bounds(store, s)
    if bounds is None:
        return {"step": step, "from": time_text(s.time_from), "to": time_text(s.time_to), "buckets": [],
                "total": 0}
    lo, hi = bounds
    step = step or hist.auto_step(lo, hi)
    cq = hist.histogram_query(s.q, step, time_from=lo, time_to=hi, extra_where=s.where)
    buckets = [{"time": r["_time"], "count": int(r["count"])} for r in store.rows(cq.sql, cq.params)]
    return {"step": step, "from": time_text(lo), "to": time_text(hi), "buckets": buckets,
            "total": sum(b["count"] for b in buckets)}


@router.get("/histogram")
async def histogram(s: SearchDep,
                    step: str | None = Query(None, alias="_step", description="bucket step: 1m, 1h, 1d…; default: "
                                             "at most 120 buckets")) -> dict[str, Any]:
    """Hits over time for the query's filter: buckets oldest first, `time` the bucket start (UTC)."""
    return await s.run(_histogram, s, step)


@router.get("/facets")
async def facet_values(s: SearchDep,
                       fields: str = Query(",".join(FACETS), alias="_fields", description="comma-separated"),
                       top: int = Query(10, alias="_top", ge=1, le=1000)) -> dict[str, Any]:
    """The most frequent values (with counts) of each facet field among the matching events."""
    names = tuple(f.strip() for f in fields.split(",") if f.strip())
    for name in names:
        parse(f"* | stats count() by ({name})")  # a bad name is a 400 with the parser's message

    def run(store: Store) -> dict[str, Any]:
        return {"total": count(store, s.q, time_from=s.time_from, time_to=s.time_to, extra_where=s.where),
                "facets": facets(store, s.q, time_from=s.time_from, time_to=s.time_to, names=names, top=top,
                                 extra_where=s.where)}

    return await s.run(run)


def _stats(store: Store, user: User) -> dict[str, Any]:
    where = source_where(user)
    sql, params = (f" WHERE {where[0]}", dict(where[1])) if isinstance(where, tuple) else ("", {})
    by_source = store.rows(
        f"SELECT source, count() AS events, min(ts) AS first, max(ts) AS last FROM {DB}.events{sql} "
        "GROUP BY source ORDER BY events DESC", params)
    for r in by_source:
        r["events"] = int(r["events"])
        r["first"], r["last"] = r["first"].replace(" ", "T") + "Z", r["last"].replace(" ", "T") + "Z"
    return {"events": sum(r["events"] for r in by_source), "sources": by_source,
            "disk_bytes": store.disk_bytes() if where is None else None}


@router.get("/stats")
async def stats(user: UserDep, state: StateDep) -> dict[str, Any]:
    """What the store holds (that the caller may read): events per source with their first and last time."""
    return await guarded(state.run(_stats, user))


@router.get("/events/{event_id}")
async def one_event(event_id: str, user: UserDep,
                    state: StateDep) -> dict[str, Any]:
    """One event by its `_id`: every column, every extracted field, and the raw record."""
    row = await guarded(state.run(get_event, event_id, source_where(user)))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event with id {event_id}")
    return event_json(row)


@router.get("/events/{event_id}/context")
async def event_context(event_id: str, user: UserDep, state: StateDep,
                        before: int = Query(10, ge=0, le=1000),
                        after: int = Query(10, ge=0, le=1000)) -> dict[str, Any]:
    """The records around an event in its own file (origin), like `grep -C`: `records` oldest first, the
    event itself marked `hit`. Records of sources the caller may not read are left out."""
    from logwarden.correlate.context import context

    def run(store: Store) -> dict[str, Any] | None:
        row = get_event(store, event_id, source_where(user))
        if row is None:
            return None
        groups = context(store, [row], before=before, after=after)
        records = [event_json({**r, "_id": id_of(r)}) for g in groups for r in g["records"] if may_read(user, r)]
        return {"event": event_json(row), "before": before, "after": after, "records": records}

    out = await guarded(state.run(run))
    if out is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event with id {event_id}")
    return out


@router.get("/tail")
async def live_tail(s: SearchDep,
                    after: str | None = Query(None, alias="_after", description="the `after` of the previous call"),
                    size: int = Query(200, alias="_size", ge=1, le=MAX_SIZE)) -> dict[str, Any]:
    """Live tail by polling: events newer than `_after`, oldest first, and the `after` for the next call
    (the first call gives the newest `_size` events). The query's pipes are ignored."""
    rows, last = await s.run(tail, s.q, after=after, size=size, extra_where=combine(s.where))
    return {"rows": [event_json(r) for r in rows], "after": last}


@router.get("/traces/{trace_id}")
async def trace(trace_id: str, s: SearchDep,
                limit: int | None = Query(None, alias="_size", ge=1, le=100_000)) -> dict[str, Any]:
    """Every record carrying this trace, request, queue or message id, across sources, oldest first."""
    from logwarden.correlate.trace import trace as find

    rows = await s.run(find, trace_id, limit=limit, time_from=s.time_from, time_to=s.time_to)
    rows = [event_json({**r, "_id": id_of(r)}) for r in rows if may_read(s.user, r)]
    return {"id": trace_id, "rows": rows, "sources": sorted({r["source"] for r in rows}),
            "hosts": sorted({r["host"] for r in rows if r.get("host")})}


@router.get("/restarts")
async def restarts(s: SearchDep, service: str | None = None,
                   before: int = Query(5, ge=0, le=1000)) -> dict[str, Any]:
    """Service starts with the records just before each (the likely cause first)."""
    from logwarden.correlate.restarts import restarts as find

    registry = s.state.registry
    rows = await s.run(find, service=service, before=before, time_from=s.time_from, time_to=s.time_to,
                       registry=registry)
    return {"rows": [event_json(r) for r in rows if may_read(s.user, r)]}


def _whole_store_only(s: Search, what: str) -> None:
    """Correlations read records of several sources at once; a caller limited to some sources gets a 403."""
    if s.user.sources is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            detail=f"{what} join records across sources, and your account may read only "
                                   f"{', '.join(s.user.sources) or 'no sources'}; ask an admin or auditor")


@router.get("/mail/flows")
async def mail_flows(s: SearchDep, message_id: str | None = None, queue_id: str | None = None,
                     sender: str | None = None, recipient: str | None = None, mail_status: str | None = Query(
                         None, alias="status", description="a recipient's final status: sent, bounced, deferred…"),
                     size: int = Query(50, alias="_size", ge=1, le=10_000)) -> dict[str, Any]:
    """Mail messages reconstructed from Postfix/Zimbra MTA records (newest first): envelope, message-id,
    hops, delivery attempts and each recipient's final status. `q` narrows to messages with a matching record."""
    from logwarden.correlate.mail import mail_flows as find

    _whole_store_only(s, "mail flows")
    rows = await s.run(find, query=None if s.q == "*" else s.q, message_id=message_id, queue_id=queue_id,
                       sender=sender, recipient=recipient, status=mail_status, time_from=s.time_from,
                       time_to=s.time_to, limit=size)
    return {"messages": rows}


@router.get("/requests/pairs")
async def request_pairs(s: SearchDep, method: str | None = None, im_status: str | None = Query(
                            None, alias="status", description="an IM status code, e.g. 50000"),
                        orphans: bool = False, slower_than: float | None = None,
                        size: int = Query(200, alias="_size", ge=1, le=100_000)) -> dict[str, Any]:
    """VK Teams client requests paired with their responses (outcome, latency), oldest first."""
    from logwarden.correlate.requests import pair_requests

    _whole_store_only(s, "request pairs")
    rows = await s.run(pair_requests, method=method, status=im_status, orphans=orphans, slower_than=slower_than,
                       time_from=s.time_from, time_to=s.time_to, limit=size)
    return {"rows": rows}
