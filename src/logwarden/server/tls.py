"""Syslog over TLS (RFC 5425): the server's TLS context. The records inside use the TCP listener's framing
(octet counting, as RFC 5425 asks, or newlines), read by the same `SyslogTcp` protocol."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

from logwarden.errors import UsageError

log = logging.getLogger("logwarden.server")


class _LoggedSSLObject(ssl.SSLObject):
    """Says why a client failed the handshake (asyncio drops the connection silently); the other connections
    are not touched and nothing of this one is stored."""

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as exc:
            log.warning("syslog TLS: a client failed the handshake (%s); its connection is closed",
                        exc.reason or exc)
            raise


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context (TLS 1.2 or later) from PEM files; a bad file is a usage error naming it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    cert_path, key_path = Path(cert).expanduser(), Path(key).expanduser()
    try:
        ctx.load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"cannot load the TLS certificate {cert_path} with the key {key_path}: "
                         f"{getattr(exc, 'reason', None) or exc}; give a PEM certificate (--tls-cert) and its "
                         "unencrypted PEM private key (--tls-key)") from None
    # No TLS 1.3 session tickets: syslog connections are long-lived, and a client that sends its records and
    # closes without reading the tickets makes its kernel reset the connection, losing what was still in flight.
    ctx.num_tickets = 0
    ctx.sslobject_class = _LoggedSSLObject
    return ctx
