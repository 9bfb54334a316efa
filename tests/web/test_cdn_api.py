"""The CDN log API (seed 003) against a running `logwarden serve` subprocess, with real HTTP clients."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from web_helpers import ACCESS, CDN_HEADER, CDN_LINES, CDN_TOKEN, Server, cdn_config, ingest, write_logs

BASE = "/app/logs/v1/accounts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("cdnapi")
    data = root / "data"
    ingest(data, write_logs(root))
    srv = Server(data, env={"LOGWARDEN_CONFIG": str(cdn_config(root))}).start()
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def _get(http: httpx.Client, action: str, start: str | None, end: str | None, token: str | None = CDN_TOKEN,
         account: str = "paejgjuv") -> httpx.Response:
    params = {k: v for k, v in (("startdate", start), ("enddate", end)) if v is not None}
    headers = {"CDN-AUTH-TOKEN": token} if token is not None else {}
    return http.get(f"{BASE}/{account}/{action}", params=params, headers=headers)


# Lines are 10 minutes apart from 12:00:16.178; the window is startdate <= time < enddate.
@pytest.mark.parametrize(("start", "end", "indexes"), [
    ("2019-09-16T12:10:16Z", "2019-09-16T12:40:16Z", [1, 2, 3]),   # 12:40:16.178 is past the end
    ("2019-09-16T12:10:17Z", "2019-09-16T12:40:17Z", [2, 3, 4]),   # 12:10:16.178 is before the start
    ("2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", list(range(12))),
    ("2019-08-01T00:00:00Z", "2019-09-01T00:00:00Z", []),
    ("2019-09-16T12:00:00Z", "2019-09-16T12:00:00Z", []),
])
def test_get_streams_gzip_tsv_of_the_window(http: httpx.Client, start: str, end: str, indexes: list[int]) -> None:
    r = _get(http, "get", start, end)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/gzip"
    lines = gzip.decompress(r.content).decode("utf-8").split("\n")
    assert lines[0] == CDN_HEADER
    assert lines[1:] == [CDN_LINES[i] for i in indexes] + [""]
    ex = _get(http, "exists", start, end)
    assert ex.status_code == 200
    assert ex.json() == {"account": "paejgjuv", "startdate": start.replace("Z", "+0000"),
                         "enddate": end.replace("Z", "+0000"), "exists": bool(indexes)}


def test_accounts_see_only_their_sources(http: httpx.Client) -> None:
    r = _get(http, "get", "2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", token="web-token", account="webonly")
    assert r.status_code == 200
    assert gzip.decompress(r.content).decode().split("\n")[1:-1] == ACCESS
    assert _get(http, "get", "2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", token="web-token").status_code == 401


@pytest.mark.parametrize(("action", "start", "end", "token", "account", "status", "text"), [
    ("exists", None, "2019-09-17T00:00:00Z", CDN_TOKEN, "paejgjuv", 400, "No startdate or enddate in query"),
    ("get", "2019-09-16T00:00:00Z", None, CDN_TOKEN, "paejgjuv", 400, "No startdate or enddate in query"),
    ("get", None, None, CDN_TOKEN, "paejgjuv", 400, "No startdate or enddate in query"),
    ("get", "2019-09-16", "2019-09-17T00:00:00Z", CDN_TOKEN, "paejgjuv", 400, "YYYY-MM-DDTHH:mm:ssZ"),
    ("get", "2019-02-30T00:00:00Z", "2019-09-17T00:00:00Z", CDN_TOKEN, "paejgjuv", 400, "no such day"),
    ("get", "2019-09-17T00:00:00Z", "2019-09-16T00:00:00Z", CDN_TOKEN, "paejgjuv", 400, "before"),
    ("get", "2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", "wrong", "paejgjuv", 401, "CDN-AUTH-TOKEN"),
    ("exists", "2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", None, "paejgjuv", 401, "CDN-AUTH-TOKEN"),
    ("get", "2019-09-16T00:00:00Z", "2019-09-17T00:00:00Z", CDN_TOKEN, "nobody", 404, "nobody"),
])
def test_errors_as_documented(http: httpx.Client, action: str, start: str | None, end: str | None,
                              token: str | None, account: str, status: int, text: str) -> None:
    r = _get(http, action, start, end, token=token, account=account)
    assert r.status_code == status
    assert text in r.text


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_as_in_the_documentation(server: Server) -> None:
    url = f"{server.url}{BASE}/paejgjuv/get?startdate=2019-09-16T00:00:00Z&enddate=2019-09-17T00:00:00Z"
    out = subprocess.run(["curl", "-sf", "-H", f"CDN-AUTH-TOKEN: {CDN_TOKEN}", url], capture_output=True, check=True,
                         timeout=60).stdout
    assert gzip.decompress(out).decode().split("\n") == [CDN_HEADER, *CDN_LINES, ""]
