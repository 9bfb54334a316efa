"""Where the VK Teams server logs and Zimbra's other logs go in the demo tree, and how many lines each has.

VK Teams' server is laid out as on the server (under ``vkteams-server/``): the Vector tree
``var/log/vector/k8s/<namespace>/<service>/<date>.log``, ``var/log/janus.log``, the local_proxy nginx,
``srv/store/logs``, ``db/logs/mysql``, ``data/tarantool/logs`` and ``oap/icq/logs/go.files.icq.com``; the path
rules (data/path_rules.toml) turn those paths into source, service and namespace. Zimbra's zimbra-stats.log,
clamd.log and zimbra.log go beside mailbox.log.
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import Rng
from .vkteams_server import (
    janus_lines,
    keycloak_lines,
    local_proxy_access_lines,
    local_proxy_error_lines,
    logfmt_lines,
    mysql_lines,
    php_lines,
    tarantool_lines,
)
from .zimbra_others import clamd_lines, zimbra_stats_lines, zimbra_syslog_lines

VK = "vkteams-server"
VECTOR = f"{VK}/var/log/vector/k8s"
HOUR = 3600.0

# file (relative to the demo root) → lines at scale 1
LINES = {
    f"{VECTOR}/keycloak/keycloak/2026-03-01.log": 1500,
    f"{VECTOR}/im/beagle/2026-03-01.log": 1200,
    f"{VECTOR}/im/krtek/2026-03-01.log": 800,
    f"{VK}/var/log/janus.log": 1000,
    f"{VK}/oap/icq/domains/local_proxy.icq.com/logs/access.log": 2500,
    f"{VK}/oap/icq/domains/local_proxy.icq.com/logs/error.log": 300,
    f"{VK}/srv/store/logs/php_errors.log": 300,
    f"{VK}/db/logs/mysql/mysqld.log": 300,
    f"{VK}/data/tarantool/logs/sessions.log": 500,
    f"{VK}/oap/icq/logs/go.files.icq.com/files.log": 600,
    "zimbra/zimbra-stats.log": 3000,
    "zimbra/clamd.log": 400,
    "zimbra/zimbra.log": 1200,
}


def server_tree(seed: int, scale: int, start: float, end: float) -> list[tuple[str, Iterator[str], int]]:
    """(relative path, lines, how many) for every file; the bad half hour of the local_proxy and the
    antivirus outage fall on the second day."""
    def rng(name: str) -> Rng:
        return Rng(f"{seed}:{name}")

    bad = (start + 1 * 24 * HOUR + 11 * HOUR, start + 1 * 24 * HOUR + 11.5 * HOUR)
    av_down = start + 1 * 24 * HOUR + 14 * HOUR
    gens: dict[str, Iterator[str]] = {
        f"{VECTOR}/keycloak/keycloak/2026-03-01.log": keycloak_lines(rng("kc"), start, end, 1500 * scale),
        f"{VECTOR}/im/beagle/2026-03-01.log": logfmt_lines(rng("beagle"), start, end, 1200 * scale, "beagle"),
        f"{VECTOR}/im/krtek/2026-03-01.log": logfmt_lines(rng("krtek"), start, end, 800 * scale, "krtek"),
        f"{VK}/var/log/janus.log": janus_lines(rng("janus"), start, end, 1000 * scale),
        f"{VK}/oap/icq/domains/local_proxy.icq.com/logs/access.log":
            local_proxy_access_lines(rng("lp.access"), start, end, 2500 * scale, bad),
        f"{VK}/oap/icq/domains/local_proxy.icq.com/logs/error.log":
            local_proxy_error_lines(rng("lp.error"), start, end, 300 * scale, bad),
        f"{VK}/srv/store/logs/php_errors.log": php_lines(rng("php"), start, end, 300 * scale),
        f"{VK}/db/logs/mysql/mysqld.log": mysql_lines(rng("mysql"), start, end, 300 * scale),
        f"{VK}/data/tarantool/logs/sessions.log": tarantool_lines(rng("tarantool"), start, end, 500 * scale),
        f"{VK}/oap/icq/logs/go.files.icq.com/files.log":
            logfmt_lines(rng("gofiles"), start, end, 600 * scale, "go.files"),
        "zimbra/zimbra-stats.log": zimbra_stats_lines(rng("zmstats"), start, end, 3000 * scale, av_down),
        "zimbra/clamd.log": clamd_lines(rng("clamd"), start, end, 400 * scale, av_down),
        "zimbra/zimbra.log": zimbra_syslog_lines(rng("zimbra.log"), start, end, 1200 * scale),
    }
    return [(rel, gens[rel], LINES[rel] * scale) for rel in LINES]

