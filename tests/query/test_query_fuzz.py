"""Random queries from a fixed seed: whatever parses prints to a fixed point and compiles; whatever does
not parse fails with QuerySyntaxError (never another exception)."""

from __future__ import annotations

import random

from logwarden.query import QuerySyntaxError, compile_query, parse

FRAGMENTS = [
    "a", "B", "foo-bar", "x@y.z", "10.0.0.5", "*", "-", "--", "NOT", "OR", "AND", "or", "(", ")", "|",
    ",", '"', '"p q"', '"a\\"b"', '"\\\\"', "\\", "level:", "level:warn", "level:>=error", "level:W*",
    "status:>500", "status:[1, 2)", "host:", "host:mx*", 'host:"m x"', "ip:10.0.0.0/8", "ip:::1/128",
    'raw:~"a+"', 'raw:~"("', "_time:[2024-03-01, *)", "_time:>=2024-03-01T10:00", "ts:1", "fields:x",
    "stats", "count()", "count_distinct(user)", "avg(size)", "by", "(service)", "as", "n", "sort",
    "desc", "limit", "10", "0", "fields", "ts,", "host", "[", "]", "~", ":", ">=", "Ж", "\t", "\n",
    "_time:1h", "(_time:5m)", "_time:0s", "_time:30s,", "_time",
]  # fmt: skip


def test_random_queries_parse_to_a_fixed_point_or_fail_cleanly() -> None:
    rng = random.Random(20240301)
    parsed = 0
    for _ in range(4000):
        parts = rng.choices(FRAGMENTS, k=rng.randint(1, 8))
        text = "".join(p + rng.choice([" ", " ", "", " | "]) for p in parts)
        try:
            q = parse(text)
        except QuerySyntaxError as e:
            assert 1 <= e.column <= len(text) + 1
            continue
        parsed += 1
        canonical = str(q)
        again = parse(canonical)
        assert again == q, (text, canonical)
        assert str(again) == canonical, (text, canonical)
        compile_query(q, limit=5)
    assert parsed > 500  # the generator must keep exercising the happy path too
