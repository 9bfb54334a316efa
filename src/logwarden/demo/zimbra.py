"""Zimbra ``mailbox.log`` and ``audit.log`` (log4j lines: ``date time,ms LEVEL [thread] [context] category - text``).

mailbox.log carries SOAP, mail operations, LMTP deliveries, IMAP/POP sessions, authentication
failures (bursts from a few attackers), handler exceptions and errors followed by Java stack traces
(continuation lines), and one server restart preceded by a FATAL. Requests that come through the
Zimbra proxy show the proxy as ``ip=`` and the real client as ``oip=``; LAN clients talking to the
mailstore directly show only ``ip=``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

from .pools import (
    ATTACKERS,
    INTERNET_CLIENTS,
    MAILSTORE,
    MOBILE_IPS,
    PARTNERS,
    USERS,
    WORKSTATIONS,
    ZIMBRA_PROXY_IP,
    Pace,
    Rng,
    cumulative,
    ts_comma_ms,
)

VERSION = "8.8.15_GA_4484"
_QTP = "qtp1068934215"
_WEB = "https://mail.corp.ru"
_UAS = [f"ZimbraWebClient - FF123 (Win)/{VERSION}", f"ZimbraWebClient - GC122 (Win)/{VERSION}",
        f"ZimbraWebClient - FF115 (Linux)/{VERSION}", f"ZimbraWebClient - YA24 (Win)/{VERSION}",
        "ZimbraConnectorForOutlook/9.0.0.1916", "Zimbra-ZCS-Mobile/2.7 (Android 13)"]
_IMAP_UAS = ["Thunderbird/115.8.0", "Outlook/16.0", "iPhone Mail (20H115)", "K-9 Mail/6.711", "Evolution/3.46"]
_SOAP = ["SearchRequest", "GetMsgRequest", "GetFolderRequest", "NoOpRequest", "SendMsgRequest",
         "GetInfoRequest", "BatchRequest", "GetConvRequest", "ItemActionRequest", "SaveDraftRequest",
         "GetApptSummariesRequest", "SearchConvRequest", "GetContactsRequest", "ModifyPrefsRequest"]
_SOAP_CUM = cumulative([30, 18, 8, 20, 5, 3, 4, 4, 3, 2, 2, 2, 1, 0.5])
_FOLDERS = [("2", "Inbox"), ("5", "Sent"), ("3", "Trash"), ("6", "Drafts"), ("4", "Junk"), ("257", "Archive")]
_ZIMLETS = ["com_zimbra_email", "com_zimbra_attachmail", "com_zimbra_date", "com_zimbra_url", "com_zimbra_phone",
            "com_zextras_drive_open", "com_zimbra_ymemoticons"]

_NO_SUCH_MSG = [
    "com.zimbra.cs.mailbox.MailServiceException$NoSuchItemException: no such message: {n}",
    "ExceptionId:{thread}:{ms}:{hex}",
    "Code:mail.NO_SUCH_MSG Arg:(itemId, IID, \"{n}\")",
    "\tat com.zimbra.cs.mailbox.MailServiceException.NO_SUCH_MSG(MailServiceException.java:347)",
    "\tat com.zimbra.cs.mailbox.MailItem.noSuchItem(MailItem.java:1536)",
    "\tat com.zimbra.cs.mailbox.Mailbox.getItemById(Mailbox.java:3061)",
    "\tat com.zimbra.cs.mailbox.Mailbox.getMessageById(Mailbox.java:3542)",
    "\tat com.zimbra.cs.service.mail.GetMsg.handle(GetMsg.java:120)",
    "\tat com.zimbra.soap.SoapEngine.dispatchRequest(SoapEngine.java:633)",
    "\tat com.zimbra.soap.SoapEngine.dispatch(SoapEngine.java:469)",
    "\tat com.zimbra.soap.SoapEngine.dispatch(SoapEngine.java:277)",
    "\tat com.zimbra.soap.SoapServlet.doWork(SoapServlet.java:303)",
    "\tat com.zimbra.soap.SoapServlet.doPost(SoapServlet.java:213)",
    "\tat javax.servlet.http.HttpServlet.service(HttpServlet.java:707)",
    "\tat com.zimbra.cs.servlet.ZimbraServlet.service(ZimbraServlet.java:206)",
    "\tat org.eclipse.jetty.server.handler.HandlerWrapper.handle(HandlerWrapper.java:127)",
    "\tat org.eclipse.jetty.util.thread.QueuedThreadPool$Runner.run(QueuedThreadPool.java:1034)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
]
_DB_FAILURE = [
    "com.zimbra.common.service.ServiceException: system failure: getting database connection",
    "ExceptionId:{thread}:{ms}:{hex}",
    "Code:service.FAILURE",
    "\tat com.zimbra.common.service.ServiceException.FAILURE(ServiceException.java:290)",
    "\tat com.zimbra.cs.db.DbPool.getConnection(DbPool.java:200)",
    "\tat com.zimbra.cs.mailbox.Mailbox.beginTransaction(Mailbox.java:9120)",
    "\tat com.zimbra.cs.mailbox.Mailbox.addMessage(Mailbox.java:5832)",
    "\tat com.zimbra.cs.mailbox.Mailbox.addMessage(Mailbox.java:5751)",
    "\tat com.zimbra.cs.filter.IncomingMessageHandler.implicitKeep(IncomingMessageHandler.java:97)",
    "\tat com.zimbra.cs.lmtpserver.ZimbraLmtpBackend.deliverMessageToLocalMailboxes(ZimbraLmtpBackend.java:734)",
    "\tat com.zimbra.cs.lmtpserver.LmtpHandler.processMessageData(LmtpHandler.java:409)",
    "\tat com.zimbra.cs.tcpserver.ProtocolHandler.run(ProtocolHandler.java:111)",
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1128)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
    ("Caused by: java.sql.SQLNonTransientConnectionException: Could not connect to address=(host=localhost)"
    "(port=7306)(type=master) : Connection refused"),
    "\tat org.mariadb.jdbc.internal.util.exceptions.ExceptionMapper.get(ExceptionMapper.java:234)",
    "\tat org.mariadb.jdbc.internal.util.exceptions.ExceptionMapper.getException(ExceptionMapper.java:165)",
    "\tat org.mariadb.jdbc.MariaDbConnection.newConnection(MariaDbConnection.java:174)",
    "\tat org.apache.commons.dbcp.PoolingDataSource.getConnection(PoolingDataSource.java:106)",
    "\tat com.zimbra.cs.db.DbPool.getConnection(DbPool.java:179)",
    "\t... 9 more",
]
_QUOTA = [
    "com.zimbra.cs.mailbox.MailServiceException: mailbox quota exceeded",
    "ExceptionId:{thread}:{ms}:{hex}",
    "Code:mail.QUOTA_EXCEEDED Arg:(quota, LONG, \"{n}\")",
    "\tat com.zimbra.cs.mailbox.MailServiceException.QUOTA_EXCEEDED(MailServiceException.java:433)",
    "\tat com.zimbra.cs.mailbox.Mailbox.checkSizeChange(Mailbox.java:2811)",
    "\tat com.zimbra.cs.mailbox.Mailbox.addMessageInternal(Mailbox.java:6106)",
    "\tat com.zimbra.cs.lmtpserver.ZimbraLmtpBackend.deliverMessageToLocalMailboxes(ZimbraLmtpBackend.java:734)",
    "\tat com.zimbra.cs.lmtpserver.LmtpHandler.processMessageData(LmtpHandler.java:409)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
]
_IO_RESET = [
    "java.io.IOException: Connection reset by peer",
    "\tat java.base/sun.nio.ch.FileDispatcherImpl.read0(Native Method)",
    "\tat java.base/sun.nio.ch.SocketDispatcher.read(SocketDispatcher.java:39)",
    "\tat org.apache.mina.core.polling.AbstractPollingIoProcessor.read(AbstractPollingIoProcessor.java:715)",
    "\tat com.zimbra.cs.imap.NioImapHandler.messageReceived(NioImapHandler.java:66)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
]
_OOM = [
    "java.lang.OutOfMemoryError: Java heap space",
    "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3745)",
    "\tat com.zimbra.cs.index.LuceneIndex.search(LuceneIndex.java:517)",
    "\tat com.zimbra.cs.mailbox.MailboxManager.getMailboxById(MailboxManager.java:410)",
    "\tat com.zimbra.cs.mailbox.PurgeThread.run(PurgeThread.java:164)",
]
_STARTUP = [
    "misc - Starting Zimbra Collaboration Suite {v} (build 20221011101745)",
    "misc - Jetty server version 9.4.46.v20220331",
    "dbconn - Initializing database connection pool: maxActive=100",
    "mailbox - Mailbox store starting: redolog, index, mailbox manager",
    "soap - Servlet SoapServlet starting up",
    "lmtp - Starting LmtpServer on port 7025",
    "imap - Starting ImapServer on port 7143",
    "imap - Starting ImapSSLServer on port 7993",
    "pop - Starting Pop3Server on port 7110",
    "pop - Starting Pop3SSLServer on port 7995",
    "misc - Jetty server started: https://mailstore01.corp.ru:8443",
    "misc - Zimbra server process is running",
]

# Accounts an attacker tries: real ones and guesses.
_TARGETS = USERS + ["admin@corp.ru", "test@corp.ru", "postmaster@corp.ru", "info@corp.ru", "buh@corp.ru"]
_ROAMING = MOBILE_IPS + INTERNET_CLIENTS[:2]
_KINDS = ["soap", "mailop", "lmtp", "imap", "pop", "auth_ok", "auth_fail", "zimlet", "background",
          "handler", "error", "imap_exc", "lmtp_quota", "dbwarn"]
_KIND_CUM = cumulative([28, 12, 14, 10, 3, 5, 1.5, 2, 7, 1.0, 0.15, 0.3, 0.1, 0.4])
_KIND_TOTAL = _KIND_CUM[-1]


class _Mailbox:
    def __init__(self, rng: Rng) -> None:
        self.rng = rng
        self.item = rng.between(20000, 90000)
        self.ctx_pool: dict[tuple[int, str], list[str]] = {}
        self.qtp_pool: dict[str, list[str]] = {}

    def who(self) -> tuple[int, str, str]:
        """(index, account, client ip) of a user at their desk or on the phone."""
        rand = self.rng.random
        i = int(rand() * len(USERS))
        return i, USERS[i], WORKSTATIONS[i] if rand() < 0.85 else MOBILE_IPS[int(rand() * len(MOBILE_IPS))]

    def soap_ctx(self, i: int, ip: str) -> str:
        """The context block of a SOAP request (from a small pool per user and address)."""
        pool = self.ctx_pool.get((i, ip))
        if pool is None:
            pool = self.ctx_pool[(i, ip)] = [self._soap_ctx(i, ip) for _ in range(8)]
        return pool[int(self.rng.random() * 8)]

    def _soap_ctx(self, i: int, ip: str) -> str:
        r = self.rng
        if ip.startswith("10."):
            where = f"ip={ip};"
        else:
            where = f"ip={ZIMBRA_PROXY_IP};oip={ip};"
        return f"[name={USERS[i]};mid={i + 2};{where}port={r.between(40000, 65000)};ua={r.pick(_UAS)};soapId={r.hex(7)};]"

    def qtp(self, req: str = "") -> str:
        """A Jetty worker thread name with the request's URL."""
        pool = self.qtp_pool.get(req)
        if pool is None:
            pool = self.qtp_pool[req] = [f"[{_QTP}-{self.rng.between(100, 9999)}:{_WEB}/service/soap/{req}]"
                                         for _ in range(64)]
        return pool[int(self.rng.random() * 64)]

    def trace(self, lines: list[str], thread: str, t: float) -> str:
        """A Java stack trace: the continuation lines of the record before it (starts with a newline)."""
        r = self.rng
        fill = {"thread": thread[1:-1], "ms": int(t * 1000), "hex": r.hex(16), "n": r.between(1000, 99999)}
        return "".join("\n" + (s.format(**fill) if "{" in s else s) for s in lines)

    def record(self, kind: str, t: float) -> list[str]:
        """Records without their timestamp: ``LEVEL [thread] [ctx] category - text`` (plus continuation lines)."""
        r = self.rng
        i, user, ip = self.who()
        if kind == "soap":
            req = r.weighted(_SOAP_CUM, _SOAP)
            return [f"INFO  {self.qtp(req)} {self.soap_ctx(i, ip)} soap - {req} elapsed={2 + int(r.random() * 399)}"]
        if kind == "mailop":
            self.item += 1
            fid, fname = r.pick(_FOLDERS)
            ctx = self.soap_ctx(i, ip)
            x = r.random()
            if x < 0.4:
                text = f"Moving Message (id={self.item - r.between(1, 5000)}) to Folder {fname} (id={fid})"
            elif x < 0.7:
                text = f"Deleting Message (id={self.item - r.between(1, 5000)})."
            elif x < 0.9:
                text = (f"Adding Message: id={self.item}, Message-ID=<{r.hex(8)}.{r.hex(6)}@corp.ru>, parentId=-1,"
                        f" folderId=5, folderName=Sent.")
            else:
                text = f"Adding Contact: id={self.item}, folderId=7, folderName=Contacts."
            return [f"INFO  {self.qtp('ItemActionRequest')} {ctx} mailop - {text}"]
        if kind == "lmtp":
            self.item += 1
            th = f"[LmtpServer-{r.between(1, 400)}]"
            sender = f"{r.pick(['info', 'sales', 'noreply', 'manager'])}@{r.pick(PARTNERS)[0]}"
            mid = f"<{r.hex(8)}-{r.hex(4)}-{r.hex(4)}@{sender.split('@')[1]}>"
            ctx = f"[name={user};mid={i + 2};msgid={mid};ip=10.0.1.15;]"
            return [(f"INFO  {th} [] lmtp - Delivering message: size={r.between(1500, 900000)} bytes, nrcpts=1,"
                    f" sender={sender}, msgid={mid}"),
                    (f"INFO  {th} {ctx} mailop - Adding Message: id={self.item}, Message-ID={mid}, parentId=-1,"
                    f" folderId=2, folderName=Inbox."),
                    f"INFO  {th} {ctx} lmtp - Delivered message to {user}"]
        if kind in ("imap", "imap_exc"):
            th = f"[{'ImapSSLServer' if r.chance(0.6) else 'ImapServer'}-{r.between(1, 3000)}]"
            ctx = (f"[name={user};mid={i + 2};ip={ZIMBRA_PROXY_IP};oip={ip};via={ZIMBRA_PROXY_IP}(nginx/1.20.0);"
                   f"ua={r.pick(_IMAP_UAS)};cid={r.between(1000, 99999)};]")
            if kind == "imap_exc":
                return [f"WARN  {th} {ctx} imap - handler exception" + self.trace(_IO_RESET, th, t)]
            text = r.pick([f"user {user} authenticated, mechanism=PLAIN [TLS]", "SELECT elapsed=12",
                           f"IDLE elapsed={r.between(1000, 900000)}", "FETCH elapsed=38",
                           f"dropping connection for user {user} (IDLE timeout)", "LOGOUT elapsed=1"])
            return [f"INFO  {th} {ctx} imap - {text}"]
        if kind == "pop":
            th = f"[{'Pop3SSLServer' if r.chance(0.6) else 'Pop3Server'}-{r.between(1, 500)}]"
            ctx = f"[name={user};ip={ZIMBRA_PROXY_IP};oip={ip};]"
            return [f"INFO  {th} {ctx} pop - user {user} authenticated, mechanism=LOGIN",
                    f"INFO  {th} {ctx} pop - RETR {r.between(1, 40)} elapsed={r.between(5, 300)}"]
        if kind == "auth_ok":
            return [(f"INFO  {self.qtp('AuthRequest')} {self.soap_ctx(i, ip)} security - cmd=Auth; account={user};"
                    " protocol=soap;")]
        if kind == "auth_fail":
            return self.auth_fail(i, user, ip)
        if kind == "zimlet":
            return [(f"INFO  {self.qtp('GetInfoRequest')} {self.soap_ctx(i, ip)} zimlet - "
                    f"{r.pick(_ZIMLETS)}: {r.pick(['loaded', 'is disabled for cos default', 'config applied'])}")]
        if kind == "background":
            return [r.pick([
                f"INFO  [MailboxPurge] [name={user};mid={i + 2};] purge - Purging messages.",
                f"INFO  [Index-{r.between(1, 8)}] [name={user};mid={i + 2};] index - Indexed {r.between(1, 60)} items",
                (f"INFO  [ScheduledTask-{r.between(1, 9)}] [name={user};mid={i + 2};] session - Shutting down idle"
                f" session {r.hex(8)}"),
                f"INFO  [Timer-Zimbra] [] cache - evicting {r.between(1, 300)} entries from account cache",
                f"INFO  {self.qtp()} [] mbxmgr - Mailbox {i + 2} account {user} LOADED",
            ])]
        if kind == "handler":
            th = self.qtp("GetMsgRequest")
            return [f"WARN  {th} {self.soap_ctx(i, ip)} SoapEngine - handler exception" + self.trace(_NO_SUCH_MSG, th, t)]
        if kind == "error":
            th = f"[LmtpServer-{r.between(1, 400)}]"
            return [(f"ERROR {th} [name={user};mid={i + 2};ip=10.0.1.15;] mailbox - Unable to deliver message to"
                    f" {user}") + self.trace(_DB_FAILURE, th, t)]
        if kind == "lmtp_quota":
            th = f"[LmtpServer-{r.between(1, 400)}]"
            return [(f"WARN  {th} [name={user};mid={i + 2};ip=10.0.1.15;] lmtp - try again for message {user}:"
                    " exception occurred") + self.trace(_QUOTA, th, t)]
        used = r.between(75, 98)
        return [(f"WARN  {self.qtp()} [] dbconn - Connection pool is {used}% utilized ({used} connections out of a"
                " maximum of 100 in use).  Turn on debug logging for zimbra.dbconn to see stack traces of connections"
                " not returned to the pool.")]

    def auth_fail(self, i: int, user: str, ip: str) -> list[str]:
        where = f"ip={ip};" if ip.startswith("10.") else f"ip={ZIMBRA_PROXY_IP};oip={ip};"
        ctx = f"[name={user};{where}ua={self.rng.pick(_UAS)};soapId={self.rng.hex(7)};]"
        if self.rng.chance(0.5):
            return [(f"INFO  {self.qtp('AuthRequest')} {ctx} account - authentication failed for [{user}],"
                    " invalid password")]
        return [(f"INFO  {self.qtp('AuthRequest')} {ctx} SoapEngine - handler exception: authentication failed for"
                f" [{user}], invalid password")]

    def restart(self, t: float) -> Iterator[tuple[float, str]]:
        """The mailstore dies with a FATAL and starts again a minute later."""
        r = self.rng
        yield t, "FATAL [MailboxPurge] [] system - Fatal error; shutting down the server" + self.trace(
            _OOM, "[MailboxPurge]", t)
        t += r.between(40, 90)
        for text in _STARTUP:
            t += r.random() * 3
            yield t, f"INFO  [main] [] {text.format(v=VERSION)}"


def _stamped(t: float, record: str) -> Iterator[str]:
    """A record's lines: the first with the timestamp, continuation lines as they are."""
    if "\n" in record:
        first, rest = record.split("\n", 1)
        yield f"{ts_comma_ms(t)} {first}"
        yield from rest.split("\n")
    else:
        yield f"{ts_comma_ms(t)} {record}"


def mailbox_lines(rng: Rng, start: float, end: float, n: int, restart_at: float | None = None) -> Iterator[str]:
    """Endless Zimbra mailbox.log lines from ``start`` (``n`` lines reach about ``end``)."""
    mb = _Mailbox(rng)
    pace = Pace(rng, start, end, n)
    burst_left, burst_ip = 0, ""
    lines, w = 0, 1.0
    restart = restart_at if restart_at is not None else float("inf")
    rand, tick, record_of = rng.random, pace.tick, mb.record
    while True:
        t = tick(lines, w)
        if t >= restart:
            restart = float("inf")
            for at, record in mb.restart(t):
                yield from _stamped(at, record)
            pace.t = at
            lines = 0
            continue
        if burst_left == 0 and rand() < 0.0015:
            burst_left, burst_ip = rng.between(20, 150), rng.pick(ATTACKERS)
        if burst_left and rand() < 0.6:
            burst_left -= 1
            records = mb.auth_fail(0, rng.pick(_TARGETS), burst_ip)
            w = 0.2
        else:
            records = record_of(_KINDS[bisect_right(_KIND_CUM, rand() * _KIND_TOTAL)], t)
            w = 1.0
        if len(records) == 1 and "\n" not in records[0]:  # the common case, kept quick
            lines = 1
            yield f"{ts_comma_ms(t)} {records[0]}"
            continue
        lines = 0
        for k, record in enumerate(records):  # records of one event are a few milliseconds apart
            lines += record.count("\n") + 1
            yield from _stamped(t + 0.004 * k, record)


def audit_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    """Endless Zimbra audit.log lines: successful and failed authentications (SOAP, IMAP, POP, admin)."""
    pace = Pace(rng, start, end, n)
    burst_left, burst_ip, w = 0, "", 0.0
    while True:
        t = pace.tick(1, w)
        w = 1.0
        if burst_left == 0 and rng.chance(0.01):
            burst_left, burst_ip = rng.between(20, 120), rng.pick(ATTACKERS)
        i = int(rng.random() * len(USERS))
        user = USERS[i]
        if burst_left and rng.chance(0.7):
            burst_left -= 1
            w = 0.2
            ip, ok = burst_ip, False
            user = rng.pick(_TARGETS)
        else:
            ip = WORKSTATIONS[i] if rng.chance(0.8) else rng.pick(_ROAMING)
            ok = rng.chance(0.93)
        proto = rng.weighted(_PROTO_CUM, _PROTOS)
        if proto == "soap":
            head = (f"[{_QTP}-{rng.between(100, 9999)}:{_WEB}/service/soap/AuthRequest] [name={user};oip={ip};"
                    f"port={rng.between(40000, 65000)};ua={rng.pick(_UAS)};soapId={rng.hex(7)};] security - cmd=Auth;")
        elif proto == "admin":
            user = "admin@corp.ru"
            head = (f"[{_QTP}-{rng.between(100, 9999)}:https://{MAILSTORE[0]}:7071/service/admin/soap/AuthRequest]"
                    f" [name={user};oip={ip};ua=ZimbraWebClient - FF123 (Linux)/{VERSION};] security - cmd=AdminAuth;")
            proto = "soap"
        else:
            srv = ("Imap" if proto == "imap" else "Pop3") + ("SSLServer" if rng.chance(0.6) else "Server")
            head = (f"[{srv}-{rng.between(1, 3000)}] [ip={ZIMBRA_PROXY_IP};oip={ip};via={ZIMBRA_PROXY_IP}"
                    f"(nginx/1.20.0);ua={rng.pick(_IMAP_UAS)};] security - cmd=Authenticate;")
        if ok:
            yield f"{ts_comma_ms(t)} INFO  {head} account={user}; protocol={proto};"
        else:
            why = "invalid password" if user in USERS or user == "admin@corp.ru" else "account not found"
            yield (f"{ts_comma_ms(t)} WARN  {head} account={user}; protocol={proto}; error=authentication failed"
                   f" for [{user}], {why};")


_PROTOS = ["soap", "imap", "pop3", "admin"]
_PROTO_CUM = cumulative([60, 30, 8, 2])
