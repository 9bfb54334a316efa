"""`logwarden mail --collate` against Postfix's own collate.pl, byte for byte, on every Postfix corpus file.

The reference is `perl ../shared/tools/collate.pl FILE` (a `.gz` rotation is fed to it decompressed). Every
file is ingested into the module's engine and `correlate.collate` is compared in-process; the main files
also go through the CLI as a user runs it: `ingest FILE` into an empty data directory, then `mail --collate`.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CORPORA, SHARED, run_cli
from logwarden.correlate.collate import collate
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs

COLLATE_PL = SHARED / "tools" / "collate.pl"
LIGHTMETER = "lightmeter-controlcenter/test_files/postfix_logs"
COMPLETE = f"{LIGHTMETER}/complete.tar.gz.extracted/logs_sample"
MAIN = [
    "kdent-postfix_log_analysis/mail.log",
    "kdent-postfix_log_analysis/mail2.log",
    "kdent-postfix_log_analysis/mail3.log",
    "NoLE-MailLog/mail.log",
    "MensEtManus-gomaillex/maillog",
    f"{COMPLETE}/mail.log",
    f"{COMPLETE}/mail.log.1",
]


OTHERS = [  # the other files of the corpora with postfix/…[pid] lines (most hold no whole transaction)
    "digineo-postfix_exporter/testdata/mail.log",
    "sourav1maity-TestRepo/zimbra.log",
    "crowdsec-hub/tests/postfix-logs/postfix-logs.log",
    "crowdsec-hub/tests/postscreen-logs/postscreen-logs.log",
    "crowdsec-hub/tests/postfix-spam/postfix-spam.log",
    "crowdsec-hub/tests/postfix-sasl-bf/postfix-sasl-bf.log",
    "fail2ban/logs/postfix",
]


def _every_file() -> list[str]:
    """MAIN, then the rest of lightmeter's complete set (.gz rotations too), its individual scenarios and
    parser corpus lines, and OTHERS."""
    if not CORPORA.is_dir():
        return MAIN
    rest = sorted(str(p.relative_to(CORPORA)) for d in (COMPLETE, f"{LIGHTMETER}/individual_files",
                                                         "lightmeter-controlcenter/pkg/postfix/logparser/corpus")
                  for p in (CORPORA / d).glob("*") if p.is_file())
    return MAIN + [r for r in rest if r not in MAIN] + [r for r in OTHERS if (CORPORA / r).is_file()]


ALL = _every_file()


def _id(rel: str) -> str:
    return (rel.replace(COMPLETE, "lightmeter-complete").replace(f"{LIGHTMETER}/individual_files", "lightmeter")
            .replace("lightmeter-controlcenter/pkg/postfix/logparser/corpus", "lightmeter-corpus"))


def reference(path: Path) -> bytes:
    """What collate.pl prints for the file."""
    if shutil.which("perl") is None or not COLLATE_PL.is_file():
        pytest.skip("perl or ../shared/tools/collate.pl is not available")
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    done = subprocess.run(["perl", str(COLLATE_PL)], input=data, capture_output=True, check=True, timeout=120)
    return done.stdout


@pytest.fixture(scope="module")
def stored(engine, registry) -> dict[str, str]:
    """Every file ingested into the module's engine: relative path -> its origin. A file whose start was
    already stored under another name (a scenario file that begins with another one, read as that file grown)
    is left out: only its new lines are stored under its own name, so it is checked in a data dir of its own."""
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present")
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    origins: dict[str, str] = {}
    for rel in ALL:
        for inp in open_inputs(CORPORA / rel):
            result = ingestor.ingest(inp)
            assert not result.error, result.error
            first = engine.value("SELECT min(seq) AS s FROM lw.events WHERE origin = {o:String}", {"o": result.path})
            if result.records and first == 0:
                origins[rel] = result.path
    return origins


@pytest.mark.parametrize("rel", ALL, ids=[_id(r) for r in ALL])
def test_collate_matches_reference(corpora: Path, stored: dict[str, str], engine, rel: str, tmp_path: Path) -> None:
    want = reference(corpora / rel)
    if rel in stored:
        got = b"".join(block.encode("utf-8", "surrogateescape") + b"\n" for block in collate(engine, stored[rel]))
    else:  # it starts with another stored file's content: ingest it alone, through the CLI
        assert run_cli("ingest", str(corpora / rel), data_dir=tmp_path / "data").returncode == 0
        got = run_cli("mail", "--collate", data_dir=tmp_path / "data").stdout
    assert got == want


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The main files ingested by `logwarden ingest` into an empty data directory: (dir, rel -> origin)."""
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present")
    data = tmp_path_factory.mktemp("collate-cli") / "data"
    done = run_cli("ingest", *(str(CORPORA / rel) for rel in MAIN), "--output", "json", data_dir=data)
    assert done.returncode == 0, done.stderr.decode()
    files = json.loads(done.stdout)["files"]
    assert [f["records"] > 900 for f in files] == [True] * len(MAIN)
    return data, {rel: f["path"] for rel, f in zip(MAIN, files, strict=True)}


@pytest.mark.parametrize("rel", MAIN, ids=[_id(r) for r in MAIN])
def test_collate_cli_matches_reference(corpora: Path, cli_store: tuple[Path, dict[str, str]], rel: str) -> None:
    want = reference(corpora / rel)
    assert want.count(b"\n\n") > 50  # a real comparison: many transactions
    data, origins = cli_store
    done = run_cli("mail", "--collate", "--origin", origins[rel], data_dir=data)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == want
