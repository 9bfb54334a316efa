"""CrowdSec hub parser tests (tests/<name>/parser.assert): the fields CrowdSec's parsers extract per line.

Only the zimbra-logs and postfix-logs tests ship field assertions (the other zimbra/postfix tests assert
scenarios only). Each log file is detected as a file would be, every line parsed, and each asserted
field CrowdSec and we both extract is compared under our name. CrowdSec's `reason` of a reject is the text
after the codes and the address (`Relay access denied`); ours keeps the whole reply (`454 4.7.1 <x>: Relay
access denied`), so it is compared as a suffix. CrowdSec's Parsed["helo"] of a reject is the recipient
(their grok's quirk); the helo= value it also unmarshals is the one compared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from corpus_util import parse, read_lines, share, with_message

ASSERT = re.compile(r'^results\["(s\d\d-[\w-]+)"\]\["([^"]+)"\]\[(\d+)\]\.Evt\.(\w+)\["(\w+)"\](?:\["(\w+)"\])?'
                    r' == (".*")$')


def _assertions(path: Path) -> dict[int, dict[str, str]]:
    """line index -> {Parsed.key / Meta.key / Unmarshaled.key: value} for the s01-parse stage."""
    out: dict[int, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = ASSERT.match(line)
        if not m or m.group(1) != "s01-parse":
            continue
        _, _, index, kind, key, sub, value = m.groups()
        out.setdefault(int(index), {})[f"{kind}.{sub or key}"] = json.loads(value)
    return out


def _postfix_view(event: dict) -> dict[str, str]:
    return {
        "Parsed.program": event.get("service", ""), "Parsed.pid": event.get("pid", ""),
        "Meta.machine": event.get("host", ""), "Parsed.remote_addr": event.get("client_ip", ""),
        "Meta.source_ip": event.get("client_ip", ""), "Parsed.remote_host": event.get("client_host", ""),
        "Meta.source_hostname": event.get("client_host", ""), "Parsed.action": event.get("action", ""),
        "Meta.action": event.get("status", ""), "Parsed.smtp_enhanced_status_code": event.get("dsn", ""),
        "Parsed.message": event.get("msg_check", ""),
        "Unmarshaled.from": f"<{event.get('from', '')}>", "Unmarshaled.to": f"<{event.get('to', '')}>",
        "Unmarshaled.helo": f"<{event.get('helo', '')}>", "Unmarshaled.proto": event.get("proto", ""),
    }


def _zimbra_view(event: dict) -> dict[str, str]:
    url = urlsplit(event.get("url", ""))
    return {
        "Parsed.src_ip": event.get("client_ip", ""), "Meta.source_ip": event.get("client_ip", ""),
        "Parsed.user": event.get("user", ""), "Meta.user": event.get("user", ""),
        "Parsed.time_local": event["ts"][:16].replace("T", " "), "Parsed.message": event["raw"],
        "Parsed.server": url.hostname or "", "Parsed.port": str(url.port or ""), "Parsed.proto": url.scheme,
    }


CASES = {
    "postfix-logs": ("postfix", _postfix_view),
    "zimbra-logs": ("zimbra_mailbox", _zimbra_view),
}
# Measured: postfix-logs 84 of 84 compared fields agree, zimbra-logs 36 of 36.
THRESHOLD = 1.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_crowdsec_parser_assertions(corpora: Path, registry, engine, name: str) -> None:
    folder = corpora / "crowdsec-hub" / "tests" / name
    fmt, view = CASES[name]
    log = next(folder.glob("*.log"))
    lines = read_lines(log)
    found = registry.detect(lines, log.name)
    assert found.spec is not None and found.spec.name == fmt, found.reason
    events = parse(engine, with_message(found.spec), lines)
    expected = _assertions(folder / "parser.assert")
    assert len(expected) == len(lines)
    compared = agreed = 0
    differences = []
    for index, want in expected.items():
        ours = view(events[index])
        assert events[index]["format"] == fmt
        for key, value in want.items():
            if key not in ours:
                continue
            compared += 1
            have = ours[key]
            ok = have.endswith(value) if key.endswith(".reason") else have == value
            agreed += ok
            if not ok:
                differences.append((index, key, value, have))
        if "Parsed.reason" in want:  # the reject reply: ours is the whole reply, theirs its tail
            compared += 1
            ok = events[index].get("reason", "").endswith(want["Parsed.reason"])
            agreed += ok
            if not ok:
                differences.append((index, "reason", want["Parsed.reason"], events[index].get("reason")))
    assert compared >= {"postfix-logs": 84, "zimbra-logs": 36}[name]
    assert share(agreed, compared) >= THRESHOLD, differences
