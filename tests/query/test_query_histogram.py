"""`histogram_query` (counts per time bucket for a query's filter) and `auto_step`.

Runs against the engine are in test_query_execute.py; these check the SQL and the step choice.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from logwarden.query import QuerySyntaxError, auto_step, compile_query, histogram_query
from logwarden.query.histogram import MAX_BUCKETS, NICE_STEPS
from logwarden.query.values import step_seconds

LO, HI = datetime(2024, 3, 1), datetime(2024, 3, 2)
ISO = "'%Y-%m-%dT%H:%i:%SZ'"


def test_histogram_sql_shape() -> None:
    cq = histogram_query("level:>=error", "1h", time_from=LO, time_to=HI)
    assert cq.kind == "stats" and cq.columns == ("_time", "count") and cq.limit is None
    assert cq.sql == (
        f"SELECT formatDateTime(__k0, {ISO}, 'UTC') AS `_time`, count() AS `count` "
        "FROM (SELECT toStartOfInterval(ts, INTERVAL {p4:UInt32} SECOND, 'UTC') AS __k0 FROM lw.events "
        "WHERE (ts >= {p0:DateTime64(6, 'UTC')}) AND (ts < {p1:DateTime64(6, 'UTC')}) "
        "AND (indexOf({p2:Array(String)}, level) >= {p3:UInt8})) "
        "GROUP BY __k0 ORDER BY __k0"
    )
    assert cq.params["p0"] == "2024-03-01 00:00:00.000000" and cq.params["p1"] == "2024-03-02 00:00:00.000000"
    assert cq.params["p4"] == 3600


def test_histogram_is_the_stats_time_bucket_of_the_filter() -> None:
    cq = histogram_query('"a b" host:x | stats count() by (level) | sort by level | limit 3', "5m",
                         time_from=LO, time_to=HI)
    same = compile_query('"a b" host:x | stats count() by (_time:5m)', time_from=LO, time_to=HI)
    assert (cq.sql, cq.params) == (same.sql, same.params)


@pytest.mark.parametrize("text", ["*", "", "| limit 5", "* | fields ts"])
def test_histogram_of_everything(text: str) -> None:
    cq = histogram_query(text, "1d", time_from=LO, time_to=HI)
    assert "WHERE (ts >= {p0:DateTime64(6, 'UTC')}) AND (ts < {p1:DateTime64(6, 'UTC')}))" in cq.sql


def test_histogram_passes_table_and_extra_where() -> None:
    cq = histogram_query("x", "1d", time_from=LO, time_to=HI, table="lw.more",
                         extra_where=("seq > {min_seq:UInt64}", {"min_seq": 3}))
    assert " FROM lw.more WHERE " in cq.sql and "(seq > {min_seq:UInt64})" in cq.sql
    assert cq.params["min_seq"] == 3


def test_histogram_step_defaults_to_auto_step() -> None:
    cq = histogram_query("x", None, time_from=LO, time_to=HI)  # one day: 15-minute buckets
    assert "INTERVAL {p3:UInt32} MINUTE" in cq.sql and cq.params["p3"] == 15
    assert histogram_query("x", time_from=LO, time_to=HI).sql == cq.sql


def test_histogram_accepts_a_parsed_query() -> None:
    from logwarden.query import parse

    q = parse("level:error | limit 1")
    assert histogram_query(q, "1h", time_from=LO, time_to=HI) == histogram_query(
        "level:error", "1h", time_from=LO, time_to=HI)


@pytest.mark.parametrize(
    "step", ["", "0m", "1H", "5 m", "1.5h", "1mo", "-1h", "1h; DROP TABLE x", "4294967296s", "7102w"]
)
def test_histogram_rejects_bad_steps(step: str) -> None:
    with pytest.raises(ValueError, match="not a time step"):
        histogram_query("x", step, time_from=LO, time_to=HI)


def test_histogram_rejects_bad_input() -> None:
    with pytest.raises(QuerySyntaxError):
        histogram_query("a (", "1h", time_from=LO, time_to=HI)
    with pytest.raises(ValueError, match="before"):
        histogram_query("x", "1h", time_from=HI, time_to=LO)


# ------------------------------------------------------------------------------------ auto_step


@pytest.mark.parametrize(("span", "step"), [
    (timedelta(0), "1s"),
    (timedelta(seconds=1), "1s"),
    (timedelta(minutes=2), "1s"),
    (timedelta(minutes=2, seconds=1), "5s"),
    (timedelta(minutes=15), "10s"),
    (timedelta(hours=1), "30s"),
    (timedelta(hours=2), "1m"),
    (timedelta(hours=6), "5m"),
    (timedelta(hours=12), "10m"),
    (timedelta(days=1), "15m"),
    (timedelta(days=2), "30m"),
    (timedelta(days=5), "1h"),
    (timedelta(days=7), "3h"),
    (timedelta(days=30), "6h"),
    (timedelta(days=60), "12h"),
    (timedelta(days=90), "1d"),
    (timedelta(days=365), "1w"),
    (timedelta(days=3 * 365), "2w"),
    (timedelta(days=10 * 365), "13w"),
    (timedelta(days=100 * 365), "52w"),
    (timedelta(days=500 * 365), "260w"),
])
def test_auto_step_examples(span: timedelta, step: str) -> None:
    assert auto_step(LO, LO + span) == step


def test_auto_step_is_the_shortest_nice_step_that_fits() -> None:
    for seconds in [0, 1, 59, 61, 119, 121, 3599, 3601, 86399, 86401, 10**6, 10**7, 10**8, 10**9, 10**10]:
        step = auto_step(LO, LO + timedelta(seconds=seconds))
        assert seconds <= MAX_BUCKETS * step_seconds(step), (seconds, step)
        if step in NICE_STEPS and step != NICE_STEPS[0]:
            shorter = NICE_STEPS[NICE_STEPS.index(step) - 1]
            assert seconds > MAX_BUCKETS * step_seconds(shorter), (seconds, step)


def test_auto_step_bucket_count_on_whole_and_unaligned_windows() -> None:
    # The last two hours from a whole minute: 120 one-minute buckets; from 10:00:30, one more.
    for start, buckets in [(datetime(2024, 3, 1, 10), 120), (datetime(2024, 3, 1, 10, 0, 30), 121)]:
        end = start + timedelta(hours=2)
        step = step_seconds(auto_step(start, end))
        first = math.floor(start.replace(tzinfo=UTC).timestamp() / step)
        last = math.floor((end.replace(tzinfo=UTC).timestamp() - 1e-6) / step)
        assert last - first + 1 == buckets


def test_auto_step_times_naive_utc_and_aware_mix() -> None:
    msk = timezone(timedelta(hours=3))
    # 00:00Z to 01:00Z
    assert auto_step(datetime(2024, 3, 1, 3, tzinfo=msk), datetime(2024, 3, 1, 1)) == "30s"
    assert auto_step(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC)) == "15m"


def test_auto_step_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="before"):
        auto_step(HI, LO)
    with pytest.raises(ValueError, match="max_buckets"):
        auto_step(LO, HI, max_buckets=0)
    assert auto_step(LO, HI, max_buckets=24) == "1h"
    assert auto_step(LO, HI, max_buckets=1440) == "1m"
    assert auto_step(LO, HI, max_buckets=1439) == "5m"
