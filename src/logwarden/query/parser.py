"""Recursive-descent parser: tokens → `Query`.

    query    := filter ( "|" pipe )*
    filter   := "*" | or_expr | (nothing)
    or_expr  := and_expr ( "OR" and_expr )*
    and_expr := unary ( ["AND"] unary )*
    unary    := "-" unary | "NOT" unary | "(" or_expr ")" | WORD | STRING | FIELD
    pipe     := "stats" agg ("," agg)* ["by" ( "(" keys ")" | keys )]
              | "sort" "by" name ["asc"|"desc"] ("," name ["asc"|"desc"])*
              | "limit" N
              | "fields" names
    keys     := key ("," key)*        key := name | "_time:" STEP   (STEP: 30s, 5m, 1h, 1d, 1w, …)

Precedence: NOT > AND > OR. Keywords OR/AND/NOT are upper case; pipe words are case-insensitive.
Everything the compiler needs to trust (field names, levels, regexes, numbers, times, pipe order) is
checked here, so a parsed `Query` always compiles.
"""

from __future__ import annotations

import re

import re2

from logwarden.query import ast
from logwarden.query.errors import QuerySyntaxError
from logwarden.query.lexer import Bound, FieldParts, Kind, Token, tokenize
from logwarden.query.values import STEP_UNITS, canonical_step, canonical_time, is_number, parse_cidr
from logwarden.store.schema import LEVELS

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
RAW_NAMES = ("message", "raw")
TIME_FIELD = ast.TIME_FIELD
MAP_COLUMN = "fields"
_COMPARISONS = (">", ">=", "<", "<=")
_KEYWORDS = ("OR", "AND", "NOT")
_TIME_USAGE = "e.g. _time:[2024-03-01, 2024-03-02) or _time:>=2024-03-01T10:00"
_STEP_USAGE = (
    f"a time bucket reads _time:STEP, a positive whole number and a unit ({', '.join(STEP_UNITS)}): "
    "e.g. _time:30s, _time:5m, _time:1h, _time:1d, _time:1w"
)


def parse(text: str) -> ast.Query:
    """Parse query text; raise `QuerySyntaxError` (with the column) when it is not valid."""
    return _Parser(text).query()


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    return options


_RE2_OPTIONS = _re2_options()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # ---------------------------------------------------------------------------------------- helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind is not Kind.EOF:
            self.i += 1
        return tok

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos + 1, self.text)

    def is_word(self, *words: str, case: bool = True) -> bool:
        tok = self.tok
        if tok.kind is not Kind.WORD:
            return False
        return tok.text in words if case else tok.text.lower() in words

    def expect(self, kind: Kind, what: str | None = None) -> Token:
        if self.tok.kind is not kind:
            raise self.error(f"expected {what or kind.value}, found {self.describe(self.tok)}", self.tok.pos)
        return self.advance()

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind is Kind.EOF:
            return "the end of the query"
        return f"{tok.kind.value} {tok.text!r}" if tok.kind in (Kind.WORD, Kind.FIELD) else tok.kind.value

    # ----------------------------------------------------------------------------------------- filter

    def query(self) -> ast.Query:
        filt = self.filter()
        pipes: list[ast.Pipe] = []
        while self.tok.kind is Kind.PIPE:
            self.advance()
            pipes.append(self.pipe())
        if self.tok.kind is not Kind.EOF:
            raise self.error(f"unexpected {self.describe(self.tok)}", self.tok.pos)
        self.check_pipeline(pipes)
        return ast.Query(filt, tuple(pipes))

    def filter(self) -> ast.Filter:
        if self.tok.kind in (Kind.PIPE, Kind.EOF):
            return ast.MatchAll(self.tok.pos)
        node = self.or_expr()
        if self.tok.kind is Kind.RPAREN:
            raise self.error("unmatched ')'", self.tok.pos)
        if self.tok.kind is Kind.COMMA:
            raise self.error("unexpected ','; quote values that contain commas", self.tok.pos)
        return node

    def starts_term(self) -> bool:
        tok = self.tok
        if tok.kind is Kind.WORD:
            return tok.text not in ("OR", "AND")
        return tok.kind in (Kind.STRING, Kind.FIELD, Kind.MINUS, Kind.LPAREN)

    def or_expr(self) -> ast.Filter:
        pos = self.tok.pos
        items = [self.and_expr()]
        while self.is_word("OR"):
            self.advance()
            items.append(self.and_expr())
        return ast.make_or(items, pos)

    def and_expr(self) -> ast.Filter:
        pos = self.tok.pos
        items = [self.unary()]
        while True:
            if self.is_word("AND"):
                self.advance()
            elif not self.starts_term():
                break
            items.append(self.unary())
        return ast.make_and(items, pos)

    def unary(self) -> ast.Filter:
        tok = self.tok
        if tok.kind is Kind.MINUS or (tok.kind is Kind.WORD and tok.text == "NOT"):
            self.advance()
            return ast.Not(self.unary(), tok.pos)
        if tok.kind is Kind.LPAREN:
            self.advance()
            node = self.or_expr()
            if self.tok.kind is not Kind.RPAREN:
                raise self.error(f"expected ')', found {self.describe(self.tok)}", self.tok.pos)
            self.advance()
            return node
        if tok.kind in (Kind.WORD, Kind.STRING):
            if tok.kind is Kind.WORD and tok.text in _KEYWORDS:
                raise self.error(
                    f"expected a search term before {tok.text}; to search for the word itself, "
                    f'quote it: "{tok.text}"',
                    tok.pos,
                )
            self.advance()
            nxt = self.tok
            if nxt.kind is Kind.LPAREN and nxt.pos == tok.end:
                raise self.error(
                    "'(' right after a word; to search for text with parentheses, quote the whole of it, "
                    'e.g. "getUser(42)"',
                    nxt.pos,
                )
            if tok.kind is Kind.STRING:
                return ast.Phrase(tok.text, tok.pos)
            return ast.MatchAll(tok.pos) if tok.text == "*" else ast.Word(tok.text, tok.pos)
        if tok.kind is Kind.FIELD:
            self.advance()
            assert tok.field is not None
            return self.field_term(tok.field, tok.pos)
        if tok.kind is Kind.EOF:
            raise self.error("expected a search term, found the end of the query", tok.pos)
        raise self.error(f"expected a search term, found {self.describe(tok)}", tok.pos)

    # ------------------------------------------------------------------------------------ field terms

    def field_term(self, f: FieldParts, pos: int) -> ast.Filter:
        name = f.name
        if name == "ts":
            raise self.error(f"filter by time with _time, {_TIME_USAGE}", pos)
        if name == MAP_COLUMN:
            raise self.error(
                "'fields' is the map of all extracted fields; name one of its keys, e.g. http_method:GET", pos
            )
        if f.op == "range":
            assert f.lo is not None and f.hi is not None
            lo, hi = self.bound(name, f.lo), self.bound(name, f.hi)
            return ast.FieldRange(name, lo, hi, f.lo_closed, f.hi_closed, pos)
        if name == TIME_FIELD:
            if f.op not in _COMPARISONS:
                raise self.error(f"_time takes a range or a comparison, {_TIME_USAGE}", pos)
            return ast.FieldCompare(name, f.op, self.time(f.value, f.value_pos), pos)
        if f.op == "~":
            try:
                re2.compile(f.value, _RE2_OPTIONS)
            except re2.error as e:
                reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
                raise self.error(f"invalid regular expression: {reason}", f.value_pos) from None
            return ast.FieldRegex(name, f.value, pos)
        if name in RAW_NAMES and f.op:
            raise self.error(f"{name} is text: use {name}:value, {name}:~\"regex\" or a phrase", pos)
        if f.op:
            return ast.FieldCompare(name, f.op, self.scalar(name, f.value, f.value_pos), pos)
        if name == "level":
            value = f.value.lower()
            if f.star:
                return ast.FieldPrefix(name, value, pos)
            if value:
                self.level(value, f.value_pos)
            return ast.FieldMatch(name, value, pos)
        if f.star:
            return ast.FieldPrefix(name, f.value, pos)
        if not f.quoted and name not in RAW_NAMES and parse_cidr(f.value) is not None:
            return ast.FieldCidr(name, f.value, pos)
        return ast.FieldMatch(name, f.value, pos)

    def bound(self, name: str, b: Bound) -> str | None:
        if b.text == "*":
            return None
        if name in RAW_NAMES:
            raise self.error(f"{name} is text and takes no range", b.pos)
        if name == TIME_FIELD:
            return self.time(b.text, b.pos)
        return self.scalar(name, b.text, b.pos)

    def scalar(self, name: str, value: str, pos: int) -> str:
        """A comparison/range value: a level for `level`, else a number."""
        if name == "level":
            return self.level(value.lower(), pos)
        if not is_number(value):
            raise self.error(f"comparisons and ranges on {name} need numbers; {value!r} is not a number", pos)
        return value

    def level(self, value: str, pos: int) -> str:
        if value not in LEVELS:
            raise self.error(f"unknown level {value!r}; levels are {', '.join(LEVELS)}", pos)
        return value

    def time(self, value: str, pos: int) -> str:
        try:
            return canonical_time(value)
        except ValueError:
            raise self.error(
                f"{value!r} is not a date or time; use ISO dates or date-times in UTC, {_TIME_USAGE}", pos
            ) from None

    # ------------------------------------------------------------------------------------------ pipes

    def name(self, what: str = "a field name") -> tuple[str, int]:
        tok = self.tok
        if tok.kind is not Kind.WORD or not NAME_RE.fullmatch(tok.text):
            found = self.describe(tok)
            raise self.error(f"expected {what} (letters, digits, '_' and '.'), found {found}", tok.pos)
        if tok.text.startswith("__"):
            raise self.error("names starting with '__' are reserved", tok.pos)
        self.advance()
        return tok.text, tok.pos

    def names(self, what: str = "a field name") -> list[tuple[str, int]]:
        out = [self.name(what)]
        while self.tok.kind is Kind.COMMA:
            self.advance()
            out.append(self.name(what))
        return out

    def pipe(self) -> ast.Pipe:
        tok = self.tok
        if tok.kind is not Kind.WORD:
            raise self.error(f"expected a pipe (stats, sort, limit, fields), found {self.describe(tok)}", tok.pos)
        word = tok.text.lower()
        self.advance()
        if word == "stats":
            return self.stats(tok.pos)
        if word == "sort":
            if not self.is_word("by", case=False):
                raise self.error(f"expected 'by' after sort, found {self.describe(self.tok)}", self.tok.pos)
            self.advance()
            keys = [self.sort_key()]
            while self.tok.kind is Kind.COMMA:
                self.advance()
                keys.append(self.sort_key())
            return ast.SortPipe(tuple(keys), tok.pos)
        if word == "limit":
            n = self.tok
            if n.kind is not Kind.WORD or not n.text.isdigit() or not 0 < int(n.text) < 2**63:
                raise self.error(f"limit takes a positive whole number, found {self.describe(n)}", n.pos)
            self.advance()
            return ast.LimitPipe(int(n.text), tok.pos)
        if word == "fields":
            names = self.names()
            for name, npos in names:
                if name == TIME_FIELD:
                    raise self.error("use ts here (_time is for filters)", npos)
            self.no_duplicates(names, "fields")
            return ast.FieldsPipe(tuple(n for n, _ in names), tok.pos)
        raise self.error(f"unknown pipe {tok.text!r}; pipes are stats, sort, limit, fields", tok.pos)

    def sort_key(self) -> ast.SortKey:
        name, pos = self.name()
        desc = False
        if self.is_word("asc", "desc", case=False):
            desc = self.advance().text.lower() == "desc"
        return ast.SortKey(name, desc, pos)

    def stats(self, pos: int) -> ast.StatsPipe:
        aggs = [self.aggregate()]
        while self.tok.kind is Kind.COMMA:
            self.advance()
            aggs.append(self.aggregate())
        by: list[tuple[str, int]] = []
        step: str | None = None
        if self.is_word("by", case=False):
            self.advance()
            parens = self.tok.kind is Kind.LPAREN
            if parens:
                self.advance()
            while True:
                name, npos, key_step = self.stats_key()
                by.append((name, npos))
                step = step or key_step
                if self.tok.kind is not Kind.COMMA:
                    break
                self.advance()
            if parens:
                self.expect(Kind.RPAREN, "')' after the stats by fields")
        outputs = [(n, p) for n, p in by] + [(a.name, a.pos) for a in aggs]
        self.no_duplicates(outputs, "stats output")
        return ast.StatsPipe(tuple(aggs), tuple(n for n, _ in by), step, pos)

    def stats_key(self) -> tuple[str, int, str | None]:
        """One `stats … by` key: a field name, or a time bucket `_time:STEP` (name, pos, step or None)."""
        tok = self.tok
        if tok.kind is Kind.FIELD and tok.field is not None and tok.field.name == TIME_FIELD:
            f = tok.field
            value_pos = tok.pos + len(TIME_FIELD) + 1
            if f.op or f.quoted or f.star:
                raise self.error(_STEP_USAGE, value_pos)
            try:
                step = canonical_step(f.value)
            except ValueError:
                if re.fullmatch(r"0*[1-9][0-9]*[smhdw]", f.value):
                    message = f"time step {f.value!r} is too long: at most about 136 years"
                    raise self.error(message, value_pos) from None
                raise self.error(f"{f.value!r} is not a time step; {_STEP_USAGE}", value_pos) from None
            self.advance()
            return TIME_FIELD, tok.pos, step
        if tok.kind is Kind.WORD and tok.text == TIME_FIELD:
            raise self.error(f"_time needs a step here; {_STEP_USAGE}", tok.pos)
        name, npos = self.name()
        self.output_field(name, npos)
        return name, npos, None

    def aggregate(self) -> ast.Aggregate:
        tok = self.tok
        func = tok.text.lower() if tok.kind is Kind.WORD else ""
        if func not in ast.AGGREGATES:
            raise self.error(
                f"expected an aggregate: count(), count_distinct(f), min(f), max(f), avg(f) or sum(f); "
                f"found {self.describe(tok)}",
                tok.pos,
            )
        self.advance()
        self.expect(Kind.LPAREN, f"'(' after {func}")
        field: str | None = None
        if func == "count":
            if self.tok.kind is not Kind.RPAREN:
                raise self.error("count() takes no field; to count distinct values use count_distinct(f)",
                                 self.tok.pos)
        else:
            field, fpos = self.name()
            self.output_field(field, fpos)
            if func in ("avg", "sum") and field == "ts":
                raise self.error(f"{func}() needs numbers; ts is a time (use min(ts) or max(ts))", fpos)
        self.expect(Kind.RPAREN, f"')' to close {func}(")
        alias: str | None = None
        if self.is_word("as", case=False):
            self.advance()
            alias, _ = self.name("a column name")
        agg = ast.Aggregate(func, field, alias, tok.pos)
        return ast.Aggregate(func, field, None, tok.pos) if alias == agg.default_name else agg

    def output_field(self, name: str, pos: int) -> None:
        """Names that stats and sort can use: any column or map key, but not the map itself."""
        if name == MAP_COLUMN:
            raise self.error("'fields' is the whole map; name one of its keys", pos)
        if name == TIME_FIELD:
            raise self.error("use ts here (_time is for filters and time buckets: by (_time:1h))", pos)

    def no_duplicates(self, names: list[tuple[str, int]], what: str) -> None:
        seen: set[str] = set()
        for name, pos in names:
            if name in seen:
                raise self.error(f"{name!r} appears twice in the {what}", pos)
            seen.add(name)

    def check_pipeline(self, pipes: list[ast.Pipe]) -> None:
        """Pipe order: [stats] then sort / limit / fields once each, sort before limit, no fields after stats."""
        seen: dict[type, ast.Pipe] = {}
        stats: ast.StatsPipe | None = None
        for i, pipe in enumerate(pipes):
            word = str(pipe).split(" ", 1)[0]
            if type(pipe) in seen:
                raise self.error(f"only one '{word}' pipe is allowed", pipe.pos)
            seen[type(pipe)] = pipe
            if isinstance(pipe, ast.StatsPipe):
                if i:
                    raise self.error("stats must be the first pipe (before sort and limit)", pipe.pos)
                stats = pipe
            elif isinstance(pipe, ast.SortPipe):
                if ast.LimitPipe in seen:
                    raise self.error("sort must come before limit", pipe.pos)
                for key in pipe.keys:
                    if stats is not None and key.name not in stats.columns:
                        raise self.error(
                            f"unknown column {key.name!r} after stats; it makes {', '.join(stats.columns)}",
                            key.pos,
                        )
                    if stats is None:
                        self.output_field(key.name, key.pos)
            elif isinstance(pipe, ast.FieldsPipe) and stats is not None:
                raise self.error("fields cannot follow stats; stats already chooses its columns", pipe.pos)
