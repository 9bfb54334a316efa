"""HTTP ingest as shippers send it: NDJSON lines, the Loki push API, the Elasticsearch _bulk API; tokens and
roles; every endpoint but /healthz refuses anonymous callers."""

from __future__ import annotations

import gzip
import importlib
import json
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from server_helpers import Server

from logwarden.web.app import router_modules


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("http") / "data").start()
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def ingest_token(server: Server) -> str:
    with server.client() as c:
        return str(c.post("/api/v1/tokens", json={"role": "ingest", "name": "shipper"}).raise_for_status().json()["token"])


ACCESS = '203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET /ndjson-case HTTP/1.1" 503 12 "-" "curl/8"'
DIRECTUM = ('{"t":"2026-03-01 10:00:00.123+03:00","pid":1,"l":"Error","lg":"Sungero.Web","tr":"cl-ndjson-1",'
            '"mt":"ndjson-case directum failed"}')

# (query string, body lines, search text, expected on the event)
NDJSON_CASES = [
    ("", [ACCESS], "ndjson-case GET", {"format": "access_combined", "status": "503", "client_ip": "203.0.113.5"}),
    ("?host=rx01", [DIRECTUM], "ndjson-case directum", {"format": "directum_rx", "host": "rx01", "level": "error",
                                                        "trace_id": "cl-ndjson-1"}),
    ("?source=custom&format=auto", ["ndjson-case plain text nobody parses"], "ndjson-case plain",
     {"format": "", "source": "custom"}),
]


@pytest.mark.parametrize(("query", "lines", "search", "expect"), NDJSON_CASES, ids=["access", "directum", "plain"])
def test_ndjson(server: Server, ingest_token: str, query: str, lines: list[str], search: str,
                expect: dict[str, str]) -> None:
    with server.client(ingest_token) as c:
        r = c.post(f"/api/v1/ingest{query}", content=("\n".join(lines) + "\n").encode())
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(lines)
    server.wait_stored(server.stats()["received_records"])
    rows = server.search(search)
    assert len(rows) == 1, rows
    assert rows[0]["origin"] == "http://127.0.0.1"
    for key, value in expect.items():
        assert rows[0][key] == value, (key, rows[0])


def test_ndjson_gzip(server: Server, ingest_token: str) -> None:
    body = gzip.compress(b"gzip-case one\ngzip-case two\n\n")
    with server.client(ingest_token) as c:
        r = c.post("/api/v1/ingest?source=gz", content=body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
    server.wait_stored(server.stats()["received_records"])
    assert server.count("gzip-case") == 2


def test_loki_push(server: Server, ingest_token: str) -> None:
    body = {"streams": [
        {"stream": {"job": "vkteams", "host": "im01"},
         "values": [["1772359200000000000", "loki-case first line"], ["1772359201000000000", "loki-case second\nline"]]},
        {"stream": {"app": "nginx", "instance": "web01"}, "values": [["1772359202000000000", ACCESS.replace("ndjson", "loki")]]},
    ]}
    with server.client(ingest_token) as c:
        r = c.post("/loki/api/v1/push", json=body)
    assert r.status_code == 204, r.text
    server.wait_stored(server.stats()["received_records"])
    rows = sorted(server.search("loki-case"), key=lambda r: r["raw"])
    assert len(rows) == 3, rows
    by_raw = {r["raw"]: r for r in rows}
    assert by_raw["loki-case second\nline"]["source"] == "vkteams"  # a newline inside a value stays
    assert by_raw["loki-case first line"]["host"] == "im01"
    nginx = next(r for r in rows if r["format"] == "access_combined")
    assert (nginx["source"], nginx["host"], nginx["status"]) == ("nginx", "web01", "503")


def test_es_bulk(server: Server, ingest_token: str) -> None:
    docs = [({"index": {"_index": "filebeat"}}, {"message": "Oct 13 10:17:00 mail sshd[4089]: bulk-case Failed password",
                                                  "host": {"name": "mail"}}),
            ({"create": {}}, {"log": "bulk-case from fluent bit", "hostname": "fb01"}),
            ({"delete": {"_id": "x"}}, None),
            ({"index": {}}, {"level": "info", "note": "bulk-case no message field"})]
    lines = []
    for action, doc in docs:
        lines.append(json.dumps(action))
        if doc is not None:
            lines.append(json.dumps(doc))
    with server.client(ingest_token) as c:
        r = c.post("/api/v1/es/_bulk?source=shipped", content="\n".join(lines) + "\n",
                   headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["errors"] is False and [next(iter(i)) for i in answer["items"]] == ["index", "create", "delete", "index"]
    server.wait_stored(server.stats()["received_records"])
    rows = {r["raw"]: r for r in server.search("bulk-case")}
    assert len(rows) == 3, rows
    sshd = rows["Oct 13 10:17:00 mail sshd[4089]: bulk-case Failed password"]
    assert (sshd["service"], sshd["host"], sshd["source"]) == ("sshd", "mail", "shipped")
    assert rows["bulk-case from fluent bit"]["host"] == "fb01"
    assert json.loads(next(k for k in rows if k.startswith("{")))["note"] == "bulk-case no message field"


BAD_BODIES = [
    ("/loki/api/v1/push", b"not json", 400),
    ("/loki/api/v1/push", b'{"streams": 5}', 400),
    ("/api/v1/es/_bulk", b'{"index": {}}\n', 400),
    ("/api/v1/ingest?format=no_such_format", b"x\n", 400),
]


@pytest.mark.parametrize(("path", "body", "status"), BAD_BODIES)
def test_bad_bodies_are_clear_errors(server: Server, ingest_token: str, path: str, body: bytes, status: int) -> None:
    with server.client(ingest_token) as c:
        r = c.post(path, content=body)
    assert r.status_code == status
    assert r.json()["detail"]  # a sentence, not a stack trace


def test_every_endpoint_but_health_needs_authentication(server: Server) -> None:
    import httpx

    routes = [r for name in router_modules()
              for r in getattr(importlib.import_module(f"logwarden.web.routers.{name}"), "router", APIRouter()).routes]
    checked = 0
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for route in routes:
            path = getattr(route, "path", "")
            for method in sorted(getattr(route, "methods", None) or ()):
                if method == "HEAD":
                    continue
                url = path.replace("{", "").replace("}", "")  # path parameters: any value
                r = c.request(method, url)
                if path == "/healthz":
                    assert r.status_code == 200
                    continue
                if path in ("/api/v1/login", "/api/v1/logout") or path.startswith(("/login", "/static")):
                    continue  # the ways in and out, and the login page with its assets
                # 404: a path naming something that does not exist (a made-up account) tells nothing either
                assert r.status_code in (401, 403, 404, 303, 307), (method, path, r.status_code)
                checked += 1
    assert checked >= 10


ROLE_CASES = [  # (token role, method, path, expected status)
    ("ingest", "POST", "/api/v1/ingest", 200),
    ("ingest", "POST", "/api/v1/cli/search", 403),
    ("ingest", "GET", "/api/v1/users", 403),
    ("viewer", "POST", "/api/v1/ingest", 403),
    ("auditor", "POST", "/api/v1/tokens", 403),
    ("auditor", "POST", "/api/v1/cli/search", 200),
    ("admin", "GET", "/api/v1/users", 200),
]


@pytest.mark.parametrize(("role", "method", "path", "status"), ROLE_CASES)
def test_roles(server: Server, role: str, method: str, path: str, status: int) -> None:
    with server.client() as c:
        token = c.post("/api/v1/tokens", json={"role": role}).raise_for_status().json()["token"]
    body: dict = {"query": "x"} if "search" in path else {"role": "viewer"}
    with server.client(token) as c:
        r = c.request(method, path, content=b"role-case line\n") if path == "/api/v1/ingest" else \
            c.request(method, path, json=body)
    assert r.status_code == status, r.text


def test_revoked_token_is_refused(server: Server) -> None:
    with server.client() as c:
        made = c.post("/api/v1/tokens", json={"role": "ingest"}).raise_for_status().json()
        with server.client(made["token"]) as t:
            assert t.post("/api/v1/ingest", content=b"revoke-case\n").status_code == 200
        assert c.delete(f"/api/v1/tokens/{made['id']}").status_code == 200
        with server.client(made["token"]) as t:
            assert t.post("/api/v1/ingest", content=b"revoke-case\n").status_code == 401


def test_body_that_inflates_too_far_is_refused(server: Server, ingest_token: str) -> None:
    bomb = gzip.compress(b"x" * ((64 << 20) + 10))  # ~65 KB on the wire
    with server.client(ingest_token) as c:
        r = c.post("/api/v1/ingest", content=bomb, headers={"Content-Encoding": "gzip"})
        assert r.status_code == 400 and "inflates past" in r.json()["detail"]
        assert c.post("/api/v1/ingest", content=b"x\n", headers={"Content-Encoding": "br"}).status_code == 400


def _pb(number: int, value: bytes | int) -> bytes:
    """One protobuf field (varint or length-delimited), written out by hand."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def test_loki_push_protobuf_snappy(server: Server, ingest_token: str) -> None:
    """The body Promtail and Vector's loki sink send by default: snappy-compressed logproto.PushRequest."""
    import cramjam

    def entry(seconds: int, line: str) -> bytes:
        return _pb(2, _pb(1, _pb(1, seconds) + _pb(2, 5)) + _pb(2, line.encode()))

    stream = _pb(1, b'{job="promtail-case", host="px01", note="a \\"quoted\\" value"}')
    stream += entry(1772359200, "proto-case first") + entry(1772359201, ACCESS.replace("ndjson", "proto"))
    body = bytes(cramjam.snappy.compress_raw(_pb(1, stream)))
    with server.client(ingest_token) as c:
        r = c.post("/loki/api/v1/push", content=body, headers={"Content-Type": "application/x-protobuf"})
        assert r.status_code == 204, r.text
        bad = c.post("/loki/api/v1/push", content=b"\x00not snappy", headers={"Content-Type": "application/x-protobuf"})
        assert bad.status_code == 400 and "snappy" in bad.json()["detail"]
    server.wait_stored(server.stats()["received_records"])
    rows = {r["raw"]: r for r in server.search("proto-case OR proto")}
    assert set(rows) == {"proto-case first", ACCESS.replace("ndjson", "proto")}
    assert all((r["source"], r["host"]) == ("promtail-case", "px01") for r in rows.values())
