"""`mail_flows` on real Postfix logs, checked against independent readings of the same lines.

Lightmeter's complete set (amavis re-injection on :10024/:10025, lmtp to dovecot) and kdent's relay log:
every delivery line ends up in exactly one message; every `queued as NEWID` that hands a message to the
content filter and comes back through smtpd as NEWID is a link in a message's path; collate.pl (whose output
`correlate.collate` reproduces byte for byte) files those two halves as separate transactions.
"""

from __future__ import annotations

import re

import pytest

from conftest import CORPORA
from logwarden.correlate.collate import collate
from logwarden.correlate.mail import mail_flows
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs

COMPLETE = "lightmeter-controlcenter/test_files/postfix_logs/complete.tar.gz.extracted/logs_sample"
FILES = [f"{COMPLETE}/mail.log.1", f"{COMPLETE}/mail.log", "kdent-postfix_log_analysis/mail.log"]
AGENT = re.compile(r" postfix(?:-[^/\s]+)?/(?:\S+/)?(?:smtp|lmtp|local|virtual|pipe|error|discard|qmgr)\[\d+\]: "
                   r"([0-9A-F]{6,}|[0-9A-Za-z]{12,}): to=<.*\bstatus=")
TO_FILTER = re.compile(r"/smtp\[\d+\]: (\w+): to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*"
                       r"status=sent \(.*queued as (\w+)\)$")
CLIENT = re.compile(r"/smtpd\[\d+\]: (\w+): client=")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present")
    return [line for rel in FILES for line in (CORPORA / rel).read_text(encoding="utf-8", errors="replace").splitlines()]


@pytest.fixture(scope="module")
def messages(engine, registry, lines) -> list[dict]:
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    for rel in FILES:
        for inp in open_inputs(CORPORA / rel):
            assert ingestor.ingest(inp).format == "postfix"
    return mail_flows(engine)


def test_every_delivery_line_is_in_one_message(lines: list[str], messages: list[dict]) -> None:
    want = sum(1 for line in lines if AGENT.search(line))
    got = sum(len(hop["deliveries"]) for m in messages for hop in m["hops"])
    assert want > 900 and got == want


def test_content_filter_links(lines: list[str], messages: list[dict]) -> None:
    started = {m.group(1) for line in lines if (m := CLIENT.search(line))}
    want = {(m.group(1), m.group(2)) for line in lines if (m := TO_FILTER.search(line)) and m.group(2) in started}
    got = {(hop["queue_id"], nxt) for m in messages for hop in m["hops"] for nxt in hop["next"]}
    assert len(want) > 100 and got == want
    linked = [m for m in messages if m["content_filter"]]
    assert all(m["recipients"] and m["recipients"][0]["queue_id"] == m["queue_ids"][-1] for m in linked)


def test_collate_pl_splits_what_mail_links(engine, messages: list[dict]) -> None:
    """Each linked message's hops are in different collate.pl transactions, never one."""
    block_of: dict[str, set[int]] = {}
    for k, block in enumerate(collate(engine)):
        for qid in re.findall(r"\]: (\w+): ", block):
            block_of.setdefault(qid, set()).add(k)
    linked = [m for m in messages if m["content_filter"]]
    together = [m for m in linked if set.intersection(*(block_of.get(q, set()) for q in m["queue_ids"]))]
    assert len(linked) > 100 and together == []
