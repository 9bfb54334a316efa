"""The JSON API over a running `logwarden serve` (a subprocess) and real HTTP clients (httpx, curl): search
pages with cursors, histogram, facets, stats, one event, context, trace, exports (NDJSON, CSV, XLSX), the
source restriction of a viewer, the UI's public and private pages, and the CDN log API (seed 003)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web_helpers import (
    ACCESS,
    CDN_HEADER,
    CDN_LINES,
    CDN_TOKEN,
    MAILBOX,
    Server,
    cdn_config,
    ingest,
    write_logs,
)

TOTAL = len(ACCESS) + len(CDN_LINES) + 1 + len(MAILBOX)  # the CDN header line is stored too


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("webapi")
    data = root / "data"
    ingest(data, write_logs(root))
    (root / "tmp").mkdir()
    srv = Server(data, env={"LOGWARDEN_CONFIG": str(cdn_config(root)), "TMPDIR": str(root / "tmp")}).start()
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def viewer(server: Server, api: httpx.Client) -> Iterator[httpx.Client]:
    api.post("/api/v1/users", json={"name": "vera", "role": "viewer", "password": "vera-pw-123456",
                                    "sources": ["web"]}).raise_for_status()
    with server.client(auth=("vera", "vera-pw-123456")) as c:
        yield c


def _pages(api: httpx.Client, q: str, size: int, **params: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    nxt = None
    while True:
        r = api.get("/api/v1/search", params={"q": q, "_size": size, **params, **({"_next": nxt} if nxt else {})})
        assert r.status_code == 200, r.text
        pages.append(r.json())
        nxt = pages[-1]["next"]
        if nxt is None:
            return pages


@pytest.mark.parametrize(("q", "size", "expected"), [
    ("*", 20, TOTAL), ("*", 7, TOTAL), ("source:web", 20, len(ACCESS)), ("status:>=500", 5, 7 + 1),
    ('"invalid password"', 1, 2), ("source:zimbra level:>=error", 20, 1), ("nothing-like-this", 20, 0),
])
def test_pages_cover_the_search_once_newest_first(api: httpx.Client, q: str, size: int, expected: int) -> None:
    pages = _pages(api, q, size)
    rows = [r for p in pages for r in p["rows"]]
    assert len(rows) == expected
    assert len({r["_id"] for r in rows}) == expected
    stamps = [r["ts"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert all(len(p["rows"]) == size for p in pages[:-1])


def test_default_page_is_20_and_time_window_applies(api: httpx.Client) -> None:
    page = api.get("/api/v1/search").json()
    assert len(page["rows"]) == 20 and page["next"]
    win = api.get("/api/v1/search", params={"q": "source:web", "_from": "2019-09-16T12:10:00Z",
                                            "_to": "2019-09-16T12:20:00Z", "_size": 100}).json()
    assert len(win["rows"]) == 10 and win["from"].startswith("2019-09-16T12:10:00")


@pytest.mark.parametrize(("params", "message"), [
    ({"q": "level:error (foo"}, "column"), ({"q": "*", "_next": "garbage!"}, "cursor"),
    ({"_since": "yesterday"}, "span"), ({"_from": "2019-09-17", "_to": "2019-09-16"}, "before"),
])
def test_bad_requests_are_400_with_a_sentence(api: httpx.Client, params: dict[str, str], message: str) -> None:
    r = api.get("/api/v1/search", params=params)
    assert r.status_code == 400
    assert message in r.json()["detail"]


def test_cursor_of_another_query_is_refused(api: httpx.Client) -> None:
    nxt = api.get("/api/v1/search", params={"q": "*", "_size": 2}).json()["next"]
    r = api.get("/api/v1/search", params={"q": "source:web", "_next": nxt})
    assert r.status_code == 400 and "another query" in r.json()["detail"]


def test_stats_query_and_histogram_and_facets(api: httpx.Client) -> None:
    page = api.get("/api/v1/search", params={"q": "* | stats count() by (source)"}).json()
    assert page["kind"] == "stats"
    assert {r["source"]: r["count"] for r in page["rows"]} == {"web": 30, "cdn": 13, "zimbra": 5}
    h = api.get("/api/v1/histogram", params={"q": "source:web", "_step": "10m"}).json()
    assert [b["count"] for b in h["buckets"]] == [10, 10, 10] and h["total"] == 30
    auto = api.get("/api/v1/histogram", params={"q": "*"}).json()
    assert auto["total"] == TOTAL and auto["step"]
    f = api.get("/api/v1/facets", params={"q": "source:web"}).json()
    assert f["total"] == 30
    assert f["facets"]["source"] == [{"value": "web", "count": 30}]
    assert {v["value"] for v in f["facets"]["client_ip"]} == {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}
    assert set(f["facets"]) == {"level", "source", "service", "host", "user", "client_ip"}
    stats = api.get("/api/v1/stats").json()
    assert stats["events"] == TOTAL and {s["source"] for s in stats["sources"]} == {"web", "cdn", "zimbra"}


def test_one_event_context_and_trace(api: httpx.Client) -> None:
    hit = api.get("/api/v1/search", params={"q": '"handler exception"'}).json()["rows"][0]
    event = api.get(f"/api/v1/events/{hit['_id']}").json()
    assert event["raw"] == MAILBOX[1] and event["level"] == "error" and event["fields"]
    ctx = api.get(f"/api/v1/events/{hit['_id']}/context", params={"before": 1, "after": 1}).json()
    assert [r["raw"] for r in ctx["records"]] == MAILBOX[0:3]
    assert [r["hit"] for r in ctx["records"]] == [False, True, False]
    assert api.get("/api/v1/events/bm9wZQ").status_code == 400
    missing = hit["_id"][:-2] + ("AA" if not hit["_id"].endswith("AA") else "BB")
    assert api.get(f"/api/v1/events/{missing}").status_code in (400, 404)


def _export(api: httpx.Client, fmt: str, q: str) -> httpx.Response:
    r = api.get("/api/v1/export", params={"q": q, "_format": fmt})
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    return r


@pytest.mark.parametrize("q", ["*", "source:web", "* | stats count() by (source)"])
def test_exports_hold_every_row(server: Server, api: httpx.Client, q: str) -> None:
    total = sum(len(p["rows"]) for p in _pages(api, q, 1000))
    nd = [json.loads(line) for line in _export(api, "ndjson", q).text.splitlines()]
    rows = list(csv.reader(io.StringIO(_export(api, "csv", q).content.decode("utf-8-sig"))))
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(_export(api, "xlsx", q).content), read_only=True)
    sheet = list(book.active.iter_rows(values_only=True))
    assert len(nd) == len(rows) - 1 == len(sheet) - 1 == total
    assert rows[0] == list(sheet[0])
    spool_dir = server.data_dir.parent / "tmp"
    assert not [p for p in spool_dir.iterdir() if p.name.startswith("logwarden-")]  # spool and workbook removed
    if q != "* | stats count() by (source)":
        raws = {r["raw"] for r in nd}
        assert raws == {r[rows[0].index("raw")] for r in rows[1:]} == {r[list(sheet[0]).index("raw")] for r in sheet[1:]}


def test_export_of_cyrillic_and_multiline_is_exact(api: httpx.Client) -> None:
    nd = [json.loads(line) for line in _export(api, "ndjson", "source:zimbra").text.splitlines()]
    assert sorted(r["raw"] for r in nd) == sorted(MAILBOX)
    assert api.get("/api/v1/export", params={"_format": "pdf"}).status_code == 400


def test_viewer_sees_only_granted_sources(viewer: httpx.Client, api: httpx.Client) -> None:
    rows = [r for p in _pages(viewer, "*", 100) for r in p["rows"]]
    assert {r["source"] for r in rows} == {"web"} and len(rows) == len(ACCESS)
    assert {r["source"] for r in (json.loads(x) for x in _export(viewer, "ndjson", "*").text.splitlines())} == {"web"}
    zimbra = api.get("/api/v1/search", params={"q": "source:zimbra"}).json()["rows"][0]["_id"]
    assert viewer.get(f"/api/v1/events/{zimbra}").status_code == 404
    facets = viewer.get("/api/v1/facets").json()["facets"]["source"]
    assert facets == [{"value": "web", "count": len(ACCESS)}]
    assert viewer.get("/api/v1/mail/flows").status_code == 403


def test_ingest_tokens_and_strangers_cannot_read(server: Server, api: httpx.Client) -> None:
    token = api.post("/api/v1/tokens", json={"role": "ingest", "name": "shipper"}).json()["token"]
    with server.client(auth=token) as c:
        assert c.get("/api/v1/search").status_code == 403
    with httpx.Client(base_url=server.url) as c:
        for path in ("/api/v1/search", "/api/v1/export", "/api/v1/facets", "/api/v1/histogram"):
            assert c.get(path).status_code == 401


def test_openapi_lists_the_api(server: Server, api: httpx.Client) -> None:
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200, r.text[:300]
    spec = r.json()
    for path in ("/api/v1/search", "/api/v1/export", "/api/v1/facets", "/api/v1/events/{event_id}",
                 "/app/logs/v1/accounts/{account}/get"):
        assert path in spec["paths"]




@pytest.mark.parametrize(("path", "status", "location"), [
    ("/", 303, "/login?next=%2F"), ("/event/abc", 303, "/login?next=%2Fevent%2Fabc"), ("/mail", 303, None),
    ("/docs", 303, "/login?next=%2Fdocs"), ("/login", 200, None), ("/static/app.js", 200, None),
    ("/static/style.css", 200, None), ("/static/../routers/ui.py", 404, None), ("/static/%2e%2e/i18n.py", 404, None),
    ("/static/nope.js", 404, None), ("/api/v1/openapi.json", 401, None), ("/api/v1/i18n", 401, None),
])
def test_pages_without_a_session(server: Server, path: str, status: int, location: str | None) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        r = c.get(path)
    assert r.status_code == status
    if location:
        assert r.headers["location"] == location


@pytest.mark.parametrize(("accept", "lang"), [("ru-RU,ru;q=0.9", "ru"), ("en-GB,en;q=0.9", "en"), ("", "ru")])
def test_i18n_script_picks_the_language(server: Server, accept: str, lang: str) -> None:
    r = httpx.get(server.url + "/static/i18n.js", headers={"Accept-Language": accept} if accept else {})
    data = json.loads(r.text.removeprefix("window.LW_I18N = ").rstrip().rstrip(";"))
    assert data["lang"] == lang and data["strings"]["ru"]["search.submit"] == "Найти"


def test_every_page_has_its_json_twin(api: httpx.Client) -> None:
    hit = api.get("/api/v1/search", params={"q": "source:zimbra", "_size": 1}).json()["rows"][0]
    for page, twin in (("/?q=source%3Azimbra&_format=json", "/api/v1/search?q=source%3Azimbra"),
                       (f"/event/{hit['_id']}?_format=json", f"/api/v1/events/{hit['_id']}"),
                       ("/trace/abc?_format=json", "/api/v1/traces/abc"), ("/mail?_format=json", "/api/v1/mail/flows"),
                       ("/requests?method=x&_format=json", "/api/v1/requests/pairs?method=x")):
        r = api.get(page, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (307, twin)
    assert api.get(f"/event/{hit['_id']}", params={"_format": "json"}, follow_redirects=True).json()["raw"] == hit["raw"]
    docs = api.get("/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text


def test_api_docs_work_offline(server: Server, api: httpx.Client) -> None:
    """/docs loads Swagger UI from the server itself, never from a CDN: on-prem servers are often offline."""
    import re

    page = api.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/static/swagger/") for a in assets), assets
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:  # assets are public, like the login page's
        for a in assets:
            r = anonymous.get(a)
            assert r.status_code == 200 and len(r.content) > 500, a
        assert anonymous.get("/static/swagger/../../../etc/passwd").status_code == 404


# -- the CDN log API ------------------------------------------------------------------------------------
BASE = "/app/logs/v1/accounts"


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
