"""Shared helpers of the corpus tests: parse lines through the engine, share figures, small readers."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from logwarden.formats.check import parse_lines
from logwarden.formats.registry import Registry
from logwarden.formats.spec import FieldRule, FormatSpec
from logwarden.store.chdb_store import Store

MAX_LINES = 20_000  # cap per file, to keep the corpus run short


def with_message(spec: FormatSpec) -> FormatSpec:
    """The same format, also storing its `message` capture as `_msg_check` (the event keeps it in raw only)."""
    return dataclasses.replace(spec, fields=spec.fields + (FieldRule("msg_check", source="message"),))


def parse(store: Store, spec: FormatSpec | None, lines: list[str]) -> list[dict[str, Any]]:
    return parse_lines(store, spec, lines)


def read_lines(path: Path, limit: int = MAX_LINES) -> list[str]:
    out = []
    with path.open(encoding="utf-8", errors="replace", newline="\n") as fh:
        for line in fh:
            line = line.rstrip("\n").rstrip("\r")
            if line:
                out.append(line)
            if len(out) >= limit:
                break
    return out


def detect_one(registry: Registry, line: str) -> FormatSpec | None:
    return registry.detect([line], filename="").spec


def share(n: int, total: int) -> float:
    return n / total if total else 0.0
