"""Login, logout, who am I; users and API tokens (admin).

POST /api/v1/login     JSON {"user", "password"} or a form (user/username, password, next): sets the
                       session cookie; a form is redirected (303) to `next` (default /), JSON gets the user
POST /api/v1/logout    ends the session
GET  /api/v1/me        the caller
GET/POST /api/v1/users, PATCH/DELETE /api/v1/users/{name}      (admin; anyone may change their own password)
GET/POST /api/v1/tokens, DELETE /api/v1/tokens/{id}             (admin)
Failed logins are written to logwarden's own journal (source logwarden, service auth).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from logwarden.auth import accounts
from logwarden.auth.model import ADMIN, ROLE_HELP, User
from logwarden.errors import LogwardenError
from logwarden.store.chdb_store import Store
from logwarden.web.deps import SESSION_COOKIE, ServerState, client_ip, current_user, get_state, require_role

router = APIRouter(tags=["auth"])
admin_only = require_role(ADMIN)


def _user_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "sources": list(user.sources) if user.sources is not None else None,
            "via": user.via}


@router.post("/api/v1/login", response_model=None)
async def login(request: Request, state: ServerState = Depends(get_state)) -> Response:
    is_form = "form" in request.headers.get("content-type", "")
    if is_form:
        form = await request.form()
        name = str(form.get("user") or form.get("username") or "")
        password = str(form.get("password") or "")
        nxt = str(form.get("next") or "/")
    else:
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, 'send JSON {"user": "...", "password": "..."} or a login form') from None
        name, password, nxt = str(body.get("user", "")), str(body.get("password", "")), ""
    user = await asyncio.to_thread(state.auth.check_password, name, password) if name else None
    if user is None:
        await state.journal("auth", f"failed login for user {name!r} (login form)", level="warn", user=name,
                            client_ip=client_ip(request), fields={"reason": "bad user or password"})
        await asyncio.sleep(state.auth.failed(client_ip(request)))
        if is_form:
            return RedirectResponse(f"/login?error=1&next={quote(nxt, safe='')}", status_code=303)
        raise HTTPException(401, "wrong user name or password")
    await state.journal("auth", f"user {name!r} logged in", user=name, client_ip=client_ip(request))
    sid = state.auth.open_session(user)
    response: Response
    if is_form:
        response = RedirectResponse(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/", status_code=303)
    else:
        response = JSONResponse(_user_json(user))
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", max_age=state.auth.session_seconds,
                        path="/")
    return response


@router.post("/api/v1/logout")
async def logout(request: Request, state: ServerState = Depends(get_state)) -> Response:
    state.auth.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/me")
async def me(user: User = Depends(current_user)) -> dict[str, Any]:
    return {**_user_json(user), "role_help": ROLE_HELP.get(user.role, "")}


# -- users -----------------------------------------------------------------------------------------
class NewUser(BaseModel):
    name: str
    role: str
    password: str
    sources: list[str] | None = None


class UserChange(BaseModel):
    role: str | None = None
    password: str | None = None
    sources: list[str] | None = None


def _records(state: ServerState) -> list[dict[str, Any]]:
    return accounts.user_rows(state.auth.users)


async def _change(state: ServerState, fn: Any, *args: Any) -> Any:
    def job(store: Store) -> Any:
        out = fn(store, *args)
        state.auth.refresh(store)
        return out

    try:
        return await state.run(job)
    except LogwardenError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/v1/users")
async def list_users(user: User = Depends(admin_only), state: ServerState = Depends(get_state)) -> list[dict[str, Any]]:
    return _records(state)


@router.post("/api/v1/users", status_code=201)
async def add_user(body: NewUser, request: Request, user: User = Depends(admin_only),
                   state: ServerState = Depends(get_state)) -> dict[str, Any]:
    if body.name in state.auth.users:
        raise HTTPException(409, f"user {body.name!r} exists; change it with PATCH /api/v1/users/{body.name}")
    await _change(state, accounts.put_user, body.name, body.role, body.sources, body.password)
    await state.journal("auth", f"{user.name} created user {body.name!r} with role {body.role}", user=user.name,
                        client_ip=client_ip(request))
    return {"name": body.name, "role": body.role, "sources": body.sources}


@router.patch("/api/v1/users/{name}")
async def change_user(name: str, body: UserChange, request: Request, user: User = Depends(current_user),
                      state: ServerState = Depends(get_state)) -> dict[str, Any]:
    own_password_only = user.name == name and body.role is None and body.sources is None
    if user.role != ADMIN and not own_password_only:
        raise HTTPException(403, "only an admin may change other users, roles or sources")
    rec = state.auth.users.get(name)
    if rec is None:
        raise HTTPException(404, f"no user {name!r}")
    role = body.role or rec.role
    sources = body.sources if body.sources is not None else (None if rec.all_sources else list(rec.sources))
    if rec.role == ADMIN and role != ADMIN and _admins(state) == 1:
        raise HTTPException(400, "this is the last admin; make another admin first")
    await _change(state, accounts.put_user, name, role, sources, body.password,
                  None if body.password else rec.password_hash)
    await state.journal("auth", f"{user.name} changed user {name!r}", user=user.name, client_ip=client_ip(request),
                        fields={"password": "changed" if body.password else "kept", "role": role})
    return {"name": name, "role": role, "sources": sources}


def _admins(state: ServerState) -> int:
    return sum(1 for u in state.auth.users.values() if u.role == ADMIN)


@router.delete("/api/v1/users/{name}")
async def delete_user(name: str, request: Request, user: User = Depends(admin_only),
                      state: ServerState = Depends(get_state)) -> dict[str, Any]:
    rec = state.auth.users.get(name)
    if rec is None:
        raise HTTPException(404, f"no user {name!r}")
    if rec.role == ADMIN and _admins(state) == 1:
        raise HTTPException(400, "this is the last admin; make another admin first")
    await _change(state, accounts.delete_user, name)
    await state.journal("auth", f"{user.name} deleted user {name!r}", user=user.name, client_ip=client_ip(request))
    return {"deleted": name}


# -- tokens ----------------------------------------------------------------------------------------
class NewToken(BaseModel):
    role: str
    sources: list[str] | None = None
    name: str = ""


@router.post("/api/v1/tokens", status_code=201)
async def create_token(body: NewToken, request: Request, user: User = Depends(admin_only),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    """A new API token; its text is in this answer only (the server keeps its hash)."""
    token, rec = await _change(state, accounts.create_token, body.role, body.sources, body.name, user.name)
    await state.journal("auth", f"{user.name} created API token {rec.id} with role {rec.role}", user=user.name,
                        client_ip=client_ip(request))
    return {"token": token, "id": rec.id, "role": rec.role, "sources": list(rec.sources) or None, "name": rec.name}


@router.get("/api/v1/tokens")
async def list_tokens(user: User = Depends(admin_only), state: ServerState = Depends(get_state)) -> list[dict[str, Any]]:
    return accounts.token_rows(state.auth.tokens)


@router.delete("/api/v1/tokens/{token_id}")
async def revoke_token(token_id: str, request: Request, user: User = Depends(admin_only),
                       state: ServerState = Depends(get_state)) -> dict[str, Any]:
    if not await _change(state, accounts.revoke_token, token_id):
        raise HTTPException(404, f"no live token {token_id!r}")
    await state.journal("auth", f"{user.name} revoked API token {token_id}", user=user.name,
                        client_ip=client_ip(request))
    return {"revoked": token_id}
