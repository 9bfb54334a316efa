"""The server's view of users and tokens: loaded from the engine once, checked in memory.

Checking credentials never waits for the engine (which may be busy parsing a batch): users and token
hashes live in memory and are reloaded after every change (`refresh`). A password check costs an
Argon2 hash (~50 ms), so a successful HTTP Basic pair is remembered for a few minutes by its SHA-256.
UI sessions are random ids held in memory: a restart logs everyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from logwarden.auth import accounts
from logwarden.auth.model import ADMIN, User, effective_sources
from logwarden.auth.passwords import token_hash, verify_password
from logwarden.store.chdb_store import Store

BASIC_CACHE_SECONDS = 300
FAIL_WINDOW_S = 60.0  # failed logins from one address within this window slow its next answers down
FAIL_FREE = 5  # failures allowed in the window before answers are delayed
FAIL_MAX_DELAY_S = 5.0


@dataclass
class _Session:
    user: str
    expires: float


class AuthService:
    def __init__(self, session_hours: int = 12):
        self.session_seconds = session_hours * 3600
        self.users: dict[str, accounts.UserRecord] = {}
        self.tokens: dict[str, accounts.TokenRecord] = {}
        self._sessions: dict[str, _Session] = {}
        self._basic_ok: dict[str, tuple[str, float]] = {}
        self._local_hash = ""
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self, store: Store) -> None:
        """Reload users and tokens from the engine (call in the engine worker after any change)."""
        users, tokens = accounts.load_users(store), accounts.load_tokens(store)
        with self._lock:
            self.users, self.tokens = users, tokens
            self._basic_ok.clear()

    def set_local_token(self, token: str) -> None:
        """The token written to the data directory's credential file: the local CLI acts as admin."""
        self._local_hash = token_hash(token)

    # -- checks ----------------------------------------------------------------------------------
    def _user(self, name: str, via: str) -> User | None:
        rec = self.users.get(name)
        if rec is None:
            return None
        return User(rec.name, rec.role, effective_sources(rec.role, None if rec.all_sources else rec.sources), via)

    def check_password(self, name: str, password: str) -> User | None:
        key = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
        hit = self._basic_ok.get(key)
        if hit and hit[1] > time.monotonic() and name in self.users:
            return self._user(name, "password")
        rec = self.users.get(name)
        if rec is None or not verify_password(rec.password_hash, password):
            return None
        self._basic_ok[key] = (name, time.monotonic() + BASIC_CACHE_SECONDS)
        return self._user(name, "password")

    def check_token(self, token: str) -> User | None:
        digest = token_hash(token)
        if self._local_hash and secrets.compare_digest(digest, self._local_hash):
            return User("local", ADMIN, None, "local")
        rec = self.tokens.get(digest)
        if rec is None:
            return None
        name = rec.owner or f"token:{rec.id}"
        return User(name, rec.role, effective_sources(rec.role, None if rec.all_sources else rec.sources), "token")

    # -- brute force -----------------------------------------------------------------------------
    def failed(self, client_ip: str) -> float:
        """Note a failed login from `client_ip`; returns how long to wait before answering it (0 for the
        first few in a minute, then doubling up to FAIL_MAX_DELAY_S), so guessing passwords is slow."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client_ip, []) if now - t < FAIL_WINDOW_S]
            recent.append(now)
            self._failures[client_ip] = recent[-64:]
            if len(self._failures) > 10_000:
                self._failures = {ip: ts for ip, ts in self._failures.items() if now - ts[-1] < FAIL_WINDOW_S}
        over = len(recent) - FAIL_FREE
        return 0.0 if over <= 0 else min(FAIL_MAX_DELAY_S, 0.25 * 2 ** (over - 1))

    # -- UI sessions -----------------------------------------------------------------------------
    def open_session(self, user: User) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
            self._sessions[sid] = _Session(user.name, now + self.session_seconds)
        return sid

    def check_session(self, sid: str) -> User | None:
        s = self._sessions.get(sid)
        if s is None or s.expires < time.time():
            return None
        return self._user(s.user, "session")

    def close_session(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)
