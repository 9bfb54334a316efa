"""Snare's Windows events: event types in English, NXLog's words and Russian (a server with the Russian locale),
in any case, to levels through the engine; Snare in an RFC 5424 envelope detected and read by snare_windows_5424,
ordinary RFC 5424 lines never taken from syslog_rfc5424."""

from __future__ import annotations

from typing import Any

import pytest

from logwarden.formats.check import parse_lines
from logwarden.formats.registry import Registry

COLUMNS = ("1\tSecurity\t5120\tSun Mar 01 10:00:00 2026\t4625\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\t"
           "{kind}\tBUH01\tВход в систему\t\tНе удалось выполнить вход в учетную запись.\t5109")
ENVELOPES = {  # format -> a line with the event type {kind}
    "snare_windows": "<13>Mar  1 10:00:01 buh01.corp.ru MSWinEventLog\t" + COLUMNS,
    "snare_windows_5424": "<13>1 2026-03-01T10:00:01.000+03:00 buh01.corp.ru - - - - MSWinEventLog\t" + COLUMNS,
}

# (event type as sent, level): every word in the case it is written, in upper case and in lower case.
WORDS = [
    ("Аудит отказов", "warn"), ("Аудит отказа", "warn"), ("Аудит успехов", "info"), ("Аудит успеха", "info"),
    ("Ошибка", "error"), ("Предупреждение", "warn"), ("Сведения", "info"), ("Информация", "info"),
    ("Критический", "fatal"), ("Подробности", "debug"),
    ("Success Audit", "info"), ("Failure Audit", "warn"), ("Error", "error"), ("Warning", "warn"),
    ("Information", "info"), ("Critical", "fatal"), ("Verbose", "debug"),
    ("AUDIT_SUCCESS", "info"), ("AUDIT_FAILURE", "warn"), ("INFO", "info"),
]
CASES = sorted({(w, lvl) for word, lvl in WORDS for w in (word, word.upper(), word.lower())})


@pytest.fixture(scope="module")
def parsed(registry: Registry, engine) -> dict[tuple[str, str], dict[str, Any]]:
    """Every (format, word) event, parsed in one batch a format."""
    out = {}
    for fmt, template in ENVELOPES.items():
        events = parse_lines(engine, registry.get(fmt), [template.format(kind=w) for w, _ in CASES])
        out.update({(fmt, w): e for (w, _), e in zip(CASES, events, strict=True)})
    return out


@pytest.mark.parametrize("fmt", sorted(ENVELOPES))
@pytest.mark.parametrize(("word", "level"), CASES)
def test_event_type_to_level(parsed: dict, fmt: str, word: str, level: str) -> None:
    event = parsed[(fmt, word)]
    assert event["format"] == fmt
    assert (event["level"], event["level_raw"], event["event_type"]) == (level, word, word)


def test_unknown_event_type_falls_back_to_pri(parsed: dict, registry: Registry, engine) -> None:
    """A word the table lacks is not guessed at: the <PRI>'s severity gives the level (13: notice)."""
    for fmt, template in ENVELOPES.items():
        event = parse_lines(engine, registry.get(fmt), [template.format(kind="Аудит чего-то")])[0]
        assert (event["format"], event["level"]) == (fmt, "notice"), fmt


SNARE_5424 = ENVELOPES["snare_windows_5424"].format(kind="Аудит отказов")
TAIL = COLUMNS.format(kind="Ошибка")


@pytest.mark.parametrize(("line", "fmt"), [
    (SNARE_5424, "snare_windows_5424"),
    (SNARE_5424.replace("\t", "#011"), "snare_windows_5424"),  # as rsyslog writes it to a file
    (f"<14>1 2026-03-01T10:00:01Z dc01 SnareAgent - MSWinEventLog - {TAIL}", "snare_windows_5424"),  # MSGID
    (f"<14>1 2026-03-01T10:00:01Z dc01 MSWinEventLog - - - {TAIL}", "snare_windows_5424"),  # APP-NAME
    (f'<14>1 - dc01 nxlog 912 - [meta seq="4"] MSWinEventLog\t{TAIL}', "snare_windows_5424"),
    # Not Snare's columns: plain RFC 5424.
    ('<13>1 2026-03-01T10:00:01Z dc01 - - - - MSWinEventLog\t0\t{"EventID":4624,"Channel":"Security"}',
     "syslog_rfc5424"),
    ("<13>1 2026-03-01T10:00:01Z dc01 MSWinEventLog - - - agent started", "syslog_rfc5424"),
    ("<13>1 2026-03-01T10:00:01Z mon01 zabbix 77 - - trigger: no MSWinEventLog from dc01 for 10m",
     "syslog_rfc5424"),
    ("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed", "syslog_rfc5424"),
    ('<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3"] An event', "syslog_rfc5424"),
    # RFC 3164 envelope and bare lines stay snare_windows.
    (ENVELOPES["snare_windows"].format(kind="Аудит отказов"), "snare_windows"),
    ("BUH01\tMSWinEventLog\t" + TAIL, "snare_windows"),
])
def test_line_detected(registry: Registry, line: str, fmt: str) -> None:
    found = registry.detect([line], "")
    assert (found.spec.name if found.spec else None) == fmt, found.reason


def test_relay_file_mixing_snare_and_other_5424_lines(registry: Registry, engine) -> None:
    """A relay's RFC 5424 file, Windows (Snare) and Unix hosts: chosen as snare_windows_5424; its other lines are
    read exactly as syslog_rfc5424 reads them (every column and field but the format's name)."""
    others = [s.line for s in registry.get("syslog_rfc5424").samples]
    snare = [s.line for s in registry.get("snare_windows_5424").samples]
    lines = [x for pair in zip(others, snare + [""] * len(others)) for x in pair if x]
    found = registry.detect(lines, "relay.log")
    assert found.spec is not None and found.spec.name == "snare_windows_5424", found.reason
    ours = parse_lines(engine, registry.get("snare_windows_5424"), lines)
    assert all(e["format"] == "snare_windows_5424" for e in ours)
    plain = dict(zip(others, parse_lines(engine, registry.get("syslog_rfc5424"), others), strict=True))
    for line, event in zip(lines, ours, strict=True):
        if line in plain:
            assert {**event, "format": "syslog_rfc5424", "seq": plain[line]["seq"]} == plain[line], line
        else:
            assert event["event_id"] and event["channel"], line
