"""Pages, cursors, event ids, facets and the tail over a real store holding hand-written events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from logwarden.query.facets import count, facets
from logwarden.query.paging import CursorError, event_id, get_event, parse_event_id, search_page, tail
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

# 45 events: three origins; several share a second (ties are ordered by origin, then seq desc).
EVENTS: list[dict[str, Any]] = []
for i in range(45):
    EVENTS.append({
        "ts": f"2024-03-01 10:{i // 3:02d}:00.000000", "source": ["zimbra", "postfix", "nginx"][i % 3],
        "service": ["mailbox", "smtpd", "access"][i % 3], "host": f"h{i % 2}", "format": "t",
        "origin": f"/var/log/{i % 3}.log|x", "seq": i, "level": ["info", "warn", "error"][i % 3 == 0 and 2 or i % 2],
        "raw": f"line {i} user{i % 4}@corp.ru" + (" invalid password" if i % 5 == 0 else ""),
        "user": f"user{i % 4}@corp.ru" if i % 4 else "", "client_ip": f"10.0.0.{i % 5}",
        "fields": {"n": str(i)},
    })


@pytest.fixture(scope="module")
def store(engine: Store) -> Store:
    engine.execute(f"INSERT INTO {DB}.events FORMAT JSONEachRow\n" + "\n".join(json.dumps(e) for e in EVENTS))
    return engine


def _all_pages(store: Store, text: str, size: int, **kw: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        page = search_page(store, text, size=size, cursor=cursor, **kw)
        pages.append(page.rows)
        cursor = page.next
        if cursor is None:
            return pages


def _newest_first(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in sorted(events, key=lambda e: (-int(e["ts"][11:13] + e["ts"][14:16]), e["origin"],
                                                             -e["seq"]))]


@pytest.mark.parametrize(("text", "size"), [("*", 20), ("*", 7), ("*", 45), ("*", 100), ("level:error", 4),
                                             ("password", 3), ("nothing-matches-this", 5)])
def test_keyset_pages_cover_everything_once_in_order(store: Store, text: str, size: int) -> None:
    pages = _all_pages(store, text, size)
    seqs = [int(r["seq"]) for p in pages for r in p]
    expected = [s for s in _newest_first(EVENTS) if _matches(text, EVENTS[s])]
    assert seqs == expected
    assert all(len(p) == size for p in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // size))


def _matches(text: str, e: dict[str, Any]) -> bool:
    if text == "*":
        return True
    if text == "level:error":
        return e["level"] == "error"
    if text == "password":
        return "password" in e["raw"]
    return False


def test_query_limit_caps_all_pages(store: Store) -> None:
    pages = _all_pages(store, "* | limit 11", 4)
    assert [len(p) for p in pages] == [4, 4, 3]


@pytest.mark.parametrize("size", [1, 4, 50])
def test_sorted_and_stats_queries_page_by_offset(store: Store, size: int) -> None:
    rows = [r for p in _all_pages(store, "* | sort by n desc", size) for r in p]
    assert [int(r["fields"]["n"]) for r in rows] == list(range(44, -1, -1))
    stats = [r for p in _all_pages(store, "* | stats count() by (source)", size) for r in p]
    assert sorted((r["source"], r["count"]) for r in stats) == [("nginx", 15), ("postfix", 15), ("zimbra", 15)]


def test_fields_pipe_still_gets_ids_but_only_asked_columns(store: Store) -> None:
    page = search_page(store, "* | fields host, raw", size=3)
    assert page.columns == ["host", "raw"]
    assert set(page.rows[0]) == {"host", "raw", "_id"}
    assert get_event(store, page.rows[0]["_id"])["raw"] == page.rows[0]["raw"]


def test_event_ids_round_trip_and_find_the_event(store: Store) -> None:
    for e in EVENTS[:10]:
        eid = event_id(e)
        assert parse_event_id(eid) == (e["ts"], e["origin"], e["seq"])
        got = get_event(store, eid)
        assert got is not None and got["raw"] == e["raw"] and got["fields"] == e["fields"]


@pytest.mark.parametrize("bad", ["", "@@@", "bm90LWFuLWlk", event_id({"ts": "yesterday", "seq": 1, "origin": "o"})])
def test_bad_event_ids_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(CursorError):
        get_event(store, bad)


def test_missing_event_is_none_and_sources_restrict(store: Store) -> None:
    assert get_event(store, event_id({**EVENTS[0], "seq": 999})) is None
    only_nginx = ("has({lw_sources:Array(String)}, source)", {"lw_sources": ["nginx"]})
    assert get_event(store, event_id(EVENTS[0]), only_nginx) is None  # EVENTS[0] is zimbra
    assert get_event(store, event_id(EVENTS[2]), only_nginx) is not None
    page = search_page(store, "*", size=100, extra_where=only_nginx)
    assert {r["source"] for r in page.rows} == {"nginx"} and len(page.rows) == 15


def test_cursor_of_another_query_or_damaged_is_refused(store: Store) -> None:
    cursor = search_page(store, "*", size=5).next
    assert cursor
    with pytest.raises(CursorError, match="another query"):
        search_page(store, "level:error", size=5, cursor=cursor)
    with pytest.raises(CursorError):
        search_page(store, "*", size=5, cursor=cursor[:-6] + "!!!!!!")


def test_facets_count_the_filter(store: Store) -> None:
    got = facets(store, "level:error")
    errors = [e for e in EVENTS if e["level"] == "error"]
    assert got["level"] == [{"value": "error", "count": len(errors)}]
    assert sum(v["count"] for v in got["source"]) == len(errors)
    assert all(v["value"] for v in got["user"])  # empty users are left out
    assert count(store, "level:error") == len(errors)
    top2 = facets(store, "*", names=("client_ip",), top=2)["client_ip"]
    assert len(top2) == 2 and top2[0]["count"] == 9


@pytest.mark.parametrize("q", ["*", "level:error", "-level:error"])
def test_facets_in_one_pass_equal_a_stats_query_per_field(store: Store, q: str) -> None:
    from logwarden.query.service import search

    got = facets(store, q, top=1000)
    for name in ("level", "source", "host", "user", "client_ip"):
        rows = search(store, f"{q} | stats count() as n by ({name})").rows
        want = sorted((int(r["n"]), r[name]) for r in rows if r[name] != "")
        assert sorted((v["count"], v["value"]) for v in got[name]) == want, name


def test_facets_refuse_a_name_that_is_not_a_field(store: Store) -> None:
    with pytest.raises(ValueError, match="not a field name"):
        facets(store, "*", names=("level", "x`) FROM system.tables --"))


def test_tail_returns_newer_events_oldest_first(store: Store) -> None:
    rows, last = tail(store, "*", size=5)
    assert [int(r["seq"]) for r in rows] == list(reversed(_newest_first(EVENTS)[:5]))
    assert last == rows[-1]["_id"]
    older = event_id(EVENTS[30])
    newer, last2 = tail(store, "*", after=older, size=100)
    # 31 and 32 share 30's second but come after it in the newest-first order (origin, then seq)
    assert [int(r["seq"]) for r in newer] == list(reversed(_newest_first(EVENTS)[:12]))
    again, _ = tail(store, "*", after=last2)
    assert again == []


def test_time_span_of_a_filter(store: Store) -> None:
    from datetime import datetime

    from logwarden.query.facets import time_span

    errors = sorted(e["ts"] for e in EVENTS if e["level"] == "error")
    lo, hi, n = time_span(store, "level:error")  # type: ignore[misc]
    assert (lo, hi, n) == (datetime.fromisoformat(errors[0][:19]), datetime.fromisoformat(errors[-1][:19]), len(errors))
    assert time_span(store, "nothing-like-this") is None
