"""The web UI end to end in headless Chromium (Playwright driving Debian's /usr/bin/chromium): a real
`logwarden serve` subprocess on demo logs; log in, search, facets, pages, an event with its context,
export downloads, live tail, trace and mail views, language switch. Skips only when chromium is absent
(`make test-deps` installs it)."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_helpers import PASSWORD, Server, ingest

from logwarden.demo.generate import write_demo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_FILES = ("zimbra/mailbox.log", "mta/mail.log", "web/access.log", "directum/WebServer.log",
              "vkteams/client-logs/olga.smirnova.log")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is not installed (make test-deps installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("webui")
    write_demo(root / "demo")
    ingest(root / "data", *(root / "demo" / f for f in DEMO_FILES))
    srv = Server(root / "data").start()
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(locale="ru-RU", extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"},
                                  accept_downloads=True)
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


def _login(page: Any, server: Server, path: str = "/") -> None:
    page.goto(server.url + path)
    page.wait_for_url("**/login?next=*")
    page.fill("#user", "admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def _rows(page: Any) -> list[str]:
    return page.locator("#results tr.event-row").evaluate_all("rows => rows.map(r => r.dataset.id)")


def test_login_search_facets_pages_event(page: Any, server: Server, api: httpx.Client) -> None:
    page.goto(server.url + "/")
    page.wait_for_url("**/login?next=%2F")
    assert page.text_content("h1") == "Вход в logwarden"  # Russian from Accept-Language
    page.fill("#user", "admin")
    page.fill("#password", "wrong")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:not([hidden])")
    page.fill("#user", "admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#results tr.event-row")
    first = _rows(page)
    assert len(first) == 20  # 20 rows a page by default
    assert first == [r["_id"] for r in api.get("/api/v1/search").json()["rows"]]  # the page is its JSON twin
    page.wait_for_selector("#histogram .bar")
    page.wait_for_selector("#facet-source .facet-value")

    page.fill("#q", "source:web status:>=500")
    page.click("#search-btn")
    page.wait_for_url("**/?q=source%3Aweb*")
    page.wait_for_function("document.querySelector('#found').textContent.includes(':')")
    expected = api.get("/api/v1/facets", params={"q": "source:web status:>=500"}).json()
    found = page.text_content("#found")
    assert found is not None and "".join(c for c in found if c.isdigit()) == str(expected["total"])
    want = [r["_id"] for r in api.get("/api/v1/search", params={"q": "source:web status:>=500"}).json()["rows"]]
    page.wait_for_function("ids => [...document.querySelectorAll('#results tr.event-row')].map(r => r.dataset.id)"
                           ".join() === ids.join()", arg=want)

    ip = page.locator("#facet-client_ip .facet-value").first.text_content()
    page.locator("#facet-client_ip .facet-value").first.click()  # narrows the query to one address
    page.wait_for_function("ip => document.querySelector('#q').value.endsWith('client_ip:' + ip)", arg=ip)
    page.wait_for_function("() => [...document.querySelectorAll('#facet-client_ip .facet-value')].length === 1")
    assert page.locator("#facet-client_ip .facet-value").text_content() == ip

    page.fill("#q", "")
    page.click("#search-btn")
    page.wait_for_function("ids => document.querySelector('#results tr.event-row')?.dataset.id === ids[0]",
                           arg=first)
    page.click("#older")
    page.wait_for_function("ids => document.querySelector('#results tr.event-row')?.dataset.id !== ids[0]",
                           arg=first)
    second = _rows(page)
    assert len(second) == 20 and not set(second) & set(first)
    assert "2" in (page.text_content("#page-label") or "")
    page.click("#newer")
    page.wait_for_function("ids => document.querySelector('#results tr.event-row')?.dataset.id === ids[0]",
                           arg=first)

    page.fill("#q", '"handler exception"')
    page.click("#search-btn")
    page.wait_for_function("document.querySelector('#results tr.event-row td.message')?.textContent"
                           ".toLowerCase().includes('handler exception')")
    eid = page.locator("#results tr.event-row").first.get_attribute("data-id")
    page.locator("#results tr.event-row td.ts").first.click()
    page.wait_for_url("**/event/*")
    page.wait_for_selector("ol.context-lines li.hit")
    event = api.get(f"/api/v1/events/{eid}").json()
    assert page.text_content("#raw") == event["raw"]
    shown = page.locator("#event-fields th").all_text_contents()
    assert {"ts", "level", "source", "origin", "seq"} <= set(shown)
    assert set(event["fields"]) <= set(shown)
    assert page.locator("ol.context-lines li").count() > 1


def test_export_downloads_the_current_search(page: Any, server: Server, api: httpx.Client) -> None:
    _login(page, server, "/?q=source%3Aweb+status%3A%3E%3D400")
    page.wait_for_selector("#results tr.event-row")
    total = api.get("/api/v1/facets", params={"q": "source:web status:>=400"}).json()["total"]
    assert total > 20
    with page.expect_download() as info:
        page.click("#export-csv")
    data = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == total and {r["source"] for r in rows} == {"web"}
    with page.expect_download() as info:
        page.click("#export-ndjson")
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == total and all(int(json.loads(x)["status"]) >= 400 for x in lines)
    with page.expect_download() as info:
        page.click("#export-xlsx")
    import openpyxl

    assert info.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    assert book.active.max_row == total + 1


def test_language_switch_and_json_twin(page: Any, server: Server) -> None:
    _login(page, server)
    page.wait_for_selector("#results tr.event-row")
    assert page.text_content("#search-btn") == "Найти"
    page.click("#lang-switch")
    page.wait_for_function("document.querySelector('#search-btn').textContent === 'Search'")
    assert page.text_content("#lang-switch") == "Русский"
    page.wait_for_selector("#results tr.event-row")
    assert page.locator("#results th").first.text_content() == "Time (UTC)"
    page.reload()
    page.wait_for_selector("#results tr.event-row")
    assert page.text_content("#search-btn") == "Search"  # remembered (lw_lang cookie)
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(server.url + "/?q=source%3Aweb&_format=json")
    twin = json.loads(page.locator("body").inner_text())
    assert twin["query"] == "source:web" and len(twin["rows"]) == 20


def test_time_range_and_histogram_zoom(page: Any, server: Server, api: httpx.Client) -> None:
    newest = api.get("/api/v1/search", params={"q": "source:web", "_size": 1}).json()["rows"][0]["ts"]
    end = datetime.fromisoformat(newest).replace(microsecond=0) - timedelta(hours=1)
    start = end - timedelta(hours=6)
    _login(page, server, "/?q=source%3Aweb")
    page.wait_for_selector("#results tr.event-row")
    page.select_option("#range", "custom")
    page.fill("#from", start.strftime("%Y-%m-%dT%H:%M:%S"))
    page.fill("#to", end.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("#search-btn")
    page.wait_for_url("**_from=*")
    lo, hi = start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")
    want = api.get("/api/v1/search", params={"q": "source:web", "_from": lo, "_to": hi}).json()["rows"]
    assert want
    page.wait_for_function("id => document.querySelector('#results tr.event-row')?.dataset.id === id",
                           arg=want[0]["_id"])
    assert _ids(page, "#results tr.event-row") == [r["_id"] for r in want]
    hist = api.get("/api/v1/histogram", params={"q": "source:web", "_from": lo, "_to": hi}).json()
    page.wait_for_selector("#histogram .bar")
    assert page.locator("#histogram .bar").count() == len(hist["buckets"])
    bucket = hist["buckets"][-1]
    page.locator("#histogram .bar").last.click()  # zoom into the last bucket
    page.wait_for_url("**_from=" + bucket["time"].replace(":", "%3A") + "*")
    assert page.input_value("#range") == "custom"
    page.wait_for_function("n => document.querySelector('#found').textContent.replace(/\\D/g, '') === String(n)",
                           arg=bucket["count"])


def test_live_tail_shows_new_events(page: Any, server: Server, api: httpx.Client) -> None:
    _login(page, server)
    page.wait_for_selector("#results tr.event-row")
    page.click("#tail")
    page.wait_for_selector("#tail-note:not([hidden])")
    word = "tailcheck" + uuid.uuid4().hex[:8]
    time.sleep(0.5)
    api.post("/api/v1/ingest", params={"source": "e2e"}, content=f"{word} a new line from the e2e test\n",
             headers={"Content-Type": "text/plain"}).raise_for_status()
    page.wait_for_function("w => document.querySelector('#results tbody').textContent.includes(w)", arg=word,
                           timeout=30_000)
    page.click("#tail")
    page.wait_for_selector("#tail-note[hidden]", state="attached")


def test_trace_and_mail_views(page: Any, server: Server, api: httpx.Client) -> None:
    row = api.get("/api/v1/search", params={"q": "source:directum trace_id:*", "_size": 1}).json()["rows"][0]
    _login(page, server, "/trace/" + row["trace_id"])
    page.wait_for_url("**/trace/*")
    page.wait_for_selector("#trace-result tr.event-row")
    expected = api.get(f"/api/v1/traces/{row['trace_id']}").json()["rows"]
    assert _ids(page, "#trace-result tr.event-row") == [r["_id"] for r in expected]
    messages = api.get("/api/v1/mail/flows", params={"_size": 50}).json()["messages"]
    assert messages
    qid = messages[0]["queue_id"]
    page.goto(server.url + "/mail?queue_id=" + qid)
    page.wait_for_selector("#mail-result tr.mail-row")
    assert qid in (page.text_content("#mail-result") or "")
    line = messages[0]["hops"][0]["lines"][0]
    page.locator("#mail-result details.mail-lines summary").first.click()
    page.locator("#mail-result details.mail-lines a.raw-line").first.click()  # a record opens its event
    page.wait_for_url("**/event/*")
    page.wait_for_selector("#raw")
    assert page.text_content("#raw") == line["raw"]


def test_requests_view(page: Any, server: Server, api: httpx.Client) -> None:
    rows = api.get("/api/v1/requests/pairs", params={"_size": 500}).json()["rows"]
    assert rows
    _login(page, server, "/requests")
    page.wait_for_selector("#requests-result tr.request-row")
    assert page.locator("#requests-result tr.request-row").count() == len(rows)
    orphans = api.get("/api/v1/requests/pairs", params={"_size": 500, "orphans": "true"}).json()["rows"]
    page.check("#req-orphans")
    page.click("#requests-form button[type=submit]")
    page.wait_for_url("**orphans=true*")
    if orphans:
        page.wait_for_selector("#requests-result tr.request-row")
        assert page.locator("#requests-result tr.request-row").count() == len(orphans)
        assert "answered" not in page.locator("#requests-result tbody td:nth-child(2)").all_text_contents()


def _ids(page: Any, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("rows => rows.map(r => r.dataset.id)")


