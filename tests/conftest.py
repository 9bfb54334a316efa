"""Shared fixtures. The engine allows one data directory per process at a time: a test that holds a
store must close it before another opens (fixtures below do), and CLI tests run `logwarden` as a
subprocess (see `run_cli`) so that they never collide with a store a fixture holds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from logwarden.formats.registry import Registry, default_registry
from logwarden.store.chdb_store import Store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "corpora"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store on a fresh data directory, shared by one test module."""
    store = Store(tmp_path_factory.mktemp("engine"), "tests")
    yield store
    store.close()


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present")
    return CORPORA


def run_cli(*args: str, data_dir: Path | None = None, input: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `logwarden ARGS` in a subprocess, as a user would."""
    cmd = [sys.executable, "-m", "logwarden.cli"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    full_env = {**os.environ, "LOGWARDEN_TIMEZONE": "UTC", **(env or {})}
    return subprocess.run(cmd + list(args), check=False, input=input, capture_output=True, env=full_env,
                          timeout=300)
