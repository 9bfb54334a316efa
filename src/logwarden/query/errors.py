"""The one error a query can raise: what went wrong and the column where it went wrong."""

from __future__ import annotations


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed (or names something the language does not allow).

    `column` is 1-based and counts characters of the whole query text; `query` is that text when known,
    so `str(err)` can draw a caret under the offending spot:

        query syntax error at column 17: expected ')'
          level:error (foo
                          ^
    """

    def __init__(self, message: str, column: int, query: str | None = None) -> None:
        super().__init__(message, column)
        self.message = message
        self.column = max(1, column)
        self.query = query

    def pointer(self) -> str:
        """The query line holding the column, and a caret under the column (empty if no query text)."""
        if self.query is None:
            return ""
        offset = min(self.column - 1, len(self.query))
        line_start = self.query.rfind("\n", 0, offset) + 1
        line_end = self.query.find("\n", offset)
        if line_end < 0:
            line_end = len(self.query)
        line = self.query[line_start:line_end].replace("\t", " ")
        return f"  {line}\n  {' ' * (offset - line_start)}^"

    def __str__(self) -> str:
        head = f"query syntax error at column {self.column}: {self.message}"
        pointer = self.pointer()
        return f"{head}\n{pointer}" if pointer else head
