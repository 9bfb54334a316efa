"""The format model: one declarative TOML file per format (see docs/formats.md).

A format names its captures (RE2 named groups, or JSON keys), how to read the time and the level, and
which fields to derive. `sql.py` turns it into engine expressions; `registry.py` loads, checks and detects.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from logwarden.errors import FormatError
from logwarden.formats.tsv_header import TsvLayout, layout

# Capture names that land in event columns rather than in the `fields` map.
COLUMN_CAPTURES = ("host", "service", "user", "client_ip", "trace_id", "request_id", "status")
# Captures used to build the event but never stored as fields (the text stays in `raw` only).
CONSUMED = ("ts", "message")

TS_FORMATS = ("best", "best_us", "syslog", "clf", "unix", "unix_ms")
LEVEL_MAPS = ("words", "syslog_pri", "http_status", "ranges")
KNOWN_KEYS = {
    "name", "title", "system", "source", "service", "kind", "extends", "detect", "priority", "filenames",
    "record_start", "regex", "json", "timestamp", "level", "levels", "fields", "samples", "description",
    "startup", "mask", "tsv", "continues",
}

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def compile_re2(pattern: str, where: str) -> Any:
    """Compile with RE2, the engine's dialect, so a format that loads here also runs in the engine."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        raise FormatError(f"{where}: invalid RE2 regex {pattern!r}: {exc}") from None


@dataclass(frozen=True)
class FieldRule:
    """A derived field: a sub-regex over a capture, a key=value split, or an engine expression."""

    name: str
    source: str = ""  # capture the rule reads (`from` in TOML)
    regex: str = ""
    kv: str = ""  # pair delimiter: every key=value of the capture becomes a field
    eq: str = "="
    expr: str = ""  # ClickHouse expression over `raw` and captures `c_<name>`
    lookup: str = ""  # a TSV table (formats/lookup.py): `from`'s value looked up in column `key`, giving `value`
    key: str = ""
    value: str = ""
    table: tuple[tuple[str, str], ...] = ()  # the lookup's (key, value) pairs, read when the format loads
    render: str = ""  # `from` is a message template (Serilog/CLEF, Directum): filled with the args of this capture


@dataclass(frozen=True)
class Sample:
    line: str
    expect: dict[str, str]


@dataclass
class FormatSpec:
    name: str
    title: str
    source: str
    path: Path
    kind: str = "regex"  # or "json"
    service: str = ""
    regex: str = ""
    json: dict[str, str] = field(default_factory=dict)  # capture name -> dotted JSON path
    json_all: bool = False  # every top-level JSON key becomes a field
    detect: str = ""
    priority: int = 0
    filenames: tuple[str, ...] = ()
    record_start: str = ""
    continues: str = ""  # a line matching it is continued by the next one (CRI `P`, Docker partial lines)
    ts_from: str = "ts"
    ts_format: str = "best"
    # A record without a time takes a neighbour's (flagged inferred): "previous" (`inherit = true`) the last time
    # before it in its batch, else the first after it; "next" only the record right after it (a header line).
    ts_inherit: str = ""
    level_from: str = "level"
    level_map: str = "words"
    level_default: str = ""  # the level of a parsed record whose level word is absent or unknown
    levels: dict[str, str] = field(default_factory=dict)
    fields: tuple[FieldRule, ...] = ()
    samples: tuple[Sample, ...] = ()
    system: str = ""
    description: str = ""
    # RE2 patterns over `raw` that mark a service start-up record (`logwarden restarts`); each one must match
    # one of the samples, so a pattern proves itself like the format does.
    startup: tuple[str, ...] = ()
    # `map = "ranges"`: (low, high, level) over a numeric level value (VK Teams: 40000-49999 = warn);
    # a value in no range is read as a word through [levels].
    level_ranges: tuple[tuple[int, int, str], ...] = ()
    # [[mask]]: (RE2, replacement) applied to the record before it is stored (secrets such as session ids);
    # the masked text is the record as stored, and every capture reads it.
    masks: tuple[tuple[str, str], ...] = ()
    # kind = "tsv": the declared columns and their types (formats/tsv_header.py); bound to a file's header.
    tsv: TsvLayout | None = None

    @property
    def captures(self) -> list[str]:
        """Capture names in engine order (RE2 group numbers for regex formats)."""
        if self.kind == "json":
            return list(self.json)
        if self.tsv is not None:
            return self.tsv.captures
        index = compile_re2(self.regex, self.name).groupindex
        return sorted(index, key=index.get)

    @property
    def detect_pattern(self) -> str:
        if self.detect:
            return self.detect
        if self.tsv is not None:  # the documented header line (files are also detected by their header)
            return "^" + re2.escape("\t".join(self.tsv.header[:3])) + "\t"
        return self.regex if self.kind == "regex" else r"^\s*\{"


def _field_rules(name: str, table: dict[str, Any]) -> tuple[FieldRule, ...]:
    rules = []
    for fname, rule in table.items():
        if isinstance(rule, str):  # `alias = "capture"`
            rules.append(FieldRule(fname, source=rule))
            continue
        if not isinstance(rule, dict):
            raise FormatError(f"{name}: field {fname!r} must be a string or a table")
        unknown = set(rule) - {"from", "regex", "kv", "eq", "expr", "lookup", "key", "value", "render"}
        if unknown:
            raise FormatError(f"{name}: field {fname!r} has unknown keys {sorted(unknown)}")
        rules.append(
            FieldRule(
                fname,
                source=rule.get("from", ""),
                regex=rule.get("regex", ""),
                kv=rule.get("kv", ""),
                eq=rule.get("eq", "="),
                expr=rule.get("expr", ""),
                lookup=rule.get("lookup", ""),
                key=rule.get("key", ""),
                value=rule.get("value", ""),
                render=rule.get("render", ""),
            )
        )
    return tuple(rules)


def _level_ranges(name: str, table: dict[str, str]) -> tuple[tuple[int, int, str], ...]:
    """`ranges = { "40000-49999" = "warn", "20000" = "info" }` -> ((40000, 49999, "warn"), …)."""
    out = []
    for span, lvl in table.items():
        low, _, high = span.partition("-")
        if not (low.strip().isdigit() and (high.strip().isdigit() or not high)):
            raise FormatError(f"{name}: level range {span!r} must be N or LOW-HIGH (whole numbers)")
        out.append((int(low), int(high or low), lvl))
    return tuple(out)


def _masks(name: str, items: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"regex", "replace"} or "regex" not in item:
            raise FormatError(f"{name}: each [[mask]] needs `regex` (RE2) and `replace` (text, \\1 for groups)")
        out.append((item["regex"], item.get("replace", "***")))
    return tuple(out)


def _lookups(rules: tuple[FieldRule, ...], path: Path) -> tuple[FieldRule, ...]:
    """Read each lookup rule's table once, when the format loads (formats/lookup.py)."""
    from dataclasses import replace

    from logwarden.formats.lookup import table

    out = []
    for rule in rules:
        if rule.lookup:
            if not (rule.source and rule.key and rule.value):
                raise FormatError(f"{path}: lookup field {rule.name!r} needs `from`, `key` and `value`")
            rule = replace(rule, table=table(rule.lookup, rule.key, rule.value, path))
        out.append(rule)
    return tuple(out)


def merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """`extends`: the child's keys win; fields and levels tables merge; samples are the child's own."""
    out = {k: v for k, v in parent.items() if k not in ("samples", "filenames", "detect", "priority", "startup")}
    for key, value in child.items():
        if key in ("fields", "levels", "json") and isinstance(value, dict):
            out[key] = {**parent.get(key, {}), **value}
        else:
            out[key] = value
    out.pop("extends", None)
    return out


def build(data: dict[str, Any], path: Path) -> FormatSpec:
    name = data.get("name")
    if not name:
        raise FormatError(f"{path}: a format needs a name")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise FormatError(f"{path}: unknown keys {sorted(unknown)}")
    kind = data.get("kind", "json" if "json" in data else "regex")
    ts = data.get("timestamp", {})
    level = data.get("level", {})
    json_map = data.get("json", {})
    spec = FormatSpec(
        name=name,
        title=data.get("title", name),
        source=data.get("source", ""),
        path=path,
        kind=kind,
        service=data.get("service", ""),
        regex=data.get("regex", ""),
        json={k: v for k, v in json_map.items() if k != "*"},
        json_all=bool(json_map.get("*", False)),
        detect=data.get("detect", ""),
        priority=int(data.get("priority", 0)),
        filenames=tuple(data.get("filenames", ())),
        record_start=data.get("record_start", ""),
        continues=data.get("continues", ""),
        ts_from=ts.get("from", "ts"),
        ts_format=ts.get("format", "best"),
        ts_inherit=_inherit(f"{path} ({name})", ts.get("inherit", False)),
        level_from=level.get("from", "level"),
        level_map=level.get("map", "words"),
        level_ranges=_level_ranges(name, level.get("ranges", {})),
        level_default=level.get("default", ""),
        levels={k.upper(): v for k, v in data.get("levels", {}).items()},
        fields=_lookups(_field_rules(name, data.get("fields", {})), path),
        samples=tuple(Sample(s["line"], dict(s.get("expect", {}))) for s in data.get("samples", ())),
        system=data.get("system", ""),
        description=data.get("description", ""),
        startup=tuple(data.get("startup", ())),
        masks=_masks(name, data.get("mask", ())),
        tsv=layout(name, data.get("tsv")) if kind == "tsv" else None,
    )
    validate(spec)
    return spec


def _inherit(name: str, value: object) -> str:
    if value is True or value == "previous":
        return "previous"
    if value is False:
        return ""
    if value == "next":
        return "next"
    raise FormatError(f"{name}: [timestamp] inherit must be true, false, \"previous\" or \"next\", not {value!r}")


def validate(spec: FormatSpec) -> None:
    where = f"{spec.path} ({spec.name})"
    if spec.kind not in ("regex", "json", "tsv"):
        raise FormatError(f"{where}: kind must be 'regex', 'json' or 'tsv', not {spec.kind!r}")
    if spec.kind == "regex" and not spec.regex:
        raise FormatError(f"{where}: a regex format needs `regex`")
    if spec.ts_format not in TS_FORMATS:
        raise FormatError(f"{where}: timestamp.format must be one of {TS_FORMATS}")
    if spec.level_map not in LEVEL_MAPS:
        raise FormatError(f"{where}: level.map must be one of {LEVEL_MAPS}")
    for regex, _ in spec.masks:
        compile_re2(regex, f"{where} mask")
    from logwarden.store.schema import LEVELS

    if spec.level_default and spec.level_default not in LEVELS:
        raise FormatError(f"{where}: level.default {spec.level_default!r} is not one of {LEVELS}")
    for word, lvl in spec.levels.items():
        if lvl not in LEVELS:
            raise FormatError(f"{where}: level {word!r} maps to {lvl!r}, not one of {LEVELS}")
    for low, high, lvl in spec.level_ranges:
        if lvl not in LEVELS or low > high:
            raise FormatError(f"{where}: level range {low}-{high} = {lvl!r}: need LOW <= HIGH and one of {LEVELS}")
    for pattern in (spec.regex, spec.detect, spec.record_start):
        if pattern:
            compile_re2(pattern, where)
    if spec.continues:  # read by the framer (Python's re), so it may look at the next line: (?=…), (?P=name)
        try:
            re.compile(spec.continues)
        except re.error as exc:
            raise FormatError(f"{where}: invalid `continues` regex {spec.continues!r}: {exc}") from None
    captures = set(spec.captures)
    for rule in spec.fields:
        if rule.regex and compile_re2(rule.regex, f"{where} field {rule.name}").groups < 1:
            raise FormatError(f"{where}: field {rule.name!r} regex needs one capture group")
        if rule.source and rule.source not in captures and rule.source != "raw":
            raise FormatError(f"{where}: field {rule.name!r} reads unknown capture {rule.source!r}")
        if rule.render and rule.render not in captures and rule.render != "raw":
            raise FormatError(f"{where}: field {rule.name!r} renders with unknown capture {rule.render!r}")
        if not (rule.source or rule.expr):
            raise FormatError(f"{where}: field {rule.name!r} needs `from` or `expr`")
        captures.add(rule.name)  # a later rule may read this one (sql.py derives in declaration order)
    if not spec.samples:
        raise FormatError(f"{where}: a format proves itself with at least one [[samples]] line")
    for pattern in spec.startup:
        if not isinstance(pattern, str) or not pattern:
            raise FormatError(f"{where}: startup must be a list of RE2 patterns")
        compiled = compile_re2(pattern, f"{where} startup")
        if not any(compiled.search(s.line) for s in spec.samples):
            raise FormatError(f"{where}: startup pattern {pattern!r} matches none of the samples; "
                              "add a sample start-up line that proves it")


def load_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FormatError(f"{path}: {exc}") from None
