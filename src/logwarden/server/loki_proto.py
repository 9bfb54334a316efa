"""Loki's protobuf push body (what Promtail, Grafana Alloy and Vector's loki sink send by default):
snappy-compressed `logproto.PushRequest`. Decoded by hand: three small messages, no generated code.

    PushRequest   { repeated Stream streams = 1; }
    Stream        { string labels = 1; repeated Entry entries = 2; }      labels: '{job="x", host="y"}'
    Entry         { Timestamp timestamp = 1; string line = 2; ... }
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import cramjam

from logwarden.errors import UsageError

_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_UNESCAPE = re.compile(r"\\(.)")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) of one message; length-delimited values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated field")
            yield number, wire, buf[pos:pos + n]
            pos += n
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"wire type {wire}")


def labels(text: str) -> dict[str, str]:
    return {k: _UNESCAPE.sub(r"\1", v) for k, v in _LABEL.findall(text)}


def decode_push(body: bytes) -> list[tuple[dict[str, str], list[bytes]]]:
    """(labels, lines) per stream of a snappy-compressed PushRequest."""
    try:
        raw = bytes(cramjam.snappy.decompress_raw(body))
    except Exception:  # noqa: BLE001 - cramjam raises its own error types
        raise UsageError("a protobuf Loki push must be snappy-compressed (as Promtail and Vector send it)") from None
    streams = []
    try:
        for number, wire, value in _fields(raw):
            if number != 1 or wire != 2:
                continue
            lbl: dict[str, str] = {}
            lines: list[bytes] = []
            for n2, w2, v2 in _fields(value):  # type: ignore[arg-type]
                if n2 == 1 and w2 == 2:
                    lbl = labels(bytes(v2).decode("utf-8", "replace"))  # type: ignore[arg-type]
                elif n2 == 2 and w2 == 2:
                    for n3, w3, v3 in _fields(v2):  # type: ignore[arg-type]
                        if n3 == 2 and w3 == 2:
                            lines.append(bytes(v3))  # type: ignore[arg-type]
            streams.append((lbl, lines))
    except ValueError as exc:
        raise UsageError(f"the protobuf Loki push body is malformed: {exc}") from None
    return streams
