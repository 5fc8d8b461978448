"""The `obert` command: a thin layer over the library.

Each command imports what it needs when it runs: `obert --help` and a command's start-up then pay for
Typer alone, not for DuckDB, PyArrow, SQLAlchemy and FastAPI (a second and more, imported up front).
tests/test_cli_startup.py checks it. The modules here import, at their top, only what a command's
signature names, from small modules (`obert.auth.actor`, `obert.auth.limits`, `obert.harvest.kinds`).

- serving: `serve`, `demo`, `worker`, the long-running processes;
- ingesting: `ingest`, `ingest-package`;
- admin: `doctor`, `migrate`, `backup`, `restore`, `reindex`, `sparql rebuild`;
- accounts: `user create`, `token create`;
- harvesting: `harvest add|run|list`.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from obert.cli import accounts, admin, harvesting, ingesting, serving
from obert.cli.common import PLAIN, arrow_allocator

COMMANDS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("serve", serving.serve),
    ("demo", serving.demo),
    ("doctor", admin.doctor),
    ("worker", serving.worker),
    ("ingest", ingesting.ingest),
    ("ingest-package", ingesting.ingest_package),
    ("migrate", admin.migrate),
    ("backup", admin.backup),
    ("restore", admin.restore),
    ("reindex", admin.reindex),
)

app = typer.Typer(help="obert: a city's open data portal.", pretty_exceptions_enable=False, **PLAIN)
for name, command in COMMANDS:
    app.command(name)(command)


@app.callback()
def _process() -> None:
    # Runs before every command (not for --help).
    arrow_allocator()


app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(admin.sparql_app, name="sparql")
app.add_typer(harvesting.harvest_app, name="harvest")

__all__ = ["app"]
