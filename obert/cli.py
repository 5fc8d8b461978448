"""The `obert` command: a thin layer over the library."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import uvicorn
from rich.console import Console

from obert.app import create_app
from obert.auth import Scope
from obert.auth.users import create_token, create_user
from obert.catalog.indexing import rebuild_index
from obert.demo import load_demo
from obert.errors import ObertError
from obert.portal import build_portal
from obert.settings import Settings
from obert.storage import migrate as migrations

app = typer.Typer(
    help="obert: a city's open data portal.", no_args_is_help=True, pretty_exceptions_enable=False
)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
console = Console()
err = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        err.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port (default OBERT_PORT or 8000)")] = None,
) -> None:
    """Serve the portal with whatever OBERT_DATA_DIR holds."""
    settings = _settings()
    _run(settings, host or settings.host, port or settings.port)


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="port (default OBERT_PORT or 8000)")] = None,
    load_only: Annotated[bool, typer.Option("--load-only", help="load the demo data and exit")] = False,
) -> None:
    """Load the bundled Open Data BCN sample catalogue (once) and serve it."""
    data_dir = Path(os.environ.get("OBERT_DATA_DIR", "demo-data"))
    settings = _settings(mode="demo", data_dir=data_dir)
    port = port or settings.port
    if "OBERT_BASE_URL" not in os.environ:
        settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    portal = build_portal(settings)
    with console.status("loading the Barcelona demo catalogue…"):
        report = load_demo(portal)
    console.print(f"demo: {report}")
    if load_only:
        return
    console.print(f"serving on [bold]{settings.base_url}[/] (data in {data_dir.resolve()})")
    _run(settings, settings.host, port, portal=portal)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = _settings()
    portal = build_portal(settings, run_migrations=False)
    before = migrations.current_revision(portal.store)
    migrations.upgrade(portal.store)
    console.print(f"database at {migrations.current_revision(portal.store)} (was {before})")


@app.command()
def reindex() -> None:
    """Rebuild the search index from the catalogue, in one transaction."""
    portal = build_portal(_settings())
    started = time.perf_counter()
    try:
        count = rebuild_index(store=portal.store)
    except ObertError as exc:
        _fail(exc)
    console.print(f"indexed {count} datasets in {time.perf_counter() - started:.1f} s")


@user_app.command("create")
def user_create(
    name: str,
    email: Annotated[str | None, typer.Option()] = None,
    sysadmin: Annotated[bool, typer.Option("--sysadmin", help="make a site administrator")] = False,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create an account."""
    portal = build_portal(_settings())
    try:
        user = create_user(store=portal.store, name=name, password=password, email=email, sysadmin=sysadmin)
    except ObertError as exc:
        _fail(exc)
    console.print(f"created user {user.name} ({user.id}){' — site administrator' if sysadmin else ''}")


@token_app.command("create")
def token_create(
    user: str,
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    scope: Annotated[Scope, typer.Option(help="read or write")] = Scope.WRITE,
    expires_in_days: Annotated[int | None, typer.Option(help="days until it expires")] = None,
) -> None:
    """Create an API token; it is printed once and never shown again."""
    portal = build_portal(_settings())
    try:
        token = create_token(
            store=portal.store, user_ref=user, name=name, scope=scope, expires_in_days=expires_in_days
        )
    except ObertError as exc:
        _fail(exc)
    console.print(token.secret, highlight=False, soft_wrap=True)


def _fail(exc: ObertError) -> NoReturn:
    err.print(f"[red]error:[/] {exc.message}")
    for field_error in exc.errors:
        err.print(f"  {field_error.field}: {field_error.message}")
    raise typer.Exit(1)


def _run(settings: Settings, host: str, port: int, **kwargs: object) -> None:
    application = create_app(settings, **kwargs)  # type: ignore[arg-type]
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=True)
