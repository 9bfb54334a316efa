"""Context: the records around each hit in its own file, like `grep -C`.

A record's place is `(origin, seq)`: `seq` counts the records of one origin from 0, so the N records before a
hit are `seq - N … seq - 1` of the same origin. Windows around the hits are merged where they overlap or touch
(one group, like grep's), and one query fetches every group's records from the engine:

    SELECT … FROM lw.events WHERE origin IN {origins} AND arrayExists((o, lo, hi) -> origin = o AND seq
        BETWEEN lo AND hi, {o}, {lo}, {hi}) ORDER BY origin, seq

Groups come oldest first (by their first record's time, then origin and position), so the output reads as a
log, and within a group in file order. Each record says whether it is a hit (`hit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logwarden.errors import UsageError
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

EVENT_SELECT = ("ts, level, source, service, host, format, origin, seq, raw, user, client_ip, trace_id, "
                "request_id, status, fields")
MAX_CONTEXT = 10_000  # records on either side of a hit; more is a dump of the file, not context


@dataclass
class Group:
    """Records of one origin, `first`…`last` (seq), holding one or more hits."""

    origin: str
    first: int
    last: int
    hits: set[int] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "first_seq": self.first, "last_seq": self.last,
                "hits": sorted(self.hits), "records": self.records}


def windows(hits: list[tuple[str, int]], before: int, after: int) -> list[Group]:
    """Merge `[seq - before, seq + after]` around each hit into groups per origin (overlapping or adjacent
    windows become one group, as grep joins them)."""
    by_origin: dict[str, list[int]] = {}
    for origin, seq in hits:
        by_origin.setdefault(origin, []).append(int(seq))
    groups: list[Group] = []
    for origin, seqs in by_origin.items():
        current: Group | None = None
        for seq in sorted(set(seqs)):
            lo, hi = max(0, seq - before), seq + after
            if current is not None and lo <= current.last + 1:
                current.last = max(current.last, hi)
                current.hits.add(seq)
                continue
            current = Group(origin, lo, hi, {seq})
            groups.append(current)
    return groups


def fetch(store: Store, groups: list[Group]) -> list[Group]:
    """Fill each group with its stored records; groups that end up empty are dropped. Returns the groups
    oldest first."""
    if not groups:
        return []
    params = {
        "origins": sorted({g.origin for g in groups}),
        "o": [g.origin for g in groups],
        "lo": [str(g.first) for g in groups],
        "hi": [str(g.last) for g in groups],
        "min": min(g.first for g in groups),
        "max": max(g.last for g in groups),
    }
    rows = store.rows(
        f"SELECT {EVENT_SELECT} FROM {DB}.events "
        "WHERE origin IN {origins:Array(String)} AND seq >= {min:UInt64} AND seq <= {max:UInt64} AND arrayExists((o, lo, hi) -> origin = o AND seq >= toUInt64(lo) "
        "AND seq <= toUInt64(hi), {o:Array(String)}, {lo:Array(String)}, {hi:Array(String)}) "
        "ORDER BY origin, seq",
        params,
    )
    return assign(groups, rows)


def assign(groups: list[Group], rows: list[dict[str, Any]]) -> list[Group]:
    """Put rows (in file order) into the groups whose window holds them; drop empty groups; oldest first."""
    index: dict[str, list[Group]] = {}
    for g in groups:
        g.records = []
        index.setdefault(g.origin, []).append(g)
    for row in rows:
        seq = int(row["seq"])
        for g in index.get(row["origin"], []):  # merged groups are disjoint; callers' own groups may overlap
            if g.first <= seq <= g.last:
                g.records.append({**row, "hit": seq in g.hits})
    kept = [g for g in groups if g.records]
    kept.sort(key=lambda g: (g.records[0]["ts"], g.origin, g.first))
    return kept


def context(store: Store, hits: list[dict[str, Any]] | str, *, before: int = 0, after: int = 0,
            time_from: datetime | None = None, time_to: datetime | None = None,
            limit: int | None = 100) -> list[dict[str, Any]]:
    """Groups of records around each hit: `hits` are events (with `origin` and `seq`) or a query, whose
    newest `limit` events are the hits. Each group: origin, first_seq, last_seq, hits (their seqs) and
    records (event rows, oldest first, each with `hit`: true for a hit)."""
    for name, n in (("before", before), ("after", after)):
        if not 0 <= n <= MAX_CONTEXT:
            raise UsageError(f"context {name}={n}: give a number of records from 0 to {MAX_CONTEXT}")
    if isinstance(hits, str):
        from logwarden.query import service

        result = service.search(store, hits, time_from=time_from, time_to=time_to, limit=limit)
        if result.kind != "events":
            raise UsageError("context shows the records around events; a `stats` query has no records to "
                             "show context for. Drop the stats pipe, or drop --context/-A/-B.")
        if result.columns and not {"origin", "seq"} <= set(result.columns):
            raise UsageError("context needs each hit's origin and seq; a `fields` pipe that drops them "
                             "cannot be combined with --context/-A/-B.")
        hits = result.rows
    pairs = [(str(h["origin"]), int(h["seq"])) for h in hits]
    return [g.as_dict() for g in fetch(store, windows(pairs, before, after))]
