"""`logwarden requests` while a server owns the data directory: the CLI asks the server's
/api/v1/requests/pairs (which calls the same `pair_requests`) and prints what it prints without one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_helpers import Server, assert_same_output, plain_and_served
from test_requests import LOG


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    root = tmp_path_factory.mktemp("requests-bridge")
    log = root / "client.log"
    log.write_text(LOG, encoding="utf-8")
    plain, server = plain_and_served(root, log)
    yield plain, server
    server.stop()


@pytest.mark.parametrize("args", [
    ["--output", "json"],
    ["--status", "50000", "--output", "csv"],
    ["--orphans", "--output", "ndjson"],
    ["--slower-than", "4s", "--method", "getChatInfo", "--output", "json"],
    ["--from", "2020-11-30T13:25:00", "--to", "2020-11-30T13:28:00", "--output", "csv"],
    ["--limit", "3", "--output", "json"],
])
def test_same_output_with_and_without_a_server(both: tuple[Path, Server], args: list[str]) -> None:
    plain, server = both
    assert_same_output(plain, server, "requests", *args)
