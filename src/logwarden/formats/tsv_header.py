"""Header-driven TSV: a file whose first line names its tab-separated columns (CDN access logs).

The format file declares the columns it knows and their types (`[tsv]`, `[tsv.columns]`); a file's own
header line says where each column is. `bind` gives the format for one file: its column positions come
from that file's header line (a header with other, more or reordered columns still loads, by name), and
the engine reads every record with `splitByChar('\\t', raw)` indexed by those positions.

The header line is a record of the file like any other (the rule "every input line is kept exactly
once"): it is stored with the format's name, no level, its arrival time, and the field `tsv_header = 1`.
Columns the format does not declare become text fields under their header name (made a field name:
lower case, characters other than letters, digits, `_` and `.` turned into `_`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from logwarden.errors import FormatError

if TYPE_CHECKING:
    from logwarden.formats.spec import FormatSpec

# type -> (engine expression of the value from the cell `x`, engine test that the value reads as the type)
NUM = "isNotNull(toFloat64OrNull(x))"
LIST_SEP = r"\s*(?:,| : )\s*"  # nginx: "0.021, 0.034 : 0.002" (` : ` separates internal redirects)
TYPES: dict[str, tuple[str, str]] = {
    "string": ("x", "1"),
    "int": ("x", "isNotNull(toInt64OrNull(x))"),
    "float": ("x", NUM),
    "unix": ("x", NUM),
    "time": ("x", "isNotNull(parseDateTime64BestEffortOrNull(x, 3, 'UTC'))"),
    "ip": ("x", "isNotNull(toIPv6OrNull(x))"),
    # Lists are stored comma-separated without blanks: "0.021,0.034"; `-` inside a list is a missing answer.
    "int_list": (f"arrayStringConcat(splitByRegexp('{LIST_SEP}', x), ',')",
                 f"arrayAll(e -> e = '-' OR isNotNull(toInt64OrNull(e)), splitByRegexp('{LIST_SEP}', x))"),
    "float_list": (f"arrayStringConcat(splitByRegexp('{LIST_SEP}', x), ',')",
                   f"arrayAll(e -> e = '-' OR {NUM.replace('x', 'e')}, splitByRegexp('{LIST_SEP}', x))"),
    "ip_list": ("arrayStringConcat(splitByRegexp('\\\\s*,\\\\s*', x), ',')",
                "arrayAll(e -> isNotNull(toIPv6OrNull(e)), splitByRegexp('\\\\s*,\\\\s*', x))"),
}
HEADER_FIELD = "tsv_header"  # `1` on the header line's record
INVALID_FIELD = "tsv_invalid"  # names of the columns whose cell does not read as its type
_NAME = re.compile(r"[^a-z0-9_.]")


@dataclass(frozen=True)
class TsvColumn:
    header: str  # the name in a file's header line
    capture: str  # the capture it fills (a column name such as client_ip, or a field name)
    type: str = "string"


@dataclass(frozen=True)
class TsvLayout:
    columns: tuple[TsvColumn, ...]  # what the format declares
    header: tuple[str, ...]  # the file's columns, in order (the format's documented layout until bound)
    required: tuple[str, ...]  # a first line naming all of these is this format's header line
    null: str = "-"  # a cell holding only this is empty
    header_line: str = ""  # the header line exactly as in the file ("" for the documented layout)

    def extras(self) -> list[tuple[str, str]]:
        """(header name, capture) of the file's columns the format does not declare."""
        known = {c.header for c in self.columns}
        taken = {c.capture for c in self.columns} | {HEADER_FIELD, INVALID_FIELD}
        out = []
        for name in self.header:
            if name in known or not name:
                continue
            capture = _NAME.sub("_", name.lower())
            if not capture[:1].isalpha():
                capture = "c_" + capture
            while capture in taken:
                capture += "_"
            taken.add(capture)
            out.append((name, capture))
        return out

    @property
    def captures(self) -> list[str]:
        return [c.capture for c in self.columns] + [c for _, c in self.extras()] + [HEADER_FIELD, INVALID_FIELD]


def layout(name: str, table: Any) -> TsvLayout:
    """The `[tsv]` table of a format file."""
    if not isinstance(table, dict):
        raise FormatError(f"{name}: kind = \"tsv\" needs a [tsv] table with `header` and [tsv.columns]")
    unknown = set(table) - {"header", "required", "null", "columns"}
    if unknown:
        raise FormatError(f"{name}: [tsv] has unknown keys {sorted(unknown)}")
    columns = []
    for header, rule in table.get("columns", {}).items():
        rule = {"type": rule} if isinstance(rule, str) else rule
        if not isinstance(rule, dict) or set(rule) - {"type", "as"}:
            raise FormatError(f"{name}: [tsv.columns] {header!r} must be a type or {{ type = …, as = … }}")
        kind = rule.get("type", "string")
        if kind not in TYPES:
            raise FormatError(f"{name}: [tsv.columns] {header!r}: type {kind!r} is not one of {sorted(TYPES)}")
        columns.append(TsvColumn(header, rule.get("as", header), kind))
    header = tuple(table.get("header", ()))
    required = tuple(table.get("required", ()))
    if not columns or not header or not required:
        raise FormatError(f"{name}: [tsv] needs `header` (the documented columns), `required` and [tsv.columns]")
    missing = [r for r in required if r not in header]
    if missing:
        raise FormatError(f"{name}: [tsv] required columns {missing} are not in `header`")
    return TsvLayout(tuple(columns), header, required, str(table.get("null", "-")))


def header_cells(line: str) -> list[str]:
    return line.removeprefix("\ufeff").rstrip("\r").split("\t")


def is_header(spec: FormatSpec, line: str) -> bool:
    """Whether `line` is a header line of this TSV format: tab-separated, naming its required columns."""
    if spec.tsv is None or "\t" not in line:
        return False
    cells = set(header_cells(line))
    return all(r in cells for r in spec.tsv.required)


def match_header(formats: Iterable[FormatSpec], line: str) -> tuple[FormatSpec, str] | None:
    """The TSV format whose header `line` is (most known columns wins), and why."""
    best: tuple[int, FormatSpec] | None = None
    for spec in formats:
        if spec.tsv is not None and is_header(spec, line):
            known = len({c.header for c in spec.tsv.columns} & set(header_cells(line)))
            if best is None or known > best[0]:
                best = (known, spec)
    if best is None:
        return None
    known, spec = best
    total = len(header_cells(line))
    return spec, f"the first line is a {spec.name} header ({known} of its {total} columns known)"


def bind(spec: FormatSpec, head: bytes) -> FormatSpec:
    """The format for one file: column positions from its header line (the first line), when it has one;
    otherwise the documented layout (a headerless piece of such a log)."""
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if spec.tsv is None or not is_header(spec, first):
        return spec
    bound = dataclasses.replace(spec.tsv, header=tuple(header_cells(first)), header_line=first)
    return dataclasses.replace(spec, tsv=bound)


def capture_items(tsv: TsvLayout, bind_param: Callable[..., str]) -> list[str]:
    """Inner SELECT items: `c_<capture>` for every declared and extra column, the header mark and the list
    of cells that do not read as their type, and `ok` (a data line has the header's number of cells)."""
    line = bind_param(tsv.header_line or "\t".join(tsv.header))
    items = [
        "splitByChar('\\t', if(endsWith(raw, '\\r'), substring(raw, 1, length(raw) - 1), raw)) AS t",
        # The file's header line, or another header line further on (downloads appended into one file).
        f"raw = {line} OR hasAll(t, {bind_param(list(tsv.required), 'Array(String)')}) AS is_header",
        f"is_header OR length(t) = {len(tsv.header)} AS ok",
    ]
    null = bind_param(tsv.null)
    checks = []
    position = {name: i for i, name in reversed(list(enumerate(tsv.header, start=1)))}
    for col in tsv.columns:
        pos = position.get(col.header, 0)
        if not pos:  # not in this file: empty (t[0] would be '' too; this is plainer SQL)
            items.append(f"'' AS c_{col.capture}")
            continue
        cell = f"if(is_header OR t[{pos}] = {null}, '', t[{pos}])"
        value, test = TYPES[col.type]
        items.append(f"{_subst(value, cell)} AS c_{col.capture}")
        if test != "1":
            checks.append(f"if({cell} = '' OR {_subst(test, cell)}, '', {bind_param(col.header)})")
    for name, capture in tsv.extras():
        pos = position[name]
        items.append(f"if(is_header OR t[{pos}] = {null}, '', t[{pos}]) AS c_{capture}")
    items.append(f"if(is_header, '1', '') AS c_{HEADER_FIELD}")
    invalid = f"arrayStringConcat(arrayFilter(x -> x != '', [{', '.join(checks)}]), ',')" if checks else "''"
    items.append(f"{invalid} AS c_{INVALID_FIELD}")
    return items


def _subst(test: str, cell: str) -> str:
    """A TYPES expression over `cell`: `x` is the only free name in them (lambdas use `e`)."""
    return re.sub(r"\bx\b", lambda _: cell, test)
