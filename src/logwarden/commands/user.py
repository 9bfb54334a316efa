"""`logwarden user add|passwd|list|delete`: people who log in (roles admin, auditor, viewer).

Works with a running server (through its API) or without one (on the data directory)."""

from __future__ import annotations

import json
from typing import Any

import click

from logwarden.auth.model import ROLE_HELP, USER_ROLES


def register(cli: Any) -> None:
    from logwarden.cli import Context, _errors

    @cli.group()
    def user() -> None:
        """Users who log in to the UI and API with a password."""

    @user.command("add")
    @click.argument("name")
    @click.option("--role", required=True, type=click.Choice(USER_ROLES),
                  help="; ".join(f"{r}: {ROLE_HELP[r]}" for r in USER_ROLES))
    @click.option("--source", "sources", multiple=True, help="a source a viewer may read (repeat)")
    @click.password_option(help="the password (asked when not given)")
    @click.pass_obj
    @_errors
    def add(obj: Context, name: str, role: str, sources: tuple[str, ...], password: str) -> None:
        """Create a user."""
        from logwarden.client import local_server

        srv = local_server(obj.data_dir)
        if srv is not None:
            srv.post_json("/api/v1/users", {"name": name, "role": role, "password": password,
                                            "sources": list(sources) or None})
        else:
            from logwarden.auth.accounts import load_users, put_user
            from logwarden.errors import UsageError

            with obj.store("user") as store:
                if name in load_users(store):
                    raise UsageError(f"user {name!r} exists; use `logwarden user passwd {name}`")
                put_user(store, name, role, sources, password=password)
        click.echo(f"user {name} ({role}) created")

    @user.command("passwd")
    @click.argument("name")
    @click.password_option(help="the new password (asked when not given)")
    @click.pass_obj
    @_errors
    def passwd(obj: Context, name: str, password: str) -> None:
        """Set a user's password."""
        from logwarden.client import local_server
        from logwarden.errors import UsageError

        srv = local_server(obj.data_dir)
        if srv is not None:
            srv.request("PATCH", f"/api/v1/users/{name}", json={"password": password})
        else:
            from logwarden.auth.accounts import load_users, put_user

            with obj.store("user") as store:
                rec = load_users(store).get(name)
                if rec is None:
                    raise UsageError(f"no user {name!r}")
                put_user(store, name, rec.role, None if rec.all_sources else rec.sources, password=password)
        click.echo(f"password of {name} changed")

    @user.command("list")
    @click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.pass_obj
    @_errors
    def list_(obj: Context, output: str) -> None:
        """The users and their roles."""
        from logwarden.client import local_server
        from logwarden.output import write_rows

        srv = local_server(obj.data_dir)
        if srv is not None:
            rows = srv.request("GET", "/api/v1/users")
        else:
            from logwarden.auth.accounts import load_users, user_rows

            with obj.store("user") as store:
                rows = user_rows(load_users(store))
        if output == "json":
            click.echo(json.dumps(rows, ensure_ascii=False))
        else:
            write_rows([{**r, "sources": ",".join(r["sources"]) if r["sources"] is not None else "(all)"} for r in rows],
                       "rows", "table", columns=["name", "role", "sources"])

    @user.command("delete")
    @click.argument("name")
    @click.pass_obj
    @_errors
    def delete(obj: Context, name: str) -> None:
        """Remove a user (not the last admin)."""
        from logwarden.client import local_server
        from logwarden.errors import UsageError

        srv = local_server(obj.data_dir)
        if srv is not None:
            srv.request("DELETE", f"/api/v1/users/{name}")
        else:
            from logwarden.auth.accounts import delete_user, load_users

            with obj.store("user") as store:
                users = load_users(store)
                if name not in users:
                    raise UsageError(f"no user {name!r}")
                if users[name].role == "admin" and sum(u.role == "admin" for u in users.values()) == 1:
                    raise UsageError("this is the last admin; make another admin first")
                delete_user(store, name)
        click.echo(f"user {name} deleted")
