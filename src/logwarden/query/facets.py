"""Facets: the most frequent values of a few fields among the events a query matches.

    facets(store, "level:>=warn", time_from=lo, time_to=hi)
    # {"level": [{"value": "error", "count": 12}, …], "source": […], …}

Each facet is the query's filter with `| stats count() by (FIELD)`, so it counts exactly what the
search shows (the query's own pipes are ignored). Empty values (events without the field) are left
out; `count` is exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logwarden.query import ast
from logwarden.query.compiler import ExtraWhere, compile_query
from logwarden.query.parser import parse
from logwarden.store.chdb_store import Store

FACETS = ("level", "source", "service", "host", "user", "client_ip")


def facet_query(text: str | ast.Query, name: str) -> ast.Query:
    query = parse(text) if isinstance(text, str) else text
    return ast.Query(query.filter, (ast.StatsPipe((ast.Aggregate("count"),), (name,)),))


def facets(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
           names: tuple[str, ...] = FACETS, top: int = 10,
           extra_where: ExtraWhere | None = None) -> dict[str, list[dict[str, Any]]]:
    """Top `top` values with their counts for each facet field, most frequent first."""
    query = parse(text)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        cq = compile_query(facet_query(query, name), time_from=time_from, time_to=time_to,
                           limit=top + 1, extra_where=extra_where)
        rows = store.rows(cq.sql, cq.params)
        values = [{"value": r[name], "count": int(r["count"])} for r in rows if r[name] != ""]
        out[name] = values[:top]
    return out


def count(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
          extra_where: ExtraWhere | None = None) -> int:
    """How many events the query's filter matches."""
    query = ast.Query(parse(text).filter, (ast.StatsPipe((ast.Aggregate("count"),)),))
    cq = compile_query(query, time_from=time_from, time_to=time_to, extra_where=extra_where)
    return int(store.value(cq.sql, cq.params) or 0)


def time_span(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
              extra_where: ExtraWhere | None = None) -> tuple[datetime, datetime, int] | None:
    """The first and last event time (naive UTC, whole seconds) and the count of what the query's filter
    matches; None when nothing does."""
    agg = ast.StatsPipe((ast.Aggregate("min", "ts", "lo"), ast.Aggregate("max", "ts", "hi"), ast.Aggregate("count")))
    cq = compile_query(ast.Query(parse(text).filter, (agg,)), time_from=time_from, time_to=time_to,
                       extra_where=extra_where)
    row = store.rows(cq.sql, cq.params)[0]
    if not int(row["count"]):
        return None
    return (datetime.strptime(row["lo"][:19], "%Y-%m-%d %H:%M:%S"),
            datetime.strptime(row["hi"][:19], "%Y-%m-%d %H:%M:%S"), int(row["count"]))
