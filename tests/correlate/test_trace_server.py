"""`trace`, `restarts` and `search -C/-A/-B` while a server owns the data directory: the CLI asks the server
(its API calls the same functions) and prints what it prints without one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_helpers import Server, assert_same_output, plain_and_served

WEB = [
    '{"t":"2024-05-06 10:00:00.100+03:00","l":"Debug","tr":"cl-3b6fac8b-9d4d0c","mt":"Request started","tn":"DirectumRX"}',
    '{"t":"2024-05-06 10:00:00.900+03:00","l":"Info","tr":"cl-3b6fac8b-9d4d0c","mt":"Request completed","tn":"DirectumRX"}',
    '{"t":"2024-05-06 10:00:02.000+03:00","l":"Fatal","tr":"ws-11111111-222222","mt":"Application is stopping","tn":"DirectumRX"}',
    ('{"t":"2024-05-06 10:01:00.000+03:00","l":"Info","lg":"Microsoft.Hosting.Lifetime",'
     '"mt":"Application started. Press Ctrl+C to shut down.","tn":"DirectumRX"}'),
    '{"t":"2024-05-06 10:01:05.000+03:00","l":"Info","tr":"cl-3b6fac8b-0a1b2c","mt":"Document saved","tn":"DirectumRX"}',
]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    root = tmp_path_factory.mktemp("bridge")
    log = root / "WebServer.log"
    log.write_text("".join(line + "\n" for line in WEB), encoding="utf-8")
    plain, server = plain_and_served(root, log)
    yield plain, server
    server.stop()


@pytest.mark.parametrize("args", [
    ["trace", "cl-3b6fac8b", "--output", "raw"],
    ["trace", "cl-3b6fac8b", "--output", "csv"],
    ["trace", "cl-3b6fac8b", "--limit", "2", "--output", "ndjson"],
    ["trace", "cl-3b6fac8b", "--from", "2024-05-06T07:00:00.500", "--output", "raw"],
    ["restarts", "--output", "raw"],
    ["restarts", "--before", "1", "--output", "json"],
    ["restarts", "--service", "directum", "--output", "csv"],
    ["search", "Request", "-C", "1", "--output", "raw"],
    ["search", "level:fatal", "-B", "2", "-A", "1", "--output", "json"],
    ["search", "cl-3b6fac8b", "-A", "1", "--limit", "2", "--output", "ndjson"],
])
def test_same_output_with_and_without_a_server(both: tuple[Path, Server], args: list[str]) -> None:
    plain, server = both
    assert_same_output(plain, server, *args)


def test_refusals_through_a_server(both: tuple[Path, Server]) -> None:
    _, server = both
    missing = run_cli("trace", "cl-00000000", data_dir=server.data_dir)
    assert missing.returncode == 1 and b"no record carries" in missing.stderr
    for args in (["Request | stats count()", "-C", "1"], ["Request", "-C", "5000"]):
        refused = run_cli("search", *args, data_dir=server.data_dir)
        assert refused.returncode == 2 and b"Traceback" not in refused.stderr, refused.stderr
