"""Server-side formats (issue 3/6/7/8): path rules, partial-line joining, detection among each other, and
each format's level words. Real lines, real engine; the format samples themselves run in test_samples.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from logwarden.errors import FormatError
from logwarden.formats.check import parse_lines
from logwarden.formats.registry import Registry
from logwarden.ingest.framing import Framer
from logwarden.ingest.path_rules import default_path_rules, load_rules

SERVER_FORMATS = ["keycloak", "janus", "nginx_error", "php_error", "laravel", "mysql_error", "tarantool", "logfmt",
                  "clef", "cri", "docker_json", "zimbra_stats", "clamd", "zap_console", "zimbra_syslog"]


def test_server_formats_are_built_in(registry: Registry) -> None:
    assert set(SERVER_FORMATS) <= set(registry.formats)


# -- path rules ------------------------------------------------------------------------------------------
PATHS = [
    ("/var/log/vector/k8s/keycloak/keycloak/keycloak-0.log", "vector_k8s",
     {"source": "vkteams", "service": "keycloak", "namespace": "keycloak"}),
    ("/home/adm/report/var/log/vector/k8s/im/beagle/2024-03-01.log", "vector_k8s",
     {"source": "vkteams", "service": "beagle", "namespace": "im"}),
    ("/tmp/vector.tar.gz!var/log/vector/k8s/im/krtek/current.log", "vector_k8s",
     {"source": "vkteams", "service": "krtek", "namespace": "im"}),
    ("/var/log/janus.log", "janus", {"source": "vkteams", "service": "janus", "format": "janus"}),
    ("/var/log/janus.log.3.gz", "janus", {"format": "janus"}),
    ("/oap/icq/domains/local_proxy.icq.com/logs/access.log", "vkteams_local_proxy",
     {"source": "vkteams", "service": "nginx", "vhost": "local_proxy.icq.com"}),
    ("/oap/icq/logs/go.files.icq.com/files.log", "vkteams_oap_logs", {"service": "go.files.icq.com"}),
    ("/mnt/log/oap/icq/logs/krtek/krtek.log", "vkteams_oap_logs", {"service": "krtek"}),
    ("/srv/store/logs/php_errors.log", "vkteams_php", {"service": "php"}),
    ("/db/logs/mysql/mysqld.log", "vkteams_mysql", {"service": "mysql"}),
    ("/data/tarantool/logs/sessions.log", "vkteams_tarantool", {"service": "tarantool", "instance": "sessions"}),
    ("/var/log/service/beagle.log", "vkteams_service", {"service": "beagle"}),
    ("/var/log/containers/keycloak-0_keycloak_keycloak-" + "ab" * 32 + ".log", "kubernetes_containers",
     {"source": "kubernetes", "service": "keycloak", "namespace": "keycloak", "pod": "keycloak-0"}),
    ("/var/log/pods/im_beagle-7d9f_0f8c3e2c-1d4a-4e9f-8a1b-2c3d4e5f6071/beagle/2.log", "kubernetes_pods",
     {"source": "kubernetes", "service": "beagle", "namespace": "im", "pod": "beagle-7d9f"}),
    ("/opt/zimbra/log/clamd.log", "zimbra_log_dir", {"source": "zimbra"}),
    ("/var/log/zimbra-stats.log.1", "zimbra_log_dir", {"source": "zimbra"}),
]


@pytest.mark.parametrize("path,rule,expect", PATHS, ids=[p for p, _, _ in PATHS])
def test_path_rules(path: str, rule: str, expect: dict[str, str]) -> None:
    info = default_path_rules().match(path)
    assert info.rule == rule
    have = info.as_dict()
    assert {k: have.get(k, "") for k in expect} == expect


@pytest.mark.parametrize("path", ["/var/log/syslog", "/opt/zimbra/mailbox.log", "/var/log/vector/vector.log",
                                  "/srv/janus.log.d/x.conf"])
def test_paths_no_rule_claims(path: str) -> None:
    assert default_path_rules().match(path).rule == ""


BAD_RULES = [
    ('[[rules]]\nname = "x"\npath = "a("\n[[rules.samples]]\npath = "a"\n', "invalid RE2"),
    ('[[rules]]\nname = "x"\npath = "a"\n', "at least one [[rules.samples]]"),
    ('[[rules]]\nname = "x"\npath = "(?P<service>a)"\n[[rules.samples]]\npath = "b"\n', "does not match"),
    ('[[rules]]\nname = "x"\npath = "(?P<service>a)"\n[[rules.samples]]\npath = "a"\nexpect = { service = "b" }\n',
     "expected/got"),
    ('[[rules]]\nname = "x"\npath = "a"\ncolour = "red"\n', "unknown keys"),
    ('[[rules]]\npath = "a"\n', "needs a `name`"),
]


@pytest.mark.parametrize("text,message", BAD_RULES)
def test_bad_path_rules_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "path_rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_rules(path)


def test_user_rules_come_first(tmp_path: Path) -> None:
    (tmp_path / "path_rules.toml").write_text(
        '[[rules]]\nname = "mine"\npath = \'vector/k8s/(?P<service>[^/]+)/\'\nsource = "teams"\n'
        '[[rules.samples]]\npath = "/var/log/vector/k8s/im/x.log"\nexpect = { service = "im" }\n', encoding="utf-8")
    rules = default_path_rules(tmp_path)
    assert rules.match("/var/log/vector/k8s/im/beagle/x.log").rule == "mine"
    assert rules.match("/var/log/janus.log").rule == "janus"


# -- framing: partial lines, byte order mark --------------------------------------------------------
def _records(framer: Framer, data: bytes) -> list[bytes]:
    out: list[bytes] = []
    consumed = 0
    for batch in framer.batches(io.BytesIO(data)):
        consumed += batch.consumed
        out += [r.replace(batch.sep, b"\n") if batch.sep else r for r in batch.data.split(b"\n")[:-1]]
    assert consumed == len(data)
    return out


CRI = (b"2024-03-01T10:00:00.1Z stdout P first part \n2024-03-01T10:00:00.2Z stdout P second part \n"
       b"2024-03-01T10:00:00.3Z stdout F end\n2024-03-01T10:00:01Z stderr F alone\n"
       b"2024-03-01T10:00:02Z stdout P cut at the end of the file")


@pytest.mark.parametrize("chunk", [8 << 20, 40, 70])
def test_cri_partial_lines_join_whatever_the_chunk(registry: Registry, chunk: int) -> None:
    spec = registry.get("cri")
    recs = _records(Framer(spec.record_start, chunk=chunk, continues=spec.continues), CRI)
    assert [r.count(b"\n") for r in recs] == [2, 0, 0]
    assert recs[1].endswith(b"alone") and recs[2].endswith(b"end of the file")


def test_partial_lines_join_only_within_their_stream(registry: Registry) -> None:
    cri = registry.get("cri")
    data = (b"2024-03-01T10:00:00Z stderr P half of an error \n2024-03-01T10:00:00Z stdout F a stdout line\n"
            b"2024-03-01T10:00:01Z stderr P one \n2024-03-01T10:00:01Z stderr F two\n")
    recs = _records(Framer(cri.record_start, continues=cri.continues), data)
    assert [r.count(b"\n") for r in recs] == [0, 0, 1]
    docker = registry.get("docker_json")
    data = (b'{"log":"half ","stream":"stderr","time":"2020-03-24T10:00:00Z"}\n'
            b'{"log":"other\\n","stream":"stdout","time":"2020-03-24T10:00:00Z"}\n'
            b'{"log":"one ","stream":"stdout","time":"2020-03-24T10:00:01Z"}\n'
            b'{"log":"two\\n","stream":"stdout","time":"2020-03-24T10:00:01Z"}\n')
    recs = _records(Framer(docker.record_start, continues=docker.continues), data)
    assert [r.count(b"\n") for r in recs] == [0, 0, 1]


def test_docker_partial_lines_join(registry: Registry) -> None:
    spec = registry.get("docker_json")
    data = (b'{"log":"2020-03-24 Single ","stream":"stdout","time":"2020-03-24T10:00:00Z"}\n'
            b'{"log":"li","stream":"stdout","time":"2020-03-24T10:00:00Z"}\n'
            b'{"log":"ne\\n","stream":"stdout","time":"2020-03-24T10:00:00Z"}\n'
            b'{"log":"a \\\\ backslash \\"quoted\\"\\n","stream":"stderr","time":"2020-03-24T10:00:01Z"}\n')
    recs = _records(Framer(spec.record_start, continues=spec.continues), data)
    assert [r.count(b"\n") for r in recs] == [2, 0]


def test_byte_order_mark_is_skipped_but_counted() -> None:
    recs = _records(Framer(), b"\xef\xbb\xbf{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"x\"}\nsecond\n")
    assert recs[0].startswith(b"{")


# -- detection: each format's lines are its own, among all the others ----------------------------------
DETECT = [
    ("2023-05-25 22:24:19,357 WARN  [org.key.events] (executor-thread-3121) type=LOGIN_ERROR, realmId=x", "keycloak"),
    ("[Tue Mar  5 10:00:01 2024] Creating new session: 4455667788112233; 0x7f3c48001230", "janus"),
    (('2021/12/02 11:53:15 [error] 4065777#4065777: *42952950 limiting requests, excess: 5.428 by zone "z", '
     'client: ::1, server: , request: "GET / HTTP/1.1", host: "la03.d.sb"'), "nginx_error"),
    ("[01-Mar-2024 10:00:00 UTC] PHP Warning:  Undefined array key \"x\" in /srv/a.php on line 4", "php_error"),
    ("[2023-05-15 18:19:32] local.ERROR: Target class [X] does not exist.", "laravel"),
    ("141014 13:26:07 [Note] /usr/libexec/mysqld: ready for connections.", "mysql_error"),
    ("2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin", "mysql_error"),
    ("2024-03-01 10:00:00.123 [2841] main/103/init.lua I> set 'listen' configuration option", "tarantool"),
    ('time="2021-09-15T21:17:10.220731Z" level=error msg="x" namespace=a pod=b', "logfmt"),
    ('logger=settings t=2025-04-24T19:51:48.520963849Z level=info msg="Starting Grafana"', "logfmt"),
    ('{"@t":"2017-04-20T04:24:47.0251719Z","@mt":"Loop {Counter}","Counter":0}', "clef"),
    ('{"@l":"Warning","@t":"2023-12-20T00:55:07Z","@m":"My warning log"}', "clef"),
    ("2022-01-28T16:04:05.413656027Z stdout F hello", "cri"),
    ("2025-04-24T22:09:20.856Z\terror\tinternal/queue_sender.go:128\tExporting failed.\t{}", "zap_console"),
    ('{"log":"hello\\n","stream":"stdout","time":"2019-04-01T17:58:33.598656444Z"}', "docker_json"),
    ("Mar 16 12:00:04 SRV03-BF65 zimbramon[12880]: 12880:info: MTA: SRV03-BF65: mta_delay,sendmail_events:: 0,8",
     "zimbra_stats"),
    ("Mon Mar 16 11:52:03 2015 -> SelfCheck: Database status OK.", "clamd"),
    ("Mar  1 14:02:11 mailstore01 amavis[2044]: (31822-04) Blocked INFECTED (Eicar) {DiscardedInbound}", "zimbra_syslog"),
    # neighbours keep theirs
    ("2020-09-29 16:45:00,123 WARN  [qtp-123] [name=u@corp.ru;ip=10.0.0.5;] account - authentication failed",
     "zimbra_mailbox"),
    ('{"time":"2024-03-01T10:00:00.123Z","level":"warn","msg":"disk almost full"}', "json_lines"),
    ("Mar 16 12:00:04 mail sendmail[1]: x: from=root", "syslog_rfc3164"),
]


@pytest.mark.parametrize("line,fmt", DETECT, ids=[f for _, f in DETECT])
def test_detection(registry: Registry, line: str, fmt: str) -> None:
    got = registry.detect([line], filename="")
    assert got.spec is not None and got.spec.name == fmt, got.scores


# -- levels everywhere: every word a format knows maps to a normalised level, the word is kept ----------
LEVELS = [
    ("keycloak", "2024-03-01 10:00:00,000 {w} [io.quarkus] (main) x", [("TRACE", "trace"), ("DEBUG", "debug"),
     ("INFO ", "info"), ("WARN ", "warn"), ("ERROR", "error"), ("FATAL", "fatal")]),
    ("janus", "[Tue Mar  5 10:00:00 2024] {w}x", [("", "info"), ("[WARN] ", "warn"), ("[ERR] ", "error"),
     ("[FATAL] ", "fatal")]),
    ("nginx_error", "2024/03/01 10:00:00 [{w}] 1#1: x", [("debug", "debug"), ("info", "info"), ("notice", "notice"),
     ("warn", "warn"), ("error", "error"), ("crit", "fatal"), ("alert", "fatal"), ("emerg", "fatal")]),
    ("php_error", "[01-Mar-2024 10:00:00 UTC] {w}  x in /a.php on line 1", [("PHP Notice:", "notice"),
     ("PHP Deprecated:", "notice"), ("PHP Warning:", "warn"), ("PHP Fatal error:", "fatal"),
     ("PHP Parse error:", "fatal"), ("PHP Catchable fatal error:", "error"), ("PHP Strict Standards:", "notice")]),
    ("mysql_error", "2020-08-06T14:25:02.835618Z 0 [{w}] x", [("Note", "info"), ("System", "info"),
     ("Warning", "warn"), ("ERROR", "error")]),
    ("tarantool", "2024-03-01 10:00:00.123 [1] main/1/x {w}> y", [("V", "debug"), ("D", "debug"), ("I", "info"),
     ("C", "notice"), ("W", "warn"), ("E", "error"), ("!", "error"), ("F", "fatal")]),
    ("logfmt", "time=2024-03-01T10:00:00Z level={w} msg=x", [("debug", "debug"), ("info", "info"),
     ("warning", "warn"), ("warn", "warn"), ("error", "error"), ("err", "error"), ("fatal", "fatal"),
     ("panic", "fatal")]),
    ("clef", '{{"@t":"2024-03-01T10:00:00Z","@m":"x"{w}}}', [("", "info"), (',"@l":"Verbose"', "trace"),
     (',"@l":"Debug"', "debug"), (',"@l":"Information"', "info"), (',"@l":"Warning"', "warn"),
     (',"@l":"Error"', "error"), (',"@l":"Fatal"', "fatal")]),
    ("laravel", "[2024-03-01 10:00:00] local.{w}: x", [("DEBUG", "debug"), ("INFO", "info"), ("NOTICE", "notice"),
     ("WARNING", "warn"), ("ERROR", "error"), ("CRITICAL", "fatal"), ("ALERT", "fatal"), ("EMERGENCY", "fatal")]),
    ("zimbra_stats", "Mar 16 12:00:04 h zimbramon[1]: 1:{w}: x", [("debug", "debug"), ("info", "info"),
     ("warn", "warn"), ("err", "error"), ("crit", "fatal")]),
    ("clamd", "Mon Mar 16 11:52:03 2015 -> {w}", [("SelfCheck: Database status OK.", "info"),
     ("/tmp/x: Eicar-Test-Signature FOUND", "warn"), ("WARNING: old db", "warn"), ("ERROR: no db", "error"),
     ("LibClamAV Error: cli_loaddb", "error")]),
    ("zimbra_syslog", "Mar  1 14:02:11 mail {w}", [("amavis[1]: (1-01) Passed CLEAN {{RelayedInbound}}", "info"),
     ("amavis[1]: (1-01) Blocked SPAM {{DiscardedInbound}}", "warn"), ("clamd[1]: /tmp/p3: Eicar FOUND", "warn"),
     ("postfix/smtpd[1]: warning: hostname x does not resolve", "warn"), ("postfix/qmgr[1]: fatal: no queue", "fatal")]),
    ("cri", "2024-03-01T10:00:00Z stdout F {w}", [("2024-03-01 10:00:00 INFO x", "info"),
     ("level=warning msg=x", "warn"), ('{"level":"error","msg":"x"}', "error"), ("[FATAL] x", "fatal"),
     ('1.2.3.4 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 503 0', "error"), ("no level here", "")]),
]
LEVEL_CASES = [(fmt, tpl.format(w=w), want) for fmt, tpl, words in LEVELS for w, want in words]


@pytest.mark.parametrize("fmt,line,want", LEVEL_CASES, ids=[f"{f}:{w}" for f, _, w in LEVEL_CASES])
def test_level_words(registry: Registry, engine, fmt: str, line: str, want: str) -> None:
    [event] = parse_lines(engine, registry.get(fmt), [line])
    assert event["format"] == fmt, event
    assert event["level"] == want, event


# -- Windows-style and ISO timestamps --------------------------------------------------------------------
WINFMT = """
name = "wintime"
title = "Windows-style times"
regex = '^(?P<ts>[^|]+)\\|(?P<level>\\w+)\\|(?P<message>.*)'
[timestamp]
format = "{fmt}"
[[samples]]
line = "2024-03-01 10:00:00|INFO|x"
expect = {{ level = "info" }}
"""
TIMES = [
    ("best", "2024-03-01T10:00:00.1234567+03:00", "2024-03-01T07:00:00.123456Z"),  # .NET: 7 digits
    ("best", "2024-03-01 10:00:00,123", "2024-03-01T10:00:00.123000Z"),  # log4j comma
    ("best", "01.03.2024 10:00:00", "2024-03-01T10:00:00Z"),  # ru-RU Windows: day first
    ("best", "20240301T100000Z", "2024-03-01T10:00:00Z"),  # ISO 8601 basic
    ("best_us", "3/1/2024 1:00:00 PM", "2024-03-01T13:00:00Z"),  # en-US Windows: month first
    ("best_us", "2024-03-01 10:00:00", "2024-03-01T10:00:00Z"),
]


@pytest.mark.parametrize("fmt,stamp,want", TIMES)
def test_windows_and_iso_times(tmp_path: Path, engine, fmt: str, stamp: str, want: str) -> None:
    (tmp_path / "wintime.toml").write_text(WINFMT.format(fmt=fmt), encoding="utf-8")
    spec = Registry([tmp_path]).get("wintime")
    [event] = parse_lines(engine, spec, [f"{stamp}|WARN|x"])
    assert (event["ts"].replace(".000000Z", "Z"), event["ts_inferred"], event["level"]) == (want, 0, "warn")
