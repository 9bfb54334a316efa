"""CDN access logs (header-driven TSV): generated files, plain and gzip, and files whose header has other,
more or reordered columns, ingested through the real engine; typed fields, search by them, raw kept exact."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from logwarden.demo.cdn import HEADER, cdn_lines
from logwarden.demo.pools import Rng, epoch
from logwarden.formats.detect_file import sniff
from logwarden.formats.registry import Registry
from logwarden.ingest.pipeline import IngestOptions, Ingestor, IngestReport
from logwarden.ingest.sources import expand, open_inputs
from logwarden.query.service import search
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB

START, END = epoch(2026, 3, 1), epoch(2026, 3, 2)
N = 400
# A CDN account whose export has other columns: reordered, a column dropped (time_local), two new ones.
OTHER = ("service", "status", "remote_addr", "timestamp", "request", "edge_node", "cache_status", "duration",
         "upstream_status", "Bytes-Sent(total)", "host")


def _ingest(store: Store, registry: Registry, *paths: Path) -> IngestReport:
    report = IngestReport()
    ingestor = Ingestor(store, registry, IngestOptions(timezone="UTC"))
    for item in expand([str(p) for p in paths]):
        for inp in open_inputs(item):
            report.files.append(ingestor.ingest(inp))
    return report


def _events(store: Store, origin: str) -> list[dict[str, Any]]:
    return store.rows(
        f"SELECT toString(ts) AS ts, ts_inferred, format, seq, level, raw, client_ip, status, service, fields "
        f"FROM {DB}.events WHERE origin = {{o:String}} ORDER BY seq", {"o": origin})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cdn")
    lines = list(cdn_lines(Rng("test:cdn"), START, END, N, outage=(START + 36000, START + 37800)))
    plain = root / "cdn_access.tsv"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    gz = root / "cdn_access.2026-02-28.tsv.gz"
    gz.write_bytes(gzip.compress(("\n".join(cdn_lines(Rng("test:cdn.gz"), START - 86400, START, N)) + "\n").encode()))
    other = root / "export-other-columns.log"
    other.write_text("\n".join(cdn_lines(Rng("test:cdn.other"), START, END, 50, columns=OTHER)) + "\n",
                     encoding="utf-8")
    return {"plain": plain, "gz": gz, "other": other}


@pytest.fixture(scope="module")
def ingested(engine: Store, registry: Registry, files: dict[str, Path]) -> IngestReport:
    return _ingest(engine, registry, *files.values())


def test_files_are_detected_by_their_header(registry: Registry, files: dict[str, Path]) -> None:
    for key in ("plain", "other"):
        found = sniff(registry, files[key].read_bytes()[:65536], files[key].name)
        assert found.spec is not None and found.spec.name == "cdn_access", found.reason
        assert "header" in found.reason
    # Lines that no format knows are joined to the record before them while sniffing; the header still counts.
    last = b"request\tremote_addr\ttimestamp\tstatus\n/a\t10.0.0.1\t1772355600\t200\n/b\t10.0.0.2\t1772355601\t404\n"
    found = sniff(registry, last, "export.txt")
    assert found.spec is not None and found.spec.name == "cdn_access", found.reason
    # A header that lacks a required column (no status) is not taken for a CDN log.
    found = sniff(registry, b"timestamp\tremote_addr\trequest\n1772355600\t1.2.3.4\t/\n", "x.tsv")
    assert found.spec is None or found.spec.name != "cdn_access"


def test_every_line_is_stored_once_raw_exactly(engine: Store, ingested: IngestReport,
                                               files: dict[str, Path]) -> None:
    assert not ingested.failed and ingested.unparsed == 0
    for key, path in files.items():
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        lines = data.decode().split("\n")[:-1]
        stored = _events(engine, str(path))
        assert [e["raw"] for e in stored] == lines, key  # the file, line for line: a TSV export is this
        assert {e["format"] for e in stored} == {"cdn_access"}
        header = stored[0]
        assert header["fields"] == {"tsv_header": "1"} and header["ts_inferred"] and header["level"] == ""
        assert header["ts"] == stored[1]["ts"], key  # sorts with the file's first record, not at its mtime
        assert all("tsv_header" not in e["fields"] for e in stored[1:])


def test_typed_fields(engine: Store, ingested: IngestReport, files: dict[str, Path]) -> None:
    lines = files["plain"].read_text(encoding="utf-8").split("\n")[1:-1]
    stored = _events(engine, str(files["plain"]))[1:]
    for line, event in zip(lines, stored, strict=True):
        cell = dict(zip(HEADER, line.split("\t"), strict=True))
        f = event["fields"]
        assert event["ts"].startswith(cell["time_local"][:19]) and not event["ts_inferred"]
        assert event["client_ip"] == cell["remote_addr"] and event["status"] == cell["status"]
        assert event["service"] == cell["service"] and f["http_host"] == cell["host"]
        status = int(cell["status"])
        assert event["level"] == ("error" if status >= 500 else "warn" if status >= 400 else "info")
        assert int(f["body_bytes_sent"]) == int(cell["body_bytes_sent"]) and float(f["duration"]) > 0
        assert f.get("cache_status") == cell["cache_status"] and f["country"] == cell["country"]
        if cell["upstream_status"] == "-":
            assert "upstream_status" not in f and "upstream_response_time" not in f
        else:
            statuses = [s.strip() for s in cell["upstream_status"].split(",")]
            assert f["upstream_status"] == ",".join(statuses)
            assert f["upstream_status_last"] == statuses[-1] and f["upstream_tries"] == str(len(statuses))
            times = [float(x) for x in cell["upstream_response_time"].split(",")]
            assert float(f["upstream_response_time_total"]) == pytest.approx(sum(times), abs=1e-3)
        if cell["http_x_forwarded_for"] != "-":
            assert f["x_forwarded_for"] == cell["http_x_forwarded_for"].replace(", ", ",")
        assert "tsv_invalid" not in f


def test_other_columns_load_by_name(engine: Store, ingested: IngestReport, files: dict[str, Path]) -> None:
    lines = files["other"].read_text(encoding="utf-8").split("\n")[1:-1]
    stored = _events(engine, str(files["other"]))[1:]
    assert len(stored) == 50
    for line, event in zip(lines, stored, strict=True):
        cell = dict(zip(OTHER, line.split("\t"), strict=True))
        f = event["fields"]
        assert event["status"] == cell["status"] and event["client_ip"] == cell["remote_addr"]
        assert event["service"] == cell["service"] and not event["ts_inferred"]
        assert f["edge_node"] == cell["edge_node"]  # undeclared columns: text fields under their own name
        assert f["bytes-sent_total_".replace("-", "_")] == cell["Bytes-Sent(total)"]
        assert "time_local" not in f and "country" not in f  # absent columns are empty, not shifted


@pytest.mark.parametrize("query,check", [
    ("status:>=500", lambda e: int(e["status"]) >= 500),
    ("source:cdn level:warn", lambda e: 400 <= int(e["status"]) < 500),
    ("cache_status:MISS service:static", lambda e: "\tMISS\t" in e["raw"] and "\tstatic\t" in e["raw"]),
    ("upstream_status_last:502", lambda e: e["raw"].split("\t")[15].split(", ")[-1] == "502"),
    ("upstream_tries:>=2", lambda e: ", " in e["raw"].split("\t")[15]),
    ("duration:>2.5", lambda e: float(e["raw"].split("\t")[13]) > 2.5),
    ("client_ip:95.165.0.0/16", lambda e: e["raw"].split("\t")[1].startswith("95.165.")),
    ("tsv_header:1", lambda e: e["raw"].startswith("timestamp\t")),
])
def test_search_by_typed_fields(engine: Store, ingested: IngestReport, files: dict[str, Path],
                                query: str, check: Any) -> None:
    origin = str(files["plain"])
    rows = [r for r in search(engine, query, limit=None).rows if r["origin"] == origin]
    assert rows, query
    assert all(check(r) for r in rows), query
    # Compare with a count made from the file itself where the check reads the line.
    lines = files["plain"].read_text(encoding="utf-8").split("\n")[:-1]
    expected = sum(1 for ln in lines if _safe(check, ln)) if "tsv_header" not in query and ":" in query else None
    if query.startswith(("status:", "upstream_", "duration:")):
        assert len(rows) == expected, query


def _safe(check: Any, line: str) -> bool:
    if line.startswith("timestamp\t"):
        return False
    try:
        return bool(check({"raw": line, "status": line.split("\t")[5]}))
    except (ValueError, IndexError):
        return False


def test_reingest_adds_nothing_and_a_grown_file_adds_its_tail(engine: Store, registry: Registry,
                                                             ingested: IngestReport, files: dict[str, Path],
                                                             tmp_path: Path) -> None:
    path = tmp_path / "grow.tsv"
    lines = list(cdn_lines(Rng("test:cdn.grow"), START, END, 30))
    path.write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    assert _ingest(engine, registry, path).records == 11
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = _ingest(engine, registry, path)
    assert again.records == 20 and again.unparsed == 0  # the tail is read with the header's positions
    stored = _events(engine, str(path))
    assert [e["raw"] for e in stored] == lines
    assert all(e["fields"].get("http_host") for e in stored[1:])


def test_short_line_is_kept_unparsed(engine: Store, registry: Registry, ingested: IngestReport,
                                     tmp_path: Path) -> None:
    lines = list(cdn_lines(Rng("test:cdn.short"), START, END, 3))
    cut = lines[2].rsplit("\t", 5)[0]  # a line cut short (a truncated download)
    path = tmp_path / "cut.tsv"
    path.write_text("\n".join([lines[0], lines[1], cut, lines[3]]) + "\n", encoding="utf-8")
    report = _ingest(engine, registry, path)
    assert report.records == 4 and report.unparsed == 1
    stored = _events(engine, str(path))
    assert stored[2]["raw"] == cut and stored[2]["format"] == "" and "_unparsed" in stored[2]["fields"]


def test_downloads_appended_into_one_gzip_keep_each_header_as_a_header(engine: Store, registry: Registry,
                                                                      ingested: IngestReport, tmp_path: Path) -> None:
    """Two API answers (gzip streams, each starting with the header line) appended into one file."""
    first = list(cdn_lines(Rng("test:cdn.day1"), START, START + 3600, 5))
    second = list(cdn_lines(Rng("test:cdn.day2"), START + 3600, START + 7200, 4))
    path = tmp_path / "appended.log.gz"
    path.write_bytes(gzip.compress(("\n".join(first) + "\n").encode())
                     + gzip.compress(("\n".join(second) + "\n").encode()))
    report = _ingest(engine, registry, path)
    assert report.records == 11 and report.unparsed == 0
    stored = _events(engine, str(path))
    assert [e["raw"] for e in stored] == first + second
    assert [e["seq"] for e in stored if e["fields"].get("tsv_header") == "1"] == [0, 6]
    assert all(not e["ts_inferred"] for e in stored if "tsv_header" not in e["fields"])


def test_a_later_header_line_with_other_columns_is_marked_as_a_header(engine: Store, registry: Registry,
                                                                      ingested: IngestReport, tmp_path: Path) -> None:
    lines = list(cdn_lines(Rng("test:cdn.mid"), START, END, 3))
    path = tmp_path / "mid.tsv"
    path.write_text("\n".join([*lines, "\t".join(OTHER)]) + "\n", encoding="utf-8")
    stored = _events(engine, str(path)) if _ingest(engine, registry, path).unparsed == 0 else []
    assert [e["fields"].get("tsv_header") for e in stored] == ["1", None, None, None, "1"]
