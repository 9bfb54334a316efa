"""Times a user types: ISO dates and datetimes (in the reading zone when they carry none) and spans."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from logwarden.errors import UsageError

_SPAN = re.compile(r"^(\d+)\s*(s|sec|m|min|h|d|w)$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_span(text: str) -> timedelta:
    m = _SPAN.match(text.strip().lower())
    if not m:
        raise UsageError(f"cannot read the span {text!r}: use a number and a unit, e.g. 30m, 2h, 7d")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def parse_time(text: str, tz: str) -> datetime:
    """A naive UTC datetime from `2026-03-01`, `2026-03-01 10:00`, `2026-03-01T10:00:00+03:00`, `now`."""
    t = text.strip()
    if t.lower() == "now":
        return datetime.now(UTC).replace(tzinfo=None)
    try:
        dt = datetime.fromisoformat(t)  # 3.11 reads a trailing Z
    except ValueError:
        raise UsageError(f"cannot read the time {text!r}: use ISO 8601, e.g. 2026-03-01 or 2026-03-01T10:00") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(UTC).replace(tzinfo=None)


def time_range(since: str | None, start: str | None, end: str | None, tz: str) -> tuple[datetime | None, datetime | None]:
    if since and start:
        raise UsageError("use either --since or --from, not both")
    lo = parse_time(start, tz) if start else None
    hi = parse_time(end, tz) if end else None
    if since:
        lo = datetime.now(UTC).replace(tzinfo=None) - parse_span(since)
    if lo and hi and lo >= hi:
        if since:
            raise UsageError(f"--since {since} starts after --to ({end}): nothing can match")
        raise UsageError(f"--from ({start}) must be before --to ({end})")
    return lo, hi
