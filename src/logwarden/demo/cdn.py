"""CDN access log as the CDN's log API returns it: a header line, then one tab-separated line per request.

Two services: `media` (HLS playlists and segments of the company's video portal, mostly cache HITs) and
`static` (scripts, styles and images of the public site). Misses go to the origin and carry its answer
time and status; a few origin failures are retried (lists: `1.500, 0.031` / `502, 200`), and a burst of
502/504 marks the origin's outage. Times: `timestamp` is Unix seconds in UTC, `time_local` the same
instant written `2026-03-01 07:00:16+0000`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .pools import INTERNET_CLIENTS, MOBILE_IPS, SCANNERS, TZ_OFFSET_S, Pace, Rng, cumulative, ts_iso_ms

HEADER = ("timestamp", "remote_addr", "remote_user", "time_local", "request", "status", "body_bytes_sent",
          "out_bytes", "referrer", "useragent", "http_x_forwarded_for", "host", "torso_id", "duration",
          "upstream_response_time", "upstream_status", "country", "service", "cache_status", "logtype",
          "custom_field")

_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 "
    "Mobile/15E148 Safari/604.1"),
    ("Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile "
    "Safari/537.36"),
    "AppleCoreMedia/1.0.0.21D61 (iPhone; U; CPU OS 17_3 like Mac OS X; ru_ru)",
    "VLC/3.0.20 LibVLC/3.0.20",
]
_COUNTRIES = ["RU", "RU", "RU", "RU", "RU", "RU", "KZ", "BY", "UZ", "DE", "NL", "US"]
_CLIENTS = INTERNET_CLIENTS + MOBILE_IPS[:6] + ["81.19.133.15", "188.162.64.11", "46.39.231.5", "92.39.140.200"]
_STATIC = ["/static/js/app.{v}.js", "/static/css/main.{v}.css", "/img/logo.svg", "/img/news/{n}.jpg",
           "/fonts/Inter-Regular.woff2", "/static/js/vendor.{v}.js", "/favicon.ico", "/docs/price-{n}.pdf"]
_STATUS = [200, 206, 304, 404, 403, 499, 500, 502, 504]
_STATUS_CUM = cumulative([84, 5, 6, 2.5, 0.6, 0.8, 0.3, 0.5, 0.3])
_CACHE = ["HIT", "MISS", "EXPIRED", "STALE", "REVALIDATED"]
_CACHE_CUM = cumulative([78, 15, 4, 1, 2])


def _request(rng: Rng, service: str) -> tuple[str, str, int]:
    """(path, site, body size) for one request."""
    if service == "media":
        channel = rng.pick(["chanel1", "chanel2", "townhall", "training"])
        if rng.chance(0.12):
            return f"/live/smil:{channel}.smil/playlist.m3u8", "video.corp.ru", rng.between(300, 900)
        bitrate = rng.pick([800000, 1600000, 3200000])
        return (f"/live/smil:{channel}.smil/m_b{bitrate}_{rng.between(100000, 199999)}.ts", "video.corp.ru",
                bitrate // 20 + rng.between(0, 20000))
    path = rng.pick(_STATIC).format(v=rng.hex(8), n=rng.between(100, 999))
    return path, "static.corp.ru", rng.between(200, 400000)


def _upstream(rng: Rng, status: int, outage: bool) -> tuple[str, str]:
    """(upstream_response_time, upstream_status) of a request that went to the origin."""
    if outage:
        first = rng.pick(["502", "504"])
        t1 = "60.000" if first == "504" else f"{rng.between(1, 40) / 1000:.3f}"
        return f"{t1}, {rng.between(1, 30) / 1000:.3f}", f"{first}, {status}"
    if status >= 500 and rng.chance(0.5):
        return f"{rng.between(1000, 3000) / 1000:.3f}, {rng.between(1000, 3000) / 1000:.3f}", f"{status}, {status}"
    return f"{rng.between(5, 900) / 1000:.3f}", str(status)


def cdn_rows(rng: Rng, start: float, end: float, n: int,
             outage: tuple[float, float] | None = None) -> Iterator[dict[str, str]]:
    """``n`` requests between ``start`` and ``end`` (demo wall-clock seconds), as {column: cell}."""
    pace = Pace(rng, start, end, n)
    for _ in range(n):
        t = pace.tick()
        down = outage is not None and outage[0] <= t < outage[1]
        service = "media" if rng.chance(0.6) else "static"
        path, site, size = _request(rng, service)
        scanner = rng.chance(0.01)
        client = rng.pick(SCANNERS) if scanner else rng.pick(_CLIENTS)
        status = 404 if scanner else rng.weighted(_STATUS_CUM, _STATUS)
        cache = "MISS" if status >= 500 or down else rng.weighted(_CACHE_CUM, _CACHE)
        if down and rng.chance(0.7):
            status = rng.pick([502, 504])
        if status in (304, 499) or status >= 400:
            size = 0 if status in (304, 499) else rng.between(150, 600)
        utc = t - TZ_OFFSET_S
        up_time, up_status = _upstream(rng, status, down) if cache != "HIT" else ("-", "-")
        forwarded = "-"
        if rng.chance(0.08):
            forwarded = f"10.{rng.between(0, 255)}.{rng.between(0, 255)}.{rng.between(1, 254)}, {client}"
        yield {
            "timestamp": f"{utc:.3f}",
            "remote_addr": client,
            "remote_user": "-",
            "time_local": f"{ts_iso_ms(utc, ' ', '')[:19]}+0000",
            "request": path,
            "status": str(status),
            "body_bytes_sent": str(size),
            "out_bytes": str(size + rng.between(230, 480)),
            "referrer": "https://www.corp.ru/" if service == "static" and rng.chance(0.6) else "-",
            "useragent": "Mozilla/5.0 zgrab/0.x" if scanner else rng.pick(_AGENTS),
            "http_x_forwarded_for": forwarded,
            "host": site,
            "torso_id": "-",
            "duration": f"{(rng.between(1, 800) if cache == 'HIT' else rng.between(20, 3000)) / 1000:.3f}",
            "upstream_response_time": up_time,
            "upstream_status": up_status,
            "country": rng.pick(_COUNTRIES),
            "service": service,
            "cache_status": cache,
            "logtype": "-",
            "custom_field": "-" if rng.chance(0.9) else f"ab={rng.between(1, 2)}",
        }


def cdn_lines(rng: Rng, start: float, end: float, n: int, columns: Sequence[str] = HEADER,
              outage: tuple[float, float] | None = None) -> Iterator[str]:
    """The header line naming ``columns``, then ``n`` lines; a column the CDN does not write (an extra one
    in a test's header) gets a value made from the request, so files with other columns can be built."""
    yield "\t".join(columns)
    for i, row in enumerate(cdn_rows(rng, start, end, n, outage)):
        yield "\t".join(row.get(c, f"{c}-{i}") for c in columns)

