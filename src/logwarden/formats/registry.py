"""Load formats from their folders, check their samples, and choose one for a file.

The built-in folder is globbed (no list to edit); a user folder may add formats or override one by name.
Every sample must be chosen as its own format by the same detection that files go through.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from logwarden.errors import FormatError
from logwarden.formats.spec import FormatSpec, build, compile_re2, load_file, merge
from logwarden.formats.tsv_header import match_header

BUILTIN = Path(__file__).parent / "builtin"
DETECT_RECORDS = 64  # records of a file that detection looks at
MIN_SCORE = 0.3  # share of those records a format must match to be chosen


@dataclass(frozen=True)
class Detection:
    spec: FormatSpec | None
    score: float
    reason: str
    scores: dict[str, float]


class Registry:
    def __init__(self, folders: list[Path]):
        self.folders = list(folders)
        raw: dict[str, tuple[dict[str, Any], Path]] = {}
        for folder in folders:
            for path in sorted(folder.glob("*.toml")):
                if path.name == "path_rules.toml":  # a user's path rules (ingest/path_rules.py), not a format
                    continue
                data = load_file(path)
                raw[data.get("name", path.stem)] = (data, path)  # later folders override by name
        self.formats: dict[str, FormatSpec] = {}
        for name in raw:
            self.formats[name] = build(self._resolve(name, raw, ()), raw[name][1])
        self.check_samples()

    @staticmethod
    def _resolve(name: str, raw: dict[str, tuple[dict[str, Any], Path]], chain: tuple[str, ...]) -> dict:
        data, path = raw[name]
        parent = data.get("extends")
        if not parent:
            return data
        if parent not in raw:
            raise FormatError(f"{path}: extends unknown format {parent!r}")
        if parent in chain:
            raise FormatError(f"{path}: extends loop {' -> '.join(chain + (name, parent))}")
        return merge(Registry._resolve(parent, raw, chain + (name,)), data)

    @cached_property
    def _compiled(self) -> dict[str, tuple[Any, Any]]:
        return {
            n: (compile_re2(s.detect_pattern, n), compile_re2(s.record_start, n) if s.record_start else None)
            for n, s in self.formats.items()
        }

    def get(self, name: str) -> FormatSpec:
        try:
            return self.formats[name]
        except KeyError:
            known = ", ".join(sorted(self.formats))
            raise FormatError(f"unknown format {name!r}; known formats: {known}") from None

    def line_patterns(self) -> list[Any]:
        """Every detect and record-start pattern: a line matching none of them starts no record."""
        out = [d for d, _ in self._compiled.values()]
        return out + [r for _, r in self._compiled.values() if r is not None]

    def check_samples(self) -> None:
        for spec in self.formats.values():
            for sample in spec.samples:
                first = sample.line.split("\n", 1)[0]
                if not self._compiled[spec.name][0].search(first):
                    raise FormatError(f"{spec.path}: sample does not match the format: {first[:120]!r}")
                got = self.detect([sample.line], filename="")
                if got.spec is None or got.spec.name != spec.name:
                    other = got.spec.name if got.spec else "nothing"
                    raise FormatError(
                        f"{spec.path}: sample is detected as {other}, not {spec.name}: {first[:120]!r}"
                    )

    def detect(self, records: list[str], filename: str) -> Detection:
        """Score the first records against every format; best share wins, then priority."""
        records = [r for r in records[:DETECT_RECORDS] if r.strip()]
        if not records:
            return Detection(None, 0.0, "no records to look at", {})
        header = match_header(self.formats.values(), records[0].split("\n", 1)[0])  # a TSV file: by its header line
        if header is not None:
            return Detection(header[0], 1.0, header[1], {header[0].name: 1.0})
        scores: dict[str, float] = {}
        for name, spec in self.formats.items():
            pattern = self._compiled[name][0]
            hits = sum(1 for r in records if pattern.search(r.split("\n", 1)[0]))
            scores[name] = hits / len(records)
        base = Path(filename).name

        def rank(name: str) -> tuple[float, int, bool]:
            spec = self.formats[name]
            named = any(fnmatch.fnmatch(base, g) for g in spec.filenames)
            # A format that matches at least MIN_SCORE competes on priority first (postfix over syslog),
            # then on the share it matches, then on a file-name hint.
            return (scores[name] >= MIN_SCORE, spec.priority, scores[name], named)

        best = max(scores, key=rank)
        if scores[best] < MIN_SCORE:
            return Detection(None, scores[best], f"no format matches ≥{MIN_SCORE:.0%} of the first records", scores)
        spec = self.formats[best]
        reason = f"{scores[best]:.0%} of the first {len(records)} records match {best}"
        if spec.priority:
            reason += f" (priority {spec.priority})"
        return Detection(spec, scores[best], reason, scores)


def default_registry(user_folder: Path | None = None) -> Registry:
    folders = [BUILTIN]
    if user_folder is not None and user_folder.is_dir():
        folders.append(user_folder)
    return Registry(folders)
