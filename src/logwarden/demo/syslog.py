"""Syslog: BSD (RFC 3164) lines from several hosts, and RFC 5424 lines with and without structured data."""

from __future__ import annotations

from collections.abc import Iterator

from .pools import (
    ATTACKERS,
    LOCAL_HOSTS,
    SCANNERS,
    SHELL_USERS,
    USERS,
    WORKSTATIONS,
    Pace,
    Rng,
    cumulative,
    ts_bsd,
    ts_iso_ms,
)

_GUESSES = ["admin", "test", "oracle", "postgres", "ubuntu", "user", "git", "ftpuser", "support", "1c", "bitrix"]
_CRON = [
    ("root", "   cd / && run-parts --report /etc/cron.hourly"),
    ("zimbra", "/opt/zimbra/libexec/zmstatuslog"),
    ("zimbra", "/opt/zimbra/libexec/zmlogprocess > /tmp/logprocess.out 2>&1"),
    ("root", "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )"),
    ("backup", "/usr/local/bin/backup-rx.sh --incremental"),
]
_SYSTEMD = ["Starting Daily apt download activities...", "Finished Daily apt download activities.",
            "logrotate.service: Deactivated successfully.", "Finished Rotate log files.",
            "Starting Cleanup of Temporary Directories...", "Started Session {n} of User {u}.",
            "session-{n}.scope: Deactivated successfully.", "Reloading The nginx HTTP and reverse proxy server...",
            "zimbra.service: Watchdog timeout (limit 3min)!"]
_KERNEL = [
    ("[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:8a:1c:3e:00:1b:21:3a:4f:10:08:00 SRC={ip} DST=10.0.1.10 LEN=44 TOS=0x00"
    " PREC=0x00 TTL=242 ID={n} PROTO=TCP SPT={p} DPT={dport} WINDOW=1024 RES=0x00 SYN URGP=0"),
    "EXT4-fs (sdb1): mounted filesystem with ordered data mode. Quota mode: none.",
    "nf_conntrack: nf_conntrack: table full, dropping packet",
    ("Out of memory: Killed process {n} (java) total-vm:16734220kB, anon-rss:12011528kB, file-rss:0kB, shmem-rss:0kB,"
    " UID:498 pgtables:25012kB oom_score_adj:0"),
    "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
]
_KERNEL_CUM = cumulative([70, 5, 10, 2, 3])
_NOISY = ATTACKERS + SCANNERS
_EXPOSED = ["mail01", "mta01", "web01", "web01", "teams01"]
_PROGS = ["sshd", "CRON", "kernel", "systemd", "sudo", "chronyd", "ssh_attack"]
_PROG_CUM = cumulative([28, 20, 10, 14, 4, 4, 3])


def bsd_syslog_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    """Endless ``Mon dd hh:mm:ss host prog[pid]: msg`` lines (sshd, cron, kernel, systemd, sudo, chronyd)."""
    pace = Pace(rng, start, end, n)
    boot = {h: start - rng.between(3600, 40 * 86400) for h in LOCAL_HOSTS}
    burst_left, burst_ip, burst_host = 0, "", ""
    out: list[str] = []
    weight = 1.0
    while True:
        t = pace.tick(len(out), weight)
        out.clear()
        weight = 1.0
        host = rng.pick(LOCAL_HOSTS)
        head = f"{ts_bsd(t)} {host}"
        port = rng.between(30000, 65000)
        if burst_left == 0 and rng.chance(0.004):  # someone starts guessing passwords on an exposed host
            burst_left, burst_ip, burst_host = rng.between(20, 200), rng.pick(_NOISY), rng.pick(_EXPOSED)
        if burst_left and rng.chance(0.7):
            burst_left -= 1
            weight = 0.3
            head = f"{ts_bsd(t)} {burst_host}"
            pid = rng.between(20000, 60000)
            if rng.chance(0.5):
                out.append(f"{head} sshd[{pid}]: Failed password for root from {burst_ip} port {port} ssh2")
            else:
                guess = rng.pick(_GUESSES)
                out.append(f"{head} sshd[{pid}]: Invalid user {guess} from {burst_ip} port {port}")
                out.append(f"{head} sshd[{pid}]: Failed password for invalid user {guess} from {burst_ip} port {port} ssh2")
            yield from out
            continue
        prog = rng.weighted(_PROG_CUM, _PROGS)
        pid = rng.between(300, 60000)
        if prog == "sshd":
            i = int(rng.random() * len(SHELL_USERS))
            user, ip = SHELL_USERS[i], WORKSTATIONS[i]
            x = rng.random()
            if x < 0.3:
                out.append(f"{head} sshd[{pid}]: Accepted password for {user} from {ip} port {port} ssh2")
                out.append(f"{head} sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid={1000 + i}) by (uid=0)")
            elif x < 0.55:
                out.append(f"{head} sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 "
                       f"SHA256:{rng.hex(20)}")
            elif x < 0.8:
                out.append(f"{head} sshd[{pid}]: pam_unix(sshd:session): session closed for user {user}")
            elif x < 0.9:
                out.append(f"{head} sshd[{pid}]: Failed password for {user} from {ip} port {port} ssh2")
            else:
                out.append(f"{head} sshd[{pid}]: Received disconnect from {ip} port {port}:11: disconnected by user")
        elif prog == "ssh_attack":
            ip = rng.pick(SCANNERS)
            out.append(f"{head} sshd[{pid}]: Connection closed by authenticating user root {ip} port {port} [preauth]")
        elif prog == "CRON":
            user, cmd = rng.pick(_CRON)
            out.append(f"{head} CRON[{pid}]: pam_unix(cron:session): session opened for user {user}(uid=0) by (uid=0)")
            out.append(f"{head} CRON[{pid}]: ({user}) CMD ({cmd})")
        elif prog == "kernel":
            up = t - boot[host]
            text = rng.weighted(_KERNEL_CUM, _KERNEL).format(ip=rng.pick(_NOISY), n=rng.between(1000, 65000),
                                                             p=port, dport=rng.pick([22, 23, 445, 3389, 8080, 5900]))
            out.append(f"{head} kernel: [{up:12.6f}] {text}")
        elif prog == "systemd":
            text = rng.pick(_SYSTEMD).format(n=rng.between(100, 9000), u=rng.pick(SHELL_USERS))
            out.append(f"{head} systemd[1]: {text}")
        elif prog == "sudo":
            user = rng.pick(SHELL_USERS[:8])
            cmd = rng.pick(["/usr/bin/systemctl restart nginx", "/usr/bin/tail -f /opt/zimbra/log/mailbox.log",
                            "/usr/bin/apt upgrade", "/bin/su - zimbra"])
            out.append(f"{head} sudo: {user:>8} : TTY=pts/{rng.between(0, 4)} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}")
        else:
            out.append(f"{head} chronyd[{pid % 1000 + 400}]: Selected source 10.0.1.1 (ntp1.corp.ru)")
        yield from out


# RFC 5424: (facility*8 + severity, app, msgid, structured data or "-", message)
_R5424 = [
    (38, "keycloak", "LOGIN", '[keycloak@32473 realm="corp" clientId="vkteams" userId="{u}" ipAddress="{ip}"]',
     "type=LOGIN, realmId=corp, clientId=vkteams, userId={u}, ipAddress={ip}"),
    (36, "keycloak", "LOGIN_ERROR", ('[keycloak@32473 realm="corp" clientId="vkteams" ipAddress="{ip}"'
     ' error="invalid_user_credentials"]'), ("type=LOGIN_ERROR, realmId=corp, clientId=vkteams, userId=null,"
     " ipAddress={ip}, error=invalid_user_credentials, username={u}")),
    (134, "vkteams-im", "-", "-", "message delivered chat={n} latency_ms={ms}"),
    (134, "vkteams-im", "-", '[timeQuality tzKnown="1" isSynced="1" syncAccuracy="60000"]', "push sent to {u}"),
    (131, "vkteams-im", "ERR", "-", "websocket closed unexpectedly: code=1006 user={u}"),
    (165, "backup-agent", "ID47", '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
     "backup job rx-db finished in {ms} ms"),
    (165, "backup-agent", "ID48", ('[exampleSDID@32473 iut="3" eventSource="Application" eventID="1012"]'
     '[examplePriority@32473 class="high"]'), "backup job zimbra-store started"),
    (190, "haproxy", "-", "-", ("{ip}:{p} [https~] rx_back/rx01 0/0/1/{ms}/{ms} 200 3412 - - ---- 12/12/0/0/0 0/0"
     ' "GET /DirectumRX/Client/ HTTP/1.1"')),
    (187, "haproxy", "-", "-", "Server rx_back/rx02 is DOWN, reason: Layer4 timeout, check duration: 2001ms."),
]
_R5424_IPS = WORKSTATIONS + ATTACKERS[:2]
_R5424_CUM = cumulative([20, 6, 30, 10, 2, 4, 2, 25, 0.5])


def rfc5424_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    """Endless ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`` lines."""
    pace = Pace(rng, start, end, n)
    procs = {"keycloak": "1187", "vkteams-im": "2741", "backup-agent": "-", "haproxy": "911"}
    while True:
        t = pace.tick()
        pri, app, msgid, sd, msg = rng.weighted(_R5424_CUM, _R5424)
        fill = {"u": rng.pick(USERS), "ip": rng.pick(_R5424_IPS), "n": rng.between(10000, 99999),
                "ms": rng.between(3, 900), "p": rng.between(30000, 65000)}
        host = "teams01" if app != "backup-agent" else "rx01"
        yield (f"<{pri}>1 {ts_iso_ms(t)} {host}.corp.ru {app} {procs[app]} {msgid} {sd.format(**fill)} "
               f"{msg.format(**fill)}")
