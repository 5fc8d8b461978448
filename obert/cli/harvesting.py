"""`obert harvest`: harvest sources (other portals, files and databases) from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from obert.cli.common import PLAIN, console, fail, load_settings
from obert.harvest.kinds import SourceType

harvest_app = typer.Typer(help="Harvest sources: other portals, files and databases.", **PLAIN)


@harvest_app.command("add")
def harvest_add(
    name: str,
    url: Annotated[str, typer.Argument(help="portal URL, folder, or SQLAlchemy URL")],
    type: Annotated[SourceType, typer.Option("--type", help="kind of source")],
    organization: Annotated[str | None, typer.Option(help="publisher of the harvested datasets")] = None,
    every: Annotated[str | None, typer.Option(help="run interval, e.g. 6h or 1d")] = None,
    ingest: Annotated[bool, typer.Option("--ingest", help="ingest tabular resources automatically")] = False,
    config: Annotated[
        str, typer.Option(help='backend settings as JSON, e.g. \'{"fq": "groups:transport"}\'')
    ] = "{}",
) -> None:
    """Add a harvest source."""
    from obert.auth import SYSTEM
    from obert.errors import ObertError
    from obert.harvest import cli_support as harvesting
    from obert.portal import build_portal

    portal = build_portal(load_settings())
    try:
        source = harvesting.add_source(
            store=portal.store,
            actor=SYSTEM,
            name=name,
            url=url,
            type=type,
            organization=organization,
            every=every,
            auto_ingest=ingest,
            config_json=config,
        )
    except ObertError as exc:
        fail(exc)
    console.print(f"added harvest source {source.name} ({source.type.value}, {source.every or 'by hand'})")


@harvest_app.command("run")
def harvest_run(
    name: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change, write nothing")] = False,
) -> None:
    """Harvest a source now, in the foreground, with the same code as the background job."""
    from obert.errors import ObertError
    from obert.harvest import cli_support as harvesting
    from obert.portal import build_portal

    portal = build_portal(load_settings())
    try:
        with console.status(f"harvesting {name}…") as status:
            report = harvesting.run_now(
                portal=portal, ref=name, dry_run=dry_run, show=lambda text: status.update(f"{name}: {text}")
            )
    except ObertError as exc:
        fail(exc)
    for line in harvesting.describe(report):
        console.print(line, highlight=False)
    if report.state != "done":
        raise typer.Exit(1)


@harvest_app.command("list")
def harvest_list() -> None:
    """List harvest sources and how their last run went."""
    from obert.harvest import cli_support as harvesting
    from obert.portal import build_portal

    portal = build_portal(load_settings())
    for line in harvesting.listing(store=portal.store):
        console.print(line, highlight=False)
