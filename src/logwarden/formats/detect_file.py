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
            found = sniff(registry, inp.stream.read(SNIFF), inp.name or inp.origin)
            return _with_path_rule(registry, found, inp.origin), inp.origin
    raise UsageError(f"{path}: nothing to read")


def _with_path_rule(registry: Registry, found: Detection, origin: str) -> Detection:
    """What ingest does with the path too (ingest/path_rules.py): a rule's format wins, its constants are said."""
    from logwarden.formats.registry import BUILTIN
    from logwarden.ingest.path_rules import default_path_rules

    info = default_path_rules(*(f for f in registry.folders if f != BUILTIN)).match(origin)
    if not info.rule:
        return found
    said = ", ".join(f"{k}={v}" for k, v in info.as_dict().items())
    if info.format in registry.formats:
        return Detection(registry.formats[info.format], found.score, f"path rule {info.rule}: {said}", found.scores)
    return Detection(found.spec, found.score, f"{found.reason}; path rule {info.rule}: {said}", found.scores)
