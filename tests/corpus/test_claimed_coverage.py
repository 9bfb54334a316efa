"""Every corpus file of a format logwarden claims is understood: at least 99.5 % of its non-blank records
parsed by that format with a timestamp and a level (`logwarden formats coverage`, measured in the engine).

Other helpers' formats keep their own claim lists beside their corpus tests; this table holds the files of
the foundation formats. Figures: docs/formats.md, "Coverage of real logs".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from logwarden.formats.coverage import measure
from logwarden.ingest.pipeline import IngestOptions

MIN_SHARE = 0.995
LIGHTMETER = "lightmeter-controlcenter/test_files/postfix_logs"

# (path under ../shared/corpora, the format it must be read as)
CLAIMS = [
    ("kdent-postfix_log_analysis/mail.log", "postfix"),
    ("kdent-postfix_log_analysis/mail2.log", "postfix"),
    ("kdent-postfix_log_analysis/mail3.log", "postfix"),
    (f"{LIGHTMETER}/complete.tar.gz.extracted/logs_sample/mail.log", "postfix"),
    (f"{LIGHTMETER}/complete.tar.gz.extracted/logs_sample/mail.log.1", "postfix"),
    ("NoLE-MailLog/mail.log", "postfix"),
    ("MensEtManus-gomaillex/maillog", "postfix"),
    ("elastic-examples/Common Data Formats/apache_logs/apache_logs", "access_combined"),
    ("loghub/Apache/Apache_2k.log", "apache_error"),
    ("loghub/Linux/Linux_2k.log", "syslog_rfc3164"),
    ("loghub/OpenSSH/OpenSSH_2k.log", "syslog_rfc3164"),
    ("loghub/Mac/Mac_2k.log", "syslog_rfc3164"),
    ("lnav/test/logfile_access_log.0", "access_combined"),
]
# lightmeter's individual files are a few lines each: one line broken in two by the exporter
# (18_expired.log: "…Maild\nir/)") is 3 % of that file, so they are claimed as one set.
SETS = {"lightmeter individual files": (f"{LIGHTMETER}/individual_files", "postfix")}


@pytest.mark.parametrize("rel,fmt", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_claimed_file_is_understood(corpora: Path, registry, engine, rel: str, fmt: str) -> None:
    [cov] = measure(engine, registry, [str(corpora / rel)], IngestOptions(timezone="UTC"))
    assert cov.format == fmt, f"{rel}: detected as {cov.format!r}"
    assert cov.records > 0
    assert cov.share >= MIN_SHARE, f"{rel}: {cov.share:.2%} understood; not understood: {cov.examples}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_claimed_set_is_understood(corpora: Path, registry, engine, name: str) -> None:
    rel, fmt = SETS[name]
    files = [c for c in measure(engine, registry, [str(corpora / rel)], IngestOptions(timezone="UTC")) if c.records]
    assert len(files) > 10
    # 5_zimbra_amavisd.log is mostly amavis and Zimbra lines: detection reads it as zimbra_syslog, Postfix's
    # format plus amavis' verdicts (docs/formats.md)
    assert {c.format for c in files} <= {fmt, "zimbra_syslog"}
    assert sum(c.format == fmt for c in files) >= len(files) - 1
    lines = sum(c.records - c.blank for c in files)
    assert sum(c.understood for c in files) / lines >= MIN_SHARE


def test_coverage_command_shows_what_is_not_understood(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    good = [f"Oct 13 10:17:{i:02d} mail sshd[4089]: Failed password for root from 203.0.113.7 port 2222 ssh2"
            for i in range(40)]
    log.write_text("\n".join([*good, "", "nothing a format knows ~~~", *good[:3]]) + "\n")
    proc = run_cli("formats", "coverage", str(log), "--output", "json", data_dir=tmp_path / "unused")
    assert proc.returncode == 0, proc.stderr
    import json

    [cov] = json.loads(proc.stdout)
    assert cov["format"] == "syslog_rfc3164"
    assert (cov["records"], cov["blank"], cov["understood"]) == (45, 1, 43)
    assert cov["share"] == pytest.approx(43 / 44)
    assert [e["record"] for e in cov["examples"]] == ["nothing a format knows ~~~"]
    assert not (tmp_path / "unused").exists(), "coverage must not create or touch the data directory"
    below = run_cli("formats", "coverage", str(log), "--min-share", "0.995")
    assert below.returncode == 1
    assert b"understood=97.73%" in below.stdout and b"nothing a format knows" in below.stdout


def test_coverage_of_a_missing_file_says_so(tmp_path: Path) -> None:
    proc = run_cli("formats", "coverage", str(tmp_path / "absent.log"))
    assert proc.returncode != 0
    assert b"absent.log" in proc.stderr and b"Traceback" not in proc.stderr


def test_coverage_does_not_count_a_tsv_header_line(tmp_path: Path) -> None:
    """A CDN file's header names its columns: stored as a record, but not an event to understand."""
    import json

    from logwarden.demo.cdn import cdn_lines
    from logwarden.demo.pools import Rng

    log = tmp_path / "cdn_access.tsv"
    log.write_text("\n".join(cdn_lines(Rng(7), 1_700_000_000, 1_700_003_600, 50)) + "\n", encoding="utf-8")
    proc = run_cli("formats", "coverage", str(log), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    [cov] = json.loads(proc.stdout)
    assert (cov["format"], cov["records"], cov["headers"], cov["understood"]) == ("cdn_access", 51, 1, 50)
    assert cov["share"] == 1.0 and cov["examples"] == []
