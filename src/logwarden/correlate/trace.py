"""Traces: every record that carries one trace, request or queue id, across sources and hosts, in time order.

An id is looked up where the formats put ids (nothing here knows a format):

- the `trace_id` column: a trace shared by several requests (Directum RX `<prefix>-<TraceId>`, a JSON log's
  trace_id/traceId),
- the `request_id` column: one request or message (VK Teams reqId, Directum RequestId/MessageId),
- the fields in `ID_FIELDS`: Postfix's `queue_id`, Directum's whole `tr`, a `message_id`.

So `logwarden trace cl-3b6fac8b` (or `trace 3b6fac8b`: 8 hex digits also match a trace_id ending in
`-3b6fac8b`) shows every request of one Directum action, `trace cl-3b6fac8b-9d4d0c` the
one request, `trace 4FF14284F45` a Postfix message's lines, `trace 21257-1606742661` a VK Teams request.

Speed: the records that hold an id contain its longest alphanumeric piece as a word, so the text index on
`raw` narrows the scan first (`hasToken`). An id that a record holds only inside a longer word would be
missed by that narrowing; when the narrowed query finds nothing, the lookup runs again over every record.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from logwarden.errors import UsageError
from logwarden.query.params import plain_value
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

ID_COLUMNS = ("trace_id", "request_id")
ID_FIELDS = ("queue_id", "tr", "message_id")
EVENT_SELECT = ("ts, level, source, service, host, format, origin, seq, raw, user, client_ip, trace_id, "
                "request_id, status, fields")
_PIECES = re.compile(r"[A-Za-z0-9]+")
# A Directum TraceId without its application prefix (`3b6fac8b` for `cl-3b6fac8b`) finds the trace too.
_BARE_TRACE = re.compile(r"[0-9A-Fa-f]{8}")
MAX_ID = 256


def _token(trace_id: str) -> str | None:
    pieces = _PIECES.findall(trace_id)
    best = max(pieces, key=len) if pieces else ""
    return best.lower() if len(best) >= 3 else None


def trace_sql(narrow: bool, token: str | None, time_from: datetime | None, time_to: datetime | None,
              limit: int | None, bare_trace: bool = False) -> str:
    match = " OR ".join([f"{c} = {{id:String}}" for c in ID_COLUMNS]
                        + [f"fields[{{k{i}:String}}] = {{id:String}}" for i in range(len(ID_FIELDS))]
                        + (["endsWith(trace_id, concat('-', {id:String}))"] if bare_trace else []))
    where = [f"({match})"]
    if narrow and token:
        where.insert(0, "hasToken(lower(raw), {tok:String})")
    if time_from is not None:
        where.append("ts >= {t0:DateTime64(6, 'UTC')}")
    if time_to is not None:
        where.append("ts < {t1:DateTime64(6, 'UTC')}")
    sql = f"SELECT {EVENT_SELECT} FROM {DB}.events WHERE {' AND '.join(where)} ORDER BY ts, origin, seq"
    return sql + (" LIMIT {lim:UInt64}" if limit else "")


def trace(store: Store, id: str, *, limit: int | None = None, time_from: datetime | None = None,
          time_to: datetime | None = None) -> list[dict[str, Any]]:
    """Every record carrying `id` as its trace, request or queue id, oldest first (then by file and
    position). `limit`: the first `limit` records of the trace (None: all)."""
    trace_id = id.strip()
    if not trace_id:
        raise UsageError("trace needs an id: a trace_id, request_id (reqId), Directum tr or Postfix queue id")
    if len(trace_id) > MAX_ID or "\n" in trace_id:
        raise UsageError(f"{trace_id[:40]!r}… is not an id (ids are one word of at most {MAX_ID} characters)")
    token = _token(trace_id)
    params: dict[str, Any] = {"id": trace_id, **{f"k{i}": k for i, k in enumerate(ID_FIELDS)}}
    if token:
        params["tok"] = token
    if time_from is not None:
        params["t0"] = plain_value(time_from)
    if time_to is not None:
        params["t1"] = plain_value(time_to)
    if limit:
        params["lim"] = int(limit)
    bare = bool(_BARE_TRACE.fullmatch(trace_id))
    rows = store.rows(trace_sql(True, token, time_from, time_to, limit, bare), params)
    if not rows and token:
        rows = store.rows(trace_sql(False, token, time_from, time_to, limit, bare), params)
    return rows
