"""nginx/Apache "combined" access log of the front proxy (Zimbra web client, ActiveSync, Directum RX).

Mostly 2xx/3xx from users on the LAN and on phones (some over IPv6), 404s from scanners, 401 bursts
from attackers trying ActiveSync passwords, scattered 5xx, and a run of 502/504 while the mailstore
restarts.
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import (ATTACKERS, INTERNET_CLIENTS, MOBILE_IPS, SCANNERS, USERS, WORKSTATIONS, Pace, Rng,
                    cumulative, ts_clf)

_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0"
    " YaBrowser/24.1.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3"
    " Safari/605.1.15",
]
_PHONES = ["Android-Mail/2024.01.21.600909839.Release", "Apple-iPhone15C2/2104.100", "Outlook-iOS/723.4027091.prod.iphone",
           "DirectumSolo-Android13/2.13.0.10000"]
_BOTS = ["curl/7.88.1", "python-requests/2.31.0", "Mozilla/5.0 zgrab/0.x", "Go-http-client/1.1",
         "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", "-"]
# (method, path, size range, referer?)
_PAGES = [
    ("POST", "/service/soap/SearchRequest", (800, 40000), True),
    ("POST", "/service/soap/NoOpRequest", (250, 400), True),
    ("POST", "/service/soap/GetMsgRequest", (1500, 90000), True),
    ("POST", "/service/soap/SendMsgRequest", (400, 900), True),
    ("GET", "/zimbra/", (9000, 14000), False),
    ("GET", "/service/home/~/?auth=co&loc=ru&id={n}&part=2", (20000, 3000000), True),
    ("GET", "/zimbra/js/zimbraMail/share/model/ZmSettings.js?v=221011101745", (0, 0), True),
    ("GET", "/zimbra/img/zimbra.png?v=221011101745", (0, 0), True),
    ("GET", "/DirectumRX/Client/", (4000, 6000), False),
    ("POST", "/DirectumRX/Client/api/public/GetEntities", (900, 60000), True),
    ("POST", "/DirectumRX/Client/api/public/SaveEntity", (200, 2000), True),
    ("GET", "/DirectumRX/Client/content/documents/{n}/versions/1", (30000, 5000000), True),
    ("GET", "/favicon.ico", (1150, 1150), False),
]
_PAGE_CUM = cumulative([20, 25, 10, 3, 3, 3, 6, 6, 2, 8, 2, 2, 1])
_PROBES = ["/wp-login.php", "/.env", "/.git/config", "/admin/config.php", "/cgi-bin/luci/;stok=/locale",
           "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/owa/auth/logon.aspx", "/autodiscover/autodiscover.xml",
           "/?XDEBUG_SESSION_START=phpstorm", "/boaform/admin/formLogin", "/actuator/health"]
_STATUS = [200, 304, 302, 204, 401, 403, 404, 499, 500, 502, 503, 504]
_STATUS_CUM = cumulative([80, 0, 3, 1.5, 1, 0.5, 1.5, 0.8, 0.4, 0.3, 0.2, 0.2])


def access_lines(rng: Rng, start: float, end: float, n: int, outage: tuple[float, float] | None = None) -> Iterator[str]:
    """Endless combined-format lines; during ``outage`` (start, end) most requests get 502/504."""
    pace = Pace(rng, start, end, n)
    off, on = outage or (float("inf"), float("inf"))
    burst_left, burst_ip = 0, ""
    while True:
        t = pace.tick(0.3 if burst_left else 1)
        ts = ts_clf(t)
        if burst_left == 0 and rng.chance(0.0008):
            burst_left, burst_ip = rng.between(30, 200), rng.pick(ATTACKERS)
        if burst_left and rng.chance(0.7):
            burst_left -= 1
            u = rng.pick(USERS)
            yield (f'{burst_ip} - {u} [{ts}] "POST /Microsoft-Server-ActiveSync?User={u}&DeviceId={rng.hex(16).upper()}'
                   f'&DeviceType=iPhone&Cmd=FolderSync HTTP/1.1" 401 0 "-" "{rng.pick(_PHONES[:3])}"')
            continue
        x = rng.random()
        if x < 0.04:  # scanners probing for well-known holes
            ip, path = rng.pick(SCANNERS), rng.pick(_PROBES)
            status = 404 if rng.chance(0.85) else rng.pick([400, 403, 301])
            yield f'{ip} - - [{ts}] "GET {path} HTTP/1.1" {status} {rng.between(150, 560)} "-" "{rng.pick(_BOTS)}"'
            continue
        if x < 0.06:  # monitoring
            yield f'10.0.1.5 - - [{ts}] "GET /nginx_status HTTP/1.1" 200 {rng.between(97, 110)} "-" "Zabbix"'
            continue
        i = int(rng.random() * len(USERS))
        phone = rng.chance(0.15)
        ip = rng.pick(_ROAMING) if phone else WORKSTATIONS[i]
        if phone and rng.chance(0.6):
            method, path, size, ref = "POST", f"/Microsoft-Server-ActiveSync?User={USERS[i]}&DeviceId=" \
                f"{rng.hex(16).upper()}&DeviceType=Android&Cmd=Ping", (13, 80), False
            ua, user = rng.pick(_PHONES), USERS[i]
        else:
            method, path, size, ref = rng.weighted(_PAGE_CUM, _PAGES)
            if "{n}" in path:
                path = path.replace("{n}", str(rng.between(1000, 250000)))
            ua, user = rng.pick(_BROWSERS), "-"
        if off <= t < on and rng.chance(0.9):
            status = 502 if rng.chance(0.8) else 504
        elif size == (0, 0):
            status = 304
        else:
            status = rng.weighted(_STATUS_CUM, _STATUS)
        nbytes = 0 if status in (204, 304) else (rng.between(*size) if status == 200 else rng.between(150, 600))
        referer = "https://mail.corp.ru/zimbra/" if ref else "-"
        yield f'{ip} - {user} [{ts}] "{method} {path} HTTP/{rng.pick(_HTTP)}" {status} {nbytes} "{referer}" "{ua}"'


_HTTP = ["1.1", "1.1", "1.1", "2.0"]
_ROAMING = MOBILE_IPS + INTERNET_CLIENTS
