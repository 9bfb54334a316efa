"""Parsing: canonical queries print back unchanged, others normalise to a fixed point, bad ones point
at the right column."""

from __future__ import annotations

import pytest

from logwarden.query import QuerySyntaxError, parse
from logwarden.query import ast as A

# DESIGN.md §4, verbatim: these must round-trip exactly.
DESIGN_EXAMPLES = [
    "invalid password",
    '"handler exception"',
    "level:>=error source:zimbra",
    "user:alice@corp.ru -service:soap",
    "client_ip:10.0.0.0/8 OR client_ip:192.168.0.0/16",
    'message:~"size=[0-9]{6,}"',
    "status:50000 | stats count() by (service)",
    '"authentication failed" | stats count() as n by (client_ip) | sort by n desc | limit 10',
    "trace_id:cl-3b6fac8b | fields ts, host, level, raw",
    "_time:[2024-03-01, 2024-03-02)",
]

CANONICAL = [
    "*",
    "* | stats count()",
    "error",
    "Error",
    "user@corp.ru",
    "10.0.0.5",
    "foo-bar",
    "[main]",
    "-",
    "a - b",
    '"a \\"quoted\\" word"',
    '"back\\slash"',
    '"two\\\\\\x"',
    '"\\d+ retries"',
    '"trailing\\\\"',
    '""',
    "-foo",
    "-level:debug",
    '-"exact phrase"',
    "--foo",
    "-*",
    "-(a OR b)",
    "-(a b)",
    "a OR b",
    "a b OR c d",
    "(a OR b) c",
    "a (b OR c) d",
    "(a OR b) (c OR d)",
    "level:error",
    'level:""',
    "level:e*",
    "level:>warn",
    "level:<info",
    "level:<=notice",
    "level:[warn, error]",
    "level:(debug, *)",
    "status:>=500",
    "status:<-1.5",
    "status:[200, 300)",
    "status:(1e3, *]",
    "seq:42",
    "http.method:GET",
    "http_method:GET",
    "service:post*",
    'service:"two words"*',
    "service:*",
    'host:"mx 1"',
    'host:"a,b"',
    'client_ip:"10.0.0.0/8"',
    "client_ip:2001:db8::/32",
    "client_ip:10.1.2.3",
    'host:"*"',
    'host:"<5"',
    "host:-x",
    'user:~"^adm(in)?$"',
    'raw:~"(?i)timeout"',
    "message:foo",
    "message:foo*",
    "url:http://example.org/a?b=c",
    "_time:[2024-03-01T10:00:00, 2024-03-01T10:30:00.5]",
    "_time:>=2024-03-01",
    "_time:<2024-03-01T12:00:00",
    "_time:(*, 2024-03-02)",
    "Привет мир",
    "a | limit 5",
    "a | sort by ts",
    "a | sort by host desc, seq",
    "a | fields ts, message, fields, http.method",
    "a | fields ts | sort by ts desc | limit 3",
    "* | stats count() as n, count_distinct(user), avg(size) as a by (service, host)",
    "* | stats min(ts), max(ts) by (source)",
    "* | stats sum(bytes) by (http.method) | sort by http.method | limit 2",
    "* | stats count()",
    # time buckets
    "* | stats count() by (_time:1h)",
    "* | stats count() by (_time:5m, level)",
    "* | stats count() by (level, _time:30s)",
    "error | stats count() as n, max(ts) by (_time:1d, host) | sort by _time desc | limit 7",
    "* | stats count() by (_time:1s)",
    "* | stats count() by (_time:15m)",
    "* | stats count() by (_time:6h)",
    "* | stats count() by (_time:1w)",
    "* | stats count() by (_time:4294967295s)",
    "* | stats count() by (_time:1193046h)",
    "* | stats count() by (_time:7101w)",
    "_time:>=2024-03-01 | stats count() by (_time:1h) | sort by count desc",
]

# Not canonical: (input, canonical form).
NORMALISED = [
    ("", "*"),
    ("   ", "*"),
    ("| stats count()", "* | stats count()"),
    ("* foo", "foo"),
    ("foo * bar", "foo bar"),
    ("foo OR *", "*"),
    ("a AND b", "a b"),
    ("a  AND  b   c", "a b c"),
    ("NOT a", "-a"),
    ("NOT (a OR b)", "-(a OR b)"),
    ("NOT NOT a", "--a"),
    ("((a))", "a"),
    ("(a b) c", "a b c"),
    ("a OR (b OR c)", "a OR b OR c"),
    ("(a OR b) OR c", "a OR b OR c"),
    ("a AND (b AND c)", "a b c"),
    ("level:ERROR", "level:error"),
    ('level:"Warn"', "level:warn"),
    ("level:>=WARN", "level:>=warn"),
    ('host:"mx1"', "host:mx1"),
    ('host:"-x"', "host:-x"),
    ("user:~admin", 'user:~"admin"'),
    ('message:"10.0.0.0/8"', 'message:"10.0.0.0/8"'),
    ("message:10.0.0.0/8", 'message:"10.0.0.0/8"'),
    ("_time:[2024-03-01T00:00:00Z, 2024-03-02)", "_time:[2024-03-01, 2024-03-02)"),
    ("_time:[2024-03-01T03:00:00+03:00,2024-03-02 10:00]", "_time:[2024-03-01, 2024-03-02T10:00:00]"),
    ("_time:[ 2024-03-01 , * ]", "_time:[2024-03-01, *]"),
    ("status:[ 200 ,300 )", "status:[200, 300)"),
    ("a | sort by n asc", "a | sort by n"),
    ("a | SORT BY n DESC", "a | sort by n desc"),
    ("* | STATS COUNT() BY (service)", "* | stats count() by (service)"),
    ("* | stats count() by service, host", "* | stats count() by (service, host)"),
    ("* | stats count() as count", "* | stats count()"),
    ("* | stats count ( ) by ( service )", "* | stats count() by (service)"),
    ("* | stats avg(size) as avg_size", "* | stats avg(size)"),
    ("a|limit 5", "a | limit 5"),
    ("a | fields ts,host", "a | fields ts, host"),
    ('"a"b', '"a" b'),
    ('"\\x"', '"\\x"'),
    ('"back\\\\slash"', '"back\\slash"'),
    ('"\\\\x"', '"\\x"'),
    ("* | stats count() by _time:1h", "* | stats count() by (_time:1h)"),
    ("* | stats count() by _time:5m, level", "* | stats count() by (_time:5m, level)"),
    ("* | STATS COUNT() BY ( _time:015m ,level )", "* | stats count() by (_time:15m, level)"),
    ("* | stats count() by (_time:0001d)", "* | stats count() by (_time:1d)"),
    ("* | stats count() by (_time:1h) | sort by _time ASC",
     "* | stats count() by (_time:1h) | sort by _time"),
]

# Bad queries: (query, 1-based column, a piece of the message).
ERRORS = [
    ("level:error (foo", 17, "expected ')'"),
    ("(a OR b", 8, "expected ')'"),
    ("a)", 2, "unmatched ')'"),
    ('"abc', 1, "unterminated quoted string"),
    ('foo "bar', 5, "unterminated quoted string"),
    ("foo:", 5, "missing value after 'foo:'"),
    ("a OR", 5, "expected a search term"),
    ("OR a", 1, "before OR"),
    ("a AND OR b", 7, "before OR"),
    ("()", 2, "expected a search term"),
    ('message:~"size=[0-9{6,}"', 10, "invalid regular expression"),
    ('user:~"(?P<x"', 7, "invalid regular expression"),
    ("level:>=bogus", 9, "unknown level"),
    ("level:eror", 7, "unknown level"),
    ("status:>=abc", 10, "not a number"),
    ("status:>nan", 9, "not a number"),
    ("status:[1, x)", 12, "not a number"),
    ("_time:[2024-03-01, tomorrow)", 20, "not a date or time"),
    ("_time:2024-03-01", 1, "_time takes a range"),
    ("_time:[2024-03-01 2024-03-02)", 29, "expected ','"),
    ("_time:[2024-03-01, 2024-03-02", 30, "unterminated range"),
    ("_time:[, 2024-03-02)", 8, "missing range bound"),
    ("ts:2024-03-01", 1, "_time"),
    ("fields:x", 1, "map of all extracted fields"),
    ('host:"a"b', 9, "right after the value"),
    ("getUser(42)", 8, "'(' right after a word"),
    ("a, b", 2, "unexpected ','"),
    ("message:>5", 1, "message is text"),
    ("* | frobnicate", 5, "unknown pipe"),
    ("* | stats", 10, "expected an aggregate"),
    ("* | stats count(x)", 17, "count() takes no field"),
    ("* | stats median(x)", 11, "expected an aggregate"),
    ("* | stats count() by (x", 24, "expected ')'"),
    ("* | stats count() as 9n", 22, "expected a column name"),
    ("* | stats count() as __k0", 22, "reserved"),
    ("* | stats count(), count()", 20, "appears twice"),
    ("* | stats avg(ts)", 15, "needs numbers"),
    ("* | stats count() by (fields)", 23, "whole map"),
    ("* | stats count() | sort by nope", 29, "unknown column 'nope' after stats"),
    ("* | stats count() | fields count", 21, "fields cannot follow stats"),
    ("* | limit 5 | stats count()", 15, "stats must be the first pipe"),
    ("* | limit 5 | sort by ts", 15, "sort must come before limit"),
    ("* | limit 0", 11, "positive whole number"),
    ("* | limit ten", 11, "positive whole number"),
    ("* | sort ts", 10, "expected 'by'"),
    ("* | sort by fields", 13, "whole map"),
    ("* | fields a, a", 15, "appears twice"),
    ("* | fields a,", 14, "expected a field name"),
    ("* | fields _time", 12, "use ts"),
    ("* | fields us'er", 12, "expected a field name"),
    ("a | limit 5 | limit 6", 15, "only one 'limit'"),
    ("a | ", 5, "expected a pipe"),
    # time buckets
    ("* | stats count() by (_time)", 23, "_time needs a step"),
    ("* | stats count() by _time", 22, "_time needs a step"),
    ("* | stats count() by (_time:0h)", 29, "not a time step"),
    ("* | stats count() by (_time:1H)", 29, "not a time step"),
    ("* | stats count() by (_time:1M)", 29, "not a time step"),
    ("* | stats count() by (_time:1.5h)", 29, "not a time step"),
    ("* | stats count() by (_time:-1h)", 29, "not a time step"),
    ("* | stats count() by (_time:1ms)", 29, "not a time step"),
    ("* | stats count() by (_time:h)", 29, "not a time step"),
    ("* | stats count() by (_time:1h1m)", 29, "not a time step"),
    ("* | stats count() by (_time:4294967296s)", 29, "too long"),
    ("* | stats count() by (_time:1193047h)", 29, "at most about 136 years"),
    ("* | stats count() by (_time:7102w)", 29, "too long"),
    ("* | stats count() by (_time:１h)", 29, "not a time step"),  # a full-width digit
    ("* | stats count() by (_time:>1h)", 29, "a time bucket reads _time:STEP"),
    ("* | stats count() by (_time:[1h, 2h))", 29, "a time bucket reads _time:STEP"),
    ('* | stats count() by (_time:"1h")', 29, "a time bucket reads _time:STEP"),
    ("* | stats count() by (_time:1h*)", 29, "a time bucket reads _time:STEP"),
    ("* | stats count() by (_time:1h, _time:5m)", 33, "'_time' appears twice"),
    ("* | stats count() as _time by (_time:1h)", 11, "'_time' appears twice"),
    ("* | stats count() by (host:1h)", 23, "expected a field name"),
    ("* | stats min(_time) by (_time:1h)", 15, "use ts"),
    ("* | stats count() by (_time:1h) | sort by ts", 43, "unknown column 'ts' after stats"),
    ("* | stats count() | sort by _time", 29, "unknown column '_time' after stats"),
    ("* | sort by _time", 13, "use ts"),
]


@pytest.mark.parametrize("text", DESIGN_EXAMPLES + CANONICAL)
def test_canonical_text_round_trips(text: str) -> None:
    assert str(parse(text)) == text


@pytest.mark.parametrize(("text", "canonical"), NORMALISED)
def test_normalises(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical


@pytest.mark.parametrize("text", DESIGN_EXAMPLES + CANONICAL + [t for t, _ in NORMALISED])
def test_canonical_form_is_a_fixed_point(text: str) -> None:
    once = parse(text)
    assert parse(str(once)) == once
    assert str(parse(str(once))) == str(once)


@pytest.mark.parametrize(("text", "column", "message"), ERRORS)
def test_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.column == column, str(info.value)


def test_error_renders_a_caret_under_the_column() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("level:error (foo")
    assert str(info.value) == (
        "query syntax error at column 17: expected ')', found the end of the query\n"
        "  level:error (foo\n"
        "                  ^"
    )
    assert info.value.pointer().splitlines()[1].index("^") == 2 + 16


def test_error_pointer_on_a_multi_line_query() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("foo\nlevel:nope")
    assert info.value.column == 11
    assert info.value.pointer() == "  level:nope\n        ^"


def test_error_without_query_text_has_no_pointer() -> None:
    err = QuerySyntaxError("boom", 3)
    assert str(err) == "query syntax error at column 3: boom"
    assert isinstance(err, ValueError)


def test_tree_shape_and_precedence() -> None:
    # NOT > AND > OR
    q = parse("a -b OR c")
    assert q.filter == A.Or((A.And((A.Word("a"), A.Not(A.Word("b")))), A.Word("c")))
    q = parse('level:>=warn (user:x* OR client_ip:10.0.0.0/8) "p q" | stats count() by (host) | limit 3')
    assert q.filter == A.And((
        A.FieldCompare("level", ">=", "warn"),
        A.Or((A.FieldPrefix("user", "x"), A.FieldCidr("client_ip", "10.0.0.0/8"))),
        A.Phrase("p q"),
    ))
    assert q.stats == A.StatsPipe((A.Aggregate("count"),), ("host",))
    assert q.limit == A.LimitPipe(3)
    assert q.sort is None and q.fields is None


def test_time_bucket_tree() -> None:
    q = parse("x | stats count() as n by (_time:05m, level) | sort by _time desc")
    assert q.stats == A.StatsPipe((A.Aggregate("count", alias="n"),), ("_time", "level"), "5m")
    assert q.stats.columns == ("_time", "level", "n")
    assert q.sort == A.SortPipe((A.SortKey("_time", desc=True),))
    assert parse("x | stats count() by (_time:1h)") != parse("x | stats count() by (_time:60m)")


def test_stats_pipe_needs_a_step_exactly_with_a_time_key() -> None:
    with pytest.raises(ValueError):
        A.StatsPipe((A.Aggregate("count"),), ("_time",))
    with pytest.raises(ValueError):
        A.StatsPipe((A.Aggregate("count"),), ("host",), "1h")


def test_quoted_values_are_literal() -> None:
    assert parse('host:"mx*"').filter == A.FieldMatch("host", "mx*")
    assert parse('client_ip:"10.0.0.0/8"').filter == A.FieldMatch("client_ip", "10.0.0.0/8")
    assert parse('host:"<5"').filter == A.FieldMatch("host", "<5")
    assert parse('"a \\"b\\" \\\\ \\d"').filter == A.Phrase('a "b" \\ \\d')


def test_keywords_are_upper_case_only() -> None:
    assert parse("a or b").filter == A.And((A.Word("a"), A.Word("or"), A.Word("b")))
    assert parse('"OR"').filter == A.Phrase("OR")


def test_minus_needs_a_term_right_after_it() -> None:
    assert parse("a - b").filter == A.And((A.Word("a"), A.Word("-"), A.Word("b")))
    assert parse("-a").filter == A.Not(A.Word("a"))
    assert parse("foo-bar").filter == A.Word("foo-bar")


def test_the_examples_in_the_docs_parse_and_are_canonical() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "query.md"
    if not doc.is_file():
        pytest.skip("docs/query.md is not present")
    block = doc.read_text(encoding="utf-8").split("```\n")[3]  # the second code block
    examples = [line.split("  #", 1)[0].rstrip() for line in block.splitlines() if line.strip()]
    assert examples == DESIGN_EXAMPLES


def test_the_time_bucket_examples_in_the_docs_are_canonical() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "query.md"
    if not doc.is_file():
        pytest.skip("docs/query.md is not present")
    section = doc.read_text(encoding="utf-8").split("### Time buckets", 1)[1]
    examples = [line for line in section.split("```\n")[1].splitlines() if line.strip()]
    assert len(examples) == 3
    for text in examples:
        assert str(parse(text)) == text
