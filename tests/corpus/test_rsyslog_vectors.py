"""rsyslog's parser test vectors (tests/testsuites/*.parse1): each input line with the header rsyslog reads.

A vector is a line, then `PRI,facility,severity,timestamp,hostname,programname,syslogtag,msg` (rsyslog's
template). Each input line is detected on its own, as a one-line file would be, and parsed by the chosen
format; the header parts must agree. rsyslog writes control characters as #ooo (and the vectors write them
as \\ooo); both are turned back into the character. Measured figures: see THRESHOLD below.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from corpus_util import detect_one, parse, share, with_message

# Measured: 26 of 49 vectors agree in every part; 273 of 343 parts (7 a vector) agree.
THRESHOLD = 0.53
PART_THRESHOLD = 0.79

_TAB = "Snare puts tabs in its tag: rsyslog's tag runs to the next space, our program name stops at any blank"
_NO_PRI = "no <PRI>: rsyslog assumes 13 (user.notice, RFC 3164 §4.3.3); we leave pri/facility/level empty"
_NO_HOST = ("no host after the time: rsyslog substitutes its own name; we keep the line unparsed (raw, with "
            "the reason) — `parsed` counts as every part differing")

# (file, index of the vector in the file, part that differs) -> why we differ on purpose
KNOWN: dict[tuple[str, int, str], str] = {
    ("mark.parse1", 1, "pri"): _NO_PRI,
    ("mark.parse1", 1, "facility"): _NO_PRI,
    ("mark.parse1", 1, "severity"): _NO_PRI,
    ("snare.parse1", 1, "pri"): _NO_PRI,
    ("snare.parse1", 1, "facility"): _NO_PRI,
    ("snare.parse1", 1, "severity"): _NO_PRI,
    **{("snare.parse1", i, part): _TAB for i in range(17) for part in ("tag", "msg")},
    ("upcase-date.parse1", 0, "tag"): "after 'AUG 10 22:18:24 2009  host' rsyslog takes 2009 as the host and "
    "no tag; we also take 2009 as the host, then the next word as the program",
    ("upcase-date.parse1", 0, "msg"): "follows from the tag above",
    **{("weird.parse1", i, "parsed"): _NO_HOST for i in (3, 4, 8, 9)},
}
PARTS = ("pri", "facility", "severity", "ts", "host", "tag", "msg")


def _vectors(folder: Path) -> list[tuple[str, int, str, str]]:
    out = []
    for path in sorted(folder.glob("*.parse1")):
        lines = [ln for ln in path.read_text(encoding="utf-8").split("\n")
                 if ln.strip() and not ln.startswith("#")]
        for i in range(0, len(lines) - 1, 2):
            out.append((path.name, i // 2, lines[i], lines[i + 1]))
    return out


def _octal(text: str, mark: str) -> str:
    return re.sub(re.escape(mark) + r"([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _expected(text: str) -> dict[str, str]:
    pri, fac, sev, ts, host, rest = text.split(",", 5)
    prog, tag, msg = "", "", ""
    for i, ch in enumerate(rest):  # programname is a prefix of syslogtag; either may hold commas
        if ch != ",":
            continue
        prog, after = rest[:i], rest[i + 1:]
        if after.startswith(prog) and "," in after[len(prog):]:
            j = after.index(",", len(prog))
            tag, msg = after[:j], after[j + 1:]
            break
    program = prog or re.sub(r"(\[[^\]]*\])?:?$", "", tag)
    return {"pri": pri, "facility": fac, "severity": sev, "ts": ts, "host": host, "tag": program,
            "msg": msg.strip()}


def _wall_clock(event_ts: str, raw: str) -> str:
    """Our UTC time shown as rsyslog shows it: the wall clock of the stamp's own offset, 'Mmm dd hh:mm:ss'."""
    t = datetime.fromisoformat(event_ts)
    off = re.search(r"\d\d:\d\d:\d\d(?:\.\d+)?([+-])(\d\d):(\d\d)\s", raw)
    if off:
        sign = 1 if off.group(1) == "+" else -1
        t += sign * timedelta(hours=int(off.group(2)), minutes=int(off.group(3)))
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


def _ours(event: dict, raw: str) -> dict[str, str]:
    return {"pri": str(event.get("pri", "")), "facility": event.get("facility", ""),
            "severity": event.get("level_raw", ""), "ts": _wall_clock(event["ts"], raw),
            "host": event.get("host", ""), "tag": event.get("service", ""),
            "msg": event.get("msg_check", "").strip()}


def test_rsyslog_parse1_vectors(corpora: Path, registry, engine) -> None:
    vectors = _vectors(corpora / "rsyslog" / "tests" / "testsuites")
    assert len(vectors) == 49
    differences: dict[tuple[str, int, str], str] = {}
    agree = parts_agree = 0
    for name, index, line, expected_text in vectors:
        line = _octal(line, "\\")
        want = _expected(_octal(expected_text, "#"))
        spec = detect_one(registry, line)
        event = parse(engine, with_message(spec), [line])[0] if spec else None
        if spec is None or not spec.name.startswith("syslog") or event["format"] != spec.name:
            differences[(name, index, "parsed")] = f"not parsed as syslog ({spec.name if spec else None})"
            continue
        got = _ours(event, line)
        wrong = [k for k in PARTS if got[k] != want[k]]
        for k in wrong:
            differences[(name, index, k)] = f"expected {want[k]!r}, got {got[k]!r}"
        agree += not wrong
        parts_agree += len(PARTS) - len(wrong)
    unexplained = {k: v for k, v in differences.items() if k not in KNOWN}
    assert not unexplained, f"new disagreements with rsyslog: {unexplained}"
    assert share(agree, len(vectors)) >= THRESHOLD, f"{agree}/{len(vectors)} vectors agree"
    assert share(parts_agree, len(vectors) * len(PARTS)) >= PART_THRESHOLD, f"{parts_agree} parts agree"


@pytest.mark.parametrize("line,fmt", [
    ("<34>Oct 11 22:14:15 mymachine su: 'su root' failed", "syslog_rfc3164"),
    ("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - msg", "syslog_rfc5424"),
    ("<14>2010-08-30T23:00:05Z X4711 AAAA", "syslog_rfc3164"),
])
def test_syslog_flavours_detected(registry, line: str, fmt: str) -> None:
    spec = detect_one(registry, line)
    assert spec is not None and spec.name == fmt
