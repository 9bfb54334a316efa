"""VK Teams on-premises server logs, laid out where the vendor's log guide puts them.

The Vector tree (``var/log/vector/k8s/<namespace>/<service>/``): Keycloak (Quarkus lines; LDAP sync at night,
one user present in two LDAP branches, so its sync and its logins fail with ModelDuplicateException and a stack
trace; login errors from password guessers) and the Go services beagle and krtek (logfmt). Outside Kubernetes:
Janus (``var/log/janus.log``: sessions, ICE, DTLS, a few ICE failures), the ``local_proxy`` nginx (access and
error logs: upstream timeouts in one bad half hour), PHP errors, the MySQL error log, Tarantool and Go-files.
Each generator yields single lines (stack traces line by line), paced over [start, end].
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import ATTACKERS, HMS, MOBILE_IPS, PEOPLE, WORKSTATIONS, Pace, Rng, _day, cumulative, ts_clf
from .vkteams_client import METHODS

DOMAIN_USERS = [f"{f[0]}.{s}" for f, s, _ in PEOPLE]  # LDAP uid
DUPLICATE = DOMAIN_USERS[2]  # the user present in two LDAP branches (ou=msk and ou=spb)
_RAPI = list(METHODS)
_RAPI_CUM = cumulative(list(METHODS.values()))
_WEEKDAYS = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  # 1970-01-01 was a Thursday
_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def ts_ms(t: float, sep: str = ".") -> str:
    """``2026-03-01 10:00:00.123`` (``sep`` before the milliseconds)."""
    s = int(t)
    return f"{_day(s // 86400)[0]} {HMS[s % 86400]}{sep}{int((t - s) * 1000):03d}"


def ts_java(t: float) -> str:
    """``2026-03-01 10:00:00,123`` (Java loggers)."""
    return ts_ms(t, ",")


def ts_ctime(t: float) -> str:
    """``Sun Mar  1 10:00:00 2026`` (Janus, ClamAV)."""
    s = int(t)
    iso = _day(s // 86400)[0]
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:])
    return f"{_WEEKDAYS[(s // 86400) % 7]} {_MON[m - 1]} {d:2d} {HMS[s % 86400]} {y}"


def ts_slash(t: float) -> str:
    """``2026/03/01 10:00:00`` (nginx error log)."""
    s = int(t)
    return f"{_day(s // 86400)[0].replace('-', '/')} {HMS[s % 86400]}"


def ts_php(t: float) -> str:
    """``01-Mar-2026 10:00:00`` (PHP)."""
    s = int(t)
    clf = _day(s // 86400)[2]  # 01/Mar/2026
    return f"{clf.replace('/', '-')} {HMS[s % 86400]}"


def _uuid(r: Rng) -> str:
    return f"{r.hex(8)}-{r.hex(4)}-4{r.hex(3)}-{r.hex(4)}-{r.hex(12)}"


def _client(r: Rng) -> str:
    return r.pick(MOBILE_IPS) if r.chance(0.2) else r.pick(WORKSTATIONS)


# -- Keycloak ----------------------------------------------------------------------------------------
_KC_STACK = [
    "\tat org.keycloak.storage.ldap.idm.query.internal.LDAPQuery.getFirstResult(LDAPQuery.java:197)",
    "\tat org.keycloak.storage.ldap.LDAPStorageProvider.loadLDAPUserByUsername(LDAPStorageProvider.java:905)",
    "\tat org.keycloak.storage.ldap.LDAPStorageProvider.getUserByUsername(LDAPStorageProvider.java:481)",
    "\tat org.keycloak.storage.UserStorageManager.getUserByUsername(UserStorageManager.java:524)",
    "\tat org.keycloak.models.cache.infinispan.UserCacheSession.getUserByUsername(UserCacheSession.java:295)",
]


def keycloak_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    yield (f"{ts_java(start)} INFO  [io.quarkus] (main) Keycloak 24.0.5 on JVM (powered by Quarkus 3.8.4) "
           "started in 14.512s. Listening on: http://0.0.0.0:8080")
    thread = 1
    last_sync = start
    while True:
        t = pace.tick()
        thread = (thread % 200) + 1
        if t - last_sync > 6 * 3600:  # the periodic LDAP sync; the duplicate user fails it every time
            last_sync = t
            yield (f"{ts_java(t)} INFO  [org.key.sto.lda.LDAPStorageProviderFactory] (Timer-0) Sync changed users "
                   "from LDAP to local store: realm: corp, federation provider: ldap-corp")
            yield (f"{ts_java(t)} ERROR [org.key.sto.lda.LDAPStorageProviderFactory] (Timer-0) Failed during "
                   f"import user from LDAP: org.keycloak.models.ModelDuplicateException: Error - multiple LDAP "
                   f"objects found but expected just one (uid={DUPLICATE}: ou=msk,dc=corp,dc=ru; ou=spb,dc=corp,dc=ru)")
            yield from _KC_STACK
            yield (f"{ts_java(t)} INFO  [org.key.ser.man.UserStorageSyncManager] (Timer-0) Sync changed users "
                   f"finished: {r.between(0, 4)} imported users, {r.between(3, 30)} updated users, 1 users failed sync!")
            continue
        user = r.pick(DOMAIN_USERS)
        ip = _client(r)
        event = "LOGIN"
        error = ""
        x = r.random()
        if x < 0.06:
            ip, user, error = r.pick(ATTACKERS), r.pick(DOMAIN_USERS + ["admin", "administrator", "test"]), \
                "invalid_user_credentials"
        elif x < 0.08:
            error = "invalid_user_credentials"
        elif x < 0.09:
            user = DUPLICATE
            yield (f"{ts_java(t)} ERROR [org.key.ser.err.KeycloakErrorHandler] (executor-thread-{thread}) Uncaught "
                   "server error: org.keycloak.models.ModelDuplicateException: Error - multiple LDAP objects found "
                   "but expected just one")
            yield from _KC_STACK[:3]
            continue
        elif x < 0.25:
            event = "CODE_TO_TOKEN"
        code = _uuid(r)
        if error:
            uid = "null" if user not in DOMAIN_USERS else _uuid(r)
            err = error if user in DOMAIN_USERS else "user_not_found"
            yield (f"{ts_java(t)} WARN  [org.key.events] (executor-thread-{thread}) type=LOGIN_ERROR, realmId=corp, "
                   f"clientId=vkteams-web, userId={uid}, ipAddress={ip}, error={err}, auth_method=openid-connect, "
                   f"auth_type=code, redirect_uri=https://teams.corp.ru/sso/callback, code_id={code}, username={user}")
        else:
            yield (f"{ts_java(t)} INFO  [org.key.events] (executor-thread-{thread}) type={event}, realmId=corp, "
                   f"clientId=vkteams-web, userId={_uuid(r)}, ipAddress={ip}, "
                   f"username={user}, auth_method=openid-connect, code_id={code}")


# -- Go services (logfmt): beagle, krtek in Kubernetes; Go-files outside -------------------------------
def logfmt_lines(rng: Rng, start: float, end: float, n: int, service: str) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    while True:
        t = pace.tick()
        s = int(t)
        when = f"{_day(s // 86400)[0]}T{HMS[s % 86400]}.{int((t - s) * 1000):03d}+03:00"
        user = f"{r.pick(DOMAIN_USERS)}@corp.ru"
        rid = r.hex(12)
        x = r.random()
        if service == "go.files":
            size = r.between(2_000, 40_000_000)
            if x < 0.04:
                yield (f'time={when} level=error msg="upload failed" service=go.files request_id={rid} user={user} '
                       f'size={size} remote_ip={_client(r)} status=500 error="write /data/files/{rid[:2]}/{rid}: '
                       f'no space left on device"')
            elif x < 0.5:
                yield (f'time={when} level=info msg="upload finished" service=go.files request_id={rid} user={user} '
                       f'size={size} remote_ip={_client(r)} status=200 duration={r.between(20, 4000)}ms')
            else:
                yield (f'time={when} level=info msg="download" service=go.files request_id={rid} user={user} '
                       f'size={size} remote_ip={_client(r)} status={206 if r.chance(0.1) else 200}')
            continue
        method = r.weighted(_RAPI_CUM, _RAPI)
        if x < 0.03:
            yield (f'time={when} level=warning msg="slow request" service={service} method={method} '
                   f'request_id={rid} user={user} duration={r.between(3000, 30000)}ms')
        elif x < 0.045:
            yield (f'time={when} level=error msg="tarantool call failed" service={service} method={method} '
                   f'request_id={rid} error="timeout after 5s: sessions.get"')
        elif x < 0.2:
            yield f'time={when} level=debug msg="cache hit" service={service} method={method} request_id={rid}'
        else:
            yield (f'time={when} level=info msg="request done" service={service} method={method} request_id={rid} '
                   f'user={user} status=20000 duration={r.between(2, 400)}ms')


# -- Janus ---------------------------------------------------------------------------------------------
def janus_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    yield f"[{ts_ctime(start)}] Janus version: 1101 (1.1.1)"
    yield f"[{ts_ctime(start)}] Sessions watchdog started"
    sessions: list[tuple[int, int]] = []
    while True:
        t = pace.tick()
        p = f"[{ts_ctime(t)}]"
        x = r.random()
        if not sessions or x < 0.2:
            sid, hid = r.between(10**15, 9 * 10**15), r.between(10**15, 9 * 10**15)
            sessions.append((sid, hid))
            yield f"{p} Creating new session: {sid}; 0x7f3c{r.hex(8)}"
            continue
        sid, hid = r.pick(sessions)
        if x < 0.35:
            yield f"{p} Creating new handle in session {sid}: {hid}; 0x7f3c{r.hex(8)}; 0x7f3c{r.hex(8)}"
        elif x < 0.5:
            yield f"{p} [{hid}] Creating ICE agent (ICE Full mode, controlled)"
        elif x < 0.6:
            yield f"{p} [{hid}] The DTLS handshake has been completed"
        elif x < 0.7:
            yield f"{p} [{hid}] WebRTC media is now available"
        elif x < 0.75:
            yield f"{p} [WARN] [{hid}] Missing valid SDP attribute (ice-ufrag), skipping..."
        elif x < 0.78:
            yield f"{p} [ERR] [ice.c:janus_ice_cb_component_state_changed:1809] [{hid}] ICE failed for component 1 in stream 1..."
        elif x < 0.9:
            yield f"{p} [{hid}] Hanging up PeerConnection because of a DTLS alert"
        else:
            sessions.remove((sid, hid))
            yield f"{p} Destroying session {sid}; 0x7f3c{r.hex(8)}"


# -- nginx local_proxy -----------------------------------------------------------------------------------
def local_proxy_access_lines(rng: Rng, start: float, end: float, n: int, bad: tuple[float, float]) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    while True:
        t = pace.tick()
        method = r.weighted(_RAPI_CUM, _RAPI)
        status = 200
        rt = r.between(2, 300) / 1000
        if bad[0] <= t < bad[1] and r.chance(0.4):
            status, rt = 504, 60.0
        elif r.chance(0.01):
            status = 400
        ua = f"ICQ Desktop {r.pick(DOMAIN_USERS)}@corp.ru ic18eTwFBO7vAdt9 3.0.0(30191) Windows PC"
        yield (f'{_client(r)} - - [{ts_clf(t)}] "POST /api/v92/rapi/{method} HTTP/1.1" {status} '
               f'{r.between(60, 4000) if status == 200 else 182} "-" "{ua}" rt={rt:.3f} uct=0.000 '
               f'upstream=127.0.0.1:8081')


def local_proxy_error_lines(rng: Rng, start: float, end: float, n: int, bad: tuple[float, float]) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    conn = 88000
    burst: list[float] = []
    while True:
        t = pace.tick()
        if bad[0] <= t and not burst:  # the bad half hour: a burst of upstream errors
            burst = [bad[0] + k * (bad[1] - bad[0]) / 60 for k in range(60)]
            for bt in burst:
                conn += r.between(1, 40)
                yield (f"{ts_slash(bt)} [error] 1214#1214: *{conn} upstream timed out (110: Connection timed out) "
                       f"while reading response header from upstream, client: {_client(r)}, server: "
                       f'local_proxy.icq.com, request: "POST /api/v92/rapi/getHistory HTTP/1.1", upstream: '
                       f'"http://127.0.0.1:8081/api/v92/rapi/getHistory", host: "u.corp.ru"')
            t = pace.t = max(t, bad[1])
        conn += r.between(1, 400)
        method = r.weighted(_RAPI_CUM, _RAPI)
        head = f"{ts_slash(t)} [error] 1214#1214: *{conn}"
        tail = (f', client: {_client(r)}, server: local_proxy.icq.com, request: "POST /api/v92/rapi/{method} '
                f'HTTP/1.1", upstream: "http://127.0.0.1:8081/api/v92/rapi/{method}", host: "u.corp.ru"')
        x = r.random()
        if x < 0.6:
            yield f"{head} upstream timed out (110: Connection timed out) while reading response header from upstream{tail}"
        elif x < 0.85:
            yield f"{head} connect() failed (111: Connection refused) while connecting to upstream{tail}"
        else:
            yield f"{ts_slash(t)} [warn] 1214#1214: *{conn} an upstream response is buffered to a temporary file{tail}"


# -- PHP, MySQL, Tarantool -------------------------------------------------------------------------------
def php_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    while True:
        t = pace.tick()
        p = f"[{ts_php(t)} UTC]"
        x = r.random()
        if x < 0.5:
            yield f'{p} PHP Warning:  Undefined array key "aimsid" in /srv/store/www/api/session.php on line {r.between(30, 90)}'
        elif x < 0.8:
            yield f"{p} PHP Deprecated:  strftime(): Function strftime() is deprecated in /srv/store/www/cron/report.php on line 7"
        elif x < 0.9:
            yield f"{p} PHP Notice:  Undefined variable: chat in /srv/store/www/api/chat.php on line 118"
        else:
            yield (f"{p} PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [2002] Connection refused in "
                   "/srv/store/www/lib/db.php:31")
            yield "Stack trace:"
            yield "#0 /srv/store/www/lib/db.php(31): PDO->__construct()"
            yield "#1 /srv/store/www/api/session.php(12): Db::connect()"
            yield "#2 {main}"
            yield "  thrown in /srv/store/www/lib/db.php on line 31"


def mysql_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    s0 = int(start) - 3 * 3600  # MySQL 8 writes UTC; the demo clock is Moscow time
    z = f"{_day(s0 // 86400)[0]}T{HMS[s0 % 86400]}.000000Z"
    yield f"{z} 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as process 1121"
    yield f"{z} 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed."
    yield f"{z} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.36'  socket: '/var/lib/mysql/mysql.sock'  port: 3306  MySQL Community Server - GPL."
    while True:
        t = pace.tick() - 3 * 3600  # MySQL 8 writes UTC
        s = int(t)
        when = f"{_day(s // 86400)[0]}T{HMS[s % 86400]}.{r.between(0, 999999):06d}Z"
        thread = r.between(20, 9000)
        x = r.random()
        if x < 0.6:
            yield (f"{when} {thread} [Note] [MY-010914] [Server] Aborted connection {thread} to db: 'icq' user: 'icq' "
                   f"host: '10.0.2.{r.between(10, 40)}' (Got an error reading communication packets).")
        elif x < 0.8:
            yield (f"{when} {thread} [Warning] [MY-010055] [Server] IP address '10.0.2.{r.between(10, 40)}' could not "
                   "be resolved: Name or service not known")
        elif x < 0.95:
            yield (f"{when} {thread} [Note] [MY-010926] [Server] Access denied for user 'report'@'10.0.3.{r.between(2, 9)}' "
                   "(using password: YES)")
        else:
            yield (f"{when} {thread} [ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11")


def tarantool_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    yield f"{ts_ms(start)} [2841] main/101/interactive C> Tarantool 2.11.2-0-gd0c6f6b"
    yield f"{ts_ms(start)} [2841] main/101/interactive C> log level 5"
    while True:
        t = pace.tick()
        p = f"{ts_ms(t)} [2841]"
        x = r.random()
        if x < 0.5:
            yield f"{p} main/{r.between(110, 180)}/main I> sessions: expired {r.between(1, 40)} sessions"
        elif x < 0.8:
            yield f"{p} main/104/checkpoint_daemon I> scheduled next checkpoint for {ts_ms(t + 3600)}"
        elif x < 0.93:
            yield f"{p} main/140/lua W> too long WAL write: 1 rows at LSN {r.between(10**6, 10**7)}: {r.between(501, 1900) / 1000:.3f} sec"
        else:
            yield (f"{p} main/133/applier/replicator@10.0.2.12:3301 sio.c:261 !> SystemError connect to "
                   "10.0.2.12:3301, called on fd 31, aka 10.0.2.11:50262: Connection refused")
