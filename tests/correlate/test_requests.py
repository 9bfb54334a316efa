"""`pair_requests` and `logwarden requests`: VK Teams client requests with their responses by reqId (and
order), latency, IM status, and the orphans — no response, no request, network failures."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from conftest import run_cli
from logwarden.correlate.requests import COLUMNS, pair_requests
from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs
from logwarden.store.chdb_store import Store

UA = "User-Agent: ICQ Desktop {user} ic18eTwFBO7vAdt9 3.0.0(30096) MacOSX_10.15 PC"


def request(method: str, req_id: str, user: str = "a.yatskov@corp.mail.ru", params: str = "") -> str:
    body = f'{{"aimsid":"153.3649523331.*:{user}",{params}"reqId":"{req_id}"}}'
    return (f"POST /api/v31/rapi/{method} HTTP/2\nHost: u.icq.net\n{UA.format(user=user)}\nAccept: */*\n"
            f"Connection: keep-alive\nContent-Type: application/json;charset=utf-8\nContent-Length: {len(body)}\n\n"
            f"{body}\nWe are completely uploaded and fine")


def response(method: str, req_id: str, ts: int, code: int, reason: str = "") -> str:
    status = f'{{"code": {code}, "reason": "{reason}"}}' if reason else f'{{"code": {code}}}'
    return f'{{"ts": {ts}, "status": {status},\n"method": "{method}", "reqId": "{req_id}", "results": {{}}}}'


DNS = "curl_easy_perform result is 6 (Couldn't resolve host name)\nCould not resolve host: u.icq.net"
STATUS_LINE = ('HTTP/2 200\n\n{"status": {"code": 20000}, "results": {"groups":\n'
               '{"allowTo": "myContacts", "inviteBlacklistSize": 1}}}')
RECORDS = [
    response("getHistory", "20-1606742000", 1606742001, 20000),                      # 0: its request is elsewhere
    request("getPrivacySettings", "1-1606742100", "728059286"),                      # 1
    STATUS_LINE,                                                                     # 2: no reqId: pairs with 1
    request("getChatInfo", "21257-1606742661", params='"params":{"memberLimit":5},'),  # 3
    response("getChatInfo", "21257-1606742661", 1606742665, 50000, "Request timed out"),  # 4: 4 s
    request("getChatInfo", "21257-1606742661", params='"params":{"memberLimit":5},'),  # 5: the retry, same reqId
    response("getChatInfo", "21257-1606742661", 1606742667, 40000, "Bad request"),   # 6: 6 s after the reqId
    request("sendIM", "21258-1606742700", "b.user@corp.ru"),                         # 7
    DNS,                                                                             # 8: what became of 7
    request("pingSession", "21259-1606742800"),                                      # 9
    response("pingSession", "21259-1606742800", 1606742800, 20000),                  # 10: 0 s
    DNS,                                                                             # 11: on its own
    request("endSession", "21260-1606742900", "b.user@corp.ru"),                     # 12: never answered
]
LOG = "".join(r + "\n" for r in RECORDS)


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vk") / "client.log"
    path.write_text(LOG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(engine: Store, registry: Registry, log_file: Path) -> Store:
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    for inp in open_inputs(str(log_file)):
        result = ingestor.ingest(inp)
        assert result.format == "vkteams_client" and result.records == len(RECORDS) and result.unparsed == 0
    return engine


def _brief(rows: list[dict]) -> list[tuple]:
    return [(r["outcome"], r["method"], r["request_seq"], r["response_seq"], r["status"], r["latency_s"])
            for r in rows]


def test_every_request_response_and_failure_once(store: Store) -> None:
    rows = pair_requests(store)
    assert all(tuple(r) == COLUMNS for r in rows)
    assert sorted(_brief(rows), key=lambda t: (t[2] if t[2] is not None else t[3])) == [
        ("no_request", "getHistory", None, 0, "20000", None),
        ("answered", "getPrivacySettings", 1, 2, "20000", None),  # the status-line answer carries no time
        ("answered", "getChatInfo", 3, 4, "50000", 4),
        ("answered", "getChatInfo", 5, 6, "40000", 6),
        ("network_error", "sendIM", 7, 8, "", None),
        ("answered", "pingSession", 9, 10, "20000", 0),
        ("network_error", "", None, 11, "", None),
        ("no_response", "endSession", 12, None, "", None),
    ]


def test_timeouts_with_method_user_and_meaning(store: Store) -> None:
    rows = pair_requests(store, status="50000")
    assert [(r["method"], r["user"], r["request_id"], r["meaning"], r["meaning_ru"], r["action"], r["category"])
            for r in rows] == [("getChatInfo", "a.yatskov@corp.mail.ru", "21257-1606742661", "Request timed out",
                                "Истекло время ожидания запроса", "Получение информации о группе", "Группы")]
    assert pair_requests(store, status=50000) == rows


def test_orphans(store: Store) -> None:
    rows = pair_requests(store, orphans=True)
    assert sorted(r["outcome"] for r in rows) == ["network_error", "network_error", "no_request", "no_response"]
    dns = next(r for r in rows if r["method"] == "sendIM")
    assert (dns["user"], dns["error"], dns["request_id"]) == ("b.user@corp.ru", "Couldn't resolve host name",
                                                             "21258-1606742700")


@pytest.mark.parametrize("slower,want", [(0.5, [4, 6]), (3, [4, 6]), (4, [6]), (5, [6]), (6, [])])
def test_slower_than(store: Store, slower: float, want: list[int]) -> None:
    assert [r["response_seq"] for r in pair_requests(store, slower_than=slower)] == want


@pytest.mark.parametrize("kwargs,want", [
    ({"method": "getChatInfo"}, [3, 5]),
    ({"method": "getChatInfo", "status": "40000"}, [5]),
    ({"method": "nosuch"}, []),
    ({"time_from": datetime(2020, 11, 30, 13, 24, 21), "time_to": datetime(2020, 11, 30, 13, 26, 40)}, [3, 5, 7]),
    ({"limit": 2}, [None, 1]),
])
def test_filters(store: Store, kwargs: dict, want: list) -> None:
    assert [r["request_seq"] for r in pair_requests(store, **kwargs)] == want


# -- the command, as a user runs it ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, log_file: Path) -> Path:
    data = tmp_path_factory.mktemp("data")
    done = run_cli("ingest", str(log_file), data_dir=data)
    assert done.returncode == 0, done.stderr.decode()
    return data


def test_cli_status_json(data_dir: Path) -> None:
    done = run_cli("requests", "--status", "50000", "--output", "json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    assert [(r["ts"], r["method"], r["user"], r["latency_s"], r["meaning"]) for r in rows] == [
        ("2020-11-30T13:24:21.000000Z", "getChatInfo", "a.yatskov@corp.mail.ru", 4, "Request timed out")]


def test_cli_orphans_csv(data_dir: Path) -> None:
    done = run_cli("requests", "--orphans", "--output", "csv", data_dir=data_dir)
    assert done.returncode == 0, done.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    # The lone failure line has no time of its own: it takes the time of the record before it.
    assert [(r["outcome"], r["method"], r["ts"]) for r in rows] == [
        ("no_request", "getHistory", "2020-11-30T13:13:21.000000Z"),
        ("network_error", "sendIM", "2020-11-30T13:25:00.000000Z"),
        ("network_error", "", "2020-11-30T13:26:40.000000Z"),
        ("no_response", "endSession", "2020-11-30T13:28:20.000000Z")]


def test_cli_slower_than_ndjson(data_dir: Path) -> None:
    done = run_cli("requests", "--slower-than", "4s", "--output", "ndjson", data_dir=data_dir)
    assert done.returncode == 0, done.stderr.decode()
    assert [json.loads(line)["status"] for line in done.stdout.decode().splitlines()] == ["40000"]


def test_cli_table(data_dir: Path) -> None:
    done = run_cli("requests", "--method", "pingSession", data_dir=data_dir, env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "pingSession" in out and "21259-1606742800" in out and "getChatInfo" not in out


@pytest.mark.parametrize("args,message", [
    (["--slower-than", "soon"], "--slower-than 'soon': give a duration"),
    (["--status", "timeout"], "--status 'timeout': give an IM status code"),
    (["--from", "yesterday"], "cannot read the time 'yesterday'"),
])
def test_cli_bad_input(data_dir: Path, args: list[str], message: str) -> None:
    done = run_cli("requests", *args, data_dir=data_dir)
    assert done.returncode == 2 and message in done.stderr.decode() and b"Traceback" not in done.stderr


def test_cli_says_when_there_is_nothing_to_pair(tmp_path: Path) -> None:
    done = run_cli("requests", "--output", "json", data_dir=tmp_path / "empty")
    assert done.returncode == 0 and json.loads(done.stdout) == []
    assert "no VK Teams client records in the store" in done.stderr.decode()
