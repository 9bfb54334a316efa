"""The server's configuration: flags, environment and the config file, resolved once into `ServerConfig`.

Precedence: a command-line flag, then the environment variable, then the config file, then the default
(`logwarden.settings` names every knob once). The config file is TOML:

    [server]
    http = "0.0.0.0:8080"
    syslog_tcp = "0.0.0.0:5514"
    syslog_tls = "0.0.0.0:6514"     # RFC 5425; needs tls_cert and tls_key (PEM files)
    tls_cert = "/etc/logwarden/tls/server.crt"
    tls_key = "/etc/logwarden/tls/server.key"
    ingest_max_pending_mb = 512

    [cdn.accounts.partner1]
    token = "a-long-secret"
    sources = ["web", "nginx"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logwarden import settings
from logwarden.errors import UsageError


@dataclass(frozen=True)
class CdnAccount:
    """A CDN export account from `[cdn.accounts.NAME]`: its bearer token and the sources it may read."""

    name: str
    token: str
    sources: tuple[str, ...]


@dataclass
class ServerConfig:
    data_dir: Path
    formats_dir: Path | None = None
    timezone: str = "UTC"
    http: str = "127.0.0.1:8080"
    syslog_udp: str = ""
    syslog_tcp: str = ""
    syslog_tls: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    admin_password: str = ""
    ingest_max_pending_mb: int = 256
    ingest_flush_ms: int = 250
    ingest_batch_mb: int = 8
    session_hours: int = 12
    config_file: Path | None = None
    cdn_accounts: dict[str, CdnAccount] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the whole parsed file, for tables other code reads

    @property
    def max_pending_bytes(self) -> int:
        return self.ingest_max_pending_mb << 20

    @property
    def batch_bytes(self) -> int:
        return self.ingest_batch_mb << 20


def parse_address(value: str, what: str) -> tuple[str, int]:
    """`HOST:PORT` (or `[v6]:PORT`, or `:PORT` for all addresses) -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{what} {value!r} is not HOST:PORT (for example 127.0.0.1:5514)")
    return (host.strip("[]") or "0.0.0.0"), int(port)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None


def _cdn_accounts(data: dict[str, Any], path: Path | None) -> dict[str, CdnAccount]:
    accounts = data.get("cdn", {}).get("accounts", {})
    out: dict[str, CdnAccount] = {}
    for name, table in accounts.items():
        token = table.get("token", "") if isinstance(table, dict) else ""
        sources = table.get("sources", []) if isinstance(table, dict) else []
        if not isinstance(token, str) or not token:
            raise UsageError(f"{path}: [cdn.accounts.{name}] needs token = \"...\"")
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise UsageError(f"{path}: [cdn.accounts.{name}] sources must be a list of source names")
        out[name] = CdnAccount(name, token, tuple(sources))
    return out


def _check_tls_files(values: dict[str, Any]) -> None:
    """syslog_tls needs a readable certificate and key; checked before anything binds."""
    if not values["syslog_tls"]:
        return
    for name in ("tls_cert", "tls_key"):
        setting = next(s for s in settings.SERVER_SETTINGS if s.name == name)
        flag = "--" + name.replace("_", "-")
        if not values[name]:
            raise UsageError(f"syslog_tls needs {name} (a PEM file): give {flag}, {setting.env} or {name} in [server]")
        path = Path(values[name]).expanduser()
        try:
            with path.open("rb") as f:
                f.read(1)
        except OSError as exc:
            raise UsageError(f"cannot read the TLS {name.removeprefix('tls_')} file {path} ({name}): "
                             f"{exc.strerror or exc}; give a readable PEM file with {flag} or {setting.env}") from None


def load_config(data_dir: Path, formats_dir: Path | None = None, timezone: str = "UTC",
                config_file: str | None = None, **flags: str | None) -> ServerConfig:
    """Resolve every server setting. `flags` are the command-line values (None: not given)."""
    path_text = config_file or settings.CONFIG.default()
    path = Path(path_text).expanduser() if path_text else None
    data = _read_file(path) if path else {}
    server = data.get("server", {})
    if not isinstance(server, dict):
        raise UsageError(f"{path}: [server] must be a table")
    known = {s.name for s in settings.SERVER_SETTINGS}
    unknown = sorted(set(server) - known)
    if unknown:
        raise UsageError(f"{path}: unknown [server] key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for s in settings.SERVER_SETTINGS:
        flag = flags.get(s.name)
        if flag is not None:
            value: Any = flag
        elif os.environ.get(s.env):
            value = os.environ[s.env]
        elif s.name in server:
            value = server[s.name]
        else:
            value = settings.DEFAULTS.get(s.name, "")
        default = getattr(ServerConfig, s.name, "")
        if isinstance(default, int):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise UsageError(f"{s.name} must be a whole number, not {value!r} (from {s.env} or the config)") from None
        values[s.name] = str(value) if isinstance(default, str) else value
    for name in ("http", "syslog_udp", "syslog_tcp", "syslog_tls"):
        if values[name]:
            parse_address(values[name], name)
    _check_tls_files(values)
    return ServerConfig(data_dir=data_dir, formats_dir=formats_dir, timezone=timezone, config_file=path,
                        cdn_accounts=_cdn_accounts(data, path), raw=data, **values)
