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


DEFAULTS = {"data_dir": _default_data_dir(), "formats_dir": "", "timezone": "",
            # the server (`logwarden serve`); see logwarden.server.config for the config file
            "config": "", "http": "127.0.0.1:8080", "syslog_udp": "", "syslog_tcp": "",
            "syslog_tls": "", "tls_cert": "", "tls_key": "",
            "admin_password": "", "ingest_max_pending_mb": "256", "ingest_flush_ms": "250",
            "ingest_batch_mb": "8", "session_hours": "12"}

DATA_DIR = Setting("data_dir", "LOGWARDEN_DATA_DIR", "where events are stored (one process owns it)")
FORMATS_DIR = Setting("formats_dir", "LOGWARDEN_FORMATS_DIR", "a folder of extra or overriding format files")
TIMEZONE = Setting("timezone", "LOGWARDEN_TIMEZONE", "zone for timestamps that carry none (default: the machine's)")

# -- the server: flag > environment > config file ([server] table) > default -------------------------
CONFIG = Setting("config", "LOGWARDEN_CONFIG", "a TOML config file ([server] keys as below, [cdn.accounts.NAME])")
HTTP = Setting("http", "LOGWARDEN_HTTP", "address the HTTP API and UI listen on (HOST:PORT; empty: off)")
SYSLOG_UDP = Setting("syslog_udp", "LOGWARDEN_SYSLOG_UDP", "address for syslog over UDP (HOST:PORT; empty: off)")
SYSLOG_TCP = Setting("syslog_tcp", "LOGWARDEN_SYSLOG_TCP", "address for syslog over TCP (HOST:PORT; empty: off)")
SYSLOG_TLS = Setting("syslog_tls", "LOGWARDEN_SYSLOG_TLS",
                     "address for syslog over TLS, RFC 5425 (HOST:PORT; empty: off; needs tls_cert and tls_key)")
TLS_CERT = Setting("tls_cert", "LOGWARDEN_TLS_CERT", "the syslog TLS listener's certificate (PEM file, chain after it)")
TLS_KEY = Setting("tls_key", "LOGWARDEN_TLS_KEY", "the syslog TLS listener's private key (PEM file, unencrypted)")
ADMIN_PASSWORD = Setting("admin_password", "LOGWARDEN_ADMIN_PASSWORD",
                         "the first admin's password, used once when the server creates it (default: random, printed)")
INGEST_MAX_PENDING_MB = Setting("ingest_max_pending_mb", "LOGWARDEN_INGEST_MAX_PENDING_MB",
                                "received but not yet stored data above which ingest answers 429 / stops reading")
INGEST_FLUSH_MS = Setting("ingest_flush_ms", "LOGWARDEN_INGEST_FLUSH_MS", "longest wait before received records are parsed")
INGEST_BATCH_MB = Setting("ingest_batch_mb", "LOGWARDEN_INGEST_BATCH_MB", "most data parsed in one engine batch")
SESSION_HOURS = Setting("session_hours", "LOGWARDEN_SESSION_HOURS", "how long a UI login lasts")
SERVER_SETTINGS = (HTTP, SYSLOG_UDP, SYSLOG_TCP, ADMIN_PASSWORD, INGEST_MAX_PENDING_MB, INGEST_FLUSH_MS,
                   INGEST_BATCH_MB, SESSION_HOURS, SYSLOG_TLS, TLS_CERT, TLS_KEY)


def timezone(value: str | None) -> str:
    return value or TIMEZONE.default() or _machine_timezone()
