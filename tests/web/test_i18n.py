"""The UI's one string table and the language choice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from logwarden.web import i18n

STATIC = Path(i18n.__file__).parent / "static"


def test_every_string_in_every_language() -> None:
    for key, texts in i18n.STRINGS.items():
        assert set(texts) == set(i18n.LANGS), key
        assert all(v.strip() for v in texts.values()), key


def test_every_key_the_pages_use_exists() -> None:
    used: set[str] = set()
    for path in STATIC.glob("*.*"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([a-z0-9_.]+)"', text))
        used |= set(re.findall(r'"data-i18n(?:-placeholder|-title)?": "([a-z0-9_.]+)"', text))
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"\)', text))
    dynamic = {f"range.{k}" for k in ("15m", "1h", "24h", "7d", "30d", "all", "custom")}
    dynamic |= {f"facet.{k}" for k in ("level", "source", "service", "host", "user", "client_ip")}
    dynamic |= {f"mail.{k}" for k in ("sender", "recipient", "queue_id", "message_id")}
    used = {k for k in used if not k.endswith(".")}  # prefixes of the keys built in code (listed above)
    missing = (used | dynamic) - set(i18n.STRINGS)
    assert not missing
    assert len(used) > 40


@pytest.mark.parametrize(("header", "cookie", "lang"), [
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", None, "ru"),
    ("en-US,en;q=0.9,ru;q=0.8", None, "en"),
    ("de-DE,de;q=0.9,en;q=0.5", None, "en"),
    ("de-DE", None, "ru"),
    (None, None, "ru"),
    ("ru;q=0.3,en;q=0.7", None, "en"),
    ("en-US,en;q=0.9", "ru", "ru"),
    ("en-US", "xx", "en"),
    ("en;q=abc,ru", None, "ru"),
])
def test_language_from_accept_language_or_cookie(header: str | None, cookie: str | None, lang: str) -> None:
    assert i18n.pick_lang(header, cookie) == lang
