"""Commands that look after an installation: doctor, migrate, backup, restore, reindex, sparql rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from obert.cli.common import PLAIN, console, fail, load_settings

sparql_app = typer.Typer(help="The SPARQL endpoint's graph of the public catalogue.", **PLAIN)


def doctor() -> None:
    """Check the configuration in the environment (secret, database and its schema, Redis, data directory,
    disk space, map tiles, HTTP allowlist) and say what to fix; exits 1 when something is wrong.

    Example: OBERT_DATABASE_URL=postgresql+psycopg://obert@db/obert obert doctor"""
    from pydantic import ValidationError

    from obert import doctor as checkup  # here, not at the top: `obert --help` stays quick
    from obert.settings import Settings

    try:
        findings = checkup.diagnose(Settings())
    except ValidationError as exc:
        findings = checkup.settings_findings(exc)
    style = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for finding in findings:
        mark = f"[{style[finding.outcome]}]{finding.outcome.upper():<4}[/]"
        console.print(f"{mark}  {finding.check:<15} {finding.message}", highlight=False, soft_wrap=True)
        if finding.fix and finding.outcome != "ok":
            console.print(f"      {'':<15} fix: {finding.fix}", highlight=False, soft_wrap=True)
    if checkup.failed(findings):
        raise typer.Exit(1)


def migrate() -> None:
    """Bring the database schema up to date."""
    from obert.portal import build_portal
    from obert.storage import migrate as migrations

    settings = load_settings()
    portal = build_portal(settings, run_migrations=False)
    before = migrations.current_revision(portal.store)
    migrations.upgrade(portal.store)
    console.print(f"database at {migrations.current_revision(portal.store)} (was {before})")


def backup(
    dest: Annotated[Path, typer.Argument(help="archive to write: .tar, or .tar.gz to compress it")],
    pg_dump: Annotated[
        bool, typer.Option("--pg-dump", help="on PostgreSQL, include a pg_dump of the database")
    ] = False,
) -> None:
    """Back up the catalogue database and every table version and uploaded file, while obert runs."""
    from obert.errors import ObertError
    from obert.storage.backup import create_backup

    settings = load_settings()
    try:
        with console.status(f"writing {dest}…"):
            report = create_backup(settings=settings, dest=dest, pg_dump=pg_dump)
    except ObertError as exc:
        fail(exc)
    size = report.bytes / 1024**2
    console.print(f"backed up {report.files} files ({size:.1f} MiB before compression) to {report.path}")
    console.print(f"database: {report.database or 'not included'} (revision {report.revision})")
    if report.backend == "postgresql" and report.database is None:
        console.print(
            "[yellow]the PostgreSQL database is not in the archive:[/] back it up with "
            "`pg_dump --format=custom --file=obert.pgdump \"$OBERT_DATABASE_URL\"` (without '+psycopg'), "
            "or run again with --pg-dump"
        )


def restore(
    src: Annotated[Path, typer.Argument(help="archive written by `obert backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace what the data directory holds now")] = False,
    pg_restore: Annotated[
        bool, typer.Option("--pg-restore", help="on PostgreSQL, load the archive's pg_dump with pg_restore")
    ] = False,
) -> None:
    """Restore a backup into OBERT_DATA_DIR (stop obert first), checking every file's checksum."""
    from obert.errors import ObertError
    from obert.storage.restore import restore_backup

    settings = load_settings()
    try:
        with console.status(f"restoring {src}…"):
            report = restore_backup(settings=settings, source=src, force=force, pg_restore=pg_restore)
    except ObertError as exc:
        fail(exc)
    console.print(f"restored {report.files} files into {settings.data_dir.resolve()}, checksums verified")
    console.print(report.database)
    if report.revision_after != report.revision_before:
        console.print(f"migrated the database from {report.revision_before} to {report.revision_after}")


def reindex() -> None:
    """Rebuild the search index from the catalogue, in one transaction."""
    import time

    from obert.catalog.indexing import rebuild_index
    from obert.errors import ObertError
    from obert.portal import build_portal

    settings = load_settings()
    portal = build_portal(settings)
    started = time.perf_counter()
    try:
        count = rebuild_index(store=portal.store, workers=settings.index_workers)
    except ObertError as exc:
        fail(exc)
    console.print(f"indexed {count} datasets in {time.perf_counter() - started:.1f} s")


@sparql_app.command("rebuild")
def sparql_rebuild() -> None:
    """Rebuild the SPARQL graph from the catalogue, write it as the snapshot that serving processes start
    from, and have every serving process load it in place of its copy.

    Example: obert sparql rebuild
    """
    import time

    from obert.dcat.context import CatalogInfo
    from obert.errors import ObertError
    from obert.portal import build_portal
    from obert.sparql import CatalogueGraph, request_rebuild, snapshot_path

    settings = load_settings()
    portal = build_portal(settings)
    started = time.perf_counter()
    path = snapshot_path(settings.data_dir)
    try:
        # Built here first, so a catalogue the graph cannot be made of fails in this command, not in a query.
        graph = CatalogueGraph(store=portal.store, info=CatalogInfo.from_settings(settings), snapshot=path)
        report = graph.rebuild(write_snapshot=True)
        request_rebuild(store=portal.store, covered=graph.base)
    except ObertError as exc:
        fail(exc)
    console.print(
        f"the graph holds {report.derived} public datasets, built in {time.perf_counter() - started:.1f} s "
        f"and written to {path}; serving processes load it before their next query"
    )
