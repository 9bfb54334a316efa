"""Event counts over time for a query's filter: the histogram above the results.

    cq = histogram_query("level:>=error", auto_step(lo, hi), time_from=lo, time_to=hi)
    store.rows(cq.sql, cq.params)   # [{"_time": "2024-03-01T10:00:00Z", "count": 12}, …] oldest first

It is the query `FILTER | stats count() by (_time:STEP)` whatever pipes the text has, so its SQL and its
`_time` text are those of a stats time bucket:

    SELECT formatDateTime(__k0, …) AS `_time`, count() AS `count`
    FROM (SELECT toStartOfInterval(ts, INTERVAL {pN:UInt32} UNIT, 'UTC') AS __k0 FROM lw.events WHERE …)
    GROUP BY __k0 ORDER BY __k0

Buckets without events are absent (no zero rows).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from logwarden.query import ast
from logwarden.query.compiler import CompiledQuery, ExtraWhere, compile_query
from logwarden.query.parser import parse
from logwarden.query.values import canonical_step, step_seconds

MAX_BUCKETS = 120
# Steps `auto_step` chooses from, shortest first; past the last, a multiple of it.
NICE_STEPS = (
    "1s", "5s", "10s", "30s", "1m", "5m", "10m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "1w",
    "2w", "4w", "13w", "26w", "52w",
)  # fmt: skip


def _utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive means UTC (as in `compile_query`)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _span_seconds(time_from: datetime, time_to: datetime) -> float:
    span = (_utc(time_to) - _utc(time_from)).total_seconds()
    if span < 0:
        raise ValueError(f"time_to ({time_to}) is before time_from ({time_from})")
    return span


def auto_step(time_from: datetime, time_to: datetime, *, max_buckets: int = MAX_BUCKETS) -> str:
    """The shortest step of `NICE_STEPS` with which at most `max_buckets` steps span the window.

    The window then holds at most `max_buckets` buckets when it starts on a bucket boundary (the last
    two hours from a whole minute at `1m`: 120) and at most one more otherwise. Past `52w` the step is
    a multiple of 52 weeks. Naive datetimes mean UTC. Raises ValueError when `time_to < time_from`.
    """
    if isinstance(max_buckets, bool) or not isinstance(max_buckets, int) or max_buckets <= 0:
        raise ValueError(f"max_buckets must be a positive int, not {max_buckets!r}")
    span = _span_seconds(time_from, time_to)
    for step in NICE_STEPS:
        if span <= max_buckets * step_seconds(step):
            return step
    longest = step_seconds(NICE_STEPS[-1])
    return f"{52 * math.ceil(span / (max_buckets * longest))}w"


def histogram_query(
    text: str | ast.Query,
    step: str | None = None,
    *,
    time_from: datetime,
    time_to: datetime,
    table: str = "lw.events",
    extra_where: ExtraWhere | None = None,
) -> CompiledQuery:
    """Counts per time bucket of the events matching the filter of `text` (its pipes are ignored)
    inside `[time_from, time_to)`.

    `step` is a time-bucket step like `30s`, `5m`, `1h`, `1d`, `1w` (None: `auto_step(time_from,
    time_to)`); a bad step raises ValueError, bad query text `QuerySyntaxError`. The result has
    `.kind == "stats"` and `.columns == ("_time", "count")`, rows oldest bucket first, `_time` the bucket
    start as `2024-03-01T10:00:00Z`. `table` and `extra_where` are as for `compile_query`.
    """
    query = parse(text) if isinstance(text, str) else text
    _span_seconds(time_from, time_to)
    step = canonical_step(auto_step(time_from, time_to) if step is None else step)
    stats = ast.StatsPipe((ast.Aggregate("count"),), (ast.TIME_FIELD,), step)
    return compile_query(
        ast.Query(query.filter, (stats,)),
        table=table,
        time_from=time_from,
        time_to=time_to,
        extra_where=extra_where,
    )
