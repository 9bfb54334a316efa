"""Compiled queries against a real chDB session holding 20 hand-written events.

Each event's `seq` is its row number, so an expectation is just the set (or list) of row numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from logwarden.query import EVENT_COLUMNS, CompiledQuery, compile_query, histogram_query, parse
from logwarden.store.schema import DB, MIGRATIONS


def _row(seq: int, ts: str, source: str, service: str, host: str, level: str, raw: str,
         **promoted: Any) -> dict[str, Any]:
    fields = promoted.pop("fields", {})
    return {"ts": ts, "source": source, "service": service, "host": host, "format": "test",
            "origin": "t.log", "seq": seq, "level": level, "raw": raw, "fields": fields, **promoted}


ROWS = [
    _row(1, "2024-03-01 08:00:00", "zimbra", "mailbox", "mx1", "info",
         "INFO [btpool0-1] mailbox - Invalid password for user alice@corp.ru",
         user="alice@corp.ru", client_ip="10.1.2.3", fields={"size": "100"}),
    _row(2, "2024-03-01 09:00:00", "zimbra", "mailbox", "mx1", "warn",
         "WARN authentication failed for bob@corp.ru from 192.168.1.7", user="bob@corp.ru",
         client_ip="192.168.1.7"),
    _row(3, "2024-03-01 10:00:00", "zimbra", "soap", "mx2", "error",
         "ERROR handler exception: NullPointerException", user="alice@corp.ru", client_ip="10.9.9.9",
         status="500"),
    _row(4, "2024-03-01 11:00:00", "zimbra", "soap", "mx2", "error",
         "Authentication FAILED for carol from 172.16.0.1", client_ip="172.16.0.1", status="50000"),
    _row(5, "2024-03-01 12:00:00", "keycloak", "auth", "kc1", "fatal", "FATAL Handler Exception in realm corp",
         trace_id="cl-3b6fac8b"),
    _row(6, "2024-03-01 13:00:00", "vkteams", "api", "app1", "info", "GET /api/v1/messages size=1234567 200",
         status="200", fields={"size": "1234567", "http.method": "GET"}),
    _row(7, "2024-03-01 14:00:00", "vkteams", "api", "app1", "debug", "GET /api/v1/messages size=12 200",
         status="200", fields={"size": "12", "http.method": "GET"}),
    _row(8, "2024-03-02 00:00:00", "vkteams", "api", "app2", "notice", "POST /api/v1/upload size=999999 201",
         status="201", fields={"size": "999999", "http.method": "POST"}),
    _row(9, "2024-03-02 01:00:00", "keycloak", "auth", "kc1", "warn", "invalid password", user="dave",
         client_ip="2001:db8::5"),
    _row(10, "2024-03-02 02:00:00", "keycloak", "auth", "kc1", "trace", "passwordless login: invalid? no",
         user="eve", client_ip="not-an-ip"),
    _row(11, "2024-03-02 03:00:00", "zimbra", "mailbox", "mx1", "info", "Привет МИР user=ivan@corp.ru",
         user="ivan"),
    _row(12, "2024-03-02 04:00:00", "zimbra", "mailbox", "mx1", "error",
         "connection from 10.0.0.5 refused (foo-bar)", client_ip="10.0.0.5"),
    _row(13, "2024-03-02 05:00:00", "zimbra", "mta", "mx3", "warn",
         "postfix/smtpd: reject: RCPT from unknown[192.168.0.9]", client_ip="192.168.0.9",
         trace_id="cl-3b6fac8b"),
    _row(14, "2024-03-02 06:00:00", "vkteams", "api", "app1", "info",
         'quote test: it\'s "quoted" and back\\slash', fields={"note": 'it\'s "q" \\ {p0:String}\tend'}),
    _row(15, "2024-03-03 00:00:00", "zimbra", "mailbox", "mx1", "info", "xfoo-barx inside a token"),
    _row(16, "2024-03-03 01:00:00", "vkteams", "api", "app2", "error", "GET /api/v1/messages size=abc 500",
         status="500", fields={"size": "abc", "http.method": "GET"}),
    _row(17, "2024-03-03 02:00:00", "keycloak", "auth", "kc2", "info", "user_login ok for alice", user="alice"),
    _row(18, "2024-03-03 03:00:00", "zimbra", "soap", "mx2", "warn", "handler-exception retry"),
    _row(19, "2024-03-03 04:00:00", "zimbra", "soap", "mx2", "", "no level on this line"),
    _row(20, "2024-03-03 05:00:00", "vkteams", "api", "app1", "info",
         "multi\nline record, INVALID token on line 2"),
]
ALL = set(range(1, 21))

# A second table (`lw.more`, same schema) for fine time buckets and non-ASCII phrases.
MORE_TABLE = f"{DB}.more"
MORE = [
    _row(1, "2024-03-04 10:00:00", "app", "auth", "a1", "error", "ОШИБКА ВХОДА для пользователя Ivan@corp"),
    _row(2, "2024-03-04 10:00:29.999", "app", "auth", "a1", "error", "Ошибка входа: неверный пароль"),
    _row(3, "2024-03-04 10:00:30", "app", "auth", "a1", "info", "ошибка выхода"),
    _row(4, "2024-03-04 10:04:59.999999", "app", "auth", "a2", "warn", "Login FAILED for bob"),
    _row(5, "2024-03-04 10:05:00", "app", "auth", "a2", "warn", "login failed for alice"),
    _row(6, "2024-03-04 10:14:00", "app", "auth", "a2", "info", "LOGIN-FAILED"),
    _row(7, "2024-03-04 10:59:59", "app", "auth", "a1", "error", "ошибка входа"),
    _row(8, "2024-03-04 11:00:00", "app", "auth", "a1", "error", "повторная Ошибка Входа (ERROR login)"),
]


@pytest.fixture(scope="module")
def chdb_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from chdb import session

    s = session.Session(str(tmp_path_factory.mktemp("query-engine")))
    try:
        s.query(f"CREATE DATABASE IF NOT EXISTS {DB}")
        for migration in MIGRATIONS:
            for statement in migration:
                s.query(statement)
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS)
        s.query(f"INSERT INTO {DB}.events FORMAT JSONEachRow\n{data}")
        s.query(f"CREATE TABLE {MORE_TABLE} AS {DB}.events")
        more = "\n".join(json.dumps(r, ensure_ascii=False) for r in MORE)
        s.query(f"INSERT INTO {MORE_TABLE} FORMAT JSONEachRow\n{more}")
        yield s
    finally:
        s.close()


def run(session: Any, text: str, **kwargs: Any) -> list[dict[str, Any]]:
    return execute(session, compile_query(parse(text), **kwargs))


def execute(session: Any, cq: CompiledQuery) -> list[dict[str, Any]]:
    out = str(session.query(cq.sql, "JSONEachRow", params=cq.engine_params()))
    rows = [json.loads(line) for line in out.splitlines() if line]
    for row in rows:
        assert list(row) == list(cq.columns)
    return rows


def seqs(session: Any, text: str, **kwargs: Any) -> list[int]:
    return [int(r["seq"]) for r in run(session, text, **kwargs)]


FILTERS = [
    # words: whole tokens, case-insensitive, implicit AND
    ("invalid password", {1, 9}),
    ("invalid", {1, 9, 10, 20}),
    ("INVALID", {1, 9, 10, 20}),
    ("password", {1, 9}),
    ("мир", {11}),
    ("привет МИР", {11}),
    # words with punctuation: substrings (no unsafe index prefilter: xfoo-barx still matches)
    ("foo-bar", {12, 15}),
    ("handler-exception", {18}),
    ("alice@corp.ru", {1}),
    ("ivan@corp.ru", {11}),
    ("10.0.0.5", {12}),
    ("unknown[192.168.0.9]", {13}),
    # ... whose first and last pieces may lie inside longer tokens (the index prefilter keeps them)
    ("andler-exceptio", {18}),
    ('"uthentication faile"', {2, 4}),
    # phrases: case-insensitive substrings
    ('"handler exception"', {3, 5}),
    ('"authentication failed"', {2, 4}),
    ('"line record"', {20}),
    ('"it\'s \\"quoted\\""', {14}),
    ('"back\\slash"', {14}),
    ('"PRIVET"', set()),
    ('"привет мир"', {11}),
    # fields
    ("source:zimbra", {1, 2, 3, 4, 11, 12, 13, 15, 18, 19}),
    ("user:alice@corp.ru", {1, 3}),
    ("user:alice", {17}),
    ("user:Alice", set()),
    ("user:alice@corp.ru -service:soap", {1}),
    ("http.method:GET", {6, 7, 16}),
    ("http.method:P*", {8}),
    ("user:*", {1, 2, 3, 9, 10, 11, 17}),
    ("size:*", {1, 6, 7, 8, 16}),
    ("-size:*", ALL - {1, 6, 7, 8, 16}),
    ("service:ma*", {1, 2, 11, 12, 15}),
    ('note:"it\'s \\"q\\" \\\\ {p0:String}\tend"', {14}),
    ("seq:7", {7}),
    ("message:NullPointer", {3}),
    ("raw:nullpointer", {3}),
    ('message:"exception in realm"', {5}),
    # levels
    ("level:error", {3, 4, 12, 16}),
    ("level:ERROR", {3, 4, 12, 16}),
    ("level:>=error", {3, 4, 5, 12, 16}),
    ("level:>=error source:zimbra", {3, 4, 12}),
    ("level:>error", {5}),
    ("level:<info", {7, 10}),
    ("level:<=info", {1, 6, 7, 10, 11, 14, 15, 17, 20}),
    ("level:[notice, error)", {2, 8, 9, 13, 18}),
    ("-level:>=debug", {10, 19}),
    ('level:""', {19}),
    ("level:w*", {2, 9, 13, 18}),
    # numbers: non-numbers never match and never fail
    ("status:>=500", {3, 4, 16}),
    ("-status:>=500", ALL - {3, 4, 16}),
    ("status:[200, 300)", {6, 7, 8}),
    ("status:(200, *]", {3, 4, 8, 16}),
    ("size:>1000", {6, 8}),
    ("size:<=100", {1, 7}),
    ("seq:>18", {19, 20}),
    # CIDR: v4, v6, and values that are not addresses
    ("client_ip:10.0.0.0/8 OR client_ip:192.168.0.0/16", {1, 2, 3, 12, 13}),
    ("client_ip:172.16.0.0/12", {4}),
    ("client_ip:2001:db8::/32", {9}),
    ("client_ip:10.1.2.3/32", {1}),
    ("-client_ip:10.0.0.0/8", ALL - {1, 3, 12}),
    ('client_ip:"10.0.0.0/8"', set()),
    # regex (RE2, case-sensitive)
    ('message:~"size=[0-9]{6,}"', {6, 8}),
    ('raw:~"(?i)^fatal"', {5}),
    ('raw:~"^fatal"', set()),
    ('user:~"^(alice|bob)@"', {1, 2, 3}),
    # negation, OR, parentheses
    ("-invalid", ALL - {1, 9, 10, 20}),
    ("NOT source:zimbra -source:vkteams", {5, 9, 10, 17}),
    ("source:keycloak OR source:vkteams level:error", {5, 9, 10, 16, 17}),
    ("(source:keycloak OR source:vkteams) level:error", {16}),
    ("-(source:zimbra OR source:vkteams)", {5, 9, 10, 17}),
    ("invalid OR handler-exception OR foo-bar", {1, 9, 10, 12, 15, 18, 20}),
    # time
    ("_time:[2024-03-01, 2024-03-02)", {1, 2, 3, 4, 5, 6, 7}),
    ("_time:[2024-03-01, 2024-03-02]", {1, 2, 3, 4, 5, 6, 7, 8}),
    ("_time:>=2024-03-03", {15, 16, 17, 18, 19, 20}),
    ("_time:(2024-03-02, 2024-03-02T03:00]", {9, 10, 11}),
    ("_time:[2024-03-02T03:00:00+03:00, 2024-03-02T01:00:00.000001)", {8, 9}),
    ("*", ALL),
    ("", ALL),
    ("-*", set()),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS)
def test_filter_selects_exactly(chdb_session: Any, text: str, expected: set[int]) -> None:
    assert set(seqs(chdb_session, text)) == expected


def test_events_are_newest_first_with_all_columns(chdb_session: Any) -> None:
    rows = run(chdb_session, "source:keycloak")
    assert [int(r["seq"]) for r in rows] == [17, 10, 9, 5]
    assert tuple(rows[0]) == EVENT_COLUMNS
    assert rows[0]["ts"].startswith("2024-03-03 02:00:00")


def test_limit_keeps_the_newest(chdb_session: Any) -> None:
    assert seqs(chdb_session, "source:zimbra | limit 3") == [19, 18, 15]
    assert seqs(chdb_session, "source:zimbra | limit 3", limit=2) == [19, 18]
    assert seqs(chdb_session, "source:zimbra", limit=2) == [19, 18]
    assert len(seqs(chdb_session, "*")) == 20  # no limit from either side: all rows


def test_sort_by_text_sorts_numbers_numerically(chdb_session: Any) -> None:
    assert seqs(chdb_session, "source:vkteams | sort by size desc | fields seq, size") == [6, 8, 7, 16, 20, 14]
    assert seqs(chdb_session, "size:* | sort by size | fields seq") == [7, 1, 8, 6, 16]
    assert seqs(chdb_session, "source:keycloak | sort by ts") == [5, 9, 10, 17]
    assert seqs(chdb_session, "source:zimbra | sort by host desc, ts | limit 4") == [13, 3, 4, 18]


def test_fields_pipe_picks_columns_and_map_keys(chdb_session: Any) -> None:
    rows = run(chdb_session, "trace_id:cl-3b6fac8b | fields ts, host, level, raw")
    assert [(r["host"], r["level"]) for r in rows] == [("mx3", "warn"), ("kc1", "fatal")]
    rows = run(chdb_session, "seq:8 | fields seq, message, http.method, size, missing.key, fields")
    assert rows == [{"seq": 8, "message": "POST /api/v1/upload size=999999 201", "http.method": "POST",
                     "size": "999999", "missing.key": "", "fields": {"size": "999999", "http.method": "POST"}}]


def test_stats_count_by(chdb_session: Any) -> None:
    assert run(chdb_session, "status:50000 | stats count() by (service)") == [{"service": "soap", "count": 1}]
    assert run(chdb_session, "* | stats count() by (source)") == [
        {"source": "zimbra", "count": 10}, {"source": "vkteams", "count": 6},
        {"source": "keycloak", "count": 4},
    ]
    assert run(chdb_session, "* | stats count()") == [{"count": 20}]
    assert run(chdb_session, "nothing-matches-this | stats count()") == [{"count": 0}]


def test_stats_design_example(chdb_session: Any) -> None:
    rows = run(chdb_session,
               '"authentication failed" | stats count() as n by (client_ip) | sort by n desc | limit 10')
    assert rows == [{"client_ip": "172.16.0.1", "n": 1}, {"client_ip": "192.168.1.7", "n": 1}]


def test_stats_aggregates(chdb_session: Any) -> None:
    rows = run(chdb_session,
               "* | stats count() as n, count_distinct(host) as hosts, max(ts) as last by (source) "
               "| sort by source")
    assert [(r["source"], int(r["n"]), int(r["hosts"]), r["last"][:19]) for r in rows] == [
        ("keycloak", 4, 2, "2024-03-03 02:00:00"),
        ("vkteams", 6, 2, "2024-03-03 05:00:00"),
        ("zimbra", 10, 3, "2024-03-03 04:00:00"),
    ]
    rows = run(chdb_session, "http.method:* | stats avg(size) as a, sum(size), min(size), max(size) "
                             "by (http.method) | sort by http.method")
    assert rows == [
        {"http.method": "GET", "a": 617289.5, "sum_size": 1234579, "min_size": 12, "max_size": 1234567},
        {"http.method": "POST", "a": 999999, "sum_size": 999999, "min_size": 999999, "max_size": 999999},
    ]


def test_stats_sort_and_limit_apply_to_groups(chdb_session: Any) -> None:
    rows = run(chdb_session, "* | stats count() as n by (source, level) | sort by n desc, level | limit 2")
    assert rows == [{"source": "zimbra", "level": "error", "n": 3},
                    {"source": "vkteams", "level": "info", "n": 3}]
    rows = run(chdb_session, "source:zimbra | stats count() as level by (host)")  # an alias named like a column
    assert {r["host"]: int(r["level"]) for r in rows} == {"mx1": 5, "mx2": 4, "mx3": 1}


def test_time_window_from_the_caller(chdb_session: Any) -> None:
    lo, hi = datetime(2024, 3, 2), datetime(2024, 3, 3)
    assert set(seqs(chdb_session, "*", time_from=lo, time_to=hi)) == {8, 9, 10, 11, 12, 13, 14}
    msk = timezone(timedelta(hours=3))
    aware = datetime(2024, 3, 2, 3, 0, tzinfo=msk)  # = 2024-03-02 00:00 UTC
    assert set(seqs(chdb_session, "source:vkteams", time_from=aware, time_to=hi)) == {8, 14}
    assert set(seqs(chdb_session, "_time:>=2024-03-01T12:00", time_to=datetime(2024, 3, 1, 14, tzinfo=UTC))) \
        == {5, 6}
    rows = run(chdb_session, "* | stats count()", time_from=lo, time_to=hi)
    assert rows == [{"count": 7}]


def test_extra_where_with_its_own_params(chdb_session: Any) -> None:
    assert set(seqs(chdb_session, "source:zimbra", extra_where=("seq > {min_seq:UInt64}", {"min_seq": 15}))) \
        == {18, 19}
    assert set(seqs(chdb_session, "source:zimbra", extra_where="host = 'mx3'")) == {13}


HOSTILE = [
    "'); DROP TABLE lw.events; --",
    "{p0:String}",
    "{p1:UInt64}) OR 1=1 OR (1",
    "back\\slash\\",
    "quote' \" `tick`",
    "tab\there\nnewline\r",
    "\\N",
    "`; SELECT 1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_searched_for_literally(chdb_session: Any, value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    for text in (f'"{escaped}"', f'user:"{escaped}"', f'http.method:"{escaped}"*', f'-host:"{escaped}"'):
        rows = seqs(chdb_session, text)
        assert set(rows) == (ALL if text.startswith("-") else set()), text
    assert len(seqs(chdb_session, "*")) == 20


# ------------------------------------------------------------------------------------ time buckets


def counts(session: Any, text: str, **kwargs: Any) -> list[tuple[Any, ...]]:
    """Rows as tuples in column order."""
    return [tuple(r.values()) for r in run(session, text, **kwargs)]


def test_stats_time_buckets_by_day_and_hours(chdb_session: Any) -> None:
    assert run(chdb_session, "* | stats count() by (_time:1d)") == [
        {"_time": "2024-03-01T00:00:00Z", "count": 7},
        {"_time": "2024-03-02T00:00:00Z", "count": 7},
        {"_time": "2024-03-03T00:00:00Z", "count": 6},
    ]
    assert counts(chdb_session, "* | stats count() by (_time:6h)") == [
        ("2024-03-01T06:00:00Z", 4), ("2024-03-01T12:00:00Z", 3), ("2024-03-02T00:00:00Z", 6),
        ("2024-03-02T06:00:00Z", 1), ("2024-03-03T00:00:00Z", 6),
    ]
    assert counts(chdb_session, "source:keycloak | stats count() by (_time:1h)") == [
        ("2024-03-01T12:00:00Z", 1), ("2024-03-02T01:00:00Z", 1), ("2024-03-02T02:00:00Z", 1),
        ("2024-03-03T02:00:00Z", 1),
    ]


def test_stats_time_buckets_of_hours_are_uniform_from_the_epoch(chdb_session: Any) -> None:
    # 5h buckets run 2024-03-01 03:00, 08:00, 13:00, 18:00, 23:00, 2024-03-02 04:00, …
    # (counted from the epoch, not restarted each midnight).
    assert counts(chdb_session, "* | stats count() by (_time:5h)") == [
        ("2024-03-01T08:00:00Z", 5), ("2024-03-01T13:00:00Z", 2), ("2024-03-01T23:00:00Z", 4),
        ("2024-03-02T04:00:00Z", 3), ("2024-03-03T00:00:00Z", 5), ("2024-03-03T05:00:00Z", 1),
    ]
    two_days = [("2024-02-29T00:00:00Z", 7), ("2024-03-02T00:00:00Z", 13)]
    assert counts(chdb_session, "* | stats count() by (_time:48h)") == two_days
    assert counts(chdb_session, "* | stats count() by (_time:2d)") == two_days


def test_stats_time_buckets_by_week_start_on_monday(chdb_session: Any) -> None:
    # 2024-03-01 is a Friday: Friday to Sunday fall in the week of Monday 2024-02-26.
    assert counts(chdb_session, "* | stats count() by (_time:1w)") == [("2024-02-26T00:00:00Z", 20)]


def test_stats_time_bucket_with_a_sort_pipe_and_a_limit(chdb_session: Any) -> None:
    assert counts(chdb_session, "* | stats count() by (_time:1d) | sort by _time desc | limit 2") == [
        ("2024-03-03T00:00:00Z", 6), ("2024-03-02T00:00:00Z", 7),
    ]
    text = "source:zimbra | stats count() as n by (_time:1d) | sort by n, _time desc"
    assert counts(chdb_session, text) == [
        ("2024-03-03T00:00:00Z", 3), ("2024-03-02T00:00:00Z", 3), ("2024-03-01T00:00:00Z", 4),
    ]


def test_stats_time_bucket_with_other_aggregates_and_the_caller_window(chdb_session: Any) -> None:
    rows = run(chdb_session, "* | stats count() as n, max(ts) as last, count_distinct(host) by (_time:1d)",
               time_from=datetime(2024, 3, 1, 12), time_to=datetime(2024, 3, 2, 3))
    assert [(r["_time"], r["n"], r["last"][:19], int(r["count_distinct_host"])) for r in rows] == [
        ("2024-03-01T00:00:00Z", 3, "2024-03-01 14:00:00", 2),
        ("2024-03-02T00:00:00Z", 3, "2024-03-02 02:00:00", 2),
    ]


def test_stats_fine_time_buckets(chdb_session: Any) -> None:
    assert counts(chdb_session, "* | stats count() by (_time:5m)", table=MORE_TABLE) == [
        ("2024-03-04T10:00:00Z", 4), ("2024-03-04T10:05:00Z", 1), ("2024-03-04T10:10:00Z", 1),
        ("2024-03-04T10:55:00Z", 1), ("2024-03-04T11:00:00Z", 1),
    ]
    assert counts(chdb_session, "* | stats count() by (_time:30s)", table=MORE_TABLE) == [
        ("2024-03-04T10:00:00Z", 2), ("2024-03-04T10:00:30Z", 1), ("2024-03-04T10:04:30Z", 1),
        ("2024-03-04T10:05:00Z", 1), ("2024-03-04T10:14:00Z", 1), ("2024-03-04T10:59:30Z", 1),
        ("2024-03-04T11:00:00Z", 1),
    ]
    assert counts(chdb_session, "* | stats count() by (_time:1s)", table=MORE_TABLE)[:3] == [
        ("2024-03-04T10:00:00Z", 1), ("2024-03-04T10:00:29Z", 1), ("2024-03-04T10:00:30Z", 1),
    ]
    assert counts(chdb_session, "* | stats count() by (_time:15m)", table=MORE_TABLE) == [
        ("2024-03-04T10:00:00Z", 6), ("2024-03-04T10:45:00Z", 1), ("2024-03-04T11:00:00Z", 1),
    ]
    assert counts(chdb_session, "* | stats count() by (_time:1h)", table=MORE_TABLE) == [
        ("2024-03-04T10:00:00Z", 7), ("2024-03-04T11:00:00Z", 1),
    ]


def test_stats_time_bucket_mixed_with_a_field(chdb_session: Any) -> None:
    assert run(chdb_session, "* | stats count() by (_time:5m, level)", table=MORE_TABLE) == [
        {"_time": "2024-03-04T10:00:00Z", "level": "error", "count": 2},
        {"_time": "2024-03-04T10:00:00Z", "level": "info", "count": 1},
        {"_time": "2024-03-04T10:00:00Z", "level": "warn", "count": 1},
        {"_time": "2024-03-04T10:05:00Z", "level": "warn", "count": 1},
        {"_time": "2024-03-04T10:10:00Z", "level": "info", "count": 1},
        {"_time": "2024-03-04T10:55:00Z", "level": "error", "count": 1},
        {"_time": "2024-03-04T11:00:00Z", "level": "error", "count": 1},
    ]
    assert counts(chdb_session, "* | stats count() by (host, _time:1h)", table=MORE_TABLE) == [
        ("a1", "2024-03-04T10:00:00Z", 4), ("a2", "2024-03-04T10:00:00Z", 3),
        ("a1", "2024-03-04T11:00:00Z", 1),
    ]


# ------------------------------------------------------------------------------ substring matching


@pytest.mark.parametrize(("text", "expected"), [
    ('"Ошибка входа"', {1, 2, 7, 8}),
    ('"ОШИБКА ВХОДА"', {1, 2, 7, 8}),
    ('"ошибка входа"', {1, 2, 7, 8}),
    ('"ошибка в"', {1, 2, 3, 7, 8}),
    ('message:"Ошибка Входа:"', {2}),
    ('"login failed"', {4, 5}),
    ('"LOGIN FAILED"', {4, 5}),
    ("login-failed", {6}),
    ('"ivan@"', {1}),  # an ASCII needle in text that is mostly Cyrillic
    ('"ERROR login"', {8}),
    ('"вход"', {1, 2, 7, 8}),
    ('"входа" -"ошибка входа"', set()),
])
def test_phrases_ignore_case_in_ascii_and_cyrillic(chdb_session: Any, text: str, expected: set[int]) -> None:
    assert set(seqs(chdb_session, text, table=MORE_TABLE)) == expected


# -------------------------------------------------------------------------------------- histogram


def test_histogram_counts_the_filter_per_bucket(chdb_session: Any) -> None:
    lo, hi = datetime(2024, 3, 1), datetime(2024, 3, 4)
    cq = histogram_query("source:zimbra | stats count() by (host) | limit 1", "1d", time_from=lo, time_to=hi)
    assert cq.columns == ("_time", "count")
    assert execute(chdb_session, cq) == [
        {"_time": "2024-03-01T00:00:00Z", "count": 4},
        {"_time": "2024-03-02T00:00:00Z", "count": 3},
        {"_time": "2024-03-03T00:00:00Z", "count": 3},
    ]
    cq = histogram_query("source:zimbra", "1d",
                         time_from=datetime(2024, 3, 1, 10), time_to=datetime(2024, 3, 2, 5))
    assert [tuple(r.values()) for r in execute(chdb_session, cq)] == [
        ("2024-03-01T00:00:00Z", 2), ("2024-03-02T00:00:00Z", 2),  # 05:00 is outside [from, to)
    ]


def test_histogram_with_an_automatic_step(chdb_session: Any) -> None:
    lo, hi = datetime(2024, 3, 4, 10), datetime(2024, 3, 4, 11)  # one hour: 30s buckets
    rows = execute(chdb_session, histogram_query('"Ошибка входа"', None, time_from=lo, time_to=hi,
                                                 table=MORE_TABLE))
    assert rows == [{"_time": "2024-03-04T10:00:00Z", "count": 2},
                    {"_time": "2024-03-04T10:59:30Z", "count": 1}]
