"""What the server acknowledged survives `kill -9`; SIGTERM stores everything; overload says so (429, UDP
drops counted) instead of growing without bound."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
from server_helpers import Server

HOLD = {"LOGWARDEN_INGEST_FLUSH_MS": "600000", "LOGWARDEN_INGEST_BATCH_MB": "512"}  # nothing reaches the engine


def _lines(tag: str, start: int, n: int) -> bytes:
    return "".join(f"<13>Mar  1 10:00:00 durhost app[1]: {tag} id={i:07d} payload\n" for i in range(start, start + n)).encode()


def test_kill9_after_acknowledgement_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = Server(data, HOLD).start()
    acked = 0
    with srv.client() as c:
        for k in range(20):
            r = c.post("/api/v1/ingest", content=_lines("http", k * 250, 250))
            assert r.status_code == 200
            acked += r.json()["accepted"]
    with socket.create_connection(("127.0.0.1", srv.tcp_port)) as s:
        s.sendall(_lines("tcp", 0, 3000))
    deadline = time.monotonic() + 30
    while srv.stats()["durable_records"] < acked + 3000:  # TCP: accepted and flushed to the WAL
        assert time.monotonic() < deadline, srv.stats()
        time.sleep(0.05)
    assert srv.stats()["stored_records"] == 0  # all of it is only in the WAL
    srv.kill9()

    srv = Server(data).start()
    try:
        assert "Replaying 8000 records" in srv.output()
        srv.wait_stored(8000)
        assert srv.count("durhost http") == acked == 5000
        assert srv.count("durhost tcp") == 3000
        rows = srv.search("durhost tcp | stats count() as n, min(seq) as lo, max(seq) as hi")
        assert (int(rows[0]["lo"]), int(rows[0]["hi"])) == (0, 2999)  # seq numbers follow the stream
    finally:
        assert srv.stop() == 0


def test_kill9_while_storing_keeps_every_acknowledged_record_once(tmp_path: Path) -> None:
    """Requests keep coming while the engine stores batches; kill -9 lands mid-way. Every acknowledged
    record is there after the restart, and none twice (a half-stored batch is rolled back and replayed)."""
    data = tmp_path / "data"
    srv = Server(data, {"LOGWARDEN_INGEST_FLUSH_MS": "20"}).start()
    acked: list[int] = []
    stop = threading.Event()

    def send() -> None:
        with srv.client() as c:
            k = 0
            while not stop.is_set():
                try:
                    r = c.post("/api/v1/ingest", content=_lines("race", k * 100, 100))
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    acked.append(k)
                k += 1

    t = threading.Thread(target=send)
    t.start()
    deadline = time.monotonic() + 30
    while srv.stats()["batches"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.kill9()
    stop.set()
    t.join(30)
    assert len(acked) > 3

    srv = Server(data).start()
    try:
        s = srv.stats()
        srv.wait_stored(s["received_records"])
        rows = srv.search("durhost race | stats count() as n, count_distinct(raw) as u")
        n, unique = int(rows[0]["n"]), int(rows[0]["u"])
        assert n == unique, "a record was stored twice"
        assert n >= len(acked) * 100, f"{n} stored, {len(acked) * 100} acknowledged"
        for k in (acked[0], acked[len(acked) // 2], acked[-1]):
            assert srv.count(f'"id={k * 100 + 99:07d}"') == 1
    finally:
        assert srv.stop() == 0


def test_sigterm_stores_everything_pending(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = Server(data, HOLD).start()
    with srv.client() as c:
        assert c.post("/api/v1/ingest", content=_lines("term", 0, 700)).status_code == 200
    assert srv.stats()["stored_records"] == 0
    assert srv.stop() == 0
    assert "nothing pending" in srv.output()
    assert not (data / "server" / "info.json").exists()
    srv = Server(data).start()
    try:
        assert srv.stats()["replayed_records"] == 0
        assert srv.count("durhost term") == 700
    finally:
        assert srv.stop() == 0


def test_overload_answers_429_and_counts_udp_drops(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", {**HOLD, "LOGWARDEN_INGEST_MAX_PENDING_MB": "1"}).start()
    try:
        codes = []
        with srv.client() as c:
            for k in range(12):
                r = c.post("/api/v1/ingest", content=_lines("load", k * 2000, 2000))
                codes.append(r.status_code)
                if r.status_code == 429:
                    assert r.headers["retry-after"] == "1"
        assert 200 in codes and codes[-1] == 429
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for i in range(50):
                u.sendto(f"<13>Mar  1 10:00:00 udphost app: dropped {i}".encode(), ("127.0.0.1", srv.udp_port))
        deadline = time.monotonic() + 10
        while srv.stats()["udp_dropped"] < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        s = srv.stats()
        assert s["udp_dropped"] == 50 and s["http_rejected"] == codes.count(429) and s["overloaded"]
        assert s["pending_bytes"] < 2 << 20  # bounded: refused data was not kept
    finally:
        assert srv.stop() == 0


BOOM_FORMAT = '''name = "boom_test"
title = "a format whose expression the engine refuses on some records"
system = "test"
source = "boomtest"
regex = '^BOOMLOG (?P<word>\\S+)'

[fields]
checked = { expr = "if(c_word = 'explode', toString(throwIf(1, 'refused by the engine')), c_word)" }

[[samples]]
line = "BOOMLOG fine"
expect = { word = "fine", checked = "fine" }
'''


def test_batch_the_engine_refuses_is_stored_unparsed(tmp_path: Path) -> None:
    """Bad data is data: a batch that keeps failing in the engine is kept (WAL) and finally stored unparsed."""
    formats = tmp_path / "formats"
    formats.mkdir()
    (formats / "boom.toml").write_text(BOOM_FORMAT)
    srv = Server(tmp_path / "data", {"LOGWARDEN_FORMATS_DIR": str(formats)}).start()
    try:
        with srv.client() as c:
            r = c.post("/api/v1/ingest?format=boom_test", content=b"BOOMLOG fine\nBOOMLOG explode\n")
        assert r.status_code == 200
        s = srv.wait_stored(2)
        assert s["engine_errors"] >= 3 and "refused by the engine" in s["last_error"]
        rows = {r["raw"]: r for r in srv.search("BOOMLOG")}
        assert set(rows) == {"BOOMLOG fine", "BOOMLOG explode"}  # each once: failed tries left nothing behind
        assert all(r["format"] == "" for r in rows.values())
    finally:
        assert srv.stop() == 0
