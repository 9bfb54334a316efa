"""Query text → tokens.

The lexer knows the few shapes that are lexical units:

* punctuation `(` `)` `|` `,`;
* `"quoted strings"` (escapes: `\\"` and `\\\\`; any other backslash stays as written, so regexes
  like `"\\d+"` need no doubling);
* `-` right before a term (negation);
* `name:value` field terms, read whole because a value may hold characters that elsewhere end a
  word: `name:"quoted"`, `name:prefix*`, `name:>=5`, `name:~"re2"`, `name:[from, to)`;
* bare words: every other run of characters up to whitespace or punctuation.

Keywords (`OR`, `AND`, `NOT`, pipe names) are plain WORD tokens; the parser decides what they mean.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from logwarden.query.errors import QuerySyntaxError

# Characters that end a bare word (besides whitespace).
PUNCTUATION = frozenset('()|,"')
# `name:` at the start of a word makes a field term.
FIELD_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:")
_COMPARE_OPS = (">=", "<=", ">", "<", "~")


class Kind(enum.Enum):
    WORD = "word"
    STRING = "quoted string"
    FIELD = "field term"
    LPAREN = "'('"
    RPAREN = "')'"
    PIPE = "'|'"
    COMMA = "','"
    MINUS = "'-'"
    EOF = "end of query"


@dataclass(frozen=True)
class Bound:
    """One end of a `name:[from, to)` range, as written (`*` for an open end)."""

    text: str
    pos: int


@dataclass(frozen=True)
class FieldParts:
    """The pieces of a `name:…` term; `op` is "" (match), ">", ">=", "<", "<=", "~" or "range"."""

    name: str
    op: str
    value: str = ""
    value_pos: int = 0
    quoted: bool = False
    star: bool = False
    lo: Bound | None = None
    hi: Bound | None = None
    lo_closed: bool = True
    hi_closed: bool = False


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # the word, the decoded string, the punctuation, or the whole field term as written
    pos: int  # 0-based offset of the first character
    end: int
    field: FieldParts | None = None

    @property
    def column(self) -> int:
        return self.pos + 1


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with one EOF token."""
    return _Lexer(text).run()


def _is_end(text: str, i: int) -> bool:
    """True when position `i` ends a word: end of text, whitespace or punctuation."""
    return i >= len(text) or text[i].isspace() or text[i] in PUNCTUATION


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos + 1, self.text)

    def run(self) -> list[Token]:
        text, i, n = self.text, 0, len(self.text)
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                self.tokens.append(Token(Kind.EOF, "", n, n))
                return self.tokens
            c = text[i]
            if c in "()|,":
                kind = {"(": Kind.LPAREN, ")": Kind.RPAREN, "|": Kind.PIPE, ",": Kind.COMMA}[c]
                self.tokens.append(Token(kind, c, i, i + 1))
                i += 1
            elif c == '"':
                value, end = self.read_string(i)
                self.tokens.append(Token(Kind.STRING, value, i, end))
                i = end
            elif c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in ")|,":
                self.tokens.append(Token(Kind.MINUS, "-", i, i + 1))
                i += 1
            else:
                m = FIELD_NAME_RE.match(text, i)
                if m:
                    i = self.read_field(i, m.end())
                else:
                    end = self.read_run(i)
                    self.tokens.append(Token(Kind.WORD, text[i:end], i, end))
                    i = end

    def read_run(self, i: int) -> int:
        """The end of the bare run of characters starting at `i`."""
        while not _is_end(self.text, i):
            i += 1
        return i

    def read_string(self, start: int) -> tuple[str, int]:
        """Decode the quoted string opening at `start`; return (value, offset after the closing quote)."""
        text, i, out = self.text, start + 1, []
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
                out.append(text[i + 1])
                i += 2
            elif c == '"':
                return "".join(out), i + 1
            else:
                out.append(c)
                i += 1
        raise self.error('unterminated quoted string: add the closing "', start)

    def read_field(self, start: int, j: int) -> int:
        """Lex `name:…` whose value starts at `j`; append the FIELD token and return where it ends."""
        text = self.text
        name = text[start : j - 1]
        if _is_end(text, j) and (j >= len(text) or text[j] not in '("'):
            raise self.error(
                f"missing value after '{name}:'; to search for the text itself, quote it: \"{name}:\"", j
            )
        if text[j] in "[(":
            parts, end = self.read_range(name, j)
        else:
            op = next((o for o in _COMPARE_OPS if text.startswith(o, j)), "")
            k = j + len(op)
            if k < len(text) and text[k] == '"':
                value, end = self.read_string(k)
                star = op == "" and end < len(text) and text[end] == "*"
                end += star
                parts = FieldParts(name, op, value, k, quoted=True, star=star)
            else:
                end = self.read_run(k)
                if end == k:
                    raise self.error(f"missing value after '{name}:{op}'", k)
                value = text[k:end]
                star = op == "" and value.endswith("*")
                parts = FieldParts(name, op, value[:-1] if star else value, k, quoted=False, star=star)
        if not _is_end(text, end) or (end < len(text) and text[end] in '("'):
            raise self.error(
                f"unexpected {text[end]!r} right after the value of '{name}:'; "
                "put a space between terms, or quote the whole value",
                end,
            )
        self.tokens.append(Token(Kind.FIELD, text[start:end], start, end, parts))
        return end

    def read_range(self, name: str, j: int) -> tuple[FieldParts, int]:
        """Lex `[from, to)` (either bracket kind on either end) starting at `j`."""
        text = self.text
        usage = f"a range reads {name}:[from, to) — ']' / '[' include the bound, ')' / '(' exclude it"
        lo, k = self.read_bound(j + 1, usage)
        if k >= len(text) or text[k] != ",":
            raise self.error(f"expected ',' between the two bounds; {usage}", k)
        hi, k = self.read_bound(k + 1, usage)
        if k >= len(text):
            raise self.error(f"unterminated range: expected ']' or ')'; {usage}", k)
        if text[k] not in "])":
            raise self.error(f"expected ']' or ')' to close the range; {usage}", k)
        parts = FieldParts(name, "range", lo=lo, hi=hi, lo_closed=text[j] == "[", hi_closed=text[k] == "]")
        return parts, k + 1

    def read_bound(self, i: int, usage: str) -> tuple[Bound, int]:
        text = self.text
        while i < len(text) and text[i].isspace():
            i += 1
        start = i
        while i < len(text) and text[i] not in ',[]()"|':
            i += 1
        value = text[start:i].rstrip()
        if not value:
            raise self.error(f"missing range bound (use * for an open end); {usage}", start)
        return Bound(value, start), i
