"""The SQL the compiler writes: shapes, parameters, and that no user text ever lands in the SQL."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from logwarden.query import EVENT_COLUMNS, QuerySyntaxError, compile_query, encode_params, parse
from logwarden.query.compiler import _prefilter_edges, _prefilter_token

SELECT_ALL = "SELECT " + ", ".join(EVENT_COLUMNS) + " FROM lw.events"
ORDER = " ORDER BY ts DESC, origin, seq DESC"


def test_events_query_shape() -> None:
    cq = compile_query(parse("level:>=error source:zimbra"), limit=50)
    assert cq.kind == "events"
    assert cq.columns == EVENT_COLUMNS
    assert cq.limit == 50
    assert cq.sql == (
        f"{SELECT_ALL} WHERE (indexOf({{p0:Array(String)}}, level) >= {{p1:UInt8}}) "
        f"AND (source = {{p2:String}}){ORDER} LIMIT {{p3:UInt64}}"
    )
    assert cq.params == {"p0": ["trace", "debug", "info", "notice", "warn", "error", "fatal"], "p1": 6,
                         "p2": "zimbra", "p3": 50}


def test_match_all_has_no_where_and_no_limit() -> None:
    cq = compile_query("*")
    assert cq.sql == SELECT_ALL + ORDER
    assert cq.params == {} and cq.limit is None


def test_words_use_the_token_index() -> None:
    cq = compile_query("Invalid password")
    assert "hasToken(lower(raw), {p0:String})" in cq.sql
    assert cq.params["p0"] == "invalid" and cq.params["p1"] == "password"


def test_non_ascii_words_fold_case_with_utf8() -> None:
    cq = compile_query("МИР")
    assert "hasToken(lowerUTF8(raw), {p0:String})" in cq.sql and cq.params["p0"] == "мир"


@pytest.mark.parametrize(("text", "token"), [
    ("user@corp.ru", "corp"),
    ("a.bb.ccc.d", "ccc"),
    ("authentication failed for user", "failed"),
    ("foo-bar", None),
    ("10.0.0.5", None),  # interior tokens shorter than 2 are not worth it
    ("x_yy_z", "yy"),
    ("handler exception", None),
    ("@Привет@", None),
    ("a Привет b", None),
    ("a Hello b", "hello"),
])
def test_prefilter_token_is_only_a_whole_inner_token(text: str, token: str | None) -> None:
    assert _prefilter_token(text) == token


@pytest.mark.parametrize("text,edges", [
    ("status=sent", ["sent", "status"]),
    ("Authentication FAILED", ["authentication", "failed"]),
    ("7C0FFEE1D5A", ["7c0ffee1d5a"]),
    ("foo-bar", []),  # pieces under 4 characters: the engine would not scan its dictionary for them
    ("=sent", ["sent"]),
    ("@Привет@", []),
])
def test_prefilter_edges_are_the_outer_pieces(text: str, edges: list[str]) -> None:
    assert _prefilter_edges(text) == edges


def test_substring_words_and_phrases_prefilter_safely() -> None:
    cq = compile_query("user@corp.ru")
    assert cq.sql.endswith(
        " WHERE (hasToken(lower(raw), {p2:String}) AND lower(raw) LIKE {p1:String}"
        " AND positionCaseInsensitive(raw, {p0:String}) > 0)" + ORDER
    )
    assert cq.params == {"p0": "user@corp.ru", "p1": "%user%", "p2": "corp"}
    cq = compile_query("foo-bar")
    assert "hasToken" not in cq.sql


def test_map_keys_are_bound_and_reused() -> None:
    cq = compile_query("size:>10 size:<20 | fields size")
    assert cq.sql.count("fields[{p0:String}]") == 3
    assert cq.params["p0"] == "size"
    assert "fields[{p0:String}] AS `size`" in cq.sql


def test_cidr_is_null_safe_and_v4_maps_into_v6() -> None:
    cq = compile_query("client_ip:10.0.0.0/8")
    assert "ifNull(toIPv6OrNull(client_ip) BETWEEN {p0:IPv6} AND {p1:IPv6}, 0)" in cq.sql
    assert (cq.params["p0"], cq.params["p1"]) == ("::ffff:10.0.0.0", "::ffff:10.255.255.255")
    cq = compile_query("client_ip:2001:db8::/32")
    assert (cq.params["p0"], cq.params["p1"]) == ("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")


def test_level_comparisons() -> None:
    assert compile_query("level:>warn").params["p1"] == 6
    cq = compile_query("level:<=info")
    assert "BETWEEN {p1:UInt8} AND {p2:UInt8}" in cq.sql and (cq.params["p1"], cq.params["p2"]) == (1, 3)
    cq = compile_query("level:[debug, warn)")
    assert (cq.params["p1"], cq.params["p2"]) == (2, 4)


def test_time_is_bound_as_utc_text() -> None:
    cq = compile_query("_time:[2024-03-01T03:00:00+03:00, 2024-03-02)",
                       time_from=datetime(2024, 2, 1), time_to=datetime(2024, 4, 1))
    assert cq.sql.startswith(
        f"{SELECT_ALL} WHERE (ts >= {{p0:DateTime64(6, 'UTC')}}) AND (ts < {{p1:DateTime64(6, 'UTC')}}) "
        f"AND (ts >= {{p2:DateTime64(6, 'UTC')}} AND ts < {{p3:DateTime64(6, 'UTC')}})"
    )
    assert list(cq.params.values()) == ["2024-02-01 00:00:00.000000", "2024-04-01 00:00:00.000000",
                                        "2024-03-01 00:00:00.000000", "2024-03-02 00:00:00.000000"]


def test_stats_query_shape() -> None:
    cq = compile_query('"authentication failed" | stats count() as n by (client_ip) | sort by n desc | limit 10')
    assert cq.kind == "stats" and cq.columns == ("client_ip", "n") and cq.limit == 10
    assert cq.sql == (
        "SELECT __k0 AS `client_ip`, count() AS `n` FROM (SELECT client_ip AS __k0 FROM lw.events "
        "WHERE (lower(raw) LIKE {p1:String} AND lower(raw) LIKE {p2:String} "
        "AND positionCaseInsensitive(raw, {p0:String}) > 0)) GROUP BY __k0 "
        "ORDER BY `n` DESC, __k0 LIMIT {p3:UInt64}"
    )


BUCKET_1H = "toStartOfInterval(ts, INTERVAL {p0:UInt32} SECOND, 'UTC')"  # hours as seconds: epoch-aligned
ISO = "'%Y-%m-%dT%H:%i:%SZ'"


def test_stats_time_bucket_shape() -> None:
    cq = compile_query("* | stats count() by (_time:1h)")
    assert cq.kind == "stats" and cq.columns == ("_time", "count") and cq.limit is None
    assert cq.sql == (
        f"SELECT formatDateTime(__k0, {ISO}, 'UTC') AS `_time`, count() AS `count` "
        f"FROM (SELECT {BUCKET_1H} AS __k0 FROM lw.events) GROUP BY __k0 ORDER BY __k0"
    )
    assert cq.params == {"p0": 3600}


def test_stats_time_bucket_with_other_keys_orders_by_bucket_then_count() -> None:
    cq = compile_query("level:error | stats count() by (_time:5m, host)")
    assert cq.columns == ("_time", "host", "count")
    assert "toStartOfInterval(ts, INTERVAL {p1:UInt32} MINUTE, 'UTC') AS __k0, host AS __k1" in cq.sql
    assert cq.sql.endswith("GROUP BY __k0, __k1 ORDER BY __k0, `count` DESC, __k1")
    assert cq.params["p1"] == 5
    cq = compile_query("* | stats count() by (host, _time:5m)")  # the bucket leads the order wherever it is
    assert cq.sql.endswith("GROUP BY __k0, __k1 ORDER BY __k1, `count` DESC, __k0")


def test_stats_time_bucket_sort_pipe_decides_the_order() -> None:
    cq = compile_query("* | stats count() as n by (_time:1d) | sort by n desc | limit 3")
    assert cq.sql.endswith("GROUP BY __k0 ORDER BY `n` DESC, __k0 LIMIT {p1:UInt64}")
    cq = compile_query("* | stats count() by (_time:1d) | sort by _time desc")
    assert cq.sql.endswith("GROUP BY __k0 ORDER BY __k0 DESC")  # the bucket time, not its text


def test_stats_sort_on_a_key_does_not_repeat_it() -> None:
    cq = compile_query("* | stats count() by (host, level) | sort by host desc")
    assert cq.sql.endswith("ORDER BY toFloat64OrNull(__k0) DESC, __k0 DESC, __k1")


@pytest.mark.parametrize(("step", "count", "unit"), [
    ("1s", 1, "SECOND"), ("30s", 30, "SECOND"), ("1m", 1, "MINUTE"), ("5m", 5, "MINUTE"),
    ("15m", 15, "MINUTE"), ("1h", 3600, "SECOND"), ("6h", 21600, "SECOND"), ("5h", 18000, "SECOND"),
    ("1d", 1, "DAY"), ("1w", 1, "WEEK"), ("0042m", 42, "MINUTE"), ("4294967295s", 4294967295, "SECOND"),
    ("1193046h", 1193046 * 3600, "SECOND"), ("7101w", 7101, "WEEK"),
])
def test_time_bucket_step_is_bound_and_the_unit_is_a_fixed_keyword(step: str, count: int, unit: str) -> None:
    cq = compile_query(f"* | stats count() by (_time:{step})")
    assert f"toStartOfInterval(ts, INTERVAL {{p0:UInt32}} {unit}, 'UTC') AS __k0" in cq.sql
    assert cq.params == {"p0": count}
    assert step not in cq.sql


def test_time_bucket_sql_does_not_depend_on_the_step() -> None:
    shapes = {compile_query(f"x | stats count() by (_time:{n}m, host)").sql for n in (1, 5, 90, 123456)}
    assert len(shapes) == 1


@pytest.mark.parametrize(("text", "func"), [
    ('"handler exception"', "positionCaseInsensitive"),
    ("alice@corp.ru", "positionCaseInsensitive"),
    ("message:NullPointer", "positionCaseInsensitive"),
    ('"Ошибка входа"', "positionCaseInsensitiveUTF8"),
    ("ivan@почта.рф", "positionCaseInsensitiveUTF8"),
    ('raw:"naïve"', "positionCaseInsensitiveUTF8"),
    ('message:"a€"*', "positionCaseInsensitiveUTF8"),
])
def test_substring_search_folds_ascii_needles_bytewise(text: str, func: str) -> None:
    cq = compile_query(text)
    assert f"{func}(raw, {{p0:String}}) > 0" in cq.sql


def test_stats_without_groups_or_values() -> None:
    cq = compile_query("* | stats count()")
    assert cq.sql == "SELECT count() AS `count` FROM (SELECT 1 AS __one FROM lw.events) ORDER BY `count` DESC"
    assert cq.limit is None


def test_limits_combine() -> None:
    assert compile_query("a | limit 5", limit=100).limit == 5
    assert compile_query("a | limit 500", limit=100).limit == 100
    assert compile_query("a", limit=7).limit == 7
    assert compile_query("a").limit is None


def test_parameters_for_a_bare_session_are_escaped() -> None:
    cq = compile_query('"a\\\\b\tc" level:>=warn')
    assert cq.params["p0"] == "a\\b\tc"
    assert cq.engine_params()["p0"] == "a\\\\b\\tc"
    assert cq.engine_params()["p1"] == "['trace','debug','info','notice','warn','error','fatal']"
    assert encode_params({"x": ["it's", "a\\b"], "n": 3, "f": 1.5}) == {
        "x": "['it\\'s','a\\\\b']", "n": "3", "f": "1.5"}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="table"):
        compile_query("a", table="lw.events; DROP TABLE x")
    with pytest.raises(ValueError, match="limit"):
        compile_query("a", limit=0)
    with pytest.raises(ValueError, match="clashes"):
        compile_query("a", extra_where=("x = {p0:String}", {"p0": "y"}))
    with pytest.raises(QuerySyntaxError):
        compile_query("a (")


# ------------------------------------------------------------------------------------ injection

HOSTILE = [
    "'); DROP TABLE lw.events; --",
    "{p0:String}",
    "}{p1:UInt64}",
    "back\\slash",
    "`backtick`",
    "it's",
    "tab\tnew\nline",
    "/* comment */",
    "ifNull(1,1)",
]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _queries(value: str) -> list[str]:
    q = _quoted(value)
    return [
        q, f"-{q}", f"user:{q}", f"user:{q}*", f"http.method:{q}", f"raw:{q}", f"message:~{q}",
        f"some.key:~{q}", f"a OR {q} | stats count() by (host)",
    ]


_PLACEHOLDER = re.compile(r"\{p\d+:[A-Za-z0-9(), ']+\}")
# The only things a compiled SQL may contain: our keywords, functions, column names, placeholders,
# backtick-quoted names that passed the identifier check, and a few punctuation marks.
_SAFE_SQL = re.compile(r"(\{p\d+:[A-Za-z0-9(), ']+\}|`[A-Za-z_][A-Za-z0-9_.]*`|[A-Za-z0-9_ ().,=<>!\[\]*-])*")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_only_in_params(value: str) -> None:
    for text in _queries(value):
        try:
            cq = compile_query(parse(text))
        except QuerySyntaxError:  # e.g. an invalid regex: rejected, which is also fine
            continue
        assert value not in _PLACEHOLDER.sub("", cq.sql), text
        assert value in cq.params.values(), text
        assert _SAFE_SQL.fullmatch(cq.sql), cq.sql


@pytest.mark.parametrize("value", HOSTILE)
def test_sql_does_not_depend_on_bound_values(value: str) -> None:
    benign = "benign"
    for template in ("user:{}", "user:{}*", "some.key:{}", "-host:{} | stats count() by (x)"):
        hostile_sql = compile_query(template.format(_quoted(value))).sql
        assert hostile_sql == compile_query(template.format(_quoted(benign))).sql


@pytest.mark.parametrize("text", [
    "us'er:x",              # not a field name: a bare word searched as a substring
    'us"er:x',
    "`user`:x",
    "user`:x",
    "fie{p0:String}ld:x",
])
def test_odd_field_names_become_searched_text(text: str) -> None:
    try:
        cq = compile_query(parse(text))
    except QuerySyntaxError:
        return
    assert _SAFE_SQL.fullmatch(cq.sql), cq.sql
    assert text in cq.params.values()


@pytest.mark.parametrize("text", [
    "* | fields a`b",
    "* | fields `a`",
    "* | fields a'b",
    "* | fields a b",
    "* | stats count() as `x`",
    "* | stats count() as x;y",
    "* | stats count() by (a-b)",
    "* | sort by a'",
    "* | stats count() as __x",
])
def test_output_names_must_be_identifiers(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(text)
