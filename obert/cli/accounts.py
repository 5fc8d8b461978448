"""`obert user` and `obert token`: accounts and API tokens."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from obert.auth.actor import Scope
from obert.auth.limits import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS
from obert.cli.common import PLAIN, console, fail, load_settings

if TYPE_CHECKING:
    from obert.settings import Settings

user_app = typer.Typer(help="Accounts.", **PLAIN)
token_app = typer.Typer(help="API tokens.", **PLAIN)


def _account_settings() -> Settings:
    """Settings for the account commands: a directory made by `obert demo` brings its own secret."""
    from obert.demo.secret import demo_secret

    if "OBERT_SECRET_KEY" not in os.environ:
        data_dir = load_settings(mode="demo").data_dir
        if (secret := demo_secret(data_dir)) is not None:
            return load_settings(mode="demo", secret_key=secret)
    return load_settings()


@user_app.command("create")
def user_create(
    name: str,
    email: Annotated[str | None, typer.Option()] = None,
    sysadmin: Annotated[bool, typer.Option("--sysadmin", help="make a site administrator")] = False,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create an account (on a data directory made by `obert demo`, OBERT_SECRET_KEY is not needed)."""
    from obert.auth.users import create_user
    from obert.errors import ObertError
    from obert.portal import build_portal

    portal = build_portal(_account_settings())
    try:
        user = create_user(store=portal.store, name=name, password=password, email=email, sysadmin=sysadmin)
    except ObertError as exc:
        fail(exc)
    console.print(f"created user {user.name} ({user.id}){' — site administrator' if sysadmin else ''}")


@token_app.command("create")
def token_create(
    user: str,
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    scope: Annotated[Scope, typer.Option(help="read or write")] = Scope.WRITE,
    expires_in_days: Annotated[
        int, typer.Option(help=f"days until it expires (1 to {TOKEN_MAX_DAYS}; every token expires)")
    ] = TOKEN_DEFAULT_DAYS,
) -> None:
    """Create an API token; it is printed once and never shown again."""
    from obert.auth.users import create_token
    from obert.errors import ObertError
    from obert.portal import build_portal

    settings = _account_settings()
    portal = build_portal(settings)
    try:
        token = create_token(
            store=portal.store,
            user_ref=user,
            name=name,
            scope=scope,
            expires_in_days=expires_in_days,
            max_live=settings.max_tokens_per_user,
        )
    except ObertError as exc:
        fail(exc)
    console.print(token.secret, highlight=False, soft_wrap=True)
