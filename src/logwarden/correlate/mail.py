"""Mail flow: each message reconstructed from the stored Postfix (and Zimbra MTA / amavis) records.

The engine does the grouping: the records carrying a queue id are grouped by (host, queue id, generation),
where a generation ends at qmgr's (or postsuper's) `removed` and a second `client=`/`uid=` start also opens
a new one, so a queue id that Postfix reuses days later is a new hop, not more lines of the old one. Python
only links the hops (a delivery's `queued as NEWID`, amavis's `queued_as: NEWID`, bounce's `notification:
NEWID`) and assembles each message: envelope, message-id, hops, every delivery attempt, each recipient's
final status. The CLI (`logwarden mail`), the API and the UI call `mail_flows`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime
from typing import Any

from logwarden.correlate.mail_assemble import assemble, matches
from logwarden.errors import UsageError
from logwarden.query.params import plain_value
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

DERIVED = ("incomplete", "removed", "blocked")  # message states no single record carries: every message is a candidate
SEED_RECORDS = 50  # with a limit: records read first per message wanted
WIDEN = 4  # reads, each 8 times wider, before a limited search settles for fewer messages
MAX_ROUNDS = 6  # how far links (content filter, bounce) are followed from the messages found
MAX_IDS = 100_000  # queue ids read at once; more is a query too wide to show as messages

def _iso(column: str) -> str:
    """Engine time (UTC) as ISO 8601 text with Z, which also sorts as time."""
    return f"concat(replaceOne(toString({column}), ' ', 'T'), 'Z')"


# A hop per (host, queue id, generation): g1 counts the removals before a record, g2 the transaction starts
# (smtpd client=, pickup uid=) since the last removal. Records are taken in file order (origin, seq), files
# oldest first (by their first record here): a line's own time may be wrong (a clock step, a year guessed).
_HOPS = f"""
SELECT host, qid, g1, g2, {_iso('min(ts)')} AS first, {_iso('max(ts)')} AS last,
       arraySort(x -> (x.10, x.2, x.3), groupArray(({_iso('ts')}, origin, seq, service, status, raw, fields,
                                                    client_ip, user, ofirst))) AS events
FROM (
    SELECT *, greatest(sum(is_start) OVER (PARTITION BY host, qid, g1 ORDER BY ofirst, origin, seq
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 1) AS g2
    FROM (
        SELECT *, sum(is_removed) OVER (PARTITION BY host, qid ORDER BY ofirst, origin, seq
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS g1
        FROM (
            SELECT ts, origin, seq, host, service, status, raw, fields, client_ip, user, fields['queue_id'] AS qid,
                   min(ts) OVER (PARTITION BY origin) AS ofirst,
                   toUInt32(fields['daemon'] IN ('smtpd', 'pickup')
                            AND (position(raw, ': client=') > 0 OR position(raw, ': uid=') > 0)) AS is_start,
                   toUInt32(fields['daemon'] IN ('qmgr', 'postsuper') AND endsWith(raw, ': removed')) AS is_removed
            FROM {DB}.events
            WHERE fields['queue_id'] IN {{ids:Array(String)}} {{tokens}}
        )
    )
)
GROUP BY host, qid, g1, g2
ORDER BY first, host, qid
"""

# Queue ids that link to the given ones: their deliveries were queued as one of them, or bounced into one.
_BACK = f"""
SELECT DISTINCT fields['queue_id'] AS q FROM {DB}.events
WHERE fields['queue_id'] != '' AND (fields['queued_as'] IN {{ids:Array(String)}}
                                    OR fields['notification_id'] IN {{ids:Array(String)}}) {{tokens}}
"""
TOKEN_IDS = 64  # up to this many ids, the text index on raw narrows the read to the records naming one
_ALNUM = re.compile(r"[0-9A-Za-z]+")


def _by_ids(sql: str, ids: set[str]) -> tuple[str, dict[str, Any]]:
    """`sql` for these queue ids; when they are few, narrowed first by the text index (a record that carries
    a queue id holds it as a word of its text)."""
    params: dict[str, Any] = {"ids": sorted(ids)}
    tokens = ""
    if len(ids) <= TOKEN_IDS and all(_ALNUM.fullmatch(q) for q in ids):
        params.update({f"t{i}": q.lower() for i, q in enumerate(sorted(ids))})
        tokens = "AND (" + " OR ".join(f"hasToken(lower(raw), {{t{i}:String}})" for i in range(len(ids))) + ")"
    return sql.replace("{tokens}", tokens), params


def _time_sql(time_from: datetime | None, time_to: datetime | None, params: dict[str, Any]) -> str:
    sql = ""
    if time_from is not None:
        params["tf"] = plain_value(time_from)
        sql += " AND ts >= toDateTime64({tf:String}, 6, 'UTC')"
    if time_to is not None:
        params["tt"] = plain_value(time_to)
        sql += " AND ts < toDateTime64({tt:String}, 6, 'UTC')"
    return sql


def _seeds(store: Store, crit: dict[str, Any], time_from: datetime | None, time_to: datetime | None,
           cap: int | None) -> list[dict[str, Any]]:
    """Records that a message must contain to be shown: (queue id, ts). The most selective criterion picks
    them in the engine; the others are checked on whole messages afterwards."""
    params: dict[str, Any] = {}
    where = "fields['queue_id'] != ''" + _time_sql(time_from, time_to, params)
    primary = _primary(crit)
    if primary == "queue_id":
        params["q"] = crit["queue_id"]
        where += (" AND (fields['queue_id'] = {q:String} OR fields['queued_as'] = {q:String}"
                  " OR fields['notification_id'] = {q:String})")
        if _ALNUM.fullmatch(crit["queue_id"]):
            params["qt"] = crit["queue_id"].lower()
            where += " AND hasToken(lower(raw), {qt:String})"
    elif primary == "message_id":
        params["m"] = crit["message_id"]
        where += " AND fields['message_id'] = {m:String}"
    elif primary == "recipient":
        params["r"] = crit["recipient"].lower()
        where += " AND (lower(fields['to']) = {r:String} OR lower(fields['orig_to']) = {r:String})"
    elif primary == "sender":
        params["s"] = crit["sender"].lower()
        where += " AND position(raw, 'from=<') > 0 AND lower(fields['from']) = {s:String}"
    elif primary == "query":
        return _query_seeds(store, crit["query"], time_from, time_to, cap)
    elif primary == "status" and crit["status"] not in DERIVED:
        params["st"] = crit["status"]
        where += " AND status = {st:String}"
    sql = (f"SELECT fields['queue_id'] AS qid, host, {_iso('ts')} AS at FROM {DB}.events WHERE {where} "
           "ORDER BY ts DESC")
    if cap:
        sql += f" LIMIT {int(cap)}"
    return store.rows(sql, params)


def _query_seeds(store: Store, text: str, time_from: datetime | None, time_to: datetime | None,
                 cap: int | None) -> list[dict[str, Any]]:
    from logwarden.query import QuerySyntaxError, compile_query

    try:
        compiled = compile_query(text, time_from=time_from, time_to=time_to, extra_where="fields['queue_id'] != ''",
                                 limit=int(cap) if cap else None)
    except QuerySyntaxError as exc:
        raise UsageError(str(exc)) from None
    if compiled.kind != "events":
        raise UsageError("`mail` takes a filter, not a stats query: drop the `| stats …` pipe")
    sql = f"SELECT fields['queue_id'] AS qid, host, {_iso('ts')} AS at FROM ({compiled.sql})"
    return store.rows(sql, compiled.params)


def _primary(crit: dict[str, Any]) -> str | None:
    """The criterion the engine picks candidate records by (the most selective one given)."""
    for name in ("queue_id", "message_id", "recipient", "sender", "query", "status"):
        if crit.get(name) is not None:  # only the sender may be empty: <> is the null sender of bounces
            return name
    return None


def fetch_hops(store: Store, ids: set[str]) -> list[dict[str, Any]]:
    """Every hop (host, queue id, generation) of these queue ids, with its records in order."""
    if not ids:
        return []
    return store.rows(*_by_ids(_HOPS, ids))


def _linked(store: Store, hops: list[dict[str, Any]], known: set[str]) -> set[str]:
    """Queue ids one link away from these hops that are not known yet, forwards and backwards."""
    ahead = {ev[6].get(key, "") for hop in hops for ev in hop["events"] for key in ("queued_as", "notification_id")}
    back = {row["q"] for row in store.rows(*_by_ids(_BACK, known))} if known else set()
    return {q for q in ahead | back if q} - known


_SESSIONS = f"""
SELECT origin, seq, fields['pid'] AS pid, {_iso('ts')} AS at, position(raw, ']: connect from ') > 0 AS connect,
       extract(raw, ' TLS connection established from [^:]*: (.*)$') AS tls
FROM {DB}.events
WHERE has({{origins:Array(String)}}, origin) AND has({{pids:Array(String)}}, fields['pid'])
  AND fields['daemon'] = 'smtpd' AND (hasToken(lower(raw), 'connect') OR hasToken(lower(raw), 'tls'))
  AND (position(raw, ']: connect from ') > 0 OR position(raw, ' TLS connection established from ') > 0)
ORDER BY origin, seq
"""


def _sessions(store: Store, messages: list[dict[str, Any]]) -> None:
    """Each smtpd client's session: the time of its `connect from` and its TLS line, found like collate.pl
    does, by the smtpd pid in the same file before the `client=` record."""
    clients = [hop["client"] for m in messages for hop in m["hops"] if hop["client"] and hop["client"]["pid"]]
    if not clients:
        return
    rows = store.rows(_SESSIONS, {"origins": sorted({c["origin"] for c in clients}),
                                  "pids": sorted({c["pid"] for c in clients})})
    by_pid: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:  # in file order
        by_pid.setdefault((row["origin"], row["pid"]), []).append(row)
    seqs = {key: [int(r["seq"]) for r in items] for key, items in by_pid.items()}
    for client in clients:
        key = (client["origin"], client["pid"])
        items = by_pid.get(key, [])
        k = bisect_left(seqs.get(key, []), int(client["seq"])) - 1  # the last session line before client=
        tls = ""
        while k >= 0 and not items[k]["connect"]:
            tls = items[k]["tls"] or tls
            k -= 1
        if k >= 0:
            client["connect"], client["tls"] = items[k]["at"], tls


def _messages(store: Store, crit: dict[str, Any], seeds: list[dict[str, Any]], time_from: datetime | None,
              time_to: datetime | None) -> list[dict[str, Any]]:
    """The messages that hold the seed records, every criterion checked, newest first."""
    ids = {row["qid"] for row in seeds}
    if len(ids) > MAX_IDS:
        raise UsageError(f"{len(ids)} queue ids match; narrow the search (a time range, --from, --to or a query)")
    hops = fetch_hops(store, ids)
    for _ in range(MAX_ROUNDS):
        more = _linked(store, hops, ids)
        if not more:
            break
        ids |= more
        hops += fetch_hops(store, more)
    messages = assemble(hops)
    hits = None
    if crit["query"]:
        query_rows = seeds if _primary(crit) == "query" else _query_seeds(store, crit["query"], time_from, time_to, None)
        hits = {}
        for row in query_rows:
            hits.setdefault((row["host"], row["qid"]), []).append(row["at"])
    found = [m for m in messages if matches(m, crit, hits, time_from, time_to)]
    found.sort(key=lambda m: m["first"], reverse=True)
    return found


def mail_flows(store: Store, *, query: str | None = None, message_id: str | None = None,
               queue_id: str | None = None, sender: str | None = None, recipient: str | None = None,
               status: str | None = None, time_from: datetime | None = None, time_to: datetime | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    """Messages (newest first) that match every given criterion; see docs/correlation.md, "Mail flow"."""
    crit = {"query": query or None, "message_id": (message_id or "").strip().strip("<>") or None,
            "queue_id": (queue_id or "").strip() or None, "sender": sender.strip().strip("<>") if sender is not None else None,
            "recipient": (recipient or "").strip().strip("<>") or None, "status": (status or "").strip() or None}
    # With a limit, the newest SEED_RECORDS records per message wanted are read first, and more when the
    # messages they make do not all match (a deferral later sent, a filter checked on the whole message).
    cap = limit * SEED_RECORDS if limit else None
    for _ in range(WIDEN):
        seeds = _seeds(store, crit, time_from, time_to, cap)
        found = _messages(store, crit, seeds, time_from, time_to)
        if cap is None or len(found) >= (limit or 0) or len(seeds) < cap:
            break
        cap *= 8
    found = found[:limit] if limit else found
    _sessions(store, found)
    return found
