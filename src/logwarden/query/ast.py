"""The query AST. Every node prints back to its canonical text: `str(parse(q))` is the canonical `q`.

Nodes are frozen dataclasses; `pos` (0-based offset in the source text) is kept for messages and is
left out of equality, so two parses of equivalent text compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logwarden.query.values import quote, value_text


def _pos() -> Any:
    """The source offset of a node: kept for messages, ignored by equality."""
    return field(default=0, compare=False, repr=False)


# ---------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class MatchAll:
    """The empty filter (`*`): every event."""

    pos: int = _pos()

    def __str__(self) -> str:
        return "*"


@dataclass(frozen=True)
class Word:
    """A bare word: a whole token of the text (case-insensitive), or a substring when it holds punctuation."""

    text: str
    pos: int = _pos()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase: a case-insensitive substring of the text."""

    text: str
    pos: int = _pos()

    def __str__(self) -> str:
        return quote(self.text)


@dataclass(frozen=True)
class FieldMatch:
    """`name:value`: exact match (a substring for `message`/`raw`)."""

    name: str
    value: str
    pos: int = _pos()

    def __str__(self) -> str:
        return f"{self.name}:{value_text(self.value)}"


@dataclass(frozen=True)
class FieldPrefix:
    """`name:prefix*`; `name:*` (empty prefix) means the field is present and non-empty."""

    name: str
    prefix: str
    pos: int = _pos()

    def __str__(self) -> str:
        if self.prefix == "" or value_text(self.prefix + "x") == self.prefix + "x":
            return f"{self.name}:{self.prefix}*"
        return f"{self.name}:{quote(self.prefix)}*"


@dataclass(frozen=True)
class FieldRegex:
    """`name:~"re2"`: the field matches an RE2 regular expression (case-sensitive; use `(?i)`)."""

    name: str
    pattern: str
    pos: int = _pos()

    def __str__(self) -> str:
        return f"{self.name}:~{quote(self.pattern)}"


@dataclass(frozen=True)
class FieldCidr:
    """`name:10.0.0.0/8`: the field holds an IP address inside the network."""

    name: str
    network: str
    pos: int = _pos()

    def __str__(self) -> str:
        return f"{self.name}:{self.network}"


@dataclass(frozen=True)
class FieldCompare:
    """`name:>=value` (also >, <, <=): numbers; levels for `level`; times for `_time`."""

    name: str
    op: str
    value: str
    pos: int = _pos()

    def __str__(self) -> str:
        return f"{self.name}:{self.op}{self.value}"


@dataclass(frozen=True)
class FieldRange:
    """`name:[lo, hi)`: `[`/`]` include the bound, `(`/`)` exclude it; None is an open end (`*`)."""

    name: str
    lo: str | None
    hi: str | None
    lo_closed: bool = True
    hi_closed: bool = False
    pos: int = _pos()

    def __str__(self) -> str:
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{self.name}:{left}{self.lo or '*'}, {self.hi or '*'}{right}"


@dataclass(frozen=True)
class Not:
    child: Filter
    pos: int = _pos()

    def __str__(self) -> str:
        if isinstance(self.child, And | Or):
            return f"-({self.child})"
        return f"-{self.child}"


@dataclass(frozen=True)
class And:
    children: tuple[Filter, ...]
    pos: int = _pos()

    def __str__(self) -> str:
        return " ".join(f"({c})" if isinstance(c, Or) else str(c) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Filter, ...]
    pos: int = _pos()

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


FieldTerm = FieldMatch | FieldPrefix | FieldRegex | FieldCidr | FieldCompare | FieldRange
Filter = MatchAll | Word | Phrase | FieldTerm | Not | And | Or


def make_and(children: list[Filter], pos: int = 0) -> Filter:
    """AND of `children`, flattened, with match-all terms dropped."""
    flat: list[Filter] = []
    for c in children:
        if isinstance(c, And):
            flat.extend(c.children)
        elif not isinstance(c, MatchAll):
            flat.append(c)
    if not flat:
        return MatchAll(pos)
    return flat[0] if len(flat) == 1 else And(tuple(flat), pos)


def make_or(children: list[Filter], pos: int = 0) -> Filter:
    """OR of `children`, flattened; a match-all term makes the whole OR match all."""
    flat: list[Filter] = []
    for c in children:
        if isinstance(c, MatchAll):
            return MatchAll(c.pos)
        flat.extend(c.children if isinstance(c, Or) else (c,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat), pos)


# ------------------------------------------------------------------------------------------------ pipes

TIME_FIELD = "_time"  # the event time in filters; the time bucket (`_time:1h`) in `stats … by`
AGGREGATES = ("count", "count_distinct", "min", "max", "avg", "sum")


@dataclass(frozen=True)
class Aggregate:
    """`count()` or `func(field)`, optionally `as alias`."""

    func: str
    field: str | None = None
    alias: str | None = None
    pos: int = _pos()

    @property
    def default_name(self) -> str:
        return "count" if self.field is None else f"{self.func}_{self.field}"

    @property
    def name(self) -> str:
        """The output column name."""
        return self.alias or self.default_name

    def __str__(self) -> str:
        text = f"{self.func}({self.field or ''})"
        return text if self.name == self.default_name else f"{text} as {self.alias}"


@dataclass(frozen=True)
class StatsPipe:
    """`stats AGG, … [by (k1, k2, …)]`. A key `_time:STEP` groups by time bucket: it appears in `by` as
    `_time` (its output column) and `step` holds the canonical step (`5m`); `step` is set exactly when
    `_time` is one of the keys."""

    aggregates: tuple[Aggregate, ...]
    by: tuple[str, ...] = ()
    step: str | None = None
    pos: int = _pos()

    def __post_init__(self) -> None:
        if (TIME_FIELD in self.by) != (self.step is not None):
            raise ValueError("a stats time bucket needs both '_time' among the keys and a step")

    @property
    def columns(self) -> tuple[str, ...]:
        return self.by + tuple(a.name for a in self.aggregates)

    def key_text(self, name: str) -> str:
        return f"{name}:{self.step}" if name == TIME_FIELD else name

    def __str__(self) -> str:
        text = "stats " + ", ".join(str(a) for a in self.aggregates)
        return f"{text} by ({', '.join(self.key_text(k) for k in self.by)})" if self.by else text


@dataclass(frozen=True)
class SortKey:
    name: str
    desc: bool = False
    pos: int = _pos()

    def __str__(self) -> str:
        return f"{self.name} desc" if self.desc else self.name


@dataclass(frozen=True)
class SortPipe:
    keys: tuple[SortKey, ...]
    pos: int = _pos()

    def __str__(self) -> str:
        return "sort by " + ", ".join(str(k) for k in self.keys)


@dataclass(frozen=True)
class LimitPipe:
    n: int
    pos: int = _pos()

    def __str__(self) -> str:
        return f"limit {self.n}"


@dataclass(frozen=True)
class FieldsPipe:
    names: tuple[str, ...]
    pos: int = _pos()

    def __str__(self) -> str:
        return "fields " + ", ".join(self.names)


Pipe = StatsPipe | SortPipe | LimitPipe | FieldsPipe


@dataclass(frozen=True)
class Query:
    filter: Filter
    pipes: tuple[Pipe, ...] = ()

    def _pipe(self, kind: type) -> Pipe | None:
        return next((p for p in self.pipes if isinstance(p, kind)), None)

    @property
    def stats(self) -> StatsPipe | None:
        return self._pipe(StatsPipe)  # type: ignore[return-value]

    @property
    def sort(self) -> SortPipe | None:
        return self._pipe(SortPipe)  # type: ignore[return-value]

    @property
    def limit(self) -> LimitPipe | None:
        return self._pipe(LimitPipe)  # type: ignore[return-value]

    @property
    def fields(self) -> FieldsPipe | None:
        return self._pipe(FieldsPipe)  # type: ignore[return-value]

    def __str__(self) -> str:
        return " | ".join([str(self.filter), *(str(p) for p in self.pipes)])
