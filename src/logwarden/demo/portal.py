"""The corporate portal's audit journals as its admin section exports them: one .xlsx per journal
("Сохранить xlsx"), newest first, with the journal's Russian column titles; and the same rows as JSON lines.

Journals and titles follow the portal's documentation where it names them (authorization, points, actions,
impersonation, outgoing webhooks); the password-import, errors, users and services journals are described
there only in words, so their titles here are the closest reading of those words (see docs/formats.md).
Stories in the data: a password-guessing run against two accounts (attempts 1…9 from one address, ldap
then local), 2FA and OAuth logins, an administrator impersonating a user and changing her password (the
password is in the request data: it must come out masked), LDAP settings changed, webhook failures.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .pools import ATTACKERS, MOBILE_IPS, PEOPLE, WORKSTATIONS, Pace, Rng

Row = list[Any]
PORTAL = "https://portal.corp.ru"
# Cyrillic names of the first people of pools.PEOPLE (same e-mail addresses as the other demo systems).
NAMES = ["Иван Петров", "Ольга Смирнова", "Сергей Иванов", "Елена Кузнецова", "Дмитрий Соколов",
         "Наталья Попова", "Алексей Лебедев", "Ирина Козлова", "Андрей Новиков", "Татьяна Морозова",
         "Михаил Волков", "Светлана Соловьёва"]
EMAILS = [f"{f}.{s}@corp.ru" for f, s, _ in PEOPLE[: len(NAMES)]]
ADMINS = [0, 2, 8]  # indexes of the portal's administrators
LEAKED_PASSWORD = "Vesna2026!Kotik"  # typed by an administrator while impersonating; must never be stored

# journal -> (file stem, sheet title, column titles)
JOURNALS: dict[str, tuple[str, str, list[str]]] = {
    "auth": ("auth_log", "Лог авторизации", ["ID", "Дата авторизации", "Учётная запись", "Логин", "Тип авторизации",
                                              "Статус", "Номер попытки", "IP-адрес", "Тип устройства", "Браузер"]),
    "points": ("points_log", "Лог баллов", ["ID", "Дата события", "Инициатор", "Действие", "Цель", "Изменение"]),
    "actions": ("actions_log", "Лог действий", ["ID", "Дата события", "Инициатор", "Действие", "Цель", "Изменения",
                                                 "Комментарий"]),
    "password_import": ("password_import_log", "Лог импорта паролей",
                        ["#", "Дата и время импорта", "Кто производил импорт", "Статус загрузки",
                         "Кому загружен пароль"]),
    "impersonation": ("impersonation_log", "Лог маскировки",
                      ["ID", "Дата начала", "Замаскированный пользователь", "Оригинальный пользователь", "URL",
                       "Тип запроса", "Данные"]),
    "errors": ("errors_log", "Лог ошибок", ["ID", "Время возникновения", "Страница", "Код ошибки"]),
    "users": ("users_log", "Лог пользователей", ["ID", "Дата события", "Инициатор", "Действие", "Пользователь",
                                                  "Изменения"]),
    "services": ("services_log", "Лог сервисов", ["ID", "Дата события", "Инициатор", "Сервис", "Событие", "Статус"]),
    "webhooks": ("webhooks_log", "Лог исходящих вебхуков", ["ID", "Дата", "Статус", "Код", "Вебхук", "Триггер",
                                                             "Запрос", "Ответ"]),
}
_BROWSERS = ["Chrome 122.0.6261", "Firefox 123.0", "Яндекс Браузер 24.1.0", "Edge 122.0.2365", "Safari 17.3"]


def _dt(t: float) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=int(t))


def _person(rng: Rng) -> int:
    return rng.between(0, len(NAMES) - 1)


def _auth(rng: Rng, t: float, out: list[Row]) -> None:
    i = _person(rng)
    ip = WORKSTATIONS[i] if rng.chance(0.7) else rng.pick(MOBILE_IPS)
    mobile = ip in MOBILE_IPS and rng.chance(0.6)
    device = "Мобильный" if mobile else "Компьютер"
    browser = "Мобильное приложение" if mobile and rng.chance(0.5) else rng.pick(_BROWSERS)
    account = f"{NAMES[i]} ({EMAILS[i]})"
    kind = rng.pick(["Локальная", "ldap", "ldap", "OAuth/KeyCloak", "OAuth/AD FS", "2FA"])
    if kind.startswith("OAuth"):
        out.append([_dt(t), account, "", kind, "Успешно", "", ip, device, browser])
    elif kind == "2FA":  # first the local factor, then the second one
        ok = rng.chance(0.85)
        out.append([_dt(t), account, EMAILS[i], "Локальная", "Успешно", 1, ip, device, browser])
        out.append([_dt(t + 20), account, EMAILS[i], "2FA", "Успешно" if ok else "Неуспешно", 1, ip, device, browser])
    elif rng.chance(0.1):  # a mistyped password: ldap fails, then local fails, with the same attempt number
        out.append([_dt(t), account, EMAILS[i], "ldap", "Неуспешно", 1, ip, device, browser])
        out.append([_dt(t), account, EMAILS[i], "Локальная", "Неуспешно", 1, ip, device, browser])
        out.append([_dt(t + 9), account, EMAILS[i], "ldap", "Успешно", 2, ip, device, browser])
    else:
        out.append([_dt(t), account, EMAILS[i], kind, "Успешно", 1, ip, device, browser])


def _guessing(rng: Rng, t: float, out: list[Row]) -> None:
    """A run of failed logins from one address: attempts 1..9 (locked after 8), and an unknown login."""
    ip = rng.pick(ATTACKERS)
    i = _person(rng)
    for n in range(1, 10):
        out.append([_dt(t + n * 7), f"{NAMES[i]} ({EMAILS[i]})", EMAILS[i], "ldap", "Неуспешно", n, ip, "Компьютер",
                    "Chrome 99.0.4844"])
        out.append([_dt(t + n * 7), f"{NAMES[i]} ({EMAILS[i]})", EMAILS[i], "Локальная", "Неуспешно", n, ip,
                    "Компьютер", "Chrome 99.0.4844"])
    out.append([_dt(t + 80), "Пользователь не обнаружен", "admin", "Локальная", "Неуспешно", 1, ip, "Компьютер",
                "Chrome 99.0.4844"])


_MATERIALS = ["Новость: Итоги квартала", "Мероприятие: День открытых дверей", "Урок: Фишинговые письма",
              "Учебный план: Адаптация новых сотрудников", "Тестирование: Информационная безопасность 2026",
              "Опрос: Удовлетворённость сервисами ИТ", "Коннект Политика и соглашение"]
_ACTIONS = ["Обновил", "Обновил", "Создал", "Удалил", "Восстановил", "Деактивировал", "Активировал",
            "Обновил назначения", "Обновил доступы", "Отменил"]


def _actions(rng: Rng, t: float, out: list[Row]) -> None:
    who = NAMES[rng.pick(ADMINS)]
    r = rng.random()
    if r < 0.05:
        out.append([_dt(t), who, "Обновил", "Настройки → LDAP/AD",
                    ("Хост: ldap01.corp.ru → Хост: ldap02.corp.ru\n"
                    "Пароль служебной учётной записи: ******** → Пароль служебной учётной записи: ********"), ""])
    elif r < 0.15:
        i = _person(rng)
        badge = rng.between(10, 40)
        out.append([_dt(t), "Система", "Обновил", NAMES[i], f"Бейджи: Наставник → Бейджи: Наставник, Эксперт {badge}",
                    f"POST {PORTAL}/public/api/v1/badge/{badge}/assign {WORKSTATIONS[rng.pick(ADMINS)]}"])
    elif r < 0.2:
        i = _person(rng)
        out.append([_dt(t), who, "Обновил пароль", NAMES[i], "", ""])
    else:
        action = rng.pick(_ACTIONS)
        changes = ""
        if action == "Обновил":
            changes = rng.pick(["Название: Итоги квартала → Название: Итоги I квартала 2026",
                                ("Активность: Нет → Активность: Да\nДата публикации: 01.03.2026 → Дата публикации: "
                                "02.03.2026"), "Проходной балл: 70 → Проходной балл: 80"])
        elif action == "Деактивировал":
            changes = "Активность: Да → Активность: Нет"
        out.append([_dt(t), who, action, rng.pick(_MATERIALS), changes, ""])


def _points(rng: Rng, t: float, out: list[Row]) -> None:
    who = NAMES[rng.pick(ADMINS)]
    if rng.chance(0.2):
        out.append([_dt(t), who, "Обновил", "Валюта для покупки призов",
                    'Изменено значение параметра "Валюта для покупки призов": Старое - Из кармы, Новое - Из обучения'])
        return
    name = rng.pick(["Баллы за прохождение курса", "Баллы кармы за комментарий", "Баллы за участие в опросе"])
    old = rng.between(1, 20)
    out.append([_dt(t), who, "Обновил", name,
                f'Изменено значение параметра "{name}": Старое - {old}, Новое - {old + rng.between(1, 10)}'])


def _password_import(rng: Rng, t: float, out: list[Row]) -> None:
    who = NAMES[rng.pick(ADMINS)]
    for k in range(rng.between(2, 5)):
        i = _person(rng)
        status = "Успешно" if rng.chance(0.85) else "Неуспешно"
        out.append([_dt(t + k).strftime("%Y-%m-%d %H:%M:%S"), who, status, f"{NAMES[i]} (УИ: {100200 + i})"])


def _impersonation(rng: Rng, t: float, out: list[Row]) -> None:
    admin, i = NAMES[rng.pick(ADMINS)], _person(rng)
    out.append([_dt(t), admin, NAMES[i], f"{PORTAL}/api/v1/profile", "GET", ""])
    out.append([_dt(t + 30), admin, NAMES[i], f"{PORTAL}/api/v1/profile/settings", "PUT",
                json.dumps({"language": "ru", "notifications": {"email": rng.chance(0.5)}}, ensure_ascii=False)])
    if rng.chance(0.3):
        out.append([_dt(t + 55), admin, NAMES[i], f"{PORTAL}/api/v1/profile/password", "POST",
                    json.dumps({"oldPassword": "Zima2025!", "password": LEAKED_PASSWORD,
                                "passwordConfirm": LEAKED_PASSWORD})])


def _errors(rng: Rng, t: float, out: list[Row]) -> None:
    page = rng.pick(["/courses/{n}", "/news/{n}", "/api/v1/events/{n}", "/admin/logs/actions", "/shop/prizes/{n}"])
    out.append([_dt(t), PORTAL + page.format(n=rng.between(100, 999)), rng.pick([404, 404, 403, 500, 502, 500, 504])])


def _users(rng: Rng, t: float, out: list[Row]) -> None:
    who, i = NAMES[rng.pick(ADMINS)], _person(rng)
    action = rng.pick(["Обновил", "Обновил", "Деактивировал", "Активировал", "Удалил", "Восстановил"])
    changes = {"Обновил": "Должность: Инженер → Должность: Ведущий инженер\nОтдел: ИТ → Отдел: Информационная "
                          "безопасность",
               "Деактивировал": "Активен: Да → Активен: Нет", "Активировал": "Активен: Нет → Активен: Да"}
    out.append([_dt(t), who, action, NAMES[i], changes.get(action, "")])


def _services(rng: Rng, t: float, out: list[Row]) -> None:
    service = rng.pick(["Active Directory", "1С:ЗУП", "Яндекс 360", "Outlook-календарь"])
    ok = rng.chance(0.85)
    event = rng.pick(["Синхронизация пользователей", "Синхронизация оргструктуры"]) if ok else "Ошибка синхронизации"
    out.append([_dt(t), NAMES[rng.pick(ADMINS)] if rng.chance(0.3) else "Система", service, event,
                "Успешно" if ok else "Неуспешно"])


def _webhooks(rng: Rng, t: float, out: list[Row]) -> None:
    hook, url, trigger = rng.pick([("Новые сотрудники в HR", "https://hr.corp.ru/hooks/portal", "Создание пользователя"),
                                   ("Итоги обучения в 1С", "https://1c.corp.ru/hs/portal/courses", "Завершение курса")])
    body = json.dumps({"event": trigger, "userId": 100200 + _person(rng)}, ensure_ascii=False)
    request = (f"POST {url}\nContent-Type: application/json\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.{rng.hex(24)}"
               f"\n\n{body}")
    r = rng.random()
    if r < 0.8:
        out.append([_dt(t), "Успешно", 200, hook, trigger, request, ('HTTP/1.1 200 OK\nContent-Type: application/json'
                    '\n\n{"ok":true}')])
    elif r < 0.9:
        out.append([_dt(t), "Ошибка", 500, hook, trigger, request, "HTTP/1.1 500 Internal Server Error\n\nupstream down"])
    else:
        out.append([_dt(t), "Ошибка", "ошибка", hook, trigger, request, ""])


_MAKERS: dict[str, Callable[[Rng, float, list[Row]], None]] = {
    "auth": _auth, "points": _points, "actions": _actions, "password_import": _password_import,
    "impersonation": _impersonation, "errors": _errors, "users": _users, "services": _services,
    "webhooks": _webhooks,
}
_COUNTS = {"auth": 300, "points": 20, "actions": 120, "password_import": 10, "impersonation": 12, "errors": 60,
           "users": 40, "services": 30, "webhooks": 50}


def journal_rows(rng: Rng, journal: str, start: float, end: float, n: int | None = None) -> list[Row]:
    """Rows of one journal (without their ID), newest first as the portal lists and exports them; the ID column
    counts up with time."""
    n = n or _COUNTS[journal]
    pace = Pace(rng, start, end, n)
    ticks = [pace.tick() for _ in range(n)]
    stretch = (end - start) / max(ticks[-1] - start, 1.0)  # a short journal's pace may run past the end
    rows: list[Row] = []
    for k, tick in enumerate(ticks):
        t = start + (tick - start) * min(1.0, stretch)
        if journal == "auth" and k % 60 == 30:
            _guessing(rng, t, rows)
        else:
            _MAKERS[journal](rng, t, rows)
    first_id = 1000 + int(rng.random() * 9000)
    numbered = [[first_id + k, *row] for k, row in enumerate(rows)]
    return numbered[::-1]


def write_xlsx(path: Path, journal: str, rows: list[Row]) -> Path:
    """One journal's export: a bold title row, then the rows; dates as real date cells."""
    import xlsxwriter

    _, sheet, titles = JOURNALS[journal]
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_urls": False})
    try:
        book.set_properties({"created": datetime(2026, 3, 4, 12, 0, 0)})  # fixed: the same bytes every run
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
        ws = book.add_worksheet(sheet[:31])
        ws.write_row(0, 0, titles, bold)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    ws.write_datetime(r, c, value, when)
                elif value != "":
                    ws.write(r, c, value)
    finally:
        book.close()
    return path


def jsonl_lines(journal: str, rows: list[Row]) -> Iterator[str]:
    """The same rows as JSON lines, exactly as ingest turns the .xlsx export's rows into records."""
    from logwarden.ingest.xlsx import row_json

    titles = JOURNALS[journal][2]
    for row in rows:
        yield row_json(titles, row)


def write_portal(out: Path, rng: Rng, start: float, end: float, scale: int = 1) -> list[Path]:
    """The demo's exports: one .xlsx per journal, and the points journal (which the portal does not export) as
    JSON lines."""
    files = []
    for journal, (stem, _, _) in JOURNALS.items():
        rows = journal_rows(rng, journal, start, end, _COUNTS[journal] * scale)
        if journal == "points":
            path = out / f"{stem}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(line + "\n" for line in jsonl_lines(journal, rows)), encoding="utf-8")
            files.append(path)
        else:
            files.append(write_xlsx(out / f"{stem}.xlsx", journal, rows))
    return files
