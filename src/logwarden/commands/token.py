"""`logwarden token create|list|revoke`: API tokens (for shippers, exports and scripts).

Works with a running server (through its API, with the local credential) or without one (on the data
directory). A token is printed once; only its hash is stored.
"""

from __future__ import annotations

import json
from typing import Any

import click

from logwarden.auth.model import ROLE_HELP, TOKEN_ROLES


def register(cli: Any) -> None:
    from logwarden.cli import Context, _errors

    @cli.group()
    def token() -> None:
        """API tokens: `Authorization: Bearer TOKEN` on every API call."""

    roles_help = "; ".join(f"{r}: {h}" for r, h in ROLE_HELP.items())

    @token.command("create")
    @click.option("--role", required=True, type=click.Choice(TOKEN_ROLES), help=roles_help)
    @click.option("--source", "sources", multiple=True, help="a source the token may read (repeat; default: all)")
    @click.option("--name", default="", help="what the token is for (shown by `token list`)")
    @click.pass_obj
    @_errors
    def create(obj: Context, role: str, sources: tuple[str, ...], name: str) -> None:
        """Make a token and print it (once)."""
        from logwarden.client import local_server

        srv = local_server(obj.data_dir)
        if srv is not None:
            answer = srv.post_json("/api/v1/tokens", {"role": role, "sources": list(sources) or None, "name": name})
            click.echo(answer["token"])
            return
        from logwarden.auth.accounts import create_token

        with obj.store("token") as store:
            text, _ = create_token(store, role, sources, name, "cli")
        click.echo(text)

    @token.command("list")
    @click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.pass_obj
    @_errors
    def list_(obj: Context, output: str) -> None:
        """The live tokens (id, role, sources; never the token text)."""
        from logwarden.client import local_server
        from logwarden.output import write_rows

        srv = local_server(obj.data_dir)
        if srv is not None:
            rows = srv.request("GET", "/api/v1/tokens")
        else:
            from logwarden.auth.accounts import load_tokens, token_rows

            with obj.store("token") as store:
                rows = token_rows(load_tokens(store))
        if output == "json":
            click.echo(json.dumps(rows, ensure_ascii=False))
        else:
            write_rows([{**r, "sources": ",".join(r["sources"]) if r["sources"] else "(all)"} for r in rows], "rows",
                       "table", columns=["id", "name", "owner", "role", "sources"])

    @token.command("revoke")
    @click.argument("token_id")
    @click.pass_obj
    @_errors
    def revoke(obj: Context, token_id: str) -> None:
        """Revoke the token with this id (see `token list`)."""
        from logwarden.client import local_server
        from logwarden.errors import UsageError

        srv = local_server(obj.data_dir)
        if srv is not None:
            srv.request("DELETE", f"/api/v1/tokens/{token_id}")
        else:
            from logwarden.auth.accounts import revoke_token

            with obj.store("token") as store:
                if not revoke_token(store, token_id):
                    raise UsageError(f"no live token {token_id!r}; see `logwarden token list`")
        click.echo(f"revoked {token_id}")
