"""VK Teams client logs: one record per request, response and failure; the aimsid masked before it is
stored; action and category from the vendor's method table (RU and EN); levels by IM status."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from logwarden.demo.pools import Rng, epoch
from logwarden.demo.vkteams_client import client_log_lines
from logwarden.errors import FormatError
from logwarden.formats.detect_file import sniff
from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs
from logwarden.query import service
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

# The vendor's four examples, as the guide prints them (example 2's request is answered 50000, then 40000).
REQ_1 = """POST /api/v34/rapi/getPrivacySettings HTTP/2
Host: u.icq.net
User-Agent: ICQ Desktop 728059286 ic18eTwFBO7vAdt9 3.0.0(30191) MacOSX_11.0 PC
Accept: */*
Accept-Encoding: gzip
Connection: keep-alive
Content-Type: application/json;charset=utf-8
Content-Length: 71

{"aimsid":"030.4294792228*:728059286","reqId":"1-1606731232"}
We are completely uploaded and fine"""
RESP_1 = """HTTP/2 200

{"status": {"code": 20000}, "results": {"groups":
{"allowTo": "myContacts", "inviteBlacklistSize": 1}, "calls":
{"allowTo": "myContacts"}, "smsNotify": {"allowTo": "everybody"}}}"""
REQ_2 = """POST /api/v31/rapi/getChatInfo HTTP/2
Host: u.icq.net
User-Agent: ICQ Desktop a.yatskov@corp.mail.ru ic18eTwFBO7vAdt9 3.0.0(30096) MacOSX_10.15 PC
Accept: */*
Content-Encoding: zstd
IM-ZSTD-Request-Dict: im-zstd-dict-desktop-request-210720.zdict
Connection: keep-alive
Content-Type: application/json;charset=utf-8
Accept-Encoding: zstd, gzip
IM-ZSTD-Response-Dict: im-zstd-dict-desktop-response-210720.zdict
Content-Length: 79

{"aimsid":"153.3649523331.*:a.yatskov@corp.mail.ru","params":{"memberLimit":
5,"sn":"681826564@chat.agent"},"reqId":"21257-1606742661"}"""
RESP_2 = """{"ts": 1606742665, "status": {"code": 50000, "reason": "Request timed out"},
"method": "getChatInfo", "reqId": "21257-1606742661", "results": {}}"""
RESP_3 = RESP_2.replace("50000", "40000").replace("Request timed out", "Bad request")
DNS = """curl_easy_perform result is 6 (Couldn't resolve host name)
Could not resolve host: u.icq.net"""
SEED_RECORDS = [REQ_1, RESP_1, REQ_2, RESP_2, REQ_2, RESP_3, DNS]
SEED_LOG = "".join(r + "\n" for r in SEED_RECORDS)
SECRETS = ["030.4294792228*:728059286", "4294792228", "153.3649523331", "3649523331"]


def _ingest(store: Store, registry: Registry, path: Path) -> None:
    ingestor = Ingestor(store, registry, IngestOptions(timezone="UTC"))
    for inp in open_inputs(str(path)):
        result = ingestor.ingest(inp)
        assert result.error == "" or result.error is None, result.error
        assert result.format == "vkteams_client" and result.unparsed == 0


@pytest.fixture(scope="module")
def stored(engine: Store, registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("vkteams")
    seed = folder / "seed.log"
    seed.write_text(SEED_LOG, encoding="utf-8")
    demo = folder / "demo.log"
    start = epoch(2026, 3, 2, 9)
    demo.write_text("\n".join(client_log_lines(Rng("t"), "olga.smirnova@corp.ru", "30096", "MacOSX_10.15",
                                               start, start + 4 * 3600, 120)) + "\n", encoding="utf-8")
    _ingest(engine, registry, seed)
    _ingest(engine, registry, demo)
    return {"seed": seed, "demo": demo}


def _kinds(engine: Store, origin: Path) -> Counter[str]:
    rows = engine.rows(f"SELECT fields['kind'] AS k FROM {DB}.events WHERE origin = {{o:String}}", {"o": str(origin)})
    return Counter(r["k"] for r in rows)


def test_seed_log_one_record_per_request_response_and_failure(engine: Store, stored: dict[str, Path]) -> None:
    assert _kinds(engine, stored["seed"]) == {"request": 3, "response": 3, "error": 1}
    raws = engine.rows(f"SELECT raw FROM {DB}.events WHERE origin = {{o:String}} ORDER BY seq",
                       {"o": str(stored["seed"])})
    masked = [r.replace("030.4294792228*", "***").replace("153.3649523331.*", "***") for r in SEED_RECORDS]
    assert [r["raw"] for r in raws] == masked


def test_generated_log_counts(engine: Store, stored: dict[str, Path]) -> None:
    """Counted independently from the text: request lines, response starts, curl failures."""
    lines = stored["demo"].read_text(encoding="utf-8").splitlines()
    requests = sum(ln.startswith("POST /api/") for ln in lines)
    responses = sum(ln.startswith(("HTTP/2 ", '{"ts": ')) for ln in lines)
    failures = sum(ln.startswith("curl_easy_perform ") for ln in lines)
    assert requests > 120 and failures == 1
    assert _kinds(engine, stored["demo"]) == {"request": requests, "response": responses, "error": failures}


@pytest.mark.parametrize("secret", SECRETS)
def test_aimsid_is_not_findable(engine: Store, stored: dict[str, Path], secret: str) -> None:
    assert service.search(engine, f'"{secret}"').rows == []
    assert engine.value(f"SELECT count() FROM {DB}.events WHERE position(raw, {{s:String}}) > 0", {"s": secret}) == 0


def test_demo_aimsids_are_masked(engine: Store, stored: dict[str, Path]) -> None:
    text = stored["demo"].read_text(encoding="utf-8")
    sessions = {ln.split('"aimsid":"', 1)[1].split(":", 1)[0] for ln in text.splitlines() if '"aimsid":"' in ln}
    assert sessions and all(s != "***" for s in sessions)
    for session in sessions:
        assert service.search(engine, f'"{session}"').rows == []
    assert service.search(engine, '"aimsid":"***:olga.smirnova@corp.ru"').rows


@pytest.mark.parametrize("query,method", [
    ('category:Сессии action:"Логин по паролю"', "clientLogin"),
    ('category_en:Sessions action_en:"Password login"', "clientLogin"),
    ('action:"Запрос настроек приватности"', "getPrivacySettings"),
    ('category_en:Settings action_en:"Privacy settings request"', "getPrivacySettings"),
    ('category:Группы action:"Получение информации о группе"', "getChatInfo"),
    ('action_en:"Start a regular call" category:Звонки', "webrtc/alloc"),
])
def test_action_and_category_lookup(engine: Store, stored: dict[str, Path], query: str, method: str) -> None:
    rows = service.search(engine, query, limit=None).rows
    assert rows and {r["fields"]["api_method"] for r in rows} == {method}
    want = engine.value(f"SELECT count() FROM {DB}.events WHERE fields['api_method'] = {{m:String}}", {"m": method})
    assert len(rows) == want


def test_sessions_category_holds_every_session_method(engine: Store, stored: dict[str, Path]) -> None:
    rows = service.search(engine, "category:Сессии | stats count() by (api_method)").rows
    assert {r["api_method"] for r in rows} == {"clientLogin", "startSession", "endSession", "pingSession"}


@pytest.mark.parametrize("status,level", [("20000", "info"), ("40000", "warn"), ("50000", "error")])
def test_level_by_im_status(engine: Store, stored: dict[str, Path], status: str, level: str) -> None:
    rows = engine.rows(f"SELECT DISTINCT level FROM {DB}.events WHERE status = {{s:String}}", {"s": status})
    assert [r["level"] for r in rows] == [level]


def test_user_and_request_id_columns(engine: Store, stored: dict[str, Path]) -> None:
    rows = service.search(engine, "request_id:21257-1606742661 | stats count() by (user, status)").rows
    assert sorted((r["user"], r["status"], r["count"]) for r in rows) == [
        ("", "40000", 1), ("", "50000", 1), ("a.yatskov@corp.mail.ru", "", 2)]


def test_seed_log_is_detected(registry: Registry) -> None:
    found = sniff(registry, SEED_LOG.encode(), "network.log")
    assert found.spec is not None and found.spec.name == "vkteams_client", found.reason


def test_json_logs_stay_json(registry: Registry) -> None:
    text = ('{"ts": 1606742665, "level": "info", "msg": "started"}\n{"ts": 1606742666, "status": "ok", "msg": "up"}\n'
            '{"ts": 1606742667, "status": {"state": "degraded"}, "msg": "slow"}\n')
    found = sniff(registry, text.encode(), "app.log")
    assert found.spec is not None and found.spec.name == "json_lines", found.reason


# -- the declarations behind it: masks, lookups, level ranges --------------------------------------
BASE = """
name = "t"
title = "t"
regex = '^(?P<word>\\w+) (?P<code>\\d+)'
{extra}
[[samples]]
line = "hello 20000"
expect = {{ word = "hello" }}
"""


@pytest.mark.parametrize("extra,message", [
    ("[[mask]]\nreplace = 'x'", "each [[mask]] needs `regex`"),
    ("[[mask]]\nregex = '(?<=a)b'", "invalid RE2"),
    ("[fields]\nx = { from = \"word\", lookup = \"nope.tsv\", key = \"a\", value = \"b\" }", "lookup file 'nope.tsv' not found"),
    ("[fields]\nx = { from = \"word\", lookup = \"vkteams_status.tsv\", key = \"code\", value = \"colour\" }",
     "has no column 'colour'"),
    ("[fields]\nx = { from = \"word\", lookup = \"vkteams_status.tsv\" }", "needs `from`, `key` and `value`"),
    ("[level]\nfrom = \"code\"\nmap = \"ranges\"\n[level.ranges]\n\"2x-3\" = \"info\"", "must be N or LOW-HIGH"),
    ("[level]\nfrom = \"code\"\nmap = \"ranges\"\n[level.ranges]\n\"5-3\" = \"info\"", "need LOW <= HIGH"),
])
def test_bad_declarations(tmp_path: Path, extra: str, message: str) -> None:
    (tmp_path / "t.toml").write_text(BASE.format(extra=extra), encoding="utf-8")
    with pytest.raises(FormatError, match=message.replace("[", r"\[").replace("(", r"\(").replace("`", ".")):
        Registry([tmp_path])


def test_a_user_lookup_next_to_the_format(tmp_path: Path, engine: Store) -> None:
    from logwarden.formats.check import check_samples

    (tmp_path / "words.tsv").write_text("# greetings\nword\tru\nhello\tпривет\nhello\tздравствуй\n", encoding="utf-8")
    extra = ('[fields]\nru = { from = "word", lookup = "words.tsv", key = "word", value = "ru" }\n'
             '[level]\nfrom = "code"\nmap = "ranges"\n[level.ranges]\n"20000-29999" = "notice"')
    text = BASE.format(extra=extra).replace('word = "hello"', 'ru = "привет / здравствуй", level = "notice"')
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    assert check_samples(Registry([tmp_path]), engine) == []


def test_a_failure_takes_the_time_before_it(engine: Store, stored: dict[str, Path]) -> None:
    """`[timestamp] inherit`: curl's failure line has no time; it happened after the record before it."""
    rows = engine.rows(f"SELECT toString(ts) AS ts, ts_inferred, fields['kind'] AS kind FROM {DB}.events "
                       "WHERE origin = {o:String} ORDER BY seq", {"o": str(stored["seed"])})
    assert [(r["kind"], r["ts"], r["ts_inferred"]) for r in rows][-2:] == [
        ("response", "2020-11-30 13:24:25.000000", 0), ("error", "2020-11-30 13:24:25.000000", 1)]


def test_a_status_line_keeps_its_headers_and_body(engine: Store, registry: Registry, tmp_path: Path) -> None:
    """`HTTP/2 200`, response headers, a blank line and the server's `{"ts": …}` body are one record."""
    request = REQ_2.replace("21257-1606742661", "777-1606742700")
    answer = ("HTTP/2 200\nserver: nginx\ncontent-type: application/json\n\n"
              + RESP_2.replace("21257-1606742661", "777-1606742700"))
    log = tmp_path / "status.log"
    log.write_text(f"{request}\n{answer}\n{RESP_3}\n", encoding="utf-8")
    _ingest(engine, registry, log)
    rows = engine.rows(f"SELECT raw, request_id, status, fields['http_status'] AS http FROM {DB}.events "
                       "WHERE origin = {o:String} ORDER BY seq", {"o": str(log)})
    assert [(r["request_id"], r["status"], r["http"]) for r in rows] == [
        ("777-1606742700", "", ""), ("777-1606742700", "50000", "200"), ("21257-1606742661", "40000", "")]
    assert rows[1]["raw"] == answer.replace("21257", "777")


def test_aimsid_in_a_url_is_masked(engine: Store, registry: Registry) -> None:
    from logwarden.formats.check import parse_lines

    record = ("GET /api/v34/rapi/getUserInfo?aimsid=030.4294792228*%3A728059286&sn=1 HTTP/2\nHost: u.icq.net\n"
              "User-Agent: ICQ Desktop 728059286 ic18eTwFBO7vAdt9 3.0.0(30191) MacOSX_11.0 PC")
    got = parse_lines(engine, registry.get("vkteams_client"), [record])[0]
    assert got["raw"].startswith("GET /api/v34/rapi/getUserInfo?aimsid=***&sn=1 HTTP/2\n")
    assert (got["api_method"], got["user"], got["http_method"]) == ("getUserInfo", "728059286", "GET")


def test_a_format_that_reads_none_of_its_captures(tmp_path: Path, engine: Store) -> None:
    """The engine refuses extractGroups without groups: a regex whose captures nobody reads is a match."""
    from logwarden.formats.check import parse_lines

    (tmp_path / "t.toml").write_text(
        "name = \"t\"\ntitle = \"t\"\nregex = '^(?P<_word>\\w+) DONE$'\n[[samples]]\nline = \"job DONE\"\n"
        "expect = { format = \"t\" }\n", encoding="utf-8")
    got = parse_lines(engine, Registry([tmp_path]).get("t"), ["job DONE", "job FAILED"])
    assert [g["format"] for g in got] == ["t", ""]
