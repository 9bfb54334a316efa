"""Bodies of the HTTP ingest APIs -> blocks of records for the queue (NDJSON/lines, Loki push JSON,
Elasticsearch `_bulk`). Pure functions: no engine, no I/O, so they are tested on their own."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from logwarden.errors import UsageError
from logwarden.formats.detect_file import SNIFF, sniff
from logwarden.formats.registry import Registry
from logwarden.ingest.framing import SEPARATORS

MAX_BODY = 64 << 20


@dataclass
class Block:
    """Records that share a format, source and host: `data` is `\\n`-terminated records."""

    fmt: str
    source: str
    host: str
    data: bytes
    records: int
    sep: bytes = b""


@dataclass
class Parsed:
    blocks: list[Block] = field(default_factory=list)
    skipped: int = 0  # bulk actions other than index/create

    @property
    def records(self) -> int:
        return sum(b.records for b in self.blocks)


def decode_body(body: bytes, encoding: str) -> bytes:
    encoding = encoding.lower().strip()
    try:
        if encoding in ("gzip", "x-gzip", "deflate"):
            # Bounded: a small body that inflates past MAX_BODY is refused, not inflated into memory.
            inflater = zlib.decompressobj(wbits=47 if "gzip" in encoding else 15)
            body = inflater.decompress(body, MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise UsageError(f"the body inflates past {MAX_BODY >> 20} MiB; send at most that per request")
        elif encoding not in ("", "identity"):
            raise UsageError(f"Content-Encoding {encoding!r} is not supported; send gzip, deflate or plain")
    except (OSError, EOFError, zlib.error) as exc:
        raise UsageError(f"the body is not valid {encoding}: {exc}") from None
    if len(body) > MAX_BODY:
        raise UsageError(f"the body is {len(body) >> 20} MiB; send at most {MAX_BODY >> 20} MiB per request")
    return body


def _choose(registry: Registry, fmt: str, sample: bytes) -> str:
    if fmt and fmt != "auto":
        registry.get(fmt)  # an unknown name is a clear 400
        return fmt
    found = sniff(registry, sample[:SNIFF], "")
    return found.spec.name if found.spec else ""


def pack(records: list[bytes]) -> tuple[bytes, bytes]:
    """Records (which may hold newlines) -> (`\\n`-separated block, separator standing for their newlines)."""
    sep = b""
    if any(b"\n" in r for r in records):
        sep = next((s for s in SEPARATORS if not any(s in r for r in records)), b"")
        records = [r.replace(b"\n", sep or b" ") for r in records]
    return b"\n".join(records) + b"\n", sep


def lines(body: bytes, registry: Registry, fmt: str, source: str, host: str) -> Parsed:
    """NDJSON or plain text: one record per non-empty line."""
    recs = [ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()]
    if not recs:
        return Parsed()
    data = b"\n".join(recs) + b"\n"
    return Parsed([Block(_choose(registry, fmt, data), source, host, data, len(recs))])


def _label(labels: dict[str, Any], *names: str) -> str:
    return next((str(labels[n]) for n in names if labels.get(n)), "")


def loki(body: bytes, registry: Registry, fmt: str, source: str, host: str) -> Parsed:
    """Loki push JSON: {"streams": [{"stream": {labels}, "values": [["<ns>", "line"], ...]}]}."""
    try:
        doc = json.loads(body)
        streams = doc["streams"]
        assert isinstance(streams, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise UsageError('a Loki JSON push body is {"streams": [{"stream": {...}, "values": [["ns", "line"]]}]}; '
                         "protobuf bodies need Content-Type: application/x-protobuf") from None
    out = Parsed()
    for stream in streams:
        labels = stream.get("stream") or stream.get("labels") or {}
        if not isinstance(labels, dict):
            labels = {}
        values = stream.get("values") or []
        recs = [str(v[1]).encode("utf-8", "surrogateescape") for v in values
                if isinstance(v, list | tuple) and len(v) >= 2 and str(v[1]).strip()]
        _loki_block(out, recs, labels, registry, fmt, source, host)
    return out


def _loki_block(out: Parsed, recs: list[bytes], labels: dict[str, Any], registry: Registry, fmt: str,
                source: str, host: str) -> None:
    """One Loki stream's lines as a block; source and host from its labels unless the request names them."""
    if not recs:
        return
    data, sep = pack(recs)
    out.blocks.append(Block(_choose(registry, fmt, data), source or _label(labels, "source", "job", "app"),
                            host or _label(labels, "host", "hostname", "instance", "node"), data, len(recs), sep))


def loki_protobuf(body: bytes, registry: Registry, fmt: str, source: str, host: str) -> Parsed:
    """Loki push as Promtail/Vector send it by default: snappy-compressed protobuf."""
    from logwarden.server.loki_proto import decode_push

    out = Parsed()
    for labels, lines in decode_push(body):
        _loki_block(out, [ln for ln in lines if ln.strip()], labels, registry, fmt, source, host)
    return out


def _get(doc: dict[str, Any], *paths: str) -> str:
    for path in paths:
        value: Any = doc
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None and "." in path:
            value = doc.get(path)
        if isinstance(value, str) and value:
            return value
    return ""


def bulk(body: bytes, registry: Registry, fmt: str, source: str, host: str) -> tuple[Parsed, list[str]]:
    """Elasticsearch `_bulk` NDJSON: action lines, each index/create followed by a document. The record
    is the document's `message` (or `log`, `event.original`), else the document's JSON text."""
    items: list[str] = []
    by_host: dict[str, list[bytes]] = {}
    out = Parsed()
    it: Iterable[bytes] = (ln for ln in body.split(b"\n") if ln.strip())
    it = iter(it)
    for action_line in it:
        try:
            action = json.loads(action_line)
            (op, _meta), = action.items()
        except (ValueError, AttributeError):
            raise UsageError("a _bulk body alternates action lines ({\"index\": {...}}) and documents") from None
        if op == "delete":
            items.append(op)
            out.skipped += 1
            continue
        doc_line = next(it, None)
        if doc_line is None:
            raise UsageError(f"the last _bulk action ({op}) has no document line")
        if op not in ("index", "create"):
            items.append(op)
            out.skipped += 1
            continue
        try:
            doc = json.loads(doc_line)
        except ValueError:
            raise UsageError(f"a _bulk document is not JSON: {doc_line[:80]!r}") from None
        if not isinstance(doc, dict):
            doc = {"message": json.dumps(doc)}
        text = _get(doc, "message", "log", "event.original")
        raw = text.encode("utf-8", "surrogateescape") if text else doc_line.strip()
        by_host.setdefault(host or _get(doc, "host.name", "host.hostname", "hostname", "host"), []).append(raw)
        items.append(op)
    for h, recs in by_host.items():
        data, sep = pack(recs)
        out.blocks.append(Block(_choose(registry, fmt, data), source, h, data, len(recs), sep))
    return out, items
