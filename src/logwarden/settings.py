"""Every runtime knob once: name, default, help. Flags and environment variables come from here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    help: str

    def default(self) -> str:
        return os.environ.get(self.env, "") or DEFAULTS.get(self.name, "")


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "logwarden")


def _machine_timezone() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:  # noqa: BLE001 - no zone info on the machine: UTC is the honest answer
        return "UTC"


DEFAULTS = {"data_dir": _default_data_dir(), "formats_dir": "", "timezone": ""}

DATA_DIR = Setting("data_dir", "LOGWARDEN_DATA_DIR", "where events are stored (one process owns it)")
FORMATS_DIR = Setting("formats_dir", "LOGWARDEN_FORMATS_DIR", "a folder of extra or overriding format files")
TIMEZONE = Setting("timezone", "LOGWARDEN_TIMEZONE", "zone for timestamps that carry none (default: the machine's)")


def timezone(value: str | None) -> str:
    return value or TIMEZONE.default() or _machine_timezone()
