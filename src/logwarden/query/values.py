"""Literal values of the query language: numbers, times, CIDR networks, and how to print text back."""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime

from logwarden.query.lexer import PUNCTUATION

NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Time-bucket steps (`_time:5m`): a positive whole number and one of these units → its seconds.
STEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_STEP_SECONDS = 2**32 - 1  # about 136 years; the engine's interval count is bound as a UInt32
_STEP_RE = re.compile(r"([0-9]{1,20})([a-z]+)")


def is_number(text: str) -> bool:
    """A plain, finite decimal number (no nan/inf/underscores), as comparisons and ranges accept."""
    return NUMBER_RE.fullmatch(text) is not None and math.isfinite(float(text))


def parse_time(text: str) -> datetime:
    """An ISO date or date-time (UTC unless it carries an offset) → an aware UTC datetime.

    Raises ValueError when `text` is not one.
    """
    text = text.strip()
    if not (_DATE_RE.match(text) and (len(text) == 10 or text[10] in "T t")):
        raise ValueError(text)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Canonical text of a UTC time: `2024-03-01`, `2024-03-01T10:00:00`, `2024-03-01T10:00:00.25`."""
    value = value.astimezone(UTC) if value.tzinfo else value
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.strftime("%Y-%m-%d")
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def canonical_time(text: str) -> str:
    return format_time(parse_time(text))


def parse_step(text: str) -> tuple[int, str]:
    """A time-bucket step such as `30s`, `5m`, `1h`, `1d`, `1w` → (count, unit letter).

    Raises ValueError unless `text` is a positive whole number followed by s, m, h, d or w, and the
    step is at most `MAX_STEP_SECONDS` long.
    """
    m = _STEP_RE.fullmatch(text)
    if m is None or m[2] not in STEP_UNITS or not 0 < int(m[1]) * STEP_UNITS[m[2]] <= MAX_STEP_SECONDS:
        raise ValueError(
            f"not a time step: {text!r} (a positive whole number and s, m, h, d or w, e.g. 5m; "
            "at most about 136 years)"
        )
    return int(m[1]), m[2]


def canonical_step(text: str) -> str:
    """The canonical spelling of a step: `05m` → `5m`."""
    n, unit = parse_step(text)
    return f"{n}{unit}"


def step_seconds(text: str) -> int:
    """The length of a step in seconds."""
    n, unit = parse_step(text)
    return n * STEP_UNITS[unit]


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network written as `addr/len`, or None when `text` is not one (host bits may be set)."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def quote(value: str) -> str:
    """`value` in double quotes, escaping only what the lexer would otherwise read differently.

    A backslash is doubled only before `"` or `\\` or at the end, so `"\\d+"` stays as typed.
    """
    out = ['"']
    for i, c in enumerate(value):
        if c == '"':
            out.append('\\"')
        elif c == "\\" and (i + 1 == len(value) or value[i + 1] in '"\\'):
            out.append("\\\\")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def is_bare_value(value: str) -> bool:
    """True when `value` can follow `name:` unquoted and lex back as an exact match of itself."""
    return (
        value != ""
        and not any(c.isspace() or c in PUNCTUATION for c in value)
        and value[0] not in "[<>~"
        and not value.endswith("*")
        and parse_cidr(value) is None
    )


def value_text(value: str) -> str:
    return value if is_bare_value(value) else quote(value)
