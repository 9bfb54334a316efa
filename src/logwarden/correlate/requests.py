"""VK Teams client requests paired with their responses, and what stayed unpaired.

The client log (format `vkteams_client`) holds one record per request, per response and per network
failure. Pairing runs in the engine, per log file (`origin`):

- a response pairs with the nearest request before it that carries the same reqId (an ASOF join on
  `seq`), so a reqId sent twice (a retry after a timeout) pairs each answer with its own attempt;
- a response without a reqId (a status line and a short body, as in the vendor's example 1) pairs with the
  record right before it when that is a request;
- a network failure (`curl_easy_perform result is 6 (Couldn't resolve host name)`) takes the request right
  before it, when that one got no answer: the failure is what happened to it.

Rows (`outcome`): `answered` (a request and its response, whatever the status), `no_response`, `no_request` (a response whose request is
not in the store, e.g. in a rotated file), `network_error`. Latency is the response's time minus the
request's, in seconds (the client log's times are whole seconds: the response's `ts`, the reqId's Unix time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

FORMAT = "vkteams_client"
OUTCOMES = ("answered", "no_response", "no_request", "network_error")
COLUMNS = ("ts", "outcome", "method", "action", "category", "user", "request_id", "latency_s", "http_status",
           "status", "meaning", "meaning_ru", "error", "origin", "request_seq", "response_seq")

_BASE = f"""
SELECT origin, seq, ts, ts_inferred, fields['kind'] AS kind, request_id AS rid, fields['api_method'] AS method,
       fields['action'] AS action, fields['category'] AS category, user, status,
       fields['http_status'] AS http_status, fields['status_text'] AS status_text,
       fields['status_text_ru'] AS status_text_ru, fields['reason'] AS reason, fields['error'] AS error,
       fields['http_host'] AS http_host,
       lagInFrame(fields['kind']) OVER w AS prev_kind, lagInFrame(request_id) OVER w AS prev_rid,
       lagInFrame(seq) OVER w AS prev_seq
FROM {DB}.events
WHERE format = {{fmt:String}}
WINDOW w AS (PARTITION BY origin ORDER BY seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
"""

# Responses with the reqId they answer: their own, else (no reqId) the request right before them.
_RESP = """
SELECT *, multiIf(rid != '', rid, prev_kind = 'request', prev_rid, '\\0none') AS erid
FROM base WHERE kind = 'response'
"""

_PAIRS = """
SELECT s.origin AS origin, s.seq AS s_seq, s.ts AS s_ts, s.ts_inferred AS s_inf, s.method AS s_method,
       s.action AS s_action, s.category AS s_category, s.rid AS s_rid, s.http_status AS http_status,
       s.status AS status, s.status_text AS status_text, s.status_text_ru AS status_text_ru, s.reason AS reason,
       r.seq AS r_seq, r.ts AS r_ts, r.ts_inferred AS r_inf, r.method AS r_method, r.action AS r_action,
       r.category AS r_category, r.user AS r_user, r.rid AS r_rid
FROM resp AS s ASOF LEFT JOIN req AS r ON s.origin = r.origin AND s.erid = r.rid AND s.seq > r.seq
"""

_ROWS = """
SELECT ifNull(r_ts, s_ts) AS ts,
       if(r_seq IS NULL, 'no_request', 'answered') AS outcome,
       if(ifNull(r_method, '') != '', r_method, s_method) AS method,
       if(ifNull(r_action, '') != '', r_action, s_action) AS action,
       if(ifNull(r_category, '') != '', r_category, s_category) AS category,
       ifNull(r_user, '') AS user,
       if(s_rid != '', s_rid, ifNull(r_rid, '')) AS request_id,
       if(r_seq IS NULL OR r_inf OR s_inf, NULL, dateDiff('millisecond', r_ts, s_ts) / 1000) AS latency_s,
       http_status, status,
       if(reason != '', reason, status_text) AS meaning, status_text_ru AS meaning_ru, '' AS error,
       origin, r_seq AS request_seq, s_seq AS response_seq
FROM pairs
UNION ALL
SELECT r.ts, if(e.seq IS NULL, 'no_response', 'network_error'), r.method, r.action, r.category, r.user, r.rid,
       NULL, '', '', if(e.seq IS NULL, '', e.error), '', ifNull(e.error, ''), r.origin, r.seq, e.seq
FROM (SELECT * FROM req WHERE (origin, seq) NOT IN (SELECT origin, assumeNotNull(r_seq) FROM pairs
      WHERE r_seq IS NOT NULL)) AS r
LEFT JOIN (SELECT * FROM base WHERE kind = 'error' AND prev_kind = 'request') AS e
  ON r.origin = e.origin AND r.seq = e.prev_seq
UNION ALL
SELECT e.ts, 'network_error', '', '', '', '', '', NULL, '', '', e.error, '', e.error, e.origin, NULL, e.seq
FROM base AS e WHERE e.kind = 'error' AND NOT (e.prev_kind = 'request'
  AND (e.origin, e.prev_seq) NOT IN (SELECT origin, assumeNotNull(r_seq) FROM pairs WHERE r_seq IS NOT NULL))
"""


def requests_sql(*, method: str | None, status: str | None, orphans: bool, slower_than: float | None,
                 time_from: datetime | None, time_to: datetime | None, limit: int | None) -> str:
    where = []
    if method:
        where.append("method = {method:String}")
    if status:
        where.append("status = {status:String}")
    if orphans:
        where.append("outcome != 'answered'")
    if slower_than is not None:
        where.append("latency_s > {slower:Float64}")
    if time_from is not None:
        where.append("ts >= {t0:DateTime64(6, 'UTC')}")
    if time_to is not None:
        where.append("ts < {t1:DateTime64(6, 'UTC')}")
    sql = (f"WITH base AS ({_BASE}), req AS (SELECT * FROM base WHERE kind = 'request'), resp AS ({_RESP}), "
           f"pairs AS ({_PAIRS}) "
           f"SELECT * FROM ({_ROWS}) {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY ts, origin, ifNull(request_seq, response_seq)")
    if limit:
        sql += " LIMIT {lim:UInt64}"
    return sql + " SETTINGS join_use_nulls = 1"


def pair_requests(store: Store, *, method: str | None = None, status: str | int | None = None,
                  orphans: bool = False, slower_than: float | None = None, time_from: datetime | None = None,
                  time_to: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Requests paired with their responses, oldest first; see the module doc for the outcomes.

    `method`: an API method (`getChatInfo`); `status`: an IM status code (`50000`); `orphans`: only what
    stayed unpaired; `slower_than`: seconds (only pairs answered later than that); `time_from`/`time_to`:
    naive UTC, on the request's time (a lone response's or failure's own)."""
    params: dict[str, Any] = {"fmt": FORMAT, "method": method or "", "status": str(status or ""),
                              "slower": float(slower_than or 0), "lim": int(limit or 0)}
    if time_from is not None:
        params["t0"] = time_from.strftime("%Y-%m-%d %H:%M:%S.%f")
    if time_to is not None:
        params["t1"] = time_to.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = requests_sql(method=method, status=str(status) if status else None, orphans=orphans,
                       slower_than=slower_than, time_from=time_from, time_to=time_to, limit=limit)
    rows = store.rows(sql, params)
    return [{k: row.get(k) for k in COLUMNS} for row in rows]
