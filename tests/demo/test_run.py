"""The `make run` driver: regenerates only when needed, and picks its examples from the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logwarden.demo import run


def test_prepare_writes_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run.prepare(tmp_path, 1)
    assert "Generated 39 demo log files" in capsys.readouterr().out
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "keep").write_text("x")
    run.prepare(tmp_path, 1)
    assert "are current" in capsys.readouterr().out
    assert (tmp_path / "store" / "keep").exists(), "a current tree keeps its store"


def test_searches_name_a_real_failed_trace(tmp_path: Path) -> None:
    run.prepare(tmp_path, 1)
    tr = run._failed_trace(tmp_path)
    assert re.fullmatch(r"cl-[0-9a-f]{8}-[0-9a-f]{6}", tr)
    text = (tmp_path / "directum/WebServer.log").read_text(encoding="utf-8")
    assert f'"l":"Error","tr":"{tr}"' in text
    trace = tr.rsplit("-", 1)[0]
    assert len(set(re.findall(rf'"tr":"({trace}-[0-9a-f]+)"', text))) > 1, "an action of several requests"
    searches = run._searches(tmp_path)
    assert any(f"tr:{tr}" in " ".join(args) for _, args in searches)
    assert any(f"trace_id:{trace}" in " ".join(args) for _, args in searches)
