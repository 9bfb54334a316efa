"""VK Teams client requests paired with their responses, and what stayed unpaired.

The client log (format `vkteams_client`) holds one record per request, per response and per network
failure. Pairing runs in the engine, per log file (`origin`), with window functions only (no joins):

- a response pairs with the record right before it among the records of its reqId, when that is a request;
  so a reqId sent twice (a retry after a timeout) pairs each answer with the attempt it follows, and a
  second answer to one request is listed as a response without a request;
- a response without a reqId (a status line and a short body, as in the vendor's example 1) takes the reqId
  of the record right before it when that is a request;
- a network failure (`curl_easy_perform result is 6 (Couldn't resolve host name)`) right after a request
  that got no answer is what became of that request: one row.

Rows (`outcome`): `answered` (a request and its response, whatever the status), `no_response`,
`no_request` (a response whose request is not in the store, e.g. in a rotated file), `network_error`.
Latency is the response's time minus the request's, in seconds (the client log's times are whole seconds:
the response's `ts`, the reqId's Unix time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from logwarden.query.params import plain_value
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

FORMAT = "vkteams_client"
# Records this far outside the asked window are not read: a request and its answer (or failure) lie closer.
MARGIN = timedelta(hours=1)
EDGES = (datetime(1900, 1, 1), datetime(2299, 12, 31))
OUTCOMES = ("answered", "no_response", "no_request", "network_error")
COLUMNS = ("ts", "outcome", "method", "action", "category", "user", "request_id", "latency_s", "http_status",
           "status", "meaning", "meaning_ru", "error", "origin", "request_seq", "response_seq")

# One pass of window functions per step, no joins: each record reads its neighbours (PARTITION BY origin,
# ORDER BY seq), then its neighbours among the records of its reqId (PARTITION BY origin, erid).
_BASE = f"""
SELECT origin, seq, ts, ts_inferred, fields['kind'] AS kind, request_id AS rid, fields['api_method'] AS method,
       fields['action'] AS action, fields['category'] AS category, user, status,
       fields['http_status'] AS http_status, fields['status_text'] AS status_text,
       fields['status_text_ru'] AS status_text_ru, fields['reason'] AS reason, fields['error'] AS error
FROM {DB}.events
WHERE format = {{fmt:String}} AND ts >= {{near0:DateTime64(6, 'UTC')}} AND ts < {{near1:DateTime64(6, 'UTC')}}
"""

# erid: the reqId a record belongs to; a response without one takes the request's right before it (else a
# partition of its own); a failure is alone.
_BY_ID = f"""
SELECT *, multiIf(kind = 'error', concat('\\0e', toString(seq)),
                  kind = 'response' AND rid = '',
                  if(lagInFrame(kind) OVER wo = 'request', lagInFrame(rid) OVER wo, concat('\\0r', toString(seq))),
                  rid) AS erid
FROM ({_BASE})
WINDOW wo AS (PARTITION BY origin ORDER BY seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
"""

# A response pairs with the record before it among its reqId's when that is a request; a request is answered
# when the record after it is a response (a reqId sent twice: each attempt with the answer that follows it).
_PAIRED = f"""
SELECT *, lagInFrame(kind) OVER wp AS p_kind, lagInFrame(seq) OVER wp AS p_seq, lagInFrame(ts) OVER wp AS p_ts,
       lagInFrame(ts_inferred) OVER wp AS p_inf, lagInFrame(method) OVER wp AS p_method,
       lagInFrame(action) OVER wp AS p_action, lagInFrame(category) OVER wp AS p_category,
       lagInFrame(user) OVER wp AS p_user, lagInFrame(rid) OVER wp AS p_rid,
       leadInFrame(kind) OVER wp AS n_kind
FROM ({_BY_ID})
WINDOW wp AS (PARTITION BY origin, erid ORDER BY seq ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
"""

# A failure right after an unanswered request is what became of it.
_NEAR = f"""
SELECT *, kind = 'request' AND n_kind != 'response' AS unanswered,
       leadInFrame(kind) OVER wo AS next_kind, leadInFrame(error) OVER wo AS next_error,
       leadInFrame(seq) OVER wo AS next_seq, lagInFrame(unanswered) OVER wo AS after_unanswered
FROM ({_PAIRED})
WINDOW wo AS (PARTITION BY origin ORDER BY seq ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
"""

_ROWS = f"""
SELECT if(kind = 'response' AND p_kind = 'request', p_ts, ts) AS o_ts,
       multiIf(kind = 'response', if(p_kind = 'request', 'answered', 'no_request'),
               kind = 'request', if(next_kind = 'error', 'network_error', 'no_response'), 'network_error') AS o_outcome,
       if(kind = 'response' AND p_kind = 'request' AND p_method != '', p_method, method) AS o_method,
       if(kind = 'response' AND p_kind = 'request' AND p_action != '', p_action, action) AS o_action,
       if(kind = 'response' AND p_kind = 'request' AND p_category != '', p_category, category) AS o_category,
       multiIf(kind = 'response', if(p_kind = 'request', p_user, ''), kind = 'request', user, '') AS o_user,
       if(kind = 'response' AND rid = '' AND p_kind = 'request', p_rid, rid) AS o_request_id,
       if(kind = 'response' AND p_kind = 'request' AND NOT p_inf AND NOT ts_inferred,
          dateDiff('millisecond', p_ts, ts) / 1000, NULL) AS o_latency_s,
       if(kind = 'response', http_status, '') AS o_http_status, if(kind = 'response', status, '') AS o_status,
       multiIf(kind = 'response', if(reason != '', reason, status_text),
               kind = 'request', if(next_kind = 'error', next_error, ''), error) AS o_meaning,
       if(kind = 'response', status_text_ru, '') AS o_meaning_ru,
       multiIf(kind = 'request', if(next_kind = 'error', next_error, ''), error) AS o_error,
       origin AS o_origin,
       multiIf(kind = 'response', if(p_kind = 'request', p_seq, NULL), kind = 'request', seq, NULL) AS o_request_seq,
       multiIf(kind = 'request', if(next_kind = 'error', next_seq, NULL), seq) AS o_response_seq
FROM ({_NEAR})
WHERE kind = 'response' OR (kind = 'request' AND unanswered) OR (kind = 'error' AND NOT after_unanswered)
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
    # The inner query names its outputs o_*: its own columns (ts, method…) must not be shadowed by them.
    outputs = ", ".join(f"o_{c} AS {c}" for c in COLUMNS)
    sql = (f"SELECT {outputs} FROM ({_ROWS}) {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY ts, origin, ifNull(request_seq, response_seq)")
    return sql + (" LIMIT {lim:UInt64}" if limit else "")


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
        params["t0"] = plain_value(time_from)
    if time_to is not None:
        params["t1"] = plain_value(time_to)
    near0 = time_from - MARGIN if time_from is not None else EDGES[0]
    near1 = time_to + MARGIN if time_to is not None else EDGES[1]
    params["near0"], params["near1"] = (plain_value(t) for t in (near0, near1))
    sql = requests_sql(method=method, status=str(status) if status else None, orphans=orphans,
                       slower_than=slower_than, time_from=time_from, time_to=time_to, limit=limit)
    rows = store.rows(sql, params)
    return [{k: row.get(k) for k in COLUMNS} for row in rows]
