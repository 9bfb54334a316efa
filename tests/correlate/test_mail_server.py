"""`logwarden mail` while a server owns the data directory: the CLI asks the server (its API calls the same
functions) and prints what it prints without one, `--collate` included."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from mail_lines import FILTERED_BOUNCE, PICKUP_RETRY
from server_helpers import Server, assert_same_output, plain_and_served


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server, Path]]:
    root = tmp_path_factory.mktemp("mailbridge")
    log = root / "mail.log"
    log.write_text("".join(line + "\n" for line in FILTERED_BOUNCE + PICKUP_RETRY), encoding="utf-8")
    plain, server = plain_and_served(root, log)
    yield plain, server, log
    server.stop()


@pytest.mark.parametrize("args", [
    ["mail", "--output", "json"],
    ["mail"],
    ["mail", "--status", "bounced", "--output", "json"],
    ["mail", "--from", "", "--output", "json"],
    ["mail", "--collate"],
])
def test_same_output_with_and_without_a_server(both: tuple[Path, Server, Path], args: list[str]) -> None:
    plain, server, _ = both
    assert_same_output(plain, server, *args)


def test_collate_of_one_origin_and_of_an_unknown_one(both: tuple[Path, Server, Path]) -> None:
    plain, server, log = both
    direct = run_cli("mail", "--collate", "--origin", str(log), data_dir=plain)
    bridged = run_cli("mail", "--collate", "--origin", str(log), data_dir=server.data_dir)
    assert bridged.returncode == 0 and bridged.stdout == direct.stdout and direct.stdout
    missing = run_cli("mail", "--collate", "--origin", "/no/such.log", data_dir=server.data_dir)
    assert missing.returncode == 2 and b"no stored file" in missing.stderr
