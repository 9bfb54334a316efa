"""Assembling messages from hops: the records of one queue id's life, grouped by the engine (mail.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from logwarden.query.paging import event_id

AGENTS = {"discard", "error", "lmtp", "local", "pipe", "smtp", "virtual"}
# Worst first: the status a message with several outcomes is summed up by.
ORDER = ("reject", "milter-reject", "proxy-reject", "blocked", "bounced", "expired", "undeliverable", "deferred", "hold",
         "discard", "incomplete", "sent", "deliverable", "removed")
REFUSED = {"reject", "milter-reject", "proxy-reject", "discard"}  # actions that end a recipient's way
LINK_WINDOW = timedelta(minutes=10)  # a re-injected or bounce hop starts this close to the line naming it
_NOTIFY = re.compile(r"^\w+: (.*?) notification: \w+$")
_VERDICT = re.compile(r"\) (Passed|Blocked) ([A-Z-]+)")


def to_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z"))


def _message(raw: str) -> str:
    """The text after `program[pid]: ` (the records are syslog lines)."""
    _, sep, rest = raw.partition("]: ")
    return rest if sep else raw


def _hop(row: dict[str, Any]) -> dict[str, Any]:
    qid = row["qid"]
    hop: dict[str, Any] = {
        "host": row["host"], "queue_id": qid, "first": row["first"], "last": row["last"], "instance": "",
        "start": row["events"][0][0],  # its first record in file order: links are looked for around it
        "client": None, "pickup": None, "message_id": None, "from": None, "size": None, "nrcpt": None,
        "deliveries": [], "actions": [], "notifications": [], "filter": [], "expired": False, "removed": False,
        "records": len(row["events"]), "next": [], "prev": None,
        "lines": [{"id": event_id({"ts": ev[0].replace("T", " ").removesuffix("Z"), "seq": ev[2], "origin": ev[1]}),
                   "ts": ev[0], "service": ev[3], "raw": ev[5]} for ev in row["events"]],
    }
    for ts, origin, seq, service, status, raw, f, client_ip, user, _ofirst in row["events"]:
        daemon = f.get("daemon", "")
        msg = _message(raw)
        hop["instance"] = hop["instance"] or f.get("instance", "")
        if daemon == "smtpd" and "client=" in msg and hop["client"] is None:
            hop["client"] = {"ts": ts, "host": f.get("client_host", ""), "ip": client_ip,
                             "port": f.get("client_port", ""), "sasl_username": user,
                             "service": service, "pid": f.get("pid", ""), "origin": origin, "seq": seq,
                             "connect": None, "tls": ""}
        elif daemon == "pickup" and " uid=" in msg:
            hop["pickup"] = {"ts": ts, "uid": f.get("uid", ""), "from": f.get("from", "")}
        elif daemon == "cleanup" and "message_id" in f and hop["message_id"] is None:
            hop["message_id"] = f["message_id"]
        elif daemon == "qmgr" and "from=<" in msg:
            hop["from"] = f.get("from", "")
            hop["size"] = int(f["size"]) if f.get("size") else hop["size"]
            hop["nrcpt"] = int(f["nrcpt"]) if f.get("nrcpt") else hop["nrcpt"]
            hop["expired"] = hop["expired"] or status == "expired"
        elif (daemon in AGENTS or daemon == "qmgr") and "to" in f and status:  # qmgr: `delivery temporarily suspended`
            hop["deliveries"].append({
                "ts": ts, "agent": daemon, "service": service, "to": f.get("to", ""), "orig_to": f.get("orig_to", ""),
                "relay": f.get("relay", ""), "delay": f.get("delay", ""), "delays": f.get("delays", ""),
                "dsn": f.get("dsn", ""), "status": status, "reason": f.get("reason", ""),
                "queued_as": f.get("queued_as", ""), "next": None})
        elif daemon == "bounce" and f.get("notification_id"):
            kind = _NOTIFY.match(msg)
            hop["notifications"].append({"ts": ts, "kind": kind.group(1) if kind else "", "queue_id": f["notification_id"],
                                         "status": None})
        elif "Queue-ID: " in msg and (f.get("queued_as") or _VERDICT.search(msg)):
            # amavis: `Passed CLEAN … Queue-ID: A … queued_as: B`, or `Blocked SPAM … Queue-ID: A` (not passed on)
            verdict = _VERDICT.search(msg)
            hop["filter"].append({"ts": ts, "service": service, "verdict": " ".join(verdict.groups()) if verdict else "",
                                  "queued_as": f.get("queued_as", ""), "next": None})
        if f.get("action") and status:
            hop["actions"].append({"ts": ts, "daemon": daemon, "action": status, "reason": f.get("reason", ""),
                                   "dsn": f.get("dsn", ""), "from": f.get("from", ""), "to": f.get("to", "")})
            if hop["from"] is None and "from=<" in msg:
                hop["from"] = f.get("from", "")
        if daemon in ("qmgr", "postsuper") and msg.endswith(": removed"):
            hop["removed"] = True
    return hop


def _nearest(hops: list[dict[str, Any]], host: str, ts: str) -> dict[str, Any] | None:
    at = to_datetime(ts)
    near = [h for h in hops if abs(to_datetime(h["start"]) - at) <= LINK_WINDOW]
    near.sort(key=lambda h: (h["host"] != host, abs(to_datetime(h["start"]) - at)))
    return near[0] if near else None


def _link(hops: list[dict[str, Any]]) -> None:
    by_qid: dict[str, list[dict[str, Any]]] = {}
    for hop in hops:
        by_qid.setdefault(hop["queue_id"], []).append(hop)
    for hop in hops:
        for item in hop["deliveries"] + hop["filter"]:
            target = _nearest(by_qid.get(item["queued_as"], []), hop["host"], item["ts"]) if item["queued_as"] else None
            if target is None or target is hop:
                continue
            if target["prev"] is None:
                target["prev"] = hop
                hop["next"].append(target)
            if target["prev"] is hop:
                item["next"] = target["queue_id"]
        for note in hop["notifications"]:
            target = _nearest(by_qid.get(note["queue_id"], []), hop["host"], note["ts"])
            if target is not None:
                target["notification_of"] = hop
                note["hop"] = target


def _chain(root: dict[str, Any]) -> list[dict[str, Any]]:
    out, todo = [], [root]
    while todo:
        hop = todo.pop(0)
        if any(hop is seen for seen in out):
            continue
        out.append(hop)
        todo.extend(hop["next"])
    return out


def _recipients(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each recipient's last attempt, later hops (after a content filter) overriding earlier ones. A recipient
    refused by smtpd, cleanup or a milter (`QID: reject: RCPT … to=<x>`) has that action as its status."""
    final: dict[str, dict[str, Any]] = {}
    for hop in chain:
        refused = [{"ts": a["ts"], "to": a["to"], "orig_to": "", "status": a["action"], "dsn": a["dsn"], "relay": "",
                    "delay": "", "delays": "", "reason": a["reason"], "agent": a["daemon"], "next": None}
                   for a in hop["actions"] if a["to"] and a["action"] in REFUSED]
        for d in sorted(hop["deliveries"] + refused, key=lambda d: d["ts"]):
            key = d["to"].lower()
            rec = final.setdefault(key, {"to": d["to"], "orig_to": "", "attempts": 0, "hops": []})
            if hop["queue_id"] not in rec["hops"]:
                rec["hops"].append(hop["queue_id"])
                rec["attempts"] = 0  # attempts of the hop that holds the final status
            rec["attempts"] += 1
            rec.update({k: d[k] for k in ("status", "dsn", "relay", "delay", "delays", "reason", "ts", "agent")})
            rec["orig_to"] = d["orig_to"] or rec["orig_to"]
            rec["queue_id"] = hop["queue_id"]
            rec["handed_to"] = d["next"]
    return list(final.values())


def _summary(statuses: set[str]) -> str:
    ranked = [s for s in ORDER if s in statuses] + sorted(statuses - set(ORDER))
    return ranked[0] if ranked else ""


def _public(hop: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in hop.items() if k not in ("next", "prev", "notification_of")}
    out["next"] = [h["queue_id"] for h in hop["next"]]
    out["prev"] = hop["prev"]["queue_id"] if hop["prev"] else None
    out["notifications"] = [{k: v for k, v in n.items() if k != "hop"} for n in hop["notifications"]]
    return out


def _merge_strays(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with no Postfix record (an opendkim or amavis line only, e.g. a copy of a line in mail.warn that
    sorts after `removed` in the same second) join the nearest row of the same queue id, or are left out."""
    keep = [r for r in rows if any(ev[6].get("daemon") for ev in r["events"])]
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in keep:
        by_key.setdefault((row["host"], row["qid"]), []).append(row)
    for row in rows:
        if any(ev[6].get("daemon") for ev in row["events"]):
            continue
        at = to_datetime(row["first"])
        near = [r for r in by_key.get((row["host"], row["qid"]), []) if abs(to_datetime(r["first"]) - at) <= LINK_WINDOW
                or abs(to_datetime(r["last"]) - at) <= LINK_WINDOW]
        if not near:  # another program's lines alone are not a message
            continue
        into = min(near, key=lambda r: min(abs(to_datetime(r["first"]) - at), abs(to_datetime(r["last"]) - at)))
        into["events"] = sorted(into["events"] + row["events"], key=lambda ev: (ev[9], ev[1], ev[2]))
        into["first"], into["last"] = min(into["first"], row["first"]), max(into["last"], row["last"])
    return keep


def assemble(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages from hop rows: a root hop (no hop re-injected it) and the hops that follow it."""
    hops = [_hop(row) for row in _merge_strays(rows)]
    _link(hops)
    messages = []
    for root in (h for h in hops if h["prev"] is None):
        chain = _chain(root)
        recipients = _recipients(chain)
        statuses = {r["status"] for r in recipients}
        statuses |= {a["action"] for h in chain for a in h["actions"]}
        if any(h["expired"] for h in chain):
            statuses.add("expired")
        if any(flt["verdict"].startswith("Blocked") for h in chain for flt in h["filter"]):
            statuses.add("blocked")  # the content filter kept it: the handoff's `sent` is not a delivery
        if not statuses:
            statuses.add("removed" if chain[-1]["removed"] else "incomplete")
        parent = root.get("notification_of")
        messages.append({
            "host": root["host"], "queue_id": root["queue_id"], "queue_ids": [h["queue_id"] for h in chain],
            "message_id": next((h["message_id"] for h in chain if h["message_id"]), None),
            "from": next((h["from"] for h in chain if h["from"] is not None),
                         root["pickup"]["from"] if root["pickup"] else None),
            "size": root["size"], "nrcpt": root["nrcpt"], "client": root["client"], "pickup": root["pickup"],
            "first": min(h["first"] for h in chain), "last": max(h["last"] for h in chain),
            "status": _summary(statuses), "statuses": sorted(statuses), "recipients": recipients,
            "content_filter": len(chain) > 1,
            "notification_of": {"host": parent["host"], "queue_id": parent["queue_id"]} if parent else None,
            "hops": [_public(h) for h in chain],
            "_chain": chain,
        })
    for msg in messages:  # a bounce notification's outcome, on the message that caused it
        for hop, public in zip(msg.pop("_chain"), msg["hops"], strict=True):
            for note, out in zip(hop["notifications"], public["notifications"], strict=True):
                target = note.get("hop")
                if target is not None:
                    done = [d["status"] for d in target["deliveries"]]
                    out["status"] = done[-1] if done else None
    return messages


def matches(msg: dict[str, Any], crit: dict[str, Any], query_hits: dict[tuple[str, str], list[str]] | None,
            time_from: datetime | None, time_to: datetime | None) -> bool:
    """Whether a message meets every criterion (the engine picked candidates by one of them). `query_hits`:
    the times of the records a query matched, by (host, queue id); a message must hold one of them."""
    hops = msg["hops"]
    if crit.get("queue_id") and not any(
            h["queue_id"] == crit["queue_id"] or any(d["queued_as"] == crit["queue_id"] for d in h["deliveries"])
            for h in hops):
        return False
    if crit.get("message_id") and not any(h["message_id"] == crit["message_id"] for h in hops):
        return False
    if crit.get("sender") is not None and not any((h["from"] or "").lower() == crit["sender"].lower()
                                                  for h in hops if h["from"] is not None):
        return False
    wanted = (crit.get("recipient") or "").lower()
    if wanted and not any(wanted in (r["to"].lower(), r["orig_to"].lower()) for r in msg["recipients"]):
        return False
    if crit.get("status") and crit["status"] not in msg["statuses"]:
        return False
    if query_hits is not None and not any(
            hop["first"] <= ts <= hop["last"] for hop in hops for ts in query_hits.get((hop["host"], hop["queue_id"]), ())):
        return False
    if time_from is not None and to_datetime(msg["last"]) < time_from:
        return False
    return not (time_to is not None and to_datetime(msg["first"]) >= time_to)

