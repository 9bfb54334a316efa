"""Pages of a search with opaque cursors, stable event ids, one event by id, and the live tail.

    page = search_page(store, "level:>=error", size=20)
    page.rows[0]["_id"]                                  # a stable id: get_event(store, that id)
    search_page(store, "level:>=error", size=20, cursor=page.next)   # the next 20, or page.next is None

Plain event searches (newest first, no `sort` pipe) page by key: the cursor holds the last row's
(ts, origin, seq) and the next page starts strictly after it, so pages never skip or repeat rows
while new events arrive. Sorted searches and stats page by offset. Either cursor also pins the time
window resolved for the first page (a `_since` window does not slide between pages) and a hash of
the query text, so a cursor used with another query is refused.

An event id is base64url("<ts>|<seq>|<origin>") — the event's time (engine text, microseconds), its
position in its origin, and the origin (file path or listener). Re-ingesting a file gives the same
ids; the time in the id lets the engine prune partitions when looking it up.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logwarden.query import ast
from logwarden.query.compiler import EVENT_COLUMNS, ExtraWhere, compile_query
from logwarden.query.parser import parse
from logwarden.store.chdb_store import Store

KEY_COLUMNS = ("ts", "origin", "seq")
TIME_TEXT = "%Y-%m-%d %H:%M:%S.%f"
_T = "{c_ts:DateTime64(6, 'UTC')}"


def _keyset(ts_op: str, origin_op: str, seq_op: str) -> str:
    """Rows strictly past (c_ts, c_o, c_s) in an order by ts, origin, seq with these directions."""
    return (f"(ts {ts_op} {_T} OR (ts = {_T} AND (origin {origin_op} {{c_o:String}} "
            f"OR (origin = {{c_o:String}} AND seq {seq_op} {{c_s:UInt64}}))))")


_AFTER = _keyset("<", ">", "<")  # the next rows newest first (ts desc, origin, seq desc)
_NEWER = _keyset(">", "<", ">")  # the rows before, i.e. newer ones (for the tail)


class CursorError(ValueError):
    """A cursor or event id that is not ours, is damaged, or belongs to another query."""


@dataclass
class Page:
    kind: str  # "events" or "stats"
    columns: list[str]
    rows: list[dict[str, Any]]
    next: str | None  # the cursor of the next page, or None on the last one
    time_from: datetime | None = None
    time_to: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- codecs


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise CursorError(f"not a valid token: {text[:40]!r}") from exc


def event_id(row: dict[str, Any]) -> str:
    """The stable id of an event row (it must hold ts, origin and seq)."""
    return _b64(f"{row['ts']}|{int(row['seq'])}|{row['origin']}".encode("utf-8", "surrogateescape"))


def parse_event_id(text: str) -> tuple[str, str, int]:
    """(ts text, origin, seq) of an id; CursorError when it is not one."""
    parts = _unb64(text).decode("utf-8", "surrogateescape").split("|", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        raise CursorError(f"not an event id: {text[:60]!r}")
    ts, seq, origin = parts
    try:
        datetime.strptime(ts if "." in ts else ts + ".0", TIME_TEXT)
    except ValueError as exc:
        raise CursorError(f"not an event id: {text[:60]!r}") from exc
    return ts, origin, int(seq)


def query_hash(text: str) -> str:
    return hashlib.sha256(str(parse(text)).encode()).hexdigest()[:12]


def _time_text(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(TIME_TEXT)


def encode_cursor(state: dict[str, Any]) -> str:
    return _b64(json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode())


def decode_cursor(token: str, text: str) -> dict[str, Any]:
    try:
        state = json.loads(_unb64(token))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CursorError("the _next cursor is damaged; start again from the first page") from exc
    if not isinstance(state, dict) or state.get("h") != query_hash(text):
        raise CursorError("the _next cursor belongs to another query; start again from the first page")
    return state


def cursor_window(state: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The time window a cursor pinned."""
    lo, hi = state.get("f"), state.get("t")
    return (datetime.strptime(lo, TIME_TEXT) if lo else None, datetime.strptime(hi, TIME_TEXT) if hi else None)


# ---------------------------------------------------------------------------------------- the page


def combine(*parts: ExtraWhere | None) -> ExtraWhere | None:
    """AND several `extra_where` values (SQL text or (SQL, params)) into one."""
    sqls: list[str] = []
    params: dict[str, Any] = {}
    for part in parts:
        if part is None:
            continue
        if isinstance(part, str):
            sqls.append(part)
        else:
            sqls.append(part[0])
            params.update(part[1])
    if not sqls:
        return None
    return " AND ".join(f"({s})" for s in sqls), params


def _with_keys(query: ast.Query) -> tuple[ast.Query, list[str]]:
    """The query with ts, origin, seq added to its `fields` pipe (ids need them); the extra names."""
    fields = query.fields
    if fields is None:
        return query, []
    extra = [k for k in KEY_COLUMNS if k not in fields.names]
    pipes = tuple(ast.FieldsPipe(fields.names + tuple(extra)) if p is fields else p for p in query.pipes)
    return ast.Query(query.filter, pipes), extra


def search_page(store: Store, text: str, *, time_from: datetime | None = None,
                time_to: datetime | None = None, size: int = 20, cursor: str | None = None,
                extra_where: ExtraWhere | None = None) -> Page:
    """One page of `text`: at most `size` rows and the cursor of the next page.

    With a cursor, its pinned window replaces `time_from`/`time_to`. Raises QuerySyntaxError for bad
    text and CursorError for a bad cursor."""
    if size <= 0:
        raise ValueError(f"the page size must be positive, not {size}")
    query = parse(text)
    state: dict[str, Any] = {"h": query_hash(text), "n": 0}
    if cursor:
        state = decode_cursor(cursor, text)
        time_from, time_to = cursor_window(state)
    state["f"], state["t"] = _time_text(time_from), _time_text(time_to)
    served = int(state.get("n", 0))
    cap = query.limit.n if query.limit else None
    want = size if cap is None else min(size, cap - served)
    if want <= 0:
        return Page("events" if query.stats is None else "stats", [], [], None, time_from, time_to)
    keyset = query.stats is None and query.sort is None
    if keyset:
        run_query, extra_names = _with_keys(ast.Query(query.filter, tuple(
            p for p in query.pipes if not isinstance(p, ast.LimitPipe))))
        after = None
        if "k" in state:
            ts, origin, seq = state["k"]
            after = (_AFTER, {"c_ts": ts, "c_o": origin, "c_s": int(seq)})
        cq = compile_query(run_query, time_from=time_from, time_to=time_to, limit=want + 1,
                           extra_where=combine(extra_where, after))
        rows = store.rows(cq.sql, cq.params)
        more = len(rows) > want
        rows = rows[:want]
        if rows:
            last = rows[-1]
            state["k"] = [last["ts"], last["origin"], int(last["seq"])]
    else:
        offset = int(state.get("o", 0))
        run_query, extra_names = _with_keys(query) if query.stats is None else (query, [])
        cq = compile_query(run_query, time_from=time_from, time_to=time_to, limit=offset + want + 1,
                           extra_where=extra_where)
        rows = store.rows(cq.sql, cq.params)[offset:]
        more = len(rows) > want
        rows = rows[:want]
        state["o"] = offset + len(rows)
    state["n"] = served + len(rows)
    if cap is not None and state["n"] >= cap:
        more = False
    columns = [c for c in cq.columns if c not in extra_names]
    if cq.kind == "events":
        for row in rows:
            row["_id"] = event_id(row)
            for name in extra_names:
                row.pop(name, None)
    return Page(cq.kind, columns, rows, encode_cursor(state) if more else None, time_from, time_to)


def get_event(store: Store, eid: str, extra_where: ExtraWhere | None = None) -> dict[str, Any] | None:
    """The event with this id (every column and field), or None."""
    ts, origin, seq = parse_event_id(eid)
    where = combine(("ts = {e_ts:DateTime64(6, 'UTC')} AND origin = {e_o:String} AND seq = {e_s:UInt64}",
                     {"e_ts": ts, "e_o": origin, "e_s": seq}), extra_where)
    cq = compile_query("*", limit=1, extra_where=where)
    rows = store.rows(cq.sql, cq.params)
    if not rows:
        return None
    rows[0]["_id"] = event_id(rows[0])
    return rows[0]


def tail(store: Store, text: str, *, after: str | None = None, size: int = 200,
         extra_where: ExtraWhere | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Events of `text` newer than the event id `after`, oldest first, and the id to pass next time.

    Without `after`: the newest `size` events (still oldest first), so a tail starts with context.
    Pipes other than the filter are ignored."""
    query = ast.Query(parse(text).filter)
    if after is None:
        cq = compile_query(query, limit=size, extra_where=extra_where)
        rows = list(reversed(store.rows(cq.sql, cq.params)))
    else:
        ts, origin, seq = parse_event_id(after)
        newer = (_NEWER, {"c_ts": ts, "c_o": origin, "c_s": seq})
        cq = compile_query(query, extra_where=combine(extra_where, newer))
        sql = f"SELECT * FROM ({cq.sql}) ORDER BY ts, origin DESC, seq LIMIT {int(size)}"
        rows = store.rows(sql, cq.params)
    for row in rows:
        row["_id"] = event_id(row)
    return rows, (rows[-1]["_id"] if rows else after)


__all__ = ["EVENT_COLUMNS", "CursorError", "Page", "event_id", "get_event", "parse_event_id", "search_page", "tail"]
