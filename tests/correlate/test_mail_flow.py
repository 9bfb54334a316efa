"""`correlate.mail.mail_flows`: messages rebuilt from Postfix records, in the module's engine.

Scenario lines (mail_lines.py), one file on host mx1:
a submission through a content filter that bounces, a local pickup with an alias and a deferred retry,
a queue id used twice without a `removed` between (the first transaction's end is not in the log),
an expired message, a milter reject, a spam kept by amavis, and a queue id reused after removal.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from mail_lines import write_log

from logwarden.correlate import mail as mail_module
from logwarden.correlate.mail import mail_flows
from logwarden.correlate.mail_assemble import to_datetime
from logwarden.errors import UsageError
from logwarden.ingest.pipeline import IngestOptions, Ingestor
from logwarden.ingest.sources import open_inputs
from logwarden.query.paging import get_event


@pytest.fixture(scope="module")
def store(engine, registry, tmp_path_factory: pytest.TempPathFactory):
    path = write_log(tmp_path_factory.mktemp("mail") / "mta" / "mail.log")
    ingestor = Ingestor(engine, registry, IngestOptions(timezone="UTC"))
    for inp in open_inputs(path):
        assert ingestor.ingest(inp).format == "postfix"
    return engine


def _one(store, **kw) -> dict:
    found = mail_flows(store, **kw)
    assert len(found) == 1, [m["queue_ids"] for m in found]
    return found[0]


def test_content_filter_and_bounce(store) -> None:
    msg = _one(store, queue_id="4AA091855DA0")
    assert msg["queue_ids"] == ["4AA091855DA0", "776E41855DB2"]
    assert msg["content_filter"] is True
    assert (msg["from"], msg["message_id"], msg["size"], msg["nrcpt"]) == ("ivanov@corp.ru", "ca10035e@corp.ru", 391, 1)
    assert msg["client"]["ip"] == "10.1.2.3" and msg["client"]["sasl_username"] == "ivanov@corp.ru"
    assert msg["client"]["service"] == "postfix/submission/smtpd" and msg["client"]["pid"] == "9708"
    assert msg["client"]["connect"] == msg["client"]["ts"]  # smtpd's `connect from`, found by its pid
    [rcpt] = msg["recipients"]
    assert (rcpt["to"], rcpt["status"], rcpt["dsn"], rcpt["queue_id"]) == ("nobody@partner.ru", "bounced", "5.1.1", "776E41855DB2")
    assert rcpt["relay"] == "mx.partner.ru[198.51.100.4]:25" and rcpt["delay"] == "1.9"
    assert rcpt["delays"] == "0/0/1.5/0.37" and rcpt["hops"] == ["4AA091855DA0", "776E41855DB2"]
    first, second = msg["hops"]
    assert first["deliveries"][0]["next"] == "776E41855DB2" and first["filter"][0]["verdict"] == "Passed CLEAN"
    assert first["removed"] and second["prev"] == "4AA091855DA0"
    assert second["notifications"] == [{"ts": second["notifications"][0]["ts"], "kind": "sender non-delivery",
                                        "queue_id": "A48191855DA0", "status": "sent"}]
    assert msg["status"] == "bounced"


def test_bounce_notice_is_its_own_message(store) -> None:
    notice = _one(store, queue_id="A48191855DA0")
    assert notice["notification_of"] == {"host": "mx1", "queue_id": "776E41855DB2"}
    assert notice["from"] == "" and notice["recipients"][0]["to"] == "ivanov@corp.ru"
    assert notice["status"] == "sent"


@pytest.mark.parametrize("kw,queue_ids", [
    # Any hop's id, or a relay's `queued as` id, finds the whole message.
    ({"queue_id": "776E41855DB2"}, [["4AA091855DA0", "776E41855DB2"]]),
    ({"queue_id": "878833424CF"}, [["4FF14284F45"]]),
    ({"message_id": "<ca10035e@corp.ru>"}, [["4AA091855DA0", "776E41855DB2"]]),
    ({"message_id": "second@corp.ru"}, [["1B2C3D4E5F"]]),
    ({"sender": "IVANOV@corp.ru"}, [["4AA091855DA0", "776E41855DB2"]]),
    ({"sender": ""}, [["A48191855DA0"]]),  # the null sender: bounce notices
    ({"recipient": "root"}, [["0A1B2C3D4E"], ["0A1B2C3D4E"], ["4FF14284F45"]]),  # orig_to
    ({"recipient": "archive@partner.ru", "status": "sent"}, [["4FF14284F45"]]),
    ({"recipient": "archive@partner.ru", "status": "deferred"}, []),  # deferred, then sent: final is sent
    ({"status": "expired"}, [["9A8B7C6D5E"]]),
    ({"status": "milter-reject"}, [["3C4D5E6F7A"]]),
    ({"recipient": "ivanov@corp.ru", "status": "milter-reject"}, [["3C4D5E6F7A"]]),  # the refused recipient
    ({"sender": "s@spam.example"}, [["3C4D5E6F7A"]]),  # the sender named by the reject line
    ({"status": "incomplete"}, [["5E6F7A8B9C"]]),
    ({"status": "blocked"}, [["7B8C9D0E1F"]]),  # amavis `Blocked SPAM`: the handoff's `sent` is no delivery  # the notice was queued; its delivery is not in the log
    ({"status": "deferred"}, [["0A1B2C3D4E"], ["9A8B7C6D5E"], ["1B2C3D4E5F"]]),
    ({"query": "client_ip:10.1.2.3"}, [["4AA091855DA0", "776E41855DB2"]]),
    ({"query": "dsn:5.1.1"}, [["4AA091855DA0", "776E41855DB2"]]),
    ({"query": '"Connection refused"'}, [["1B2C3D4E5F"]]),
    ({"query": '"Connection refused"', "sender": "petrov@corp.ru"}, []),  # both must hold for one message
    ({"queue_id": "NOSUCHID"}, []),
])
def test_filters(store, kw: dict, queue_ids: list[list[str]]) -> None:
    assert [m["queue_ids"] for m in mail_flows(store, **kw)] == queue_ids


def test_queue_id_reused_without_removal_is_two_messages(store) -> None:
    found = mail_flows(store, queue_id="1B2C3D4E5F")
    assert [m["message_id"] for m in found] == ["second@corp.ru", "first@partner.ru"]  # newest first
    assert [m["status"] for m in found] == ["sent", "deferred"]
    assert [m["client"]["ip"] for m in found] == ["10.1.2.7", "198.51.100.7"]
    assert [m["client"]["connect"] for m in found] == [None, None]  # no `connect from` in the log


def test_queue_id_reused_after_removal(store) -> None:
    found = mail_flows(store, queue_id="0A1B2C3D4E")
    assert [(m["message_id"], m["status"], m["pickup"]["uid"]) for m in found] == [
        ("day2@mx1.corp.ru", "deferred", "0"), ("day1@mx1.corp.ru", "sent", "0")]


def test_pickup_alias_and_retry(store) -> None:
    msg = _one(store, queue_id="4FF14284F45")
    assert msg["client"] is None and msg["pickup"]["uid"] == "1034"
    by_to = {r["to"]: r for r in msg["recipients"]}
    assert by_to["admin@mx1.corp.ru"]["orig_to"] == "root" and by_to["admin@mx1.corp.ru"]["agent"] == "local"
    assert (by_to["archive@partner.ru"]["status"], by_to["archive@partner.ru"]["attempts"]) == ("sent", 2)
    assert [d["status"] for d in msg["hops"][0]["deliveries"]] == ["sent", "deferred", "sent"]


def test_time_window_and_limit(store) -> None:
    every = mail_flows(store)
    assert len(every) == 11
    assert [m["first"] for m in every] == sorted((m["first"] for m in every), reverse=True)
    second = next(m for m in every if m["message_id"] == "second@corp.ru")
    start = to_datetime(second["first"])
    assert [m["message_id"] for m in mail_flows(store, time_from=start - timedelta(hours=1),
                                                 time_to=start + timedelta(hours=1))] == ["second@corp.ru"]
    assert len(mail_flows(store, limit=3)) == 3


@pytest.mark.parametrize("query,why", [("status:>", "value"), ("* | stats count()", "stats")])
def test_bad_query_is_a_usage_error(store, query: str, why: str) -> None:
    with pytest.raises(UsageError):
        mail_flows(store, query=query)


def test_hop_lines_are_the_stored_records(store) -> None:
    """Each hop lists its records with event ids that the query layer opens (API/UI: `get_event`)."""
    msg = _one(store, queue_id="4FF14284F45")
    lines = msg["hops"][0]["lines"]
    assert [line["raw"].split("]: ", 1)[1][:27] for line in lines[:2]] == [
        "4FF14284F45: uid=1034 from=", "4FF14284F45: message-id=<20"]
    assert len(lines) == msg["hops"][0]["records"] == 8
    assert all(get_event(store, line["id"])["raw"] == line["raw"] for line in lines)


def test_blocked_by_content_filter(store) -> None:
    msg = _one(store, queue_id="7B8C9D0E1F")
    assert (msg["status"], msg["statuses"]) == ("blocked", ["blocked", "sent"])
    assert msg["hops"][0]["filter"] == [{"ts": msg["hops"][0]["filter"][0]["ts"], "service": "amavis",
                                         "verdict": "Blocked SPAM", "queued_as": "", "next": None}]
    assert msg["content_filter"] is False and msg["queue_ids"] == ["7B8C9D0E1F"]


def test_expired_after_suspended_delivery(store) -> None:
    """qmgr's own `to=… status=deferred (delivery temporarily suspended…)` is an attempt too."""
    msg = _one(store, queue_id="9A8B7C6D5E")
    [rcpt] = msg["recipients"]
    assert (rcpt["status"], rcpt["attempts"], rcpt["agent"]) == ("deferred", 2, "qmgr")
    assert msg["statuses"] == ["deferred", "expired"] and msg["status"] == "expired"


def test_limited_search_reads_further_when_the_newest_do_not_match(store, monkeypatch) -> None:
    """With one record read per message wanted, the newest record naming ivanov@ as a recipient is the milter
    reject; the search widens until it finds the bounce notice delivered to him."""
    monkeypatch.setattr(mail_module, "SEED_RECORDS", 1)
    found = mail_flows(store, recipient="ivanov@corp.ru", status="sent", limit=1)
    assert [m["queue_ids"] for m in found] == [["A48191855DA0"]]

