"""Windows event logs as the Snare agent sends them over syslog (``MSWinEventLog``, tab-separated columns),
written to a file by the relay that receives them: the format `snare_windows`.

What they show: the domain controllers' logons and logoffs through the working day (the Directum accounts,
``petrov_is``…), a password-guessing run against RDP from an attacker's address (Failure Audit 4625, then the
account locked out, 4740) on the second day, and the member servers' System and Application logs (services
starting and stopping, now and then a service that fails to start or an application crash).
"""

from __future__ import annotations

from collections.abc import Iterator

from .pools import ATTACKERS, NETBIOS, PEOPLE, WORKSTATIONS, Pace, Rng, ts_bsd
from .vkteams_server import ts_ctime

DCS = ["dc01", "dc02"]
SERVERS = ["fs01", "rx01", "sql01"]
ACCOUNTS = [f"{s}_{f[0]}{p}" for f, s, p in PEOPLE]  # as Directum's Domain\user
AUDIT = "Microsoft-Windows-Security-Auditing"
SERVICES = ["Windows Update", "Background Intelligent Transfer Service", "Print Spooler", "Directum RX Worker",
            "SQL Server Agent (MSSQLSERVER)"]
BRUTE_TRIES = 40  # failed logons of the password-guessing run


def snare_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    counter = {h: r.between(1000, 90000) for h in DCS + SERVERS}
    brute = start + 86400 + 2 * 3600 + 17 * 60  # the second night, 02:17
    victim = ACCOUNTS[2]
    guessed = False

    def line(t: float, host: str, crit: int, channel: str, event_id: int, provider: str, user: str, sid: str,
             kind: str, category: str, message: str) -> str:
        counter[host] += 1
        cols = ["MSWinEventLog", str(crit), channel, str(counter[host]), ts_ctime(t - r.between(0, 2)),
                str(event_id), provider, user, sid, kind, host.upper(), category, "", message,
                str(counter[host] - 11)]
        return f"{ts_bsd(t)} {host}.corp.ru " + "\t".join(cols)

    while True:
        t = pace.tick()
        if t >= brute and not guessed:  # a burst: one failure every few seconds, then the lockout
            guessed = True
            ip = ATTACKERS[1]
            for k in range(BRUTE_TRIES):
                brute += r.between(2, 9)
                yield line(brute, "dc01", 2, "Security", 4625, AUDIT, "N/A", "N/A", "Failure Audit", "Logon",
                           f"An account failed to log on.   Account Name: {r.pick([victim, 'administrator'])}   "
                           f"Account Domain: {NETBIOS}   Failure Reason: Unknown user name or bad password.   "
                           f"Logon Type: 10   Source Network Address: {ip}   Source Port: {r.between(40000, 65000)}")
                if k == 9:
                    yield line(brute, "dc01", 3, "Security", 4740, AUDIT, victim, "User", "Success Audit",
                               "User Account Management", f"A user account was locked out.   Account Name: {victim}"
                               "   Caller Computer Name: DC01")
            pace.t = max(pace.t, brute)
        roll = r.random()
        who = r.between(0, len(ACCOUNTS) - 1)
        user, ip = ACCOUNTS[who], WORKSTATIONS[who]
        dc = r.pick(DCS)
        if roll < 0.45:
            yield line(t, dc, 0, "Security", 4624, AUDIT, user, "User", "Success Audit", "Logon",
                       f"An account was successfully logged on.   Account Name: {user}   Account Domain: {NETBIOS}   "
                       f"Logon Type: 3   Source Network Address: {ip}   Source Port: 0")
        elif roll < 0.75:
            yield line(t, dc, 0, "Security", 4634, AUDIT, user, "User", "Success Audit", "Logoff",
                       f"An account was logged off.   Account Name: {user}   Account Domain: {NETBIOS}   Logon Type: 3")
        elif roll < 0.82:
            yield line(t, dc, 0, "Security", 4672, AUDIT, "adm_" + user, "User", "Success Audit", "Special Logon",
                       f"Special privileges assigned to new logon.   Account Name: adm_{user}   "
                       "Privileges: SeBackupPrivilege SeDebugPrivilege")
        elif roll < 0.96:
            svc = r.pick(SERVICES)
            state = "running" if r.chance(0.5) else "stopped"
            yield line(t, r.pick(SERVERS), 0, "System", 7036, "Service Control Manager", "N/A", "N/A", "Information",
                       "None", f"The {svc} service entered the {state} state.")
        elif roll < 0.985:
            yield line(t, r.pick(SERVERS), 2, "System", 7000, "Service Control Manager", "N/A", "N/A", "Error", "None",
                       f"The {r.pick(SERVICES)} service failed to start due to the following error: "
                       "The service did not respond to the start or control request in a timely fashion.")
        else:
            yield line(t, "rx01", 1, "Application", 1000, "Application Error", "N/A", "N/A", "Error",
                       "Application Crashing Events", "Faulting application name: Sungero.WorkerService.exe, "
                       f"version: 4.2.0.{r.between(1, 99):04d}, faulting module name: KERNELBASE.dll")
