"""`search -C/-A/-B` while a server owns the data directory: the hits come from the server's search, the
records around each from its `/events/{id}/context` (both call the functions the direct command calls), and
the groups are merged here exactly as `correlate.context` merges them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logwarden.client import ServerClient
from logwarden.commands.trace import from_server, server_params
from logwarden.correlate.context import assign, windows
from logwarden.errors import UsageError

PAGE = 10_000  # the API's largest page
API_MAX_CONTEXT = 1000  # the API's bound on before/after


def context_through_server(srv: ServerClient, text: str, lo: datetime | None, hi: datetime | None,
                           limit: int | None, before: int, after: int) -> list[dict[str, Any]]:
    if max(before, after) > API_MAX_CONTEXT:
        raise UsageError(f"through a server, context is at most {API_MAX_CONTEXT} records on each side")
    hits: list[dict[str, Any]] = []
    cursor = None
    while limit is None or len(hits) < limit:
        size = PAGE if limit is None else min(PAGE, limit - len(hits))
        page = srv.request("GET", "/api/v1/search",
                           params=server_params(lo, hi, q=text or "*", _size=size, _next=cursor))
        if page["kind"] != "events":
            raise UsageError("context shows the records around events; a `stats` query has no records to "
                             "show context for. Drop the stats pipe, or drop --context/-A/-B.")
        hits += page["rows"]
        cursor = page.get("next")
        if not cursor or not page["rows"]:
            break
    if any("_id" not in h or "origin" not in h or "seq" not in h for h in hits):
        raise UsageError("context needs each hit's origin and seq; a `fields` pipe that drops them "
                         "cannot be combined with --context/-A/-B.")
    records: dict[tuple[str, int], dict[str, Any]] = {}
    for h in hits:
        around = srv.request("GET", f"/api/v1/events/{h['_id']}/context",
                             params={"before": before, "after": after})
        for r in around["records"]:
            row = {k: v for k, v in from_server(r).items() if k != "hit"}
            records[(row["origin"], int(row["seq"]))] = row
    groups = windows([(str(h["origin"]), int(h["seq"])) for h in hits], before, after)
    rows = [records[k] for k in sorted(records)]
    return [g.as_dict() for g in assign(groups, rows)]
