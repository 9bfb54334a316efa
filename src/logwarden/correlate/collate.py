"""Postfix transactions grouped the way Postfix's own `auxiliary/collate/collate.pl` groups them.

The engine reads every stored line the way collate.pl's regexes do (instance, daemon, pid, the queue id and
what kind of line it is for that daemon) and returns only the lines collate.pl acts on, in storage order
(origin, seq). Python then runs collate.pl's state machine over that stream, which cannot be expressed as a
grouping: lines of an smtpd session are held per pid until a `client=` line names the queue id, smtp/lmtp
lines per pid until a `to=` line, a transaction is printed as soon as qmgr logs `removed`, and whatever is
left is printed at the end in the order each queue id was first seen. The output is byte for byte what
`perl collate.pl FILE` prints for the same file.

Several stored files are read as one stream, oldest file first (as `collate.pl mail.log.1 mail.log`). A file's
last line printed without a newline when the file had none is known from the ingest bookkeeping (bytes read).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

# collate.pl's $instre and $cmdpidre as one RE2 pattern: the instance, then the daemon after the last `/` of
# the program token, `[pid]:` and the whitespace after it; group 4 is the rest of the line (Perl's \G position).
HEAD = r"^(?:\S+\s+){3}\S+\s+(postfix(?:-[^/\s]+)?)(?:/\S+)*/([^\s/]+)\[(\d+)\]:\s+(.*)$"
AGENTS = ("discard", "error", "local", "pipe", "virtual")  # smtp and lmtp have their own rule

# The kind of a line, and the queue id (and bounce's new id) collate.pl reads from it; lines it ignores are
# dropped in the engine. `r` is the rest of the line after `daemon[pid]: `. The regexes read toValidUTF8(line):
# the engine's RE2 matches nothing on a byte that is not UTF-8, where Perl's `\S` or `.` match any byte; the
# replacement character behaves as Perl does on such a byte (not `\w`, not `\s`), and the line is printed as stored.
_KIND = f"""multiIf(
    d = 'smtpd', multiIf(startsWith(r, 'connect from '), 'connect',
                         match(r, '^\\\\w+: client='), 'client',
                         startsWith(r, 'disconnect from'), 'disconnect', 'smtpd'),
    d = 'pickup', if(match(r, '^\\\\w+: uid='), 'pickup', ''),
    d = 'cleanup', if(match(r, '^\\\\w+: '), 'cleanup', ''),
    d = 'qmgr', multiIf(match(r, '^\\\\w+: removed$'), 'removed', match(r, '^\\\\w+: '), 'qmgr', ''),
    d IN ('smtp', 'lmtp'), if(match(r, '^\\\\w+: to='), 'smtp_to', 'smtp'),
    d = 'bounce', if(match(r, '^\\\\w+: .*? notification: \\\\w+$'), 'bounce', ''),
    d IN {AGENTS!r}, if(match(r, '^\\\\w+: to='), 'agent', ''),
    '')"""

_SQL = f"""
SELECT line, inst, pid, kind,
       if(kind IN ('connect', 'disconnect', 'smtpd', 'smtp'), '', extract(r, '^(\\\\w+): ')) AS qid,
       if(kind = 'bounce', extract(r, ' notification: (\\\\w+)$'), '') AS newid,
       n = nl AND has({{bare:Array(String)}}, concat(origin, '#', toString(seq))) AS bare
FROM (
    SELECT origin, seq, n, nl, line, g[1] AS inst, g[2] AS d, g[3] AS pid, g[4] AS r, {_KIND} AS kind,
           indexOf({{names:Array(String)}}, origin) AS origin_rank
    FROM (
        SELECT origin, seq, line, n, length(splitByChar('\\n', raw)) AS nl,
               extractGroups(toValidUTF8(line), {{head:String}}) AS g
        FROM {DB}.events
        ARRAY JOIN splitByChar('\\n', raw) AS line, arrayEnumerate(splitByChar('\\n', raw)) AS n
        WHERE position(raw, 'postfix') > 0 AND has({{names:Array(String)}}, origin)
    )
    WHERE length(g) = 4
)
WHERE kind != ''
ORDER BY origin_rank, origin, seq, n
"""


def stored_origin(store: Store, candidates: Sequence[str]) -> str | None:
    """The first of `candidates` (a path as typed, the same path made absolute…) that is a stored origin."""
    for candidate in candidates:
        if store.value(f"SELECT count() AS n FROM {DB}.events WHERE origin = {{o:String}}", {"o": candidate}):
            return candidate
    return None


def _origin_order(store: Store, origin: str | None) -> list[str]:
    """Stored files, oldest first (a rotated mail.log.1 before mail.log), as collate.pl reads `FILE...`."""
    sql = (f"SELECT origin, min(ts) AS first FROM {DB}.events WHERE position(raw, 'postfix') > 0"
           + (" AND origin = {o:String}" if origin is not None else "") + " GROUP BY origin ORDER BY first, origin")
    rows = store.rows(sql, {"o": origin} if origin is not None else None)
    return [row["origin"] for row in rows]


def _unterminated(store: Store, origins: list[str]) -> list[str]:
    """`origin#seq` of the last record of each file that ended without a newline: the bytes read (the file's
    ingest bookkeeping) are one less than its records and their newlines."""
    rows = store.rows(
        f"""SELECT e.origin AS origin, e.last AS last FROM
            (SELECT origin, sum(length(raw) + 1) AS bytes, max(seq) AS last FROM {DB}.events
             WHERE has({{names:Array(String)}}, origin) GROUP BY origin) AS e
            INNER JOIN (SELECT origin, argMax(offset, at) AS offset FROM {DB}.files
                        WHERE state = 'done' AND has({{names:Array(String)}}, origin) GROUP BY origin) AS f
            ON e.origin = f.origin
            WHERE f.offset + 1 = e.bytes""", {"names": origins})
    return [f"{row['origin']}#{row['last']}" for row in rows]


def collate_lines(store: Store, origin: str | None = None) -> Iterator[dict[str, Any]]:
    """The lines collate.pl acts on, classified by the engine, in the order it would read them. `bare`: the
    file's last line, which had no newline."""
    names = _origin_order(store, origin)
    if names:
        yield from store.stream(_SQL, {"head": HEAD, "names": names, "bare": _unterminated(store, names)})


class _Collator:
    """collate.pl's hashes and its main loop body, one line at a time."""

    def __init__(self) -> None:
        self.smtpd: dict[str, dict[str, str]] = {}  # pid -> {"log": lines since connect, "qid": its queue id}
        self.smtp: dict[str, str] = {}  # pid -> smtp/lmtp lines before the next `to=`
        self.transaction: dict[str, str] = {}
        self.seqno: dict[str, int] = {}
        self.i = 0

    def _seq(self, qid: str, *, keep: bool) -> None:
        if not (keep and qid in self.seqno):
            self.i += 1
            self.seqno[qid] = self.i

    def feed(self, row: dict[str, Any]) -> str | None:
        """Take one line; return a finished transaction when this line completes one."""
        line, kind, pid = row["line"] + ("" if row["bare"] else "\n"), row["kind"], row["pid"]
        inst = row["inst"]
        qid = f"{inst}/{row['qid']}"
        tx = self.transaction
        if kind in ("connect", "client", "disconnect", "smtpd"):
            if kind == "connect":
                self.smtpd.setdefault(pid, {})["log"] = line
                return None
            session = self.smtpd.setdefault(pid, {})
            session["log"] = session.get("log", "") + line
            if kind == "client":
                session["qid"] = qid
                tx[qid] = session["log"]
                self._seq(qid, keep=False)
                return None
            current = session.get("qid")
            if current is not None and current in tx:
                tx[current] += line
            if kind == "disconnect":
                del self.smtpd[pid]
        elif kind == "pickup":
            tx[qid] = line
            self._seq(qid, keep=False)
        elif kind == "cleanup":
            tx[qid] = tx.get(qid, "") + line
            self._seq(qid, keep=True)
        elif kind in ("qmgr", "removed"):
            if qid in tx:
                tx[qid] += line
                if kind == "removed":
                    return tx.pop(qid)
        elif kind in ("smtp", "smtp_to"):
            self.smtp[pid] = self.smtp.get(pid, "") + line
            if kind == "smtp_to":
                if qid in tx:
                    tx[qid] += self.smtp[pid]
                del self.smtp[pid]
        elif kind == "bounce":
            newid = f"{inst}/{row['newid']}"
            if qid in tx:
                tx[qid] += line
            tx[newid] = line + tx.get(newid, "")
            self._seq(newid, keep=True)
        elif kind == "agent" and qid in tx:
            tx[qid] += line
        return None

    def leftovers(self) -> Iterator[str]:
        """Transactions never removed, in the order their queue ids were (last) numbered."""
        for qid in sorted(self.transaction, key=lambda q: self.seqno[q]):
            yield self.transaction[qid]


def collate(store: Store, origin: str | None = None) -> Iterator[str]:
    """Each Postfix transaction as collate.pl prints it: its lines, each ending in a newline. Print every
    block followed by one more newline (collate.pl's `print $block, "\\n"`)."""
    state = _Collator()
    for row in collate_lines(store, origin):
        done = state.feed(row)
        if done is not None:
            yield done
    yield from state.leftovers()
