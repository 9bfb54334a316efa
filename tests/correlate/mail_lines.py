"""Postfix scenario lines for the mail-flow tests, written the way Postfix (with amavis on :10024/:10025,
Zimbra MTA style) logs them."""

from __future__ import annotations

from pathlib import Path

FILTERED_BOUNCE = [  # submission -> amavis -> relay says 550 -> non-delivery notice delivered by lmtp
    "Oct 13 10:20:00 mx1 postfix/submission/smtpd[9708]: connect from ws12.corp.ru[10.1.2.3]",
    "Oct 13 10:20:00 mx1 postfix/submission/smtpd[9708]: 4AA091855DA0: client=ws12.corp.ru[10.1.2.3], sasl_method=PLAIN, sasl_username=ivanov@corp.ru",
    "Oct 13 10:20:00 mx1 postfix/cleanup[9709]: 4AA091855DA0: message-id=<ca10035e@corp.ru>",
    "Oct 13 10:20:00 mx1 postfix/qmgr[1005]: 4AA091855DA0: from=<ivanov@corp.ru>, size=391, nrcpt=1 (queue active)",
    "Oct 13 10:20:00 mx1 postfix/submission/smtpd[9708]: disconnect from ws12.corp.ru[10.1.2.3] ehlo=2 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
    "Oct 13 10:20:00 mx1 postfix/smtpd[9715]: connect from localhost[127.0.0.1]",
    "Oct 13 10:20:00 mx1 postfix/smtpd[9715]: 776E41855DB2: client=localhost[127.0.0.1]",
    "Oct 13 10:20:00 mx1 postfix/cleanup[9716]: 776E41855DB2: message-id=<ca10035e@corp.ru>",
    "Oct 13 10:20:00 mx1 postfix/qmgr[1005]: 776E41855DB2: from=<ivanov@corp.ru>, size=1111, nrcpt=1 (queue active)",
    "Oct 13 10:20:00 mx1 postfix/smtpd[9715]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
    "Oct 13 10:20:00 mx1 amavis[2279]: (02279-04) Passed CLEAN {RelayedOutbound}, ORIGINATING [10.1.2.3]:6101 [10.1.2.3] <ivanov@corp.ru> -> <nobody@partner.ru>, Queue-ID: 4AA091855DA0, Message-ID: <ca10035e@corp.ru>, mail_id: 6aLEkMwQa8H2, Hits: -, size: 888, queued_as: 776E41855DB2, 80 ms",
    "Oct 13 10:20:00 mx1 postfix/smtp[9710]: 4AA091855DA0: to=<nobody@partner.ru>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.23, delays=0.15/0/0/0.08, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 776E41855DB2)",
    "Oct 13 10:20:00 mx1 postfix/qmgr[1005]: 4AA091855DA0: removed",
    "Oct 13 10:20:02 mx1 postfix/smtp[9890]: 776E41855DB2: to=<nobody@partner.ru>, relay=mx.partner.ru[198.51.100.4]:25, delay=1.9, delays=0/0/1.5/0.37, dsn=5.1.1, status=bounced (host mx.partner.ru[198.51.100.4] said: 550 5.1.1 <nobody@partner.ru> User unknown (in reply to RCPT TO command))",
    "Oct 13 10:20:02 mx1 postfix/cleanup[9716]: A48191855DA0: message-id=<20201013102002.A48191855DA0@mx1.corp.ru>",
    "Oct 13 10:20:02 mx1 postfix/qmgr[1005]: A48191855DA0: from=<>, size=3147, nrcpt=1 (queue active)",
    "Oct 13 10:20:02 mx1 postfix/bounce[9719]: 776E41855DB2: sender non-delivery notification: A48191855DA0",
    "Oct 13 10:20:02 mx1 postfix/qmgr[1005]: 776E41855DB2: removed",
    "Oct 13 10:20:02 mx1 postfix/lmtp[9717]: A48191855DA0: to=<ivanov@corp.ru>, relay=mailstore01.corp.ru[10.0.1.20]:7025, delay=0.03, delays=0.01/0/0.02/0.01, dsn=2.0.0, status=sent (250 2.1.5 Delivery OK)",
    "Oct 13 10:20:02 mx1 postfix/qmgr[1005]: A48191855DA0: removed",
]
PICKUP_RETRY = [  # local pickup, one local delivery through an alias, one remote deferred then sent
    "Oct 13 11:00:00 mx1 postfix/pickup[4089]: 4FF14284F45: uid=1034 from=<backup@mx1.corp.ru>",
    "Oct 13 11:00:00 mx1 postfix/cleanup[26776]: 4FF14284F45: message-id=<20201013110000.4FF14284F45@mx1.corp.ru>",
    "Oct 13 11:00:00 mx1 postfix/qmgr[9946]: 4FF14284F45: from=<backup@mx1.corp.ru>, size=1387, nrcpt=2 (queue active)",
    "Oct 13 11:00:00 mx1 postfix/local[7001]: 4FF14284F45: to=<admin@mx1.corp.ru>, orig_to=<root>, relay=local, delay=0.05, delays=0.02/0.01/0/0.02, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Oct 13 11:00:01 mx1 postfix/smtp[7516]: 4FF14284F45: to=<archive@partner.ru>, relay=mx.partner.ru[198.51.100.4]:25, delay=1.2, delays=0.02/0.02/1.1/0, dsn=4.4.2, status=deferred (conversation with mx.partner.ru[198.51.100.4] timed out while receiving the initial server greeting)",
    "Oct 13 11:10:01 mx1 postfix/qmgr[9946]: 4FF14284F45: from=<backup@mx1.corp.ru>, size=1387, nrcpt=2 (queue active)",
    "Oct 13 11:10:02 mx1 postfix/smtp[7520]: 4FF14284F45: to=<archive@partner.ru>, relay=mx.partner.ru[198.51.100.4]:25, delay=602, delays=601/0.01/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 878833424CF)",
    "Oct 13 11:10:02 mx1 postfix/qmgr[9946]: 4FF14284F45: removed",
]
REUSED_UNREMOVED = [  # 1B2C3D4E5F twice; the first transaction's removal is not in the log
    "Oct 14 09:00:00 mx1 postfix/smtpd[3001]: 1B2C3D4E5F: client=gw.partner.ru[198.51.100.7]",
    "Oct 14 09:00:00 mx1 postfix/cleanup[3002]: 1B2C3D4E5F: message-id=<first@partner.ru>",
    "Oct 14 09:00:00 mx1 postfix/qmgr[9946]: 1B2C3D4E5F: from=<a@partner.ru>, size=900, nrcpt=1 (queue active)",
    "Oct 14 09:00:01 mx1 postfix/smtp[3003]: 1B2C3D4E5F: to=<b@partner2.ru>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to partner2.ru[203.0.113.9]:25: Connection refused)",
    "Oct 16 12:00:00 mx1 postfix/smtpd[3101]: 1B2C3D4E5F: client=ws7.corp.ru[10.1.2.7]",
    "Oct 16 12:00:00 mx1 postfix/cleanup[3102]: 1B2C3D4E5F: message-id=<second@corp.ru>",
    "Oct 16 12:00:00 mx1 postfix/qmgr[9946]: 1B2C3D4E5F: from=<petrov@corp.ru>, size=1200, nrcpt=1 (queue active)",
    "Oct 16 12:00:01 mx1 postfix/smtp[3103]: 1B2C3D4E5F: to=<c@partner.ru>, relay=mx.partner.ru[198.51.100.4]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    "Oct 16 12:00:01 mx1 postfix/qmgr[9946]: 1B2C3D4E5F: removed",
]
EXPIRED = [  # five days deferred, then returned; the notice itself is not delivered in this log
    "Oct 15 08:00:00 mx1 postfix/qmgr[9946]: 9A8B7C6D5E: from=<sales@corp.ru>, size=2048, nrcpt=1 (queue active)",
    "Oct 15 08:00:01 mx1 postfix/smtp[4001]: 9A8B7C6D5E: to=<x@dead.example>, relay=none, delay=432000, delays=431999/0/1/0, dsn=4.4.1, status=deferred (connect to dead.example[192.0.2.10]:25: Connection timed out)",
    "Oct 15 08:00:01 mx1 postfix/qmgr[9946]: 9A8B7C6D5E: to=<x@dead.example>, relay=none, delay=432001, delays=432001/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to dead.example[192.0.2.10]:25: Connection timed out)",
    "Oct 15 08:00:01 mx1 postfix/qmgr[9946]: 9A8B7C6D5E: from=<sales@corp.ru>, status=expired, returned to sender",
    "Oct 15 08:00:01 mx1 postfix/cleanup[4002]: 5E6F7A8B9C: message-id=<20201015080001.5E6F7A8B9C@mx1.corp.ru>",
    "Oct 15 08:00:01 mx1 postfix/bounce[4003]: 9A8B7C6D5E: sender non-delivery notification: 5E6F7A8B9C",
    "Oct 15 08:00:01 mx1 postfix/qmgr[9946]: 9A8B7C6D5E: removed",
]
MILTER = [
    "Oct 15 09:00:00 mx1 postfix/smtpd[5001]: 3C4D5E6F7A: client=spam.example[203.0.113.66]",
    "Oct 15 09:00:01 mx1 postfix/cleanup[5002]: 3C4D5E6F7A: milter-reject: END-OF-MESSAGE from spam.example[203.0.113.66]: 5.7.1 Spam message rejected; from=<s@spam.example> to=<ivanov@corp.ru> proto=ESMTP helo=<spam.example>",
]
BLOCKED = [  # amavis keeps a spam: smtp's handoff to :10024 says sent, but nothing is passed on
    "Oct 15 10:00:00 mx1 postfix/smtpd[6001]: 7B8C9D0E1F: client=mail.spam.example[203.0.113.77]",
    "Oct 15 10:00:00 mx1 postfix/cleanup[6002]: 7B8C9D0E1F: message-id=<offer@spam.example>",
    "Oct 15 10:00:00 mx1 postfix/qmgr[9946]: 7B8C9D0E1F: from=<offer@spam.example>, size=4200, nrcpt=1 (queue active)",
    "Oct 15 10:00:01 mx1 amavis[2280]: (02280-07) Blocked SPAM {DiscardedInbound,Quarantined}, [203.0.113.77]:40112 [203.0.113.77] <offer@spam.example> -> <petrov@corp.ru>, quarantine: spam-Xy12abCD, Queue-ID: 7B8C9D0E1F, Message-ID: <offer@spam.example>, mail_id: Xy12abCD, Hits: 14.2, size: 4200, 1204 ms",
    "Oct 15 10:00:01 mx1 postfix/smtp[6003]: 7B8C9D0E1F: to=<petrov@corp.ru>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.3, delays=0.1/0/0/1.2, dsn=2.7.0, status=sent (250 2.7.0 Ok, discarded, id=02280-07 - spam)",
    "Oct 15 10:00:01 mx1 postfix/qmgr[9946]: 7B8C9D0E1F: removed",
]
REUSED_AFTER_REMOVAL = [  # same id a day later, after a removal: two messages
    "Oct 17 10:00:00 mx1 postfix/pickup[4089]: 0A1B2C3D4E: uid=0 from=<root>",
    "Oct 17 10:00:00 mx1 postfix/cleanup[26776]: 0A1B2C3D4E: message-id=<day1@mx1.corp.ru>",
    "Oct 17 10:00:00 mx1 postfix/qmgr[9946]: 0A1B2C3D4E: from=<root@mx1.corp.ru>, size=500, nrcpt=1 (queue active)",
    "Oct 17 10:00:00 mx1 postfix/local[7001]: 0A1B2C3D4E: to=<admin@mx1.corp.ru>, orig_to=<root>, relay=local, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Oct 17 10:00:00 mx1 postfix/qmgr[9946]: 0A1B2C3D4E: removed",
    "Oct 18 10:00:00 mx1 postfix/pickup[4089]: 0A1B2C3D4E: uid=0 from=<root>",
    "Oct 18 10:00:00 mx1 postfix/cleanup[26776]: 0A1B2C3D4E: message-id=<day2@mx1.corp.ru>",
    "Oct 18 10:00:00 mx1 postfix/qmgr[9946]: 0A1B2C3D4E: from=<root@mx1.corp.ru>, size=520, nrcpt=1 (queue active)",
    "Oct 18 10:00:00 mx1 postfix/local[7001]: 0A1B2C3D4E: to=<admin@mx1.corp.ru>, orig_to=<root>, relay=local, delay=0.01, delays=0/0/0/0.01, dsn=4.2.2, status=deferred (mailbox full)",
]
LINES = FILTERED_BOUNCE + PICKUP_RETRY + REUSED_UNREMOVED + EXPIRED + MILTER + BLOCKED + REUSED_AFTER_REMOVAL


def write_log(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    return path
