"""Windows event logs as the Snare agent sends them over syslog (``MSWinEventLog``, tab-separated columns),
written to a file by the relay that receives them: the format `snare_windows`.

What they show: the domain controllers' logons and logoffs through the working day (the Directum accounts,
``petrov_is``…), a password-guessing run against RDP from an attacker's address (Failure Audit 4625, then the
account locked out, 4740) on the second day, and the member servers' System and Application logs (services
starting and stopping, now and then a service that fails to start or an application crash).

The accounting server ``buh01`` (1C:Enterprise) runs Windows with the Russian locale: its event types and
categories come in Russian ("Аудит успехов", "Аудит отказов", "Сведения", "Предупреждение", "Ошибка"; "Вход в
систему", "Отсутствует"…) and so do its messages; users log on over RDP, now and then mistype a password, and on
the third night an attacker's address tries passwords against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .pools import ATTACKERS, NETBIOS, PEOPLE, WORKSTATIONS, Pace, Rng, ts_bsd
from .vkteams_server import ts_ctime

DCS = ["dc01", "dc02"]
SERVERS = ["fs01", "rx01", "sql01"]
ACCOUNTS = [f"{s}_{f[0]}{p}" for f, s, p in PEOPLE]  # as Directum's Domain\user
AUDIT = "Microsoft-Windows-Security-Auditing"
SERVICES = ["Windows Update", "Background Intelligent Transfer Service", "Print Spooler", "Directum RX Worker",
            "SQL Server Agent (MSSQLSERVER)"]
BRUTE_TRIES = 40  # failed logons of the password-guessing run
RU_SERVER = "buh01"  # the member server with the Russian locale
RU_SHARE = 0.1  # of the records
RU_SERVICES = ["Агент сервера 1С:Предприятия 8.3", "Диспетчер печати", "Центр обновления Windows",
               "Фоновая интеллектуальная служба передачи (BITS)"]
RU_BRUTE_TRIES = 12


def snare_lines(rng: Rng, start: float, end: float, n: int) -> Iterator[str]:
    pace = Pace(rng, start, end, n)
    r = rng
    counter = {h: r.between(1000, 90000) for h in DCS + SERVERS}
    counter[RU_SERVER] = r.between(1000, 90000)
    brute = start + 86400 + 2 * 3600 + 17 * 60  # the second night, 02:17
    victim = ACCOUNTS[2]
    guessed = False
    ru_brute = start + 2 * 86400 + 3 * 3600 + 41 * 60  # the third night, 03:41, against the accounting server

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
        if t >= ru_brute:
            ip, ru_brute = ATTACKERS[3], end + 1
            for _ in range(RU_BRUTE_TRIES):
                t += r.between(3, 11)
                yield line(t, RU_SERVER, 2, "Security", 4625, AUDIT, "N/A", "N/A", "Аудит отказов", "Вход в систему",
                           _ru_failure(r.pick(["администратор", "buh", "1c"]), ip, r.between(40000, 65000)))
            pace.t = max(pace.t, t)
        if r.chance(RU_SHARE):
            yield _ru_record(r, t, line)
            continue
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


def _ru_failure(user: str, ip: str, port: int) -> str:
    return (f"Не удалось выполнить вход в учетную запись.   Имя учетной записи: {user}   Домен учетной записи: {NETBIOS}"
            "   Причина ошибки: Неизвестное имя пользователя или неверный пароль.   Тип входа: 10   "
            f"Сетевой адрес источника: {ip}   Порт источника: {port}")


def _ru_record(r: Rng, t: float, line: Callable[..., str]) -> str:
    """A record of the Russian-locale server: its event type, category and message in Russian."""
    roll = r.random()
    who = r.between(0, len(ACCOUNTS) - 1)
    user, ip = ACCOUNTS[who], WORKSTATIONS[who]
    if roll < 0.4:
        return line(t, RU_SERVER, 0, "Security", 4624, AUDIT, user, "User", "Аудит успехов", "Вход в систему",
                    f"Вход с учетной записью выполнен успешно.   Имя учетной записи: {user}   Домен учетной записи: "
                    f"{NETBIOS}   Тип входа: 10   Сетевой адрес источника: {ip}")
    if roll < 0.6:
        return line(t, RU_SERVER, 0, "Security", 4634, AUDIT, user, "User", "Аудит успехов", "Выход из системы",
                    f"Выполнен выход учетной записи из системы.   Имя учетной записи: {user}   Тип входа: 10")
    if roll < 0.72:  # a mistyped password from the user's own workstation
        return line(t, RU_SERVER, 1, "Security", 4625, AUDIT, "N/A", "N/A", "Аудит отказов", "Вход в систему",
                    _ru_failure(user, ip, r.between(49152, 65000)))
    if roll < 0.9:
        state = "Работает" if r.chance(0.5) else "Остановлена"
        return line(t, RU_SERVER, 0, "System", 7036, "Service Control Manager", "N/A", "N/A", "Сведения",
                    "Отсутствует", f"Служба \"{r.pick(RU_SERVICES)}\" перешла в состояние \"{state}\".")
    if roll < 0.97:
        return line(t, RU_SERVER, 1, "System", 129, "Microsoft-Windows-Time-Service", "N/A", "N/A", "Предупреждение",
                    "Отсутствует", "NtpClient не удалось задать контроллер домена в качестве источника времени. "
                    "Следующая попытка синхронизации через 15 мин.")
    return line(t, RU_SERVER, 2, "System", 7000, "Service Control Manager", "N/A", "N/A", "Ошибка", "Отсутствует",
                f"Служба \"{RU_SERVICES[0]}\" не запущена из-за следующей ошибки: Служба не ответила на запрос "
                "запуска или управления своевременно.")
