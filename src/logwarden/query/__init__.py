"""The query language: text → `Query` (AST with canonical printing) → `CompiledQuery` (SQL + params).

    from logwarden.query import parse, compile_query
    cq = compile_query(parse('level:>=error source:zimbra | stats count() by (service)'))
    store.rows(cq.sql, cq.params)                 # the Store escapes parameter values itself
    session.query(cq.sql, "JSONEachRow", params=cq.engine_params())   # a bare chDB session
    histogram_query(text, auto_step(lo, hi), time_from=lo, time_to=hi)  # counts per time bucket

The language reference is docs/query.md.
"""

from logwarden.query.ast import Query
from logwarden.query.compiler import EVENT_COLUMNS, CompiledQuery, compile_query
from logwarden.query.errors import QuerySyntaxError
from logwarden.query.histogram import auto_step, histogram_query
from logwarden.query.params import encode_params
from logwarden.query.parser import parse

__all__ = [
    "EVENT_COLUMNS",
    "CompiledQuery",
    "Query",
    "QuerySyntaxError",
    "auto_step",
    "compile_query",
    "encode_params",
    "histogram_query",
    "parse",
]
