"""FastAPI dependencies shared by every router.

    from logwarden.web.deps import ServerState, User, allowed_sources, current_user, get_state, require_role

    @router.get("/api/v1/things")
    async def things(user: User = Depends(require_role("admin", "auditor", "viewer")),
                     state: ServerState = Depends(get_state)):
        sources = allowed_sources(user)            # None: every source; a tuple: only these
        rows = await state.run(fetch_things, sources)   # fetch_things(store, sources) in the engine worker

Credentials accepted by `current_user` (first that is present wins):
  * `Authorization: Bearer TOKEN` — an API token (`logwarden token create`) or the local credential
    file's token (`<data_dir>/server/credential`, mode 0600, what the CLI uses on the server's machine);
  * `Authorization: Basic user:password` — a user's password (Argon2; failures go to the journal);
  * the UI session cookie `lw_session` (set by POST /api/v1/login).
Anything else is a 401 with `WWW-Authenticate: Basic realm="logwarden"` (a browser asks for a password).
Roles: admin, auditor, viewer (people) and ingest (tokens that may only send logs).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, HTTPException, Request, status

from logwarden.auth.model import ADMIN, AUDITOR, INGEST, TOKEN_ROLES, USER_ROLES, VIEWER, User
from logwarden.server.state import ServerState

__all__ = ["ADMIN", "AUDITOR", "INGEST", "SESSION_COOKIE", "TOKEN_ROLES", "USER_ROLES", "VIEWER", "ServerState",
           "User", "allowed_sources", "client_ip", "current_user", "get_state", "optional_user", "require_role"]

SESSION_COOKIE = "lw_session"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="logwarden", charset="UTF-8"'}


def get_state(request: Request) -> ServerState:
    """The running server's shared state (set by `create_app`)."""
    return request.app.state.lw  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=CHALLENGE)


async def optional_user(request: Request) -> User | None:
    """The caller, or None when no credential was sent. A credential that is wrong is a 401 (and a
    wrong password is written to logwarden's journal); UI pages use this to redirect to the login form."""
    cached = getattr(request.state, "lw_user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    state = get_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    user: User | None = None
    if scheme.lower() == "bearer" and value.strip():
        user = state.auth.check_token(value.strip())
        if user is None:
            await state.journal("auth", "rejected API token", level="warn", client_ip=client_ip(request),
                                fields={"reason": "unknown or revoked token", "path": request.url.path})
            await asyncio.sleep(state.auth.failed(client_ip(request)))
            raise _unauthorized("unknown or revoked API token")
    elif scheme.lower() == "basic" and value.strip():
        try:
            name, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _unauthorized("malformed Basic credentials") from None
        # Argon2 costs ~50 ms of CPU: off the event loop, so syslog and other requests keep flowing.
        user = await asyncio.to_thread(state.auth.check_password, name, password) if sep else None
        if user is None:
            await state.journal("auth", f"failed login for user {name!r} (HTTP Basic)", level="warn", user=name,
                                client_ip=client_ip(request), fields={"reason": "bad user or password",
                                                                      "path": request.url.path})
            await asyncio.sleep(state.auth.failed(client_ip(request)))
            raise _unauthorized("wrong user name or password")
    else:
        sid = request.cookies.get(SESSION_COOKIE, "")
        if sid:
            user = state.auth.check_session(sid)
    request.state.lw_user = user
    return user


async def current_user(user: User | None = Depends(optional_user)) -> User:
    """The authenticated caller; 401 (with a Basic challenge) when there is none."""
    if user is None:
        raise _unauthorized("authentication required: a password (HTTP Basic), an API token (Bearer) or a login")
    return user


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency that lets through only callers with one of `roles` (403 otherwise).

        @router.post("/api/v1/users", dependencies=[Depends(require_role("admin"))])"""

    async def check(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"role {user.role!r} may not do this (needs {' or '.join(roles)})")
        return user

    return check


def allowed_sources(user: User) -> tuple[str, ...] | None:
    """The source filter to apply to everything `user` reads: None means every source; a tuple lists the
    only sources it may see (possibly empty: nothing). Add `source IN {s:Array(String)}` when not None."""
    return user.sources
