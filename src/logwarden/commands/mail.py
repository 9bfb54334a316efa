"""`logwarden mail`: each Postfix message's path (client, hops, content filter, deliveries, bounces);
`logwarden mail --collate`: the stored transactions as Postfix's collate.pl prints them."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from logwarden import settings

STATUSES = ("sent", "deferred", "bounced", "expired", "reject", "milter-reject", "blocked", "hold", "discard",
            "incomplete", "removed")


def register(cli: Any) -> None:
    from logwarden.cli import Context, _check_zone, _errors

    @cli.command()
    @click.argument("query", nargs=-1)
    @click.option("--message-id", default=None, help="the Message-ID header, with or without <>")
    @click.option("--queue-id", default=None, help="a Postfix queue id (any hop, or a relay's `queued as`)")
    @click.option("--from", "sender", default=None, help="envelope sender address (`<>` or '' for bounces)")
    @click.option("--to", "recipient", default=None, help="recipient address (final or original)")
    @click.option("--status", default=None, type=click.Choice(STATUSES),
                  help="messages with a recipient (or an action) in this state")
    @click.option("--since", default=None, help="a span back from now: 30m, 2h, 7d")
    @click.option("--start", default=None, help="start time (ISO 8601; zone from --timezone)")
    @click.option("--end", default=None, help="end time, exclusive")
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0),
                  help="messages to show, newest first (0: all)")
    @click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.option("--timezone", default=None, help=settings.TIMEZONE.help)
    @click.option("--records", "show_records", is_flag=True,
                  help="text output: under each message, its stored records hop by hop, as logged")
    @click.option("--collate", is_flag=True,
                  help="print every stored Postfix transaction as collate.pl does (other filters do not apply)")
    @click.option("--origin", default=None, help="with --collate: only this stored file (its path as ingested)")
    @click.pass_obj
    @_errors
    def mail(obj: Context, query: tuple[str, ...], message_id: str | None, queue_id: str | None,
             sender: str | None, recipient: str | None, status: str | None, since: str | None,
             start: str | None, end: str | None, limit: int, output: str, timezone: str | None,
             show_records: bool, collate: bool, origin: str | None) -> None:
        """Reconstruct mail flow from Postfix / Zimbra MTA records: per message the client, message-id,
        envelope, every hop (content filter re-injection, bounce notifications) and each recipient's
        final status with relay, delay and dsn. QUERY is a filter in the query language (docs/query.md)
        over the records of the message.

        Путь письма по журналам Postfix/Zimbra: клиент, message-id, отправитель, все этапы (контент-фильтр,
        уведомления о недоставке) и итог по каждому получателю. Exits 1 when no message matches."""
        from logwarden.errors import UsageError
        from logwarden.timeparse import time_range

        filters = query or message_id or queue_id or sender is not None or recipient or status or since or start or end
        if collate and filters:
            raise UsageError("--collate prints every stored transaction as collate.pl does; it takes no filters "
                             "(use --origin FILE for one file)")
        if origin is not None and not collate:
            raise UsageError("--origin goes with --collate; to pick messages use a query such as 'origin:\"FILE\"'")
        if collate:
            _collate(obj, origin)
            return
        tz = settings.timezone(timezone)
        _check_zone(tz)
        lo, hi = time_range(since, start, end, tz)
        from logwarden.client import local_server
        from logwarden.commands.trace import server_params
        from logwarden.correlate.mail import mail_flows

        if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: ask it
            params = server_params(lo, hi, q=" ".join(query) or None, message_id=message_id, queue_id=queue_id,
                                   recipient=recipient, status=status, _size=limit or 10_000)
            if sender is not None:
                params["sender"] = sender  # '' (bounces) is a value here
            messages = srv.request("GET", "/api/v1/mail/flows", params=params)["messages"]
        else:
            with obj.store("mail") as store:
                messages = mail_flows(store, query=" ".join(query) or None, message_id=message_id,
                                      queue_id=queue_id, sender=sender, recipient=recipient, status=status,
                                      time_from=lo, time_to=hi, limit=limit or None)
        from logwarden.output import valid_text

        if output == "json":
            click.echo(json.dumps(valid_text(messages), ensure_ascii=False, indent=1))
        else:
            for msg in messages:
                click.echo(render(valid_text(msg), tz, show_records))
        if not messages:
            click.echo("logwarden: no Postfix message matches; check the filters, or ingest the mail log first",
                       err=True)
            sys.exit(1)


def _collate(obj: Any, origin: str | None) -> None:
    from logwarden.client import local_server
    from logwarden.correlate.collate import collate, stored_origin

    out = sys.stdout.buffer
    if (srv := local_server(obj.data_dir)) is not None:  # a server owns the directory: it collates
        for chunk in srv.stream_bytes("/api/v1/mail/collate",
                                      params={"origin": _candidates(origin)} if origin is not None else None):
            out.write(chunk)
        out.flush()
        return
    with obj.store("mail") as store:
        if origin is not None:
            origin = stored_origin(store, _candidates(origin)) or _no_such_origin(origin)
        for block in collate(store, origin):
            out.write(block.encode("utf-8", "surrogateescape") + b"\n")
    out.flush()


def _candidates(origin: str) -> list[str]:
    """What a user may mean by a stored file: the path as ingested, or that path made absolute."""
    from pathlib import Path

    return [origin, str(Path(origin).expanduser().resolve())]


def _no_such_origin(origin: str) -> NoReturn:
    from logwarden.errors import UsageError

    raise UsageError(f"no stored file {origin!r}; give the path as it was ingested "
                     "(`logwarden search '*' --output json` shows each record's origin)")


def _addr(value: str | None) -> str:
    return "?" if value is None else f"<{value}>"


def render(msg: dict[str, Any], tz: str = "UTC", records: bool = False) -> str:
    """A message as a few readable lines, times in the zone `tz`; `records`: then its raw records per hop."""
    head = f"{_t(msg['first'], tz)} … {_t(msg['last'], tz)}  {msg['host']}  {' → '.join(msg['queue_ids'])}"
    lines = [f"{head}  {msg['status']}"]
    size = f"  size {msg['size']}" if msg["size"] is not None else ""
    lines.append(f"  from {_addr(msg['from'])}  message-id <{msg['message_id'] or ''}>{size}")
    if msg["notification_of"]:
        lines.append(f"  notification about {msg['notification_of']['queue_id']}")
    client = msg["client"]
    if client:
        who = f"{client['host']}[{client['ip']}]" + (f" sasl {client['sasl_username']}" if client["sasl_username"] else "")
        tls = f" TLS {client['tls']}" if client.get("tls") else ""
        lines.append(f"  client {who} ({client['service']}){tls}")
    elif msg["pickup"]:
        lines.append(f"  local pickup uid={msg['pickup']['uid']}")
    for hop in msg["hops"]:
        for flt in hop["filter"]:
            onward = f" → queued as {flt['queued_as']}" if flt["queued_as"] else ""
            lines.append(f"  {hop['queue_id']}: {flt['service']} {flt['verdict']}{onward}")
        for act in hop["actions"]:
            lines.append(f"  {hop['queue_id']}: {act['daemon']} {act['action']}: {act['reason']}")
        for note in hop["notifications"]:
            done = f" ({note['status']})" if note.get("status") else ""
            lines.append(f"  {hop['queue_id']}: {note['kind']} notification → {note['queue_id']}{done}")
        if hop["expired"]:
            lines.append(f"  {hop['queue_id']}: expired, returned to sender")
    for rec in msg["recipients"]:
        orig = f" (orig {_addr(rec['orig_to'])})" if rec["orig_to"] else ""
        lines.append(f"  to {_addr(rec['to'])}{orig}: {rec['status']} dsn={rec['dsn']} relay={rec['relay']} "
                     f"delay={rec['delay']} delays={rec['delays']} attempts={rec['attempts']} hop={rec['queue_id']}")
        if rec["reason"]:
            lines.append(f"      {rec['reason']}")
    if records:
        for hop in msg["hops"]:
            lines.append(f"  -- {hop['queue_id']} ({hop['records']} records)")
            lines.extend(f"  {line['raw']}" for line in hop["lines"])
    return "\n".join(lines) + "\n"


def _t(ts: str, tz: str) -> str:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(ts.removesuffix("Z")).replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return at.strftime("%Y-%m-%d %H:%M:%S" + (".%f" if at.microsecond else "") + " %Z")
