"""Every string of the web UI, in Russian and English: one table, served to the pages as JSON
(`/static/i18n.js`, and `/api/v1/i18n` as the JSON twin). The default language comes from the browser's
Accept-Language; the page's switch overrides it (remembered in the `lw_lang` cookie)."""

from __future__ import annotations

LANGS = ("ru", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app.title": {"ru": "logwarden — журналы", "en": "logwarden — logs"},
    "nav.search": {"ru": "Поиск", "en": "Search"},
    "nav.mail": {"ru": "Почта", "en": "Mail"},
    "nav.trace": {"ru": "Трасса", "en": "Trace"},
    "nav.api": {"ru": "API", "en": "API"},
    "nav.logout": {"ru": "Выйти", "en": "Log out"},
    "login.title": {"ru": "Вход в logwarden", "en": "Sign in to logwarden"},
    "login.user": {"ru": "Имя пользователя", "en": "User name"},
    "login.password": {"ru": "Пароль", "en": "Password"},
    "login.submit": {"ru": "Войти", "en": "Sign in"},
    "login.error": {"ru": "Неверное имя пользователя или пароль.", "en": "Wrong user name or password."},
    "search.placeholder": {"ru": "Запрос, например: level:>=error source:zimbra",
                           "en": "Query, e.g. level:>=error source:zimbra"},
    "search.submit": {"ru": "Найти", "en": "Search"},
    "search.help": {"ru": "Язык запросов", "en": "Query language"},
    "search.help.text": {
        "ru": "Слова ищутся целиком в тексте записи, «фраза» — как подстрока; поле:значение — точное совпадение; "
              "level:>=warn — сравнение уровней; -слово — исключение; OR и скобки; client_ip:10.0.0.0/8 — сеть; "
              "message:~\"re2\" — регулярное выражение. После | — stats, sort, limit, fields.",
        "en": "Words match whole tokens of the record, a \"phrase\" matches as a substring; field:value is an exact "
              "match; level:>=warn compares levels; -word excludes; OR and parentheses; client_ip:10.0.0.0/8 is a "
              "network; message:~\"re2\" is a regex. After | come stats, sort, limit, fields."},
    "search.examples": {"ru": "Примеры", "en": "Examples"},
    "range.label": {"ru": "Период", "en": "Time range"},
    "range.15m": {"ru": "15 минут", "en": "15 minutes"},
    "range.1h": {"ru": "1 час", "en": "1 hour"},
    "range.24h": {"ru": "24 часа", "en": "24 hours"},
    "range.7d": {"ru": "7 дней", "en": "7 days"},
    "range.30d": {"ru": "30 дней", "en": "30 days"},
    "range.all": {"ru": "Всё время", "en": "All time"},
    "range.custom": {"ru": "Свой период", "en": "Custom"},
    "range.from": {"ru": "С (UTC)", "en": "From (UTC)"},
    "range.to": {"ru": "По (UTC)", "en": "To (UTC)"},
    "hist.title": {"ru": "Записей по времени", "en": "Hits over time"},
    "hist.step": {"ru": "шаг", "en": "step"},
    "facets.title": {"ru": "Значения", "en": "Facets"},
    "facet.level": {"ru": "Уровень", "en": "Level"},
    "facet.source": {"ru": "Система", "en": "Source"},
    "facet.service": {"ru": "Служба", "en": "Service"},
    "facet.host": {"ru": "Хост", "en": "Host"},
    "facet.user": {"ru": "Пользователь", "en": "User"},
    "facet.client_ip": {"ru": "IP клиента", "en": "Client IP"},
    "facet.add": {"ru": "Добавить в запрос", "en": "Add to the query"},
    "facet.exclude": {"ru": "Исключить", "en": "Exclude"},
    "results.title": {"ru": "Записи", "en": "Events"},
    "results.found": {"ru": "найдено", "en": "found"},
    "results.none": {"ru": "Ничего не найдено.", "en": "Nothing found."},
    "results.newer": {"ru": "← Новее", "en": "← Newer"},
    "results.older": {"ru": "Старее →", "en": "Older →"},
    "results.page": {"ru": "Страница", "en": "Page"},
    "results.elapsed": {"ru": "мс", "en": "ms"},
    "col.ts": {"ru": "Время (UTC)", "en": "Time (UTC)"},
    "col.level": {"ru": "Уровень", "en": "Level"},
    "col.source": {"ru": "Система", "en": "Source"},
    "col.host": {"ru": "Хост", "en": "Host"},
    "col.service": {"ru": "Служба", "en": "Service"},
    "col.message": {"ru": "Запись", "en": "Record"},
    "export.title": {"ru": "Выгрузить", "en": "Export"},
    "tail.start": {"ru": "Следить", "en": "Live tail"},
    "tail.stop": {"ru": "Остановить", "en": "Stop"},
    "tail.on": {"ru": "Новые записи появляются сверху.", "en": "New events appear on top."},
    "event.title": {"ru": "Запись", "en": "Event"},
    "event.fields": {"ru": "Поля", "en": "Fields"},
    "event.raw": {"ru": "Исходная запись", "en": "Raw record"},
    "event.context": {"ru": "Контекст в файле", "en": "Context in its file"},
    "event.trace": {"ru": "Вся трасса", "en": "Whole trace"},
    "event.back": {"ru": "← К поиску", "en": "← Back to search"},
    "event.json": {"ru": "JSON", "en": "JSON"},
    "event.notfound": {"ru": "Запись не найдена.", "en": "Event not found."},
    "trace.title": {"ru": "Трасса", "en": "Trace"},
    "trace.id": {"ru": "ID трассы, запроса или очереди", "en": "Trace, request or queue id"},
    "trace.open": {"ru": "Показать", "en": "Show"},
    "trace.records": {"ru": "записей", "en": "records"},
    "mail.title": {"ru": "Почтовые потоки", "en": "Mail flows"},
    "mail.sender": {"ru": "Отправитель", "en": "Sender"},
    "mail.recipient": {"ru": "Получатель", "en": "Recipient"},
    "mail.queue_id": {"ru": "ID очереди", "en": "Queue id"},
    "mail.message_id": {"ru": "Message-ID", "en": "Message-ID"},
    "mail.find": {"ru": "Найти письма", "en": "Find messages"},
    "mail.none": {"ru": "Писем не найдено.", "en": "No messages found."},
    "mail.status": {"ru": "Статус", "en": "Status"},
    "nav.requests": {"ru": "Запросы", "en": "Requests"},
    "requests.title": {"ru": "Запросы клиентов VK Teams и ответы на них",
                       "en": "VK Teams client requests and their responses"},
    "requests.method": {"ru": "Метод API", "en": "API method"},
    "requests.status": {"ru": "Код статуса", "en": "Status code"},
    "requests.orphans": {"ru": "Только без пары", "en": "Unpaired only"},
    "requests.find": {"ru": "Показать", "en": "Show"},
    "requests.outcome": {"ru": "Итог", "en": "Outcome"},
    "requests.latency": {"ru": "Задержка, с", "en": "Latency, s"},
    "requests.meaning": {"ru": "Значение", "en": "Meaning"},
    "error.title": {"ru": "Ошибка", "en": "Error"},
    "error.network": {"ru": "Сервер не отвечает.", "en": "The server does not answer."},
    "lang.switch": {"ru": "English", "en": "Русский"},
    "loading": {"ru": "Загрузка…", "en": "Loading…"},
}

EXAMPLES = (
    '"invalid password" | stats count() as n by (client_ip) | sort by n desc | limit 10',
    "level:>=error source:zimbra",
    "user:olga.smirnova@corp.ru",
    "client_ip:10.0.0.0/8 OR client_ip:192.168.0.0/16",
    "status:>=500 | stats count() by (host)",
    'message:~"size=[0-9]{6,}"',
)


def pick_lang(accept_language: str | None, cookie: str | None = None) -> str:
    """The UI language: the `lw_lang` cookie when set, else the first of ours in Accept-Language, else ru."""
    if cookie in LANGS:
        return cookie  # type: ignore[return-value]
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.strip().lower()[:2]
        if lang not in LANGS:
            continue
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if best is None or weight > best[0]:  # ties: the earlier one
            best = (weight, lang)
    return best[1] if best else "ru"


def table(lang: str) -> dict[str, str]:
    return {key: texts[lang] for key, texts in STRINGS.items()}
