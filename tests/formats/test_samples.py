"""Every format proves itself with its samples; a bad format file fails to load with a clear message;
a user folder overrides a built-in; files of each format are detected as that format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logwarden.errors import FormatError
from logwarden.formats.check import check_samples, compare, parse_lines
from logwarden.formats.detect_file import sniff
from logwarden.formats.registry import BUILTIN, Registry, default_registry

_REGISTRY = default_registry()
SAMPLES = [(spec.name, i) for spec in _REGISTRY.formats.values() for i in range(len(spec.samples))]
EXPECTED_FORMATS = {"access_combined", "apache_error", "directum_rx", "json_lines", "postfix", "syslog_rfc3164",
                    "syslog_rfc5424", "zimbra_audit", "zimbra_mailbox"}


def test_builtin_formats_present(registry: Registry) -> None:
    assert EXPECTED_FORMATS <= set(registry.formats)
    for spec in registry.formats.values():
        assert spec.title and spec.description and len(spec.samples) >= 2, spec.name


@pytest.mark.parametrize("name,index", SAMPLES, ids=[f"{n}-{i}" for n, i in SAMPLES])
def test_sample(registry: Registry, engine, name: str, index: int) -> None:
    spec = registry.get(name)
    sample = spec.samples[index]
    assert sample.expect, "a sample without expectations proves nothing"
    got = parse_lines(engine, spec, [sample.line])[0]
    assert compare(spec, got, sample.expect) == []


def test_check_samples_reports_nothing(registry: Registry, engine) -> None:
    assert check_samples(registry, engine) == []


# -- bad format files -------------------------------------------------------------------------------
GOOD = """
name = "{name}"
title = "Test format"
regex = '^(?P<ts>\\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) TESTFMT (?P<level>\\w+) (?P<message>.*)'
{extra}
[[samples]]
line = "2024-01-01 10:00:00 TESTFMT INFO hello"
expect = {{ level = "info" }}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_test_format_loads(tmp_path: Path) -> None:
    _write(tmp_path, "t", GOOD.format(name="t", extra=""))
    assert Registry([tmp_path]).get("t").title == "Test format"


@pytest.mark.parametrize("text,message", [
    (GOOD.format(name="t", extra="").replace("(?P<level>\\w+)", "(?P<level>\\w+"), "invalid RE2 regex"),
    (GOOD.format(name="t", extra="").replace("(?P<message>.*)", "(?P<message>(?=x).*)"), "invalid RE2 regex"),
    (GOOD.format(name="t", extra='colour = "red"'), "unknown keys ['colour']"),
    (GOOD.format(name="t", extra="").replace("TESTFMT INFO hello", "TESTFMX INFO hello"),
     "sample does not match the format"),
    (GOOD.format(name="t", extra="[fields]\nx = { from = \"nope\", regex = '(a)' }"), "reads unknown capture 'nope'"),
    (GOOD.format(name="t", extra="[fields]\nx = { from = \"message\", regex = 'a' }"), "needs one capture group"),
    (GOOD.format(name="t", extra='[levels]\nINFO = "loud"'), "maps to 'loud'"),
    (GOOD.format(name="t", extra='[timestamp]\nformat = "someday"'), "timestamp.format must be one of"),
    (GOOD.format(name="t", extra='[timestamp]\ninherit = "sideways"'), "inherit must be true, false"),
    (GOOD.format(name="t", extra='[level]\ndefault = "loud"'), "level.default 'loud' is not one of"),
    (GOOD.format(name="t", extra="").split("[[samples]]")[0], "at least one [[samples]]"),
    ('title = "no name"\nregex = "x"\n', "a format needs a name"),
    ("name = [", "t.toml"),
])
def test_bad_format_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "t", text)
    with pytest.raises(FormatError) as err:
        Registry([tmp_path])
    assert message in str(err.value)
    assert str(path) in str(err.value) or "t.toml" in str(err.value)


def test_extends_loop(tmp_path: Path) -> None:
    _write(tmp_path, "a", GOOD.format(name="a", extra='extends = "b"'))
    _write(tmp_path, "b", GOOD.format(name="b", extra='extends = "a"'))
    with pytest.raises(FormatError, match=r"extends loop (a -> b -> a|b -> a -> b)"):
        Registry([tmp_path])


def test_extends_unknown(tmp_path: Path) -> None:
    _write(tmp_path, "a", GOOD.format(name="a", extra='extends = "missing"'))
    with pytest.raises(FormatError, match="extends unknown format 'missing'"):
        Registry([tmp_path])


def test_sample_detected_as_another_format(tmp_path: Path) -> None:
    # The same regex twice: `b` outranks `a` by priority, so a's sample is detected as b.
    _write(tmp_path, "a", GOOD.format(name="a", extra=""))
    _write(tmp_path, "b", GOOD.format(name="b", extra="priority = 5"))
    with pytest.raises(FormatError, match="sample is detected as b, not a"):
        Registry([tmp_path])


def test_failing_expectation_is_reported(tmp_path: Path, engine) -> None:
    _write(tmp_path, "t", GOOD.format(name="t", extra="").replace('level = "info"', 'level = "error"'))
    failures = check_samples(Registry([tmp_path]), engine)
    assert failures == ["t.toml: '2024-01-01 10:00:00 TESTFMT INFO hello': level: expected 'error', got 'info'"]


def test_a_derived_field_may_read_an_earlier_one(tmp_path: Path, engine) -> None:
    extra = "[fields]\nword = { from = \"message\", regex = '^(\\w+)' }\nfirst = { from = \"word\", regex = '^(.)' }"
    text = GOOD.format(name="t", extra=extra).replace('level = "info"', 'word = "hello", first = "h"')
    _write(tmp_path, "t", text)
    assert check_samples(Registry([tmp_path]), engine) == []


def test_helper_fields_are_not_stored(tmp_path: Path, engine) -> None:
    extra = "[fields]\n_word = { from = \"message\", regex = '^(\\w+)' }\nshout = { expr = \"upper(c_message)\" }"
    _write(tmp_path, "t", GOOD.format(name="t", extra=extra))
    event = parse_lines(engine, Registry([tmp_path]).get("t"), ["2024-01-01 10:00:00 TESTFMT INFO hello"])[0]
    assert event["shout"] == "HELLO" and "_word" not in event


# -- a user folder overrides a built-in by name ----------------------------------------------------
def test_user_folder_overrides_builtin(tmp_path: Path) -> None:
    original = (BUILTIN / "syslog_rfc3164.toml").read_text(encoding="utf-8")
    user = tmp_path / "formats"
    _write(user, "my_syslog", original.replace('title = "BSD syslog (RFC 3164)"', 'title = "Our syslog"'))
    registry = default_registry(user)
    spec = registry.get("syslog_rfc3164")
    assert spec.title == "Our syslog" and spec.path == user / "my_syslog.toml"
    assert registry.get("postfix").title == "Postfix mail log (syslog)"  # extends the user's version fine
    assert len(registry.formats) == len(_REGISTRY.formats)


def test_user_folder_adds_a_format(tmp_path: Path) -> None:
    _write(tmp_path, "t", GOOD.format(name="t", extra=""))
    registry = default_registry(tmp_path)
    assert "t" in registry.formats and "postfix" in registry.formats


# -- detection on small files -------------------------------------------------------------------------
FILES = {
    "syslog_rfc3164": ("syslog", """\
Oct 13 10:17:00 mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2
Oct 13 10:17:02 mail sshd[4089]: Connection closed by 203.0.113.7 port 2222 [preauth]
Oct 13 10:18:00 mail CRON[4101]: (root) CMD (run-parts /etc/cron.hourly)
"""),
    "syslog_rfc5424": ("messages", """\
<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An event
<34>1 2003-10-11T22:14:16.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick
<86>1 2024-03-01T10:00:00+03:00 gw sshd 1234 - - Accepted publickey for deploy
"""),
    "postfix": ("mail.log", """\
Jan 28 06:33:59 mail postfix/submission/smtpd[13312]: connect from unknown[202.239.45.60]
Jan 28 06:34:00 mail dovecot: imap-login: Login: user=<u@example.com>, method=PLAIN, rip=192.0.2.3
Jan 28 06:34:01 mail postfix/qmgr[9946]: 4FF14284F45: from=<u@example.com>, size=1387, nrcpt=1 (queue active)
Jan 28 06:34:02 mail opendkim[812]: 4FF14284F45: DKIM-Signature field added (s=mail, d=example.com)
Jan 28 06:34:03 mail postfix/smtp[7516]: 4FF14284F45: to=<x@example.org>, relay=mx.example.org[198.51.100.7]:25, delay=0.25, delays=0.02/0.02/0.16/0.06, dsn=2.0.0, status=sent (250 2.0.0 Ok)
"""),
    "zimbra_mailbox": ("mailbox.log", """\
2020-09-29 16:45:00,123 WARN  [qtp-123] [name=user@corp.ru;ip=10.0.0.5;] account - authentication failed for [user@corp.ru], invalid password
2020-09-29 16:46:01,005 ERROR [LmtpServer-7] [oip=192.168.1.20;mid=42;] lmtp - handler exception
java.io.IOException: broken pipe
\tat com.zimbra.cs.lmtpserver.LmtpHandler.doDATA(LmtpHandler.java:412)
2020-09-29 16:46:02,000 INFO  [ImapServer-1] [] imap - closing connection
"""),
    "zimbra_audit": ("audit.log", """\
2015-03-26 21:51:36,505 INFO  [Pop3Server-13] [ip=172.16.0.3;oip=200.111.128.196;] security - cmd=Auth; account=j@example.com; protocol=pop3;
2015-03-26 21:51:40,000 WARN  [ImapServer-2] [ip=172.16.0.3;oip=203.0.113.5;] security - cmd=Auth; account=a@example.com; protocol=imap; error=authentication failed for [a@example.com], invalid password;
"""),
    "access_combined": ("access.log", """\
83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /index.html HTTP/1.1" 200 203 "-" "Mozilla/5.0"
10.0.0.7 - bob [17/May/2015:10:05:04 +0000] "POST /login HTTP/1.1" 401 15 "https://example.org/" "curl/8.5.0"
"""),
    "apache_error": ("error_log", """\
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
"""),
    "directum_rx": ("WebServer.log", """\
{"t":"2023-01-18 14:22:20.000+04:00","tr":"cl-e1fc77aa","l":"Info","mt":"Document loaded.","lg":"document_handler:133","v":"5.8.7.9007","un":"Domain\\\\ardo_na","tn":"DirectumRX"}
{"t":"2023-01-18 14:22:21.000+04:00","l":"Warn","mt":"Agent is busy.","tn":"DirectumRX"}
"""),
    "json_lines": ("app.log", """\
{"time":"2024-03-01T10:00:00.123Z","level":"warn","msg":"disk almost full"}
{"time":"2024-03-01T10:00:01.000Z","level":"info","msg":"ok"}
"""),
}


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_detect_small_file(registry: Registry, fmt: str) -> None:
    name, text = FILES[fmt]
    found = sniff(registry, text.encode(), name)
    assert found.spec is not None and found.spec.name == fmt, found.reason


def test_detect_nothing_for_prose(registry: Registry) -> None:
    found = sniff(registry, b"Dear colleagues,\nplease find the report attached.\nRegards\n", "letter.txt")
    assert found.spec is None


def test_every_builtin_format_has_a_detection_file() -> None:
    assert set(FILES) == EXPECTED_FORMATS


# -- behaviours worth pinning beyond the samples ---------------------------------------------------
def test_mixed_mail_log_lines(registry: Registry, engine) -> None:
    """Other programs of a mail log are read through the postfix format too (syslog header, levels)."""
    lines = FILES["postfix"][1].splitlines() + [
        "Jan 28 06:35:01 mail dovecot: imap-login: Error: Disconnected (auth failed): user=<u@example.com>",
    ]
    events = parse_lines(engine, registry.get("postfix"), lines)
    assert [e["format"] for e in events] == ["postfix"] * len(lines)
    assert events[1]["service"] == "dovecot" and events[1]["level"] == "info"
    assert events[3]["service"] == "opendkim" and events[3]["queue_id"] == "4FF14284F45"
    assert events[4]["status"] == "sent" and events[4]["relay_ip"] == "198.51.100.7"
    assert events[5]["level"] == "error"


def test_directum_seed_line_missing_comma_stays_unparsed(registry: Registry, engine) -> None:
    """Directum's documentation shows `"tr":"…" "l":…` without a comma; such a line is not JSON: it is
    detected as Directum (the keys are there) and kept whole, with the reason, rather than guessed at."""
    line = ('{ "t":"2023-01-18 09:05:33.157+04:00", "tr":"cl-3b6fac8b-9d4d0c" "l":"Warn", "tab":"NudNy", '
            '"mt":"Agent is busy and update was skipped.", "v":"4.2.0.001", "un":"Domain\\\\ardo_na", "tn":"DirectumRX" }')
    found = registry.detect([line], "")
    assert found.spec is not None and found.spec.name == "directum_rx"
    event = parse_lines(engine, found.spec, [line])[0]
    assert event["format"] == "" and event["_unparsed"] == "no match for directum_rx" and event["raw"] == line


def test_syslog_year_rollover(registry: Registry, engine) -> None:
    """Samples are read with the file time 2026-06-01: a December line is from the year before."""
    spec = registry.get("syslog_rfc3164")
    events = parse_lines(engine, spec, ["Dec 31 23:59:59 h p: x", "Jun  1 10:00:00 h p: x", "Jun  3 10:00:00 h p: x"])
    assert [e["ts"][:10] for e in events] == ["2025-12-31", "2026-06-01", "2025-06-03"]


def test_docs_example_format_is_valid(tmp_path: Path, engine) -> None:
    """The format file shown in docs/formats.md loads and its sample passes (without its `extends` line)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", doc, re.DOTALL).group(1)
    _write(tmp_path, "myapp", "\n".join(ln for ln in block.splitlines() if not ln.startswith("extends")))
    assert check_samples(Registry([tmp_path]), engine) == []


def test_an_expr_the_engine_rejects_is_reported_not_raised(tmp_path: Path, engine) -> None:
    (tmp_path / "bad.toml").write_text(
        "name = \"bad_expr\"\nregex = '^BAD (?P<x>\\w+)'\n[fields]\ny = { expr = \"nosuchfunction(c_x)\" }\n"
        "[[samples]]\nline = \"BAD one\"\nexpect = { x = \"one\" }\n", encoding="utf-8")
    failures = check_samples(Registry([tmp_path]), engine)
    assert len(failures) == 1
    assert failures[0].startswith("bad.toml: the engine rejects this format's SQL")
    assert "nosuchfunction" in failures[0]
