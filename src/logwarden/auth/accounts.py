"""Users and tokens in the engine (tables lw.users, lw.tokens of migration 2).

Each change inserts a new version of the row; the newest per name (user) or id (token) wins. These
functions take a `Store`, so the CLI (no server) and the server (through `ServerState.run`) share them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from logwarden.auth.model import TOKEN_ROLES, USER_ROLES
from logwarden.auth.passwords import hash_password, new_token, token_hash
from logwarden.errors import UsageError
from logwarden.store.chdb_store import Store
from logwarden.store.schema import DB


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    sources: tuple[str, ...]
    all_sources: bool
    password_hash: str


@dataclass(frozen=True)
class TokenRecord:
    id: str
    token_hash: str
    name: str
    owner: str
    role: str
    sources: tuple[str, ...]
    all_sources: bool


def user_rows(users: dict[str, UserRecord]) -> list[dict[str, Any]]:
    """The users as the API and `logwarden user list` show them (no password hash), by name."""
    return [{"name": u.name, "role": u.role, "sources": None if u.all_sources else list(u.sources)}
            for u in sorted(users.values(), key=lambda u: u.name)]


def token_rows(tokens: dict[str, TokenRecord]) -> list[dict[str, Any]]:
    """The live tokens as the API and `logwarden token list` show them (never the token or its hash), by id."""
    return [{"id": t.id, "name": t.name, "owner": t.owner, "role": t.role,
             "sources": None if t.all_sources else list(t.sources)}
            for t in sorted(tokens.values(), key=lambda t: t.id)]


def check_role(role: str, allowed: tuple[str, ...] = USER_ROLES) -> None:
    if role not in allowed:
        raise UsageError(f"unknown role {role!r}; roles: {', '.join(allowed)}")


def load_users(store: Store) -> dict[str, UserRecord]:
    rows = store.rows(
        f"SELECT name, argMax(role, at) AS role, argMax(sources, at) AS sources, "
        f"argMax(all_sources, at) AS all_sources, argMax(password_hash, at) AS password_hash, "
        f"argMax(deleted, at) AS deleted FROM {DB}.users GROUP BY name"
    )
    return {r["name"]: UserRecord(r["name"], r["role"], tuple(r["sources"]), bool(r["all_sources"]),
                                  r["password_hash"]) for r in rows if not r["deleted"]}


def put_user(store: Store, name: str, role: str, sources: list[str] | tuple[str, ...] | None,
             password: str | None = None, password_hash: str | None = None) -> UserRecord:
    """Create or change a user. A password given is hashed; none keeps the stored hash."""
    check_role(role)
    if not name or any(c.isspace() or c == ":" for c in name):
        raise UsageError(f"user name {name!r} must be non-empty, without spaces or ':'")
    if password is not None:
        if len(password) < 8:
            raise UsageError("a password needs at least 8 characters")
        password_hash = hash_password(password)
    if password_hash is None:
        existing = load_users(store).get(name)
        if existing is None:
            raise UsageError(f"a new user {name!r} needs a password")
        password_hash = existing.password_hash
    record = UserRecord(name, role, tuple(sources or ()), not sources, password_hash)
    store.execute(
        f"INSERT INTO {DB}.users (name, role, sources, all_sources, password_hash) VALUES "
        "({n:String}, {r:String}, {s:Array(String)}, {a:UInt8}, {h:String})",
        {"n": name, "r": role, "s": list(record.sources), "a": int(record.all_sources), "h": password_hash},
    )
    return record


def delete_user(store: Store, name: str) -> None:
    store.execute(
        f"INSERT INTO {DB}.users (name, role, sources, all_sources, password_hash, deleted) VALUES "
        "({n:String}, '', [], 0, '', 1)", {"n": name},
    )


def load_tokens(store: Store) -> dict[str, TokenRecord]:
    """Live tokens by their hash."""
    rows = store.rows(
        f"SELECT id, argMax(token_hash, at) AS token_hash, argMax(name, at) AS name, argMax(owner, at) AS owner, "
        f"argMax(role, at) AS role, argMax(sources, at) AS sources, argMax(all_sources, at) AS all_sources, "
        f"argMax(revoked, at) AS revoked FROM {DB}.tokens GROUP BY id"
    )
    return {r["token_hash"]: TokenRecord(r["id"], r["token_hash"], r["name"], r["owner"], r["role"],
                                         tuple(r["sources"]), bool(r["all_sources"]))
            for r in rows if not r["revoked"]}


def create_token(store: Store, role: str, sources: list[str] | tuple[str, ...] | None = None, name: str = "",
                 owner: str = "") -> tuple[str, TokenRecord]:
    """Make a token; returns (the token text, shown once; its record, which keeps only the hash)."""
    check_role(role, TOKEN_ROLES)
    token = new_token()
    record = TokenRecord(secrets.token_hex(6), token_hash(token), name, owner, role, tuple(sources or ()),
                         not sources)
    store.execute(
        f"INSERT INTO {DB}.tokens (id, token_hash, name, owner, role, sources, all_sources) VALUES "
        "({i:String}, {h:String}, {n:String}, {o:String}, {r:String}, {s:Array(String)}, {a:UInt8})",
        {"i": record.id, "h": record.token_hash, "n": name, "o": owner, "r": role, "s": list(record.sources),
         "a": int(record.all_sources)},
    )
    return token, record


def revoke_token(store: Store, token_id: str) -> bool:
    live = {t.id: t for t in load_tokens(store).values()}
    t = live.get(token_id)
    if t is None:
        return False
    store.execute(
        f"INSERT INTO {DB}.tokens (id, token_hash, name, owner, role, sources, all_sources, revoked) VALUES "
        "({i:String}, {h:String}, {n:String}, {o:String}, {r:String}, {s:Array(String)}, {a:UInt8}, 1)",
        {"i": t.id, "h": t.token_hash, "n": t.name, "o": t.owner, "r": t.role, "s": list(t.sources),
         "a": int(t.all_sources)},
    )
    return True
