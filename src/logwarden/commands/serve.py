"""`logwarden serve`: run the server (HTTP API and UI, syslog listeners, live ingest) on the data directory."""

from __future__ import annotations

from typing import Any

import click

from logwarden import settings


def register(cli: Any) -> None:
    from logwarden.cli import Context, _errors

    @cli.command()
    @click.option("--http", default=None, help=f"{settings.HTTP.help} [env {settings.HTTP.env}; default "
                                                   f"{settings.DEFAULTS['http']}]")
    @click.option("--syslog-udp", default=None, help=f"{settings.SYSLOG_UDP.help} [env {settings.SYSLOG_UDP.env}]")
    @click.option("--syslog-tcp", default=None, help=f"{settings.SYSLOG_TCP.help} [env {settings.SYSLOG_TCP.env}]")
    @click.option("--syslog-tls", default=None, help=f"{settings.SYSLOG_TLS.help} [env {settings.SYSLOG_TLS.env}]")
    @click.option("--tls-cert", default=None, help=f"{settings.TLS_CERT.help} [env {settings.TLS_CERT.env}]")
    @click.option("--tls-key", default=None, help=f"{settings.TLS_KEY.help} [env {settings.TLS_KEY.env}]")
    @click.option("--config", "config_file", default=None,
                  help=f"{settings.CONFIG.help} [env {settings.CONFIG.env}]")
    @click.option("--timezone", default=None, help=settings.TIMEZONE.help)
    @click.pass_obj
    @_errors
    def serve(obj: Context, http: str | None, syslog_udp: str | None, syslog_tcp: str | None,
              syslog_tls: str | None, tls_cert: str | None, tls_key: str | None,
              config_file: str | None, timezone: str | None) -> None:
        """Run the server: HTTP API and UI, syslog over UDP/TCP/TLS, live ingest.

        While it runs, the CLI on this machine (ingest, search, …) goes through it. Port 0 picks a free port
        (printed, and written to DATA_DIR/server/info.json).
        """
        import sys

        from logwarden.server.config import load_config
        from logwarden.server.process import serve as run

        tz = settings.timezone(timezone)
        config = load_config(obj.data_dir, obj.formats_dir, tz, config_file, http=http, syslog_udp=syslog_udp,
                             syslog_tcp=syslog_tcp, syslog_tls=syslog_tls, tls_cert=tls_cert, tls_key=tls_key)
        sys.exit(run(config))
