"""Bound parameters: `{p0:String}` placeholders and their values.

`Binder` keeps values as plain Python values (str, int, float, list[str]; times as
`YYYY-MM-DD HH:MM:SS.ffffff` UTC text), the form `Store.rows(sql, params)` takes: the store escapes
them for the engine. For a bare chDB session use `encode_params`: chDB (like the HTTP interface's
`param_*`) reads each value in its type's *escaped* text format, so a backslash, tab or newline in a
string must be escaped or it is misread or rejected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

DATETIME = "DateTime64(6, 'UTC')"
ParamValue = str | int | float | list[str]
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}


def plain_value(value: object) -> ParamValue:
    """`value` as a parameter value: datetimes become UTC text (naive means UTC), sequences lists."""
    if isinstance(value, str | int):  # bool is an int
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot bind a non-finite number: {value}")
        return value
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"cannot bind a value of type {type(value).__name__}")


def encode_param(value: object) -> str:
    """A value as the text a bare chDB session expects for a `{name:Type}` placeholder."""
    plain = plain_value(value)
    if isinstance(plain, str):
        return "".join(_ESCAPES.get(c, c) for c in plain)
    if isinstance(plain, list):  # one layer of quoting inside the array, not escaped again
        quoted = ("'" + "".join(_ESCAPES.get(c, "\\'" if c == "'" else c) for c in v) + "'" for v in plain)
        return "[" + ",".join(quoted) + "]"
    return repr(plain)


def encode_params(params: Mapping[str, object]) -> dict[str, str]:
    return {name: encode_param(value) for name, value in params.items()}


class Binder:
    """Hands out placeholders `{p0:Type}`, `{p1:Type}`…; the same (value, type) reuses its placeholder."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.params: dict[str, ParamValue] = {}
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, value: object, type_: str) -> str:
        plain = plain_value(value)
        key = (repr(plain), type_)
        if key not in self._seen:
            name = f"{self.prefix}{len(self.params)}"
            self.params[name] = plain
            self._seen[key] = f"{{{name}:{type_}}}"
        return self._seen[key]
