"""Postfix ``mail.log`` of a Zimbra MTA: whole transactions with consistent queue IDs.

Each transaction is scheduled as timed events on a heap and the lines come out in time order, so
concurrent transactions interleave as on a real MTA. Flows: inbound mail through amavis
(127.0.0.1:10024, re-injected on :10025 under a new queue ID) and LMTP to the mailstore; outbound
submission with SASL (sent, deferred then retried, bounced with a non-delivery notification under a
new queue ID); pickup + local delivery; rejected clients; bursts of SASL failures from attackers.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator

from .pools import (
    ALIASES,
    ATTACKERS,
    DOMAIN,
    EXTERNAL_LOCALPARTS,
    INTERNET_CLIENTS,
    MAILSTORE,
    MOBILE_IPS,
    PARTNERS,
    SCANNERS,
    SERVICE_SENDERS,
    USERS,
    WORKSTATIONS,
    Pace,
    Rng,
    cumulative,
    ts_bsd,
)

_QID_SPACE = 16**11
_HELOS = ["WIN-3KQ8J2M1L0P", "User", "ylmf-pc", "localhost", "[127.0.0.1]", "mail.example.com", "ADMIN"]
_REJECTS = [
    "554 5.7.1 <{to}>: Relay access denied",
    "550 5.1.1 <{to}>: Recipient address rejected: User unknown in virtual mailbox table",
    ("554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org;"
    " https://www.spamhaus.org/query/ip/{ip}"),
    "450 4.7.1 <{helo}>: Helo command rejected: Host not found",
]
_DEFER_REASONS = [
    ("none", "4.4.1", "connect to {mx}[{ip}]:25: Connection timed out"),
    ("{mx}[{ip}]:25", "4.7.1", ("host {mx}[{ip}] said: 451 4.7.1 Greylisting in action, please come back later"
     " (in reply to RCPT TO command)")),
    ("{mx}[{ip}]:25", "4.2.2", "host {mx}[{ip}] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"),
]
_BOUNCE_REASONS = [
    ("5.1.1", ("host {mx}[{ip}] said: 550 5.1.1 <{to}>: Recipient address rejected: User unknown"
     " (in reply to RCPT TO command)")),
    ("5.7.1", ("host {mx}[{ip}] said: 554 5.7.1 Message rejected under suspicion of SPAM"
     " (in reply to end of DATA command)")),
    ("5.2.2", "host {mx}[{ip}] said: 552 5.2.2 Mailbox size limit exceeded (in reply to RCPT TO command)"),
]
_KINDS = ["inbound", "outbound", "internal", "pickup", "reject", "sasl_fail", "burst"]
_KIND_CUM = cumulative([40, 25, 14, 5, 8, 5, 0.6])


_DELAY_TABLE = ["0"] + [f"{i / 100:.2g}" for i in range(1, 1000)]


def _delay(x: float) -> str:
    """Postfix prints delays with two significant digits."""
    return _DELAY_TABLE[int(x * 100)] if x < 10 else str(int(x))


class _Postfix:
    def __init__(self, rng: Rng, host: str) -> None:
        self.rng = rng
        self.host = host
        self.heap: list[tuple[float, int, str]] = []
        self.at = self._scheduler()
        self.qn = 0
        self.qoff = int(rng.random() * _QID_SPACE)
        self.reserved: set[str] = set()
        self.qmgr = rng.between(1100, 2900)
        self.pickup = self.qmgr + 3
        self.smtpd = [rng.between(3000, 32000) for _ in range(6)]
        self.cleanup = [rng.between(3000, 32000) for _ in range(3)]
        self.smtp = [rng.between(3000, 32000) for _ in range(5)]
        self.lmtp = [rng.between(3000, 32000) for _ in range(3)]
        self.bounce = rng.between(3000, 32000)
        self.amavis = {rng.between(10000, 30000): 0 for _ in range(4)}

    # -- helpers --------------------------------------------------------------------------------
    def _scheduler(self) -> Callable[[float, str], None]:
        """``at(t, body)``: log ``body`` at time ``t`` (ties keep the order they were scheduled in)."""
        heap, push, order = self.heap, heapq.heappush, itertools.count().__next__

        def at(t: float, body: str) -> None:
            push(heap, (t, order(), body))

        return at

    def qid(self) -> str:
        while True:
            self.qn += 1
            q = f"{(self.qn * 0x9E3779B97F4A7 + self.qoff) % _QID_SPACE:011X}"
            if q not in self.reserved:
                return q

    def message_id(self, t: float, domain: str) -> str:
        r = self.rng
        k = r.random()
        if domain == "gmail.com":
            return f"<CA+{r.hex(12).upper()}{r.hex(8)}@mail.gmail.com>"
        if k < 0.4:
            return f"<{r.hex(8)}-{r.hex(4)}-{r.hex(4)}-{r.hex(4)}-{r.hex(12)}@{domain}>"
        if k < 0.7:
            return f"<{int(t)}.{r.hex(6)}@{domain}>"
        return f"<{r.hex(16).upper()}@{domain}>"

    def amavis_id(self) -> str:
        pid = self.rng.pick(list(self.amavis))
        self.amavis[pid] += 1
        return f"amavis[{pid}]: ({pid:05d}-{self.amavis[pid] % 100:02d})"

    def delays(self, a: float, b: float, c: float, d: float) -> str:
        return f"delay={_delay(a + b + c + d)}, delays={_delay(a)}/{_delay(b)}/{_delay(c)}/{_delay(d)}"

    def external(self) -> tuple[str, str, str, str]:
        """(address, domain, mx, mx ip) of someone outside."""
        domain, mx, ip = self.rng.pick(PARTNERS)
        return f"{self.rng.pick(EXTERNAL_LOCALPARTS)}@{domain}", domain, mx, ip

    # -- flows ----------------------------------------------------------------------------------
    def receive(self, t: float, sender: str, rcpts: list[tuple[str, str]], client: str, prog: str,
                sasl: str = "", qid: str = "") -> int:
        """smtpd → cleanup → qmgr → amavis → re-injection → LMTP to the mailstore. Returns line count."""
        r, at = self.rng, self.at
        qid = qid or self.qid()
        smtpd, cleanup, k = r.pick(self.smtpd), r.pick(self.cleanup), len(rcpts)
        size = r.between(1800, 60000) if r.chance(0.8) else r.between(60000, 9000000)
        mid = self.message_id(t, sender.rpartition("@")[2] or DOMAIN)
        cip = client[client.index("[") + 1:-1]
        at(t, f"postfix/{prog}[{smtpd}]: connect from {client}")
        at(t + 0.04, f"postfix/{prog}[{smtpd}]: {qid}: client={client}{sasl}")
        at(t + 0.09, f"postfix/cleanup[{cleanup}]: {qid}: message-id={mid}")
        at(t + 0.11, f"postfix/qmgr[{self.qmgr}]: {qid}: from=<{sender}>, size={size}, nrcpt={k} (queue active)")
        extra = "ehlo=2 starttls=1 auth=1 " if sasl else "ehlo=1 "
        at(t + 0.15, f"postfix/{prog}[{smtpd}]: disconnect from {client} {extra}mail=1 rcpt={k} data=1 quit=1"
                     f" commands={k + (6 if sasl else 4)}")
        to_list = ",".join(f"<{a}>" for a, _ in rcpts)
        scan = 0.2 + r.random() * 1.5
        amv = self.amavis_id()
        smtp = r.pick(self.smtp)
        mail_id = r.hex(12)
        n = 5
        if not sasl and r.chance(0.05):  # spam: amavis discards it, nothing is re-injected
            hits = 8 + r.random() * 20
            at(t + scan, f"{amv} Blocked SPAM {{DiscardedInbound,Quarantined}}, [{cip}]:{r.between(1024, 65000)}"
                         f" [{cip}] <{sender}> -> {to_list}, Queue-ID: {qid}, Message-ID: {mid}, mail_id: {mail_id},"
                         f" Hits: {hits:.3f}, size: {size}, {int(scan * 1000)} ms")
            for addr, _ in rcpts:
                at(t + scan + 0.01, f"postfix/smtp[{smtp}]: {qid}: to=<{addr}>, relay=127.0.0.1[127.0.0.1]:10024, "
                                    f"{self.delays(0.12, 0.01, 0.01, scan)}, dsn=2.7.0, status=sent (250 2.7.0 Ok,"
                                    f" discarded, id={amv[-9:-1]} - spam)")
            at(t + scan + 0.02, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
            return n + k + 2
        new = self.qid()
        rsmtpd = r.pick(self.smtpd)
        tr = t + scan
        at(tr, f"postfix/smtpd[{rsmtpd}]: connect from localhost[127.0.0.1]")
        at(tr + 0.01, f"postfix/smtpd[{rsmtpd}]: {new}: client=localhost[127.0.0.1]")
        at(tr + 0.02, f"postfix/cleanup[{cleanup}]: {new}: message-id={mid}")
        at(tr + 0.03, f"postfix/qmgr[{self.qmgr}]: {new}: from=<{sender}>, size={size + 650}, nrcpt={k}"
                      " (queue active)")
        at(tr + 0.04, f"postfix/smtpd[{rsmtpd}]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt={k}"
                      f" data=1 quit=1 commands={k + 4}")
        policy = "{RelayedInternal}" if sasl else "{RelayedInbound}"
        orig = "ORIGINATING " if sasl else ""
        at(tr + 0.05, f"{amv} Passed CLEAN {policy}, {orig}[{cip}]:{r.between(1024, 65000)} [{cip}] <{sender}> ->"
                      f" {to_list}, Queue-ID: {qid}, Message-ID: {mid}, mail_id: {mail_id}, Hits: "
                      f"{r.random() * 4 - 2:.3f}, size: {size}, queued_as: {new}, {int(scan * 1000)} ms")
        for addr, _ in rcpts:
            at(tr + 0.06, f"postfix/smtp[{smtp}]: {qid}: to=<{addr}>, relay=127.0.0.1[127.0.0.1]:10024, "
                          f"{self.delays(0.11, 0.01, 0.01, scan)}, dsn=2.0.0, status=sent (250 2.0.0 from "
                          f"MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {new})")
        at(tr + 0.07, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
        lmtp, (mhost, mip) = r.pick(self.lmtp), MAILSTORE
        d = 0.05 + r.random() * 0.4
        for addr, orig_to in rcpts:
            ot = f" orig_to=<{orig_to}>," if orig_to else ""
            at(tr + 0.08 + d, f"postfix/lmtp[{lmtp}]: {new}: to=<{addr}>,{ot} relay={mhost}[{mip}]:7025, "
                              f"{self.delays(0.03, 0.01, 0.01, d)}, dsn=2.0.0, status=sent (250 2.1.5 Delivery OK)")
        at(tr + 0.09 + d, f"postfix/qmgr[{self.qmgr}]: {new}: removed")
        return n + 8 + 2 * k

    def inbound(self, t: float, qid: str = "") -> int:
        r = self.rng
        sender, _domain, mx, ip = self.external()
        rcpts = []
        for _ in range(1 if r.chance(0.85) else r.between(2, 3)):
            if r.chance(0.1):
                rcpts.append((r.pick(USERS), r.pick(ALIASES)))
            else:
                rcpts.append((r.pick(USERS), ""))
        return self.receive(t, sender, rcpts, f"{mx}[{ip}]", "smtpd", qid=qid)

    def internal(self, t: float) -> int:
        r = self.rng
        i = int(r.random() * len(USERS))
        sender = r.pick(SERVICE_SENDERS) if r.chance(0.15) else USERS[i]
        rcpts = [(r.pick(USERS), "") for _ in range(1 if r.chance(0.7) else r.between(2, 3))]
        sasl = f", sasl_method=LOGIN, sasl_username={sender}"
        return self.receive(t, sender, rcpts, f"unknown[{WORKSTATIONS[i]}]", "submission/smtpd", sasl)

    def outbound(self, t: float) -> int:
        r, at = self.rng, self.at
        qid, i = self.qid(), int(r.random() * len(USERS))
        user = USERS[i]
        ip = WORKSTATIONS[i] if r.chance(0.85) else r.pick(MOBILE_IPS)
        client = f"unknown[{ip}]"
        smtpd, cleanup, smtp = r.pick(self.smtpd), r.pick(self.cleanup), r.pick(self.smtp)
        to, _, mx, mxip = self.external()
        size = r.between(1500, 120000) if r.chance(0.85) else r.between(120000, 15000000)
        at(t, f"postfix/submission/smtpd[{smtpd}]: connect from {client}")
        at(t + 0.2, f"postfix/submission/smtpd[{smtpd}]: {qid}: client={client}, sasl_method=LOGIN,"
                    f" sasl_username={user}")
        at(t + 0.3, f"postfix/cleanup[{cleanup}]: {qid}: message-id={self.message_id(t, DOMAIN)}")
        queued = f"postfix/qmgr[{self.qmgr}]: {qid}: from=<{user}>, size={size}, nrcpt=1 (queue active)"
        at(t + 0.32, queued)
        at(t + 0.4, f"postfix/submission/smtpd[{smtpd}]: disconnect from {client} ehlo=2 starttls=1 auth=1 mail=1"
                    " rcpt=1 data=1 quit=1 commands=8")
        conn, xfer = 0.05 + r.random() * 0.6, 0.1 + r.random() * (2 if size < 200000 else 20)
        x = r.random()
        if x < 0.88:
            at(t + 0.4 + conn + xfer, f"postfix/smtp[{smtp}]: {qid}: to=<{to}>, relay={mx}[{mxip}]:25, "
                                      f"{self.delays(0.32, 0.01, conn, xfer)}, dsn=2.0.0, status=sent (250 2.0.0 Ok:"
                                      f" queued as {r.hex(10).upper()})")
            at(t + 0.41 + conn + xfer, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
            return 7
        if x < 0.95:
            relay, dsn, why = r.pick(_DEFER_REASONS)
            wait = 30.0 if relay == "none" else conn
            at(t + 0.4 + wait, f"postfix/smtp[{smtp}]: {qid}: to=<{to}>, relay={relay.format(mx=mx, ip=mxip)}, "
                               f"{self.delays(0.32, 0.01, wait, 0)}, dsn={dsn}, status=deferred "
                               f"({why.format(mx=mx, ip=mxip)})")
            retry = t + r.between(300, 1800)
            at(retry, queued)
            total = retry - t + conn + xfer
            at(retry + conn + xfer, f"postfix/smtp[{smtp}]: {qid}: to=<{to}>, relay={mx}[{mxip}]:25, "
                                    f"{self.delays(total - conn - xfer, 0.01, conn, xfer)}, dsn=2.0.0, status=sent"
                                    f" (250 2.0.0 Ok: queued as {r.hex(10).upper()})")
            at(retry + conn + xfer + 0.01, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
            return 9
        dsn, why = r.pick(_BOUNCE_REASONS)
        tb = t + 0.4 + conn + 0.3
        at(tb, f"postfix/smtp[{smtp}]: {qid}: to=<{to}>, relay={mx}[{mxip}]:25, "
               f"{self.delays(0.32, 0.01, conn, 0.3)}, dsn={dsn}, status=bounced ({why.format(mx=mx, ip=mxip, to=to)})")
        bid = self.qid()
        at(tb + 0.01, f"postfix/cleanup[{cleanup}]: {bid}: message-id=<{int(tb)}.{bid}@mta01.{DOMAIN}>")
        at(tb + 0.02, f"postfix/qmgr[{self.qmgr}]: {bid}: from=<>, size={size // 10 + 2400}, nrcpt=1 (queue active)")
        at(tb + 0.03, f"postfix/bounce[{self.bounce}]: {qid}: sender non-delivery notification: {bid}")
        at(tb + 0.04, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
        mhost, mip = MAILSTORE
        at(tb + 0.2, f"postfix/lmtp[{r.pick(self.lmtp)}]: {bid}: to=<{user}>, relay={mhost}[{mip}]:7025, "
                     f"{self.delays(0.02, 0.01, 0.05, 0.1)}, dsn=2.0.0, status=sent (250 2.1.5 Delivery OK)")
        at(tb + 0.21, f"postfix/qmgr[{self.qmgr}]: {bid}: removed")
        return 12

    def pickup_local(self, t: float) -> int:
        r, at = self.rng, self.at
        qid = self.qid()
        uid, who = (0, "root") if r.chance(0.5) else (498, "zimbra")
        at(t, f"postfix/pickup[{self.pickup}]: {qid}: uid={uid} from=<{who}>")
        at(t + 0.01, f"postfix/cleanup[{r.pick(self.cleanup)}]: {qid}: message-id=<{int(t)}.{qid}@{self.host}.{DOMAIN}>")
        at(t + 0.02, f"postfix/qmgr[{self.qmgr}]: {qid}: from=<{who}@{self.host}.{DOMAIN}>, size={r.between(600, 4000)},"
                     " nrcpt=1 (queue active)")
        at(t + 0.05, f"postfix/local[{r.between(3000, 32000)}]: {qid}: to=<root@{self.host}.{DOMAIN}>, orig_to=<{who}>,"
                     f" relay=local, {self.delays(0.02, 0.01, 0, 0.02)}, dsn=2.0.0, status=sent (delivered to mailbox)")
        at(t + 0.06, f"postfix/qmgr[{self.qmgr}]: {qid}: removed")
        return 5

    def reject(self, t: float) -> int:
        r, at = self.rng, self.at
        ip = r.pick(SCANNERS) if r.chance(0.6) else r.pick(INTERNET_CLIENTS)
        smtpd, helo = r.pick(self.smtpd), r.pick(_HELOS)
        to = r.pick(USERS).replace(".", "_", 1) if r.chance(0.5) else self.external()[0]
        why = r.pick(_REJECTS).format(to=to, ip=ip, helo=helo)
        at(t, f"postfix/smtpd[{smtpd}]: connect from unknown[{ip}]")
        at(t + 0.5, f"postfix/smtpd[{smtpd}]: NOQUEUE: reject: RCPT from unknown[{ip}]: {why}; "
                    f"from=<{r.pick(EXTERNAL_LOCALPARTS)}@{r.pick(PARTNERS)[0]}> to=<{to}> proto=ESMTP helo=<{helo}>")
        at(t + 0.9, f"postfix/smtpd[{smtpd}]: disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4")
        return 3

    def sasl_fail(self, t: float, ip: str = "") -> int:
        r, at = self.rng, self.at
        ip = ip or r.pick(ATTACKERS + INTERNET_CLIENTS)
        smtpd = r.pick(self.smtpd)
        prog = "submission/smtpd" if r.chance(0.6) else "smtpd"
        tail = "authentication failure" if r.chance(0.7) else "UGFzc3dvcmQ6"
        at(t, f"postfix/{prog}[{smtpd}]: connect from unknown[{ip}]")
        at(t + 1.5, f"postfix/{prog}[{smtpd}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: {tail}")
        at(t + 1.6, f"postfix/{prog}[{smtpd}]: lost connection after AUTH from unknown[{ip}]")
        at(t + 1.61, f"postfix/{prog}[{smtpd}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2")
        return 4

    def burst(self, t: float) -> int:
        ip, n = self.rng.pick(ATTACKERS), self.rng.between(15, 60)
        for k in range(n):
            self.sasl_fail(t + k * (2 + self.rng.random() * 4), ip)
        return 4 * n


def postfix_lines(rng: Rng, start: float, end: float, n: int, host: str = "mta01",
                  planted_qid: str = "") -> Iterator[str]:
    """Endless mail.log lines from ``start``, paced so that ``n`` lines reach about ``end``.

    ``planted_qid`` (11 upper-case hex digits) is used for one inbound message half-way through: a
    token known to occur in only a handful of lines.
    """
    pf = _Postfix(rng, host)
    if planted_qid:
        pf.reserved.add(planted_qid)
    plant_at = start + (end - start) / 2 if planted_qid else float("inf")
    pace = Pace(rng, start, end, n)
    flows = {"inbound": pf.inbound, "outbound": pf.outbound, "internal": pf.internal,
             "pickup": pf.pickup_local, "reject": pf.reject, "sasl_fail": pf.sasl_fail, "burst": pf.burst}
    heap, pop, last_s, stamp = pf.heap, heapq.heappop, -1, ""
    lines = 0
    while True:
        t0 = pace.tick(lines)
        while heap and heap[0][0] <= t0:
            t, _, body = pop(heap)
            if int(t) != last_s:
                last_s, stamp = int(t), f"{ts_bsd(t)} {host} "
            yield stamp + body
        if t0 >= plant_at:
            plant_at = float("inf")
            lines = pf.inbound(t0, qid=planted_qid)
            continue
        lines = flows[rng.weighted(_KIND_CUM, _KINDS)](t0)
