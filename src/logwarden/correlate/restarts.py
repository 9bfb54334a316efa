"""Restarts: the service starts found in the logs, each with the records just before it in the same file.

"To find the error quickly, know when the server was started again and find the record of that time: the
record before it is the error" (the Zimbra seed). Which records are start-ups is data: every format declares
RE2 `startup` patterns over the raw record (Zimbra mailbox "Starting up"/"Server started", Postfix master
"daemon started", systemd "Started …", Keycloak/Quarkus "started in", Directum "Application started", …),
each proven by a sample. The engine matches them, per format, in one pass:

    … WHERE multiIf(format = {f0}, match(raw, {p0}), format = {f1}, match(raw, {p1}), 0)

A service writes several start-up lines as it comes up; start-up records of one origin less than `GAP_S`
seconds after the previous one are one start (window functions over (origin, seq)). The `before` records
preceding each start come from `context.fetch` over (origin, seq); they never reach back past the previous
start-up line of the same origin (those belong to the run before, whose own start is listed). `cause` points at the most severe of them
(the latest at that level) — usually the FATAL or the stack trace that brought the service down.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logwarden.correlate.context import MAX_CONTEXT, Group, fetch
from logwarden.errors import UsageError
from logwarden.query.params import plain_value
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB, LEVELS

GAP_S = 300  # start-up lines closer than this (same origin) belong to one start
EVENT_SELECT = ("ts, level, source, service, host, format, origin, seq, raw, user, client_ip, trace_id, "
                "request_id, status, fields")


def startup_patterns(registry: Any) -> dict[str, str]:
    """format name → one RE2 pattern (its `startup` list as alternatives), for formats that declare any."""
    return {name: "|".join(f"(?:{p})" for p in spec.startup)
            for name, spec in sorted(registry.formats.items()) if spec.startup}


def restarts_sql(patterns: dict[str, str], service: bool, time_from: bool, time_to: bool) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    arms = []
    for i, (name, pattern) in enumerate(patterns.items()):
        params[f"f{i}"], params[f"p{i}"] = name, pattern
        arms.append(f"format = {{f{i}:String}}, match(raw, {{p{i}:String}})")
    params["gap"] = GAP_S
    where = ["format IN {formats:Array(String)}", f"multiIf({', '.join(arms)}, 0)"]
    params["formats"] = list(patterns)
    if time_from:
        where.append("ts >= {t0:DateTime64(6, 'UTC')}")
    if time_to:
        where.append("ts < {t1:DateTime64(6, 'UTC')}")
    hits = f"SELECT {EVENT_SELECT} FROM {DB}.events WHERE {' AND '.join(where)}"
    # A start is the first start-up record of its origin, or one more than GAP_S after the previous one.
    starts = (
        f"SELECT *, lagInFrame(ts, 1, toDateTime64(0, 6, 'UTC')) OVER w AS prev_ts, "
        "lagInFrame(seq, 1, 0) OVER w AS prev_seq, "
        f"row_number() OVER w AS n FROM ({hits}) "
        "WINDOW w AS (PARTITION BY origin ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    )
    outer = ["(n = 1 OR dateDiff('second', prev_ts, ts) > {gap:UInt32})"]
    if service:
        outer.append("(service = {svc:String} OR source = {svc:String} OR format = {svc:String} "
                     "OR positionCaseInsensitiveUTF8(raw, {svc:String}) > 0)")
    sql = (f"SELECT {EVENT_SELECT}, if(n = 1, 0, prev_seq + 1) AS floor_seq FROM ({starts}) WHERE {' AND '.join(outer)} "
           "ORDER BY ts, origin, seq")
    return sql, params


def _cause(before: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most severe record before the start (the latest of them), when it is a warning or worse."""
    rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    worst = None
    for r in before:
        if rank.get(r.get("level", ""), -1) >= rank["warn"] and (
                worst is None or rank[r["level"]] >= rank[worst["level"]]):
            worst = r
    return worst


def restarts(store: Store, *, service: str | None = None, before: int = 5, time_from: datetime | None = None,
             time_to: datetime | None = None, registry: Any = None) -> list[dict[str, Any]]:
    """Service starts, oldest first: each the start-up record's event columns plus `before` (the records
    just before it in its origin, oldest first) and `cause` (the most severe of those, if warn or worse)."""
    if not 0 <= before <= MAX_CONTEXT:
        raise UsageError(f"--before {before}: give a number of records from 0 to {MAX_CONTEXT}")
    if registry is None:
        from logwarden.formats.registry import default_registry

        registry = default_registry()
    patterns = startup_patterns(registry)
    if not patterns:
        return []
    sql, params = restarts_sql(patterns, bool(service), time_from is not None, time_to is not None)
    if service:
        params["svc"] = service
    if time_from is not None:
        params["t0"] = plain_value(time_from)
    if time_to is not None:
        params["t1"] = plain_value(time_to)
    starts = store.rows(sql, params)
    groups = {}
    if before:
        wanted = [Group(s["origin"], max(int(s["floor_seq"]), int(s["seq"]) - before), int(s["seq"]) - 1)
                  for s in starts if int(s["seq"]) > int(s["floor_seq"])]
        groups = {(g.origin, g.last + 1): g for g in fetch(store, wanted)}
    out = []
    for s in starts:
        g = groups.get((s["origin"], int(s["seq"])))
        prior = g.records if g else []
        for r in prior:
            r.pop("hit", None)
        s.pop("floor_seq", None)
        out.append({**s, "before": prior, "cause": _cause(prior)})
    return out
