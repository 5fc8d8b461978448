"""`obert ingest` and `obert ingest-package`: publishing files from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from obert.cli.common import console, fail, load_settings

if TYPE_CHECKING:
    from obert.tableservice.local import LocalIngest


def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX, ODS, JSON, GeoJSON…")],
    dataset: Annotated[str, typer.Option(help="dataset name (created if missing)")],
    resource: Annotated[str | None, typer.Option(help="resource name (default: by file name)")] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="file format, if not told by the file")
    ] = None,
    organization: Annotated[str | None, typer.Option(help="publisher of a new dataset")] = None,
) -> None:
    """Publish FILE as a new table version of a dataset's resource, now, and print its report."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from obert.auth import SYSTEM
    from obert.errors import ObertError
    from obert.portal import build_ingester
    from obert.tableservice.local import ingest_local_file

    _arrow_without_pandas()
    ingester = build_ingester(load_settings())
    rows = TextColumn("{task.completed:,.0f} rows")
    columns = (TextColumn("{task.description}"), BarColumn(), rows, TimeElapsedColumn())
    try:
        with Progress(*columns, console=console.real, transient=True) as bar:
            task = bar.add_task(f"ingesting {file.name}", total=None)
            done = ingest_local_file(
                ingester=ingester,
                actor=SYSTEM,
                path=file,
                dataset=dataset,
                resource=resource,
                format=format,
                organization=organization,
                progress=lambda n, total, message: bar.update(task, completed=n, total=total),
            )
    except ObertError as exc:
        fail(exc)
    finally:
        ingester.http.close()
        ingester.store.dispose()
    _print_ingest(done)


class _NoPandas:
    """An import finder that says pandas is not installed (see :func:`_arrow_without_pandas`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not needed here", name=name)


def _arrow_without_pandas() -> None:
    """Tell pyarrow, for this process, that pandas is absent.

    The first time any Arrow array is built from Python values, pyarrow imports pandas (0.3 s on a quiet
    machine, over a second on a loaded one) only to check whether the input is a pandas object. The
    personal-data scan builds such arrays and never hands pandas anything, so a one-shot command skips
    that import: pyarrow tries once, is told there is no pandas, and does not try again. Only when this
    process is the ``obert`` command itself: a program that runs the command inside it (a test runner)
    may want pandas with Arrow later.
    """
    import sys

    import pyarrow as pa

    if "pandas" in sys.modules or Path(sys.argv[0]).name not in ("obert", "__main__.py"):
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])  # pyarrow's one attempt to import pandas happens here
    finally:
        sys.meta_path.remove(finder)


def _print_ingest(done: LocalIngest) -> None:
    from rich.table import Table

    version = done.outcome.version
    created = "created dataset" if done.dataset_created else "dataset"
    console.print(f"{created} [bold]{done.dataset.name}[/], resource [bold]{done.resource_name}[/]")
    if not done.outcome.created:
        console.print(
            f"unchanged: version {version.number} already holds this file ({version.row_count} rows)"
        )
        return
    if done.outcome.holds:
        console.print(
            f"[yellow]held back:[/] version {version.number} ({version.row_count} rows) is not published: "
            f"{done.outcome.held_message}"
        )
    else:
        console.print(f"published version {version.number}: [bold]{version.row_count}[/] rows")
    for kept in done.outcome.kept:
        console.print(f"[yellow]the file itself is kept for the dataset's editors:[/] {kept.message}")
    table = Table("column", "type", "nulls", "distinct")
    for col in version.report["columns"]:
        table.add_row(col["name"], col["type"], str(col["nulls"]), str(col["distinct"]))
    console.print(table)
    for col in version.report["columns"]:
        if col.get("reading"):
            console.print(f"{col['name']}: {col['reading'].get('en', '')}", highlight=False)
    for warning in version.report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"API: /api/v1/datastore/{done.resource_name}/rows")


def ingest_package(
    source: Annotated[
        str, typer.Argument(help="a data package: a .zip file, or the URL of a datapackage.json")
    ],
    organization: Annotated[str | None, typer.Option(help="publisher of the new dataset")] = None,
    name: Annotated[str | None, typer.Option(help="dataset name (default: the package's name)")] = None,
) -> None:
    """Create a dataset from a Frictionless data package, its tables typed by their Table Schemas.

    Data that breaks its schema is refused, listing each cell at fault; nothing is created then.

    Example: obert ingest-package https://example.org/air/datapackage.json --organization asp
    """
    from obert.auth import SYSTEM
    from obert.errors import ObertError
    from obert.interchange.package_import import import_package
    from obert.portal import build_portal

    portal = build_portal(load_settings())
    local = Path(source)
    try:
        done = import_package(
            ingester=portal.ingester,
            actor=SYSTEM,
            zip_path=local if local.is_file() else None,
            url=None if local.is_file() else source,
            organization=organization,
            name=name,
            lang=portal.settings.default_lang,
        )
    except ObertError as exc:
        fail(exc)
    finally:
        portal.close()
    console.print(f"created dataset [bold]{done.dataset.name}[/]")
    for table in done.tables:
        version = table.outcome.version
        state = f"[yellow]held back:[/] {table.outcome.held_message}" if table.outcome.holds else "published"
        columns = ", ".join(f"{c['name']} ({c['type']})" for c in version.report.get("columns", []))
        console.print(f"{table.resource_name}: version {version.number}, {version.row_count} rows, {state}")
        console.print(f"  {columns}")
