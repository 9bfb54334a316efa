"""Path rules: constants a file's path gives every record of it (source, service, namespace…).

The rules are data (`src/logwarden/data/path_rules.toml`, plus `path_rules.toml` in the user's formats folder,
whose rules are tried first). A rule's RE2 `path` regex is searched in the file's origin; its named groups and
constants become the file's `source`, `service`, `host` and fields, and `format` chooses the format when
detection is left to `auto`. The first matching rule wins. Every rule proves itself with sample paths on load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logwarden.errors import FormatError
from logwarden.formats.spec import compile_re2

BUILTIN_RULES = Path(__file__).resolve().parents[1] / "data" / "path_rules.toml"
COLUMNS = ("source", "service", "host")
_RULE_KEYS = {"name", "description", "path", "source", "service", "format", "fields", "samples"}


@dataclass(frozen=True)
class PathInfo:
    """What one file's path says: columns (empty = not said), fields, and a format name."""

    rule: str = ""
    source: str = ""
    service: str = ""
    host: str = ""
    format: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        out = {k: getattr(self, k) for k in (*COLUMNS, "format") if getattr(self, k)}
        return {**out, **self.fields}


@dataclass(frozen=True)
class PathRule:
    name: str
    path: str
    pattern: Any
    source: str = ""
    service: str = ""
    format: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def match(self, origin: str) -> PathInfo | None:
        m = self.pattern.search(origin)
        if m is None:
            return None
        groups = {k: v for k, v in m.groupdict().items() if v}
        fields = {**self.fields, **{k: v for k, v in groups.items() if k not in COLUMNS}}
        return PathInfo(self.name, groups.get("source", self.source), groups.get("service", self.service),
                        groups.get("host", ""), self.format, fields)


class PathRules:
    def __init__(self, rules: list[PathRule]):
        self.rules = rules

    def match(self, origin: str) -> PathInfo:
        for rule in self.rules:
            info = rule.match(origin)
            if info is not None:
                return info
        return PathInfo()


def _rule(data: dict[str, Any], where: str) -> PathRule:
    name = data.get("name", "")
    unknown = set(data) - _RULE_KEYS
    if unknown:
        raise FormatError(f"{where}: rule {name!r} has unknown keys {sorted(unknown)}")
    if not name or not data.get("path"):
        raise FormatError(f"{where}: every [[rules]] entry needs a `name` and a `path` regex")
    consts = data.get("fields", {})
    if not all(isinstance(v, str) for v in consts.values()):
        raise FormatError(f"{where}: rule {name!r}: [rules.fields] values must be strings")
    rule = PathRule(name, data["path"], compile_re2(data["path"], f"{where} rule {name}"),
                    data.get("source", ""), data.get("service", ""), data.get("format", ""), dict(consts))
    samples = data.get("samples", ())
    if not samples:
        raise FormatError(f"{where}: rule {name!r} proves itself with at least one [[rules.samples]] path")
    for sample in samples:
        got = rule.match(sample["path"])
        have = got.as_dict() if got else {}
        wrong = {k: (v, have.get(k, "")) for k, v in sample.get("expect", {}).items() if have.get(k, "") != v}
        if got is None or wrong:
            raise FormatError(f"{where}: rule {name!r} sample {sample['path']!r}: "
                              + ("does not match" if got is None else f"expected/got {wrong}"))
    return rule


def load_rules(path: Path) -> list[PathRule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FormatError(f"{path}: {exc}") from None
    return [_rule(r, str(path)) for r in data.get("rules", ())]


def default_path_rules(*user_folders: Path) -> PathRules:
    """The rules of the user's folders (the last folder first), then the built-in ones."""
    rules: list[PathRule] = []
    for folder in reversed(user_folders):
        if (folder / "path_rules.toml").is_file():
            rules += load_rules(folder / "path_rules.toml")
    return PathRules(rules + load_rules(BUILTIN_RULES))
