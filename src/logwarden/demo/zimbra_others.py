"""Zimbra's other logs: ``zimbra-stats.log`` (zimbramon through syslog), ``clamd.log`` (ClamAV) and
``zimbra.log`` (the syslog of the Zimbra programs: amavis verdicts, clamd, saslauthd, zmmailboxdmgr).

What they show: infected attachments now and then (clamd.log names the signatures; zimbra.log has clamd's
FOUND and amavis blocking the message, with its queue id); once, on the second day, the antivirus stops for an
hour: zimbra-stats.log shows it Stopped (and an err line), clamd.log its restart and an old-database warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import INTERNET_CLIENTS, PARTNERS, USERS, Pace, Rng, ts_bsd
from .vkteams_server import ts_ctime

HOST = "mailstore01"
SERVICES = ["amavis", "antispam", "antivirus", "ldap", "logger", "mailbox", "memcached", "mta", "opendkim",
            "proxy", "service", "snmp", "spell", "stats", "zimbra", "zimbraAdmin", "zimlet"]
OUTAGE = 3600.0  # seconds the antivirus is down
VIRUSES = ["Win.Test.EICAR_HDB-1", "Doc.Downloader.Emotet-9876543-0", "Xls.Dropper.Agent-7404458-0",
           "Html.Phishing.Bank-2345678-0"]


def zimbra_stats_lines(rng: Rng, start: float, end: float, n: int, av_down: float) -> Iterator[str]:
    """zmstatuslog's rounds (one STATUS line per service) and zmstat figures (the MTA queue)."""
    pace = Pace(rng, start, end, n // (len(SERVICES) + 1) + 1)
    r = rng
    pid = 11000
    while True:
        t = pace.tick()
        pid += r.between(1, 30)
        p = f"{ts_bsd(t)} {HOST} zimbramon[{pid}]: {pid}:"
        yield f"{p}info: MTA: {HOST}.corp.ru: mta_delay,sendmail_events:: {r.between(0, 3)},{r.between(2, 40)}"
        pid += r.between(1, 30)
        p = f"{ts_bsd(t + 1)} {HOST} zimbramon[{pid}]: {pid}:"
        for svc in SERVICES:
            down = svc == "antivirus" and av_down <= t < av_down + OUTAGE
            if down:
                yield f"{p}err: Service status change: {HOST}.corp.ru antivirus changed from running to stopped"
            yield f"{p}info: {_iso(t + 1)}, STATUS: {HOST}.corp.ru: {svc}: {'Stopped' if down else 'Running'}"


def _iso(t: float) -> str:
    from .pools import HMS, _day

    s = int(t)
    return f"{_day(s // 86400)[0]} {HMS[s % 86400]}"


def clamd_lines(rng: Rng, start: float, end: float, n: int, av_down: float) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    yield f"{ts_ctime(start)} -> +++ Started at {ts_ctime(start)}"
    yield f"{ts_ctime(start)} -> Received 0 file descriptor(s) from systemd."
    yield f"{ts_ctime(start)} -> clamd daemon 0.103.11 (OS: linux-gnu, ARCH: x86_64, CPU: x86_64)"
    restarted = False
    while True:
        t = pace.tick()
        p = f"{ts_ctime(t)} ->"
        if not restarted and t >= av_down + OUTAGE + 1:
            restarted = True
            yield f"{ts_ctime(av_down)} -> ERROR: LOCAL: Socket file /opt/zimbra/data/tmp/clamd.sock is in use by another process."
            yield f"{ts_ctime(av_down + OUTAGE)} -> +++ Started at {ts_ctime(av_down + OUTAGE)}"
            yield f"{ts_ctime(av_down + OUTAGE + 1)} -> LibClamAV Warning: **************************************************"
            yield f"{ts_ctime(av_down + OUTAGE + 1)} -> LibClamAV Warning: ***  The virus database is older than 7 days!  ***"
            continue
        x = r.random()
        if x < 0.85:
            yield f"{p} SelfCheck: Database status OK."
        elif x < 0.93:
            job = f"{r.between(10000, 99999)}-{r.between(10, 99):02d}"
            yield (f"{p} /opt/zimbra/data/amavisd/tmp/amavis-{job}/parts/p00{r.between(2, 4)}: "
                   f"{r.pick(VIRUSES)} FOUND")
        else:
            yield f"{p} Reading databases from /opt/zimbra/data/clamav/db"


def zimbra_syslog_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    """/var/log/zimbra.log without the Postfix lines (those are mta/mail.log): amavis, clamd, saslauthd…"""
    pace = Pace(rng, start, end, n)
    r = rng
    while True:
        t = pace.tick()
        p = f"{ts_bsd(t)} {HOST}"
        x = r.random()
        job = f"{r.between(10000, 99999)}-{r.between(10, 99):02d}"
        domain, _mx, ip = r.pick(PARTNERS)
        sender = f"{r.pick(['info', 'sales', 'manager', 'noreply'])}@{domain}"
        rcpt = r.pick(USERS)
        qid = r.hex(10).upper()
        if x < 0.6:
            yield (f"{p} amavis[{r.between(2000, 2400)}]: ({job}) Passed CLEAN {{RelayedInbound}}, [{ip}]:"
                   f"{r.between(30000, 60000)} <{sender}> -> <{rcpt}>, Queue-ID: {qid}, Message-ID: "
                   f"<{r.hex(16)}@{domain}>, mail_id: {r.hex(12)}, Hits: -{r.between(0, 30) / 10:.1f}, "
                   f"size: {r.between(2000, 900000)}, queued_as: {r.hex(10).upper()}, {r.between(200, 4000)} ms")
        elif x < 0.65:
            virus = r.pick(VIRUSES)
            yield (f"{p} clamd[{r.between(1500, 1600)}]: /opt/zimbra/data/amavisd/tmp/amavis-{job}/parts/p003: "
                   f"{virus} FOUND")
            yield (f"{p} amavis[{r.between(2000, 2400)}]: ({job}) Blocked INFECTED ({virus}) {{DiscardedInbound,"
                   f"Quarantined}}, [{ip}]:{r.between(30000, 60000)} <{sender}> -> <{rcpt}>, quarantine: "
                   f"virus-{r.hex(12)}, Queue-ID: {qid}, size: {r.between(20000, 900000)}, {r.between(200, 4000)} ms")
        elif x < 0.75:
            yield (f"{p} amavis[{r.between(2000, 2400)}]: ({job}) Blocked SPAM {{DiscardedInbound}}, "
                   f"[{r.pick(INTERNET_CLIENTS)}]:{r.between(30000, 60000)} <{sender}> -> <{rcpt}>, Queue-ID: {qid}, "
                   f"Hits: {r.between(60, 250) / 10:.1f}, size: {r.between(2000, 90000)}, {r.between(200, 4000)} ms")
        elif x < 0.9:
            yield f"{p} saslauthd[{r.between(1000, 1100)}]: zmauth: authenticating against elected url 'https://{HOST}.corp.ru:7073/service/soap/' ..."
        else:
            yield f"{p} zmmailboxdmgr[{r.between(3000, 3100)}]: status requested"
