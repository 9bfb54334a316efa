"""Detection over the first bytes of a stream: group lines into records, then score formats."""

from __future__ import annotations

from pathlib import Path

from logwarden.errors import UsageError
from logwarden.formats.registry import Detection, Registry

SNIFF = 256 << 10  # bytes read for detection


def sniff(registry: Registry, head: bytes, name: str) -> Detection:
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")  # a byte order mark is not text
    lines = text.split("\n")
    if len(head) >= SNIFF:
        lines = lines[:-1]  # the last line may be cut
    known = registry.line_patterns()
    records: list[str] = []
    for line in lines:
        # A line that no format recognises, neither as a record start nor as a record, continues the
        # one before (a Java stack trace, a wrapped message), so detection scores whole records.
        if records and not any(p.search(line) for p in known):
            records[-1] += "\n" + line
        else:
            records.append(line)
    return registry.detect(records, name)


def detect_path(registry: Registry, path: Path) -> tuple[Detection, str]:
    from logwarden.ingest.sources import SkippedInput, expand, open_inputs

    for item in expand([str(path)]):
        for inp in open_inputs(item):
            if isinstance(inp, SkippedInput):
                raise UsageError(str(inp))
            return sniff(registry, inp.stream.read(SNIFF), inp.name or inp.origin), inp.origin
    raise UsageError(f"{path}: nothing to read")
