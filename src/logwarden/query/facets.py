"""Facets: the most frequent values of a few fields among the events a query matches.

    facets(store, "level:>=warn", time_from=lo, time_to=hi)
    # {"level": [{"value": "error", "count": 12}, …], "source": […], …}

Each facet counts the events the query's filter matches, by that field, so it counts exactly what the
search shows (the query's own pipes are ignored). Empty values (events without the field) are left
out; `count` is exact.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from logwarden.query import ast
from logwarden.query.compiler import ExtraWhere, compile_query
from logwarden.query.parser import parse
from logwarden.store.chdb_store import Store

FACETS = ("level", "source", "service", "host", "user", "client_ip")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def facet_query(text: str | ast.Query, name: str) -> ast.Query:
    query = parse(text) if isinstance(text, str) else text
    return ast.Query(query.filter, (ast.StatsPipe((ast.Aggregate("count"),), (name,)),))


def facets(store: Store, text: str, *, time_from: datetime | None = None, time_to: datetime | None = None,
           names: tuple[str, ...] = FACETS, top: int = 10,
           extra_where: ExtraWhere | None = None) -> dict[str, list[dict[str, Any]]]:
    """Top `top` values with their counts for each facet field, most frequent first (ties by value).

    One pass over the matching events: they are counted by all the facet fields together, and the outer
    query sums those counts per field and value (a search filter is evaluated once, not once a field)."""
    bad = [n for n in names if not _NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"not a field name for facets: {bad[0]!r} (letters, digits, '_' and '.')")
    names = tuple(dict.fromkeys(names))
    query = parse(text)
    grouped = ast.Query(query.filter, (ast.StatsPipe((ast.Aggregate("count"),), names),))
    cq = compile_query(grouped, time_from=time_from, time_to=time_to, extra_where=extra_where)
    columns = ", ".join(f"toString(`{n}`)" for n in names)  # the stats query's output columns, named so
    sql = (f"SELECT kv.1 AS name, kv.2 AS value, sum(`count`) AS n FROM ({cq.sql}) "
           f"ARRAY JOIN arrayZip({{facet_names:Array(String)}}, [{columns}]) AS kv WHERE kv.2 != '' "
           f"GROUP BY name, value ORDER BY name, n DESC, value LIMIT {int(top)} BY name")
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in store.rows(sql, {**cq.params, "facet_names": list(names)}):
        out[r["name"]].append({"value": r["value"], "count": int(r["n"])})
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
