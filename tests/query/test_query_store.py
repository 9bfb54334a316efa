"""Compiled queries through the real `Store` (which escapes plain parameter values itself)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from logwarden.query import compile_query, histogram_query, parse
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

ROWS = [
    {"ts": "2024-03-01 10:00:00", "source": "app", "level": "error", "seq": 1, "origin": "s.log",
     "raw": "size=1234567 took 12ms", "user": "tab\tuser", "fields": {"path": "C:\\temp\\x"}},
    {"ts": "2024-03-01 11:00:00", "source": "app", "level": "info", "seq": 2, "origin": "s.log",
     "raw": "line one\nline two", "user": "it's \"me\"", "fields": {"path": "/tmp/x"}},
    {"ts": "2024-03-01 12:00:00", "source": "db", "level": "warn", "seq": 3, "origin": "s.log",
     "raw": "{p0:String} looks like a placeholder", "client_ip": "10.2.3.4"},
]


def _load(engine: Store) -> None:
    if engine.value(f"SELECT count() AS n FROM {DB}.events WHERE origin = 's.log'"):
        return
    data = "\n".join(json.dumps(r) for r in ROWS)
    engine.execute(f"INSERT INTO {DB}.events FORMAT JSONEachRow\n{data}")


def seqs(engine: Store, text: str, **kwargs: Any) -> set[int]:
    _load(engine)
    cq = compile_query(parse(text), extra_where="origin = 's.log'", **kwargs)
    return {int(r["seq"]) for r in engine.rows(cq.sql, cq.params)}


def test_store_escapes_backslashes_tabs_and_quotes(engine: Store) -> None:
    assert seqs(engine, 'raw:~"size=\\d{6,}"') == {1}
    assert seqs(engine, 'raw:~"took \\d+ms$"') == {1}
    assert seqs(engine, 'path:"C:\\\\temp\\\\x"') == {1}
    assert seqs(engine, 'user:"tab\tuser"') == {1}
    assert seqs(engine, 'user:"it\'s \\"me\\""') == {2}
    assert seqs(engine, '"one\nline"') == {2}
    assert seqs(engine, '"{p0:String} looks"') == {3}


def test_store_runs_every_parameter_type(engine: Store) -> None:
    assert seqs(engine, "level:>=warn client_ip:10.0.0.0/8") == {3}
    assert seqs(engine, "level:>=warn _time:[2024-03-01T10:00, 2024-03-01T11:00]") == {1}
    assert seqs(engine, "*", limit=1) == {3}
    _load(engine)
    cq = compile_query(parse("origin:s.log | stats count() as n by (source) | sort by n desc | limit 1"))
    assert engine.rows(cq.sql, cq.params) == [{"source": "app", "n": 2}]


def test_store_runs_time_buckets(engine: Store) -> None:
    _load(engine)
    cq = compile_query(parse("origin:s.log | stats count() by (_time:1h, source)"))
    assert engine.rows(cq.sql, cq.params) == [
        {"_time": "2024-03-01T10:00:00Z", "source": "app", "count": 1},
        {"_time": "2024-03-01T11:00:00Z", "source": "app", "count": 1},
        {"_time": "2024-03-01T12:00:00Z", "source": "db", "count": 1},
    ]
    cq = histogram_query("*", "1d", time_from=datetime(2024, 3, 1), time_to=datetime(2024, 3, 2),
                         extra_where="origin = 's.log'")
    assert engine.rows(cq.sql, cq.params) == [{"_time": "2024-03-01T00:00:00Z", "count": 3}]
