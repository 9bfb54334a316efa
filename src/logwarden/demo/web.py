"""nginx/Apache "combined" access log of the front proxy (Zimbra web client, ActiveSync, Directum RX).

Mostly 2xx/3xx from users on the LAN and on phones (some over IPv6), 404s from scanners, 401 bursts
from attackers trying ActiveSync passwords, scattered 5xx, and a run of 502/504 while the mailstore
restarts.
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import (
    ATTACKERS,
    INTERNET_CLIENTS,
    MOBILE_IPS,
    SCANNERS,
    USERS,
    WORKSTATIONS,
    Pace,
    Rng,
    cumulative,
    ts_clf,
)

_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0"
    " YaBrowser/24.1.0.0 Safari/537.36"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3"
    " Safari/605.1.15"),
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


def _page(rng: Rng, outage: bool = False) -> str:
    """``"METHOD path HTTP/v" status bytes "referer" "user agent"`` of a browser request."""
    method, path, size, ref = rng.weighted(_PAGE_CUM, _PAGES)
    if "{n}" in path:
        path = path.replace("{n}", str(rng.between(1000, 250000)))
    if outage:
        status = 502 if rng.chance(0.8) else 504
    elif size == (0, 0):
        status = 304
    else:
        status = rng.weighted(_STATUS_CUM, _STATUS)
    nbytes = 0 if status in (204, 304) else (rng.between(*size) if status == 200 else rng.between(150, 600))
    referer = "https://mail.corp.ru/zimbra/" if ref else "-"
    return f'"{method} {path} HTTP/{rng.pick(_HTTP)}" {status} {nbytes} "{referer}" "{rng.pick(_BROWSERS)}"'


def _activesync(rng: Rng, user: str, device: str, status: int = 200) -> str:
    cmd, size = rng.pick([("Ping", (13, 40)), ("Sync", (40, 90000)), ("FolderSync", (80, 2000))])
    nbytes = rng.between(*size) if status == 200 else 0
    return (f'"POST /Microsoft-Server-ActiveSync?User={user}&DeviceId={device}&DeviceType=Android&Cmd={cmd}'
            f' HTTP/1.1" {status} {nbytes} "-" "{rng.pick(_PHONES)}"')


def access_lines(rng: Rng, start: float, end: float, n: int, outage: tuple[float, float] | None = None) -> Iterator[str]:
    """Endless combined-format lines; during ``outage`` (start, end) most requests get 502/504."""
    pace = Pace(rng, start, end, n)
    off, on = outage or (float("inf"), float("inf"))
    # Request tails are drawn from pools built up front: the per-line work is a few lookups.
    pages = [_page(rng) for _ in range(4096)]
    failing = [_page(rng, outage=True) for _ in range(256)]
    devices = [rng.hex(16).upper() for _ in USERS]
    synced = [[_activesync(rng, u, d) for _ in range(16)] for u, d in zip(USERS, devices)]
    probes = [f'"GET {rng.pick(_PROBES)} HTTP/1.1" {404 if rng.chance(0.85) else rng.pick([400, 403, 301])} '
              f'{rng.between(150, 560)} "-" "{rng.pick(_BOTS)}"' for _ in range(512)]
    rand, nu = rng.random, len(USERS)
    burst_left, burst_ip, w = 0, "", 0.0
    while True:
        t = pace.tick(1, w)
        w = 1.0
        ts = ts_clf(t)
        if burst_left == 0 and rand() < 0.0008:
            burst_left, burst_ip = rng.between(30, 200), rng.pick(ATTACKERS)
        if burst_left and rand() < 0.7:
            burst_left -= 1
            w = 0.3
            u = rng.pick(USERS)
            yield f"{burst_ip} - {u} [{ts}] {_activesync(rng, u, rng.hex(16).upper(), 401)}"
            continue
        x = rand()
        if x < 0.04:  # scanners probing for well-known holes
            yield f"{SCANNERS[int(rand() * len(SCANNERS))]} - - [{ts}] {probes[int(rand() * 512)]}"
            continue
        if x < 0.06:  # monitoring
            yield f'10.0.1.5 - - [{ts}] "GET /nginx_status HTTP/1.1" 200 {97 + int(rand() * 13)} "-" "Zabbix"'
            continue
        i = int(rand() * nu)
        if rand() < 0.15:  # a phone, out of the office
            ip = _ROAMING[int(rand() * len(_ROAMING))]
            if rand() < 0.6:
                yield f"{ip} - {USERS[i]} [{ts}] {synced[i][int(rand() * 16)]}"
                continue
        else:
            ip = WORKSTATIONS[i]
        if off <= t < on and rand() < 0.9:
            yield f"{ip} - - [{ts}] {failing[int(rand() * 256)]}"
        else:
            yield f"{ip} - - [{ts}] {pages[int(rand() * 4096)]}"


_HTTP = ["1.1", "1.1", "1.1", "2.0"]
_ROAMING = MOBILE_IPS + INTERNET_CLIENTS
