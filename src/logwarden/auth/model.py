"""Who is asking: a user (or a token acting for one) with a role and, for viewers, granted sources."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN, AUDITOR, VIEWER, INGEST = "admin", "auditor", "viewer", "ingest"
# Roles a person can have. `ingest` is for tokens only: it may send logs and nothing else.
USER_ROLES = (ADMIN, AUDITOR, VIEWER)
TOKEN_ROLES = (ADMIN, AUDITOR, VIEWER, INGEST)
# What each role may do; routers ask with `require_role(...)`, listing the roles allowed.
ROLE_HELP = {
    ADMIN: "everything: users, tokens, ingest, search and export over every source",
    AUDITOR: "search and export over every source, read logwarden's own journal",
    VIEWER: "search and export over the sources granted to it",
    INGEST: "send logs (HTTP ingest APIs) and nothing else; for shippers",
}


@dataclass(frozen=True)
class User:
    """The authenticated caller.

    `sources` is None for every source, else the granted source names (a viewer, or any token created
    with --source). `via` says how they authenticated: "password", "token", "session" or "local"."""

    name: str
    role: str
    sources: tuple[str, ...] | None = None
    via: str = "password"

    def may_read(self, source: str) -> bool:
        return self.sources is None or source in self.sources


def effective_sources(role: str, sources: tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """The sources a role with these grants may read: admins and auditors see all unless restricted;
    a viewer sees only what it is granted (an empty grant: nothing)."""
    granted = tuple(sources) if sources else ()
    if role == VIEWER:
        return granted
    return granted or None
