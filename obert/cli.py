"""The `obert` command: a thin layer over the library.

Each command imports what it needs when it runs: `obert --help` and a command's start-up then pay for
Typer alone, not for DuckDB, PyArrow, SQLAlchemy and FastAPI (a second and more, imported up front).
tests/test_cli_startup.py checks it. Only what a command's signature names is imported here, from
small modules (`obert.auth.actor`, `obert.auth.limits`, `obert.harvest.kinds`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from obert.auth.actor import Scope
from obert.auth.limits import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS
from obert.harvest.kinds import SourceType

if TYPE_CHECKING:
    from fastapi import FastAPI
    from rich.console import Console

    from obert.errors import ObertError
    from obert.portal import Portal
    from obert.settings import Settings
    from obert.tableservice.local import LocalIngest

# Help in plain text: Typer's Rich help (Markdown, syntax highlighting, pretty tracebacks) costs more to
# import than the rest of `obert --help` put together.
_PLAIN: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}
app = typer.Typer(help="obert: a city's open data portal.", pretty_exceptions_enable=False, **_PLAIN)
user_app = typer.Typer(help="Accounts.", **_PLAIN)
token_app = typer.Typer(help="API tokens.", **_PLAIN)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
sparql_app = typer.Typer(help="The SPARQL endpoint's graph of the public catalogue.", **_PLAIN)
app.add_typer(sparql_app, name="sparql")
harvest_app = typer.Typer(help="Harvest sources: other portals, files and databases.", **_PLAIN)
app.add_typer(harvest_app, name="harvest")


class _LazyConsole:
    """A Rich console made the first time a command prints, so that `--help` does not import Rich."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = _LazyConsole()
err = _LazyConsole(stderr=True)


# Arrow's allocator for obert's own processes (see _arrow_allocator).
ARROW_MEMORY_POOL = "jemalloc"


@app.callback()
def _process(ctx: typer.Context) -> None:
    # Runs before every command (not for --help).
    _arrow_allocator()


def _arrow_allocator() -> None:
    """Make Arrow allocate with jemalloc in this process, unless told otherwise.

    pyarrow's default allocator here, mimalloc, hands freed memory back to the system at once and takes
    it again page by page: the personal-data scan of a million rows spent 0.4-0.5 s of system time in
    page faults on its first run in a process (0.12-0.14 s with jemalloc, the same work; 0.9 against
    1.3 cpu-s in all) and more on every later one. Chosen through Arrow's own variable before pyarrow is
    imported, so a value the operator set wins, and only when this process is the ``obert`` command: a
    program that runs commands inside it keeps its own choice.
    """
    import sys

    if "pyarrow" not in sys.modules and Path(sys.argv[0]).name in ("obert", "__main__.py"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_MEMORY_POOL)


def _settings(**overrides: object) -> Settings:
    from obert.settings import Settings

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        err.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port (default OBERT_PORT or 8000)")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="web processes (default OBERT_WORKERS or 1)")
    ] = None,
) -> None:
    """Serve the portal with whatever OBERT_DATA_DIR holds.

    With several workers, each process answers requests on the same port (and runs OBERT_JOB_THREADS job
    threads of its own); without OBERT_REDIS_URL each one counts request budgets on its own."""
    settings = _settings()
    _run(settings, host or settings.host, port or settings.port, workers=workers or settings.workers)


def web_app() -> FastAPI:
    """The application of one web process of `obert serve --workers N`: built in that process, from the
    same environment the command read."""
    from obert.app import create_app
    from obert.observe import logs

    settings = _settings()
    logs.configure(settings)
    return create_app(settings)


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="port (default OBERT_PORT or 8000)")] = None,
    load_only: Annotated[bool, typer.Option("--load-only", help="load the demo data and exit")] = False,
) -> None:
    """Load the bundled Open Data BCN sample catalogue (once) and serve it."""
    from obert.demo import catalog_settings, load_demo
    from obert.demo.secret import demo_secret
    from obert.portal import build_portal

    data_dir = Path(os.environ.get("OBERT_DATA_DIR", "demo-data"))
    secret = {} if "OBERT_SECRET_KEY" in os.environ else {"secret_key": demo_secret(data_dir, create=True)}
    settings = _settings(mode="demo", data_dir=data_dir, **secret, **catalog_settings())
    port = port or settings.port
    if "OBERT_BASE_URL" not in os.environ:
        settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    portal = build_portal(settings)
    with console.status("loading the Barcelona demo catalogue…"):
        report = load_demo(portal)
    console.print(f"demo: {report}")
    _print_sign_in(data_dir, settings.base_url)
    if load_only:
        return
    console.print(f"serving on [bold]{settings.base_url}[/] (data in {data_dir.resolve()})")
    _run(settings, settings.host, port, portal=portal)


def _print_sign_in(data_dir: Path, base_url: str) -> None:
    where = str(data_dir.resolve())
    console.print(
        f"staff sign-in: create an account with\n  OBERT_DATA_DIR={where} obert user create NAME --sysadmin\n"
        f"then sign in at {base_url.rstrip('/')}/login (this demo directory needs no OBERT_SECRET_KEY)",
        highlight=False,
        soft_wrap=True,
    )


def _account_settings() -> Settings:
    """Settings for the account commands: a directory made by `obert demo` brings its own secret."""
    from obert.demo.secret import demo_secret

    if "OBERT_SECRET_KEY" not in os.environ:
        data_dir = _settings(mode="demo").data_dir
        if (secret := demo_secret(data_dir)) is not None:
            return _settings(mode="demo", secret_key=secret)
    return _settings()


@app.command()
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


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="worker threads in this process")] = 2,
) -> None:
    """Run background jobs (ingests, harvests, link checks) until stopped with SIGTERM or Ctrl-C.

    On SIGTERM the jobs in hand get OBERT_JOB_SHUTDOWN_GRACE_SECONDS to finish; the others go back to the
    queue at once, for another worker to take."""
    import signal
    import threading

    from obert.observe import logs
    from obert.portal import build_portal

    settings = _settings()
    logs.configure(settings)
    portal = build_portal(settings)
    if not portal.job_handlers:
        err.print("no job kinds are configured")
        raise typer.Exit(1)
    runner = portal.job_runner(threads)
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        # A worker has no web face: prometheus_client's own small server gives its metrics one.
        start_http_server(settings.worker_metrics_port, addr=settings.host, registry=portal.metrics.registry)
        console.print(f"metrics at http://{settings.host}:{settings.worker_metrics_port}/metrics")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runner.start()
    console.print(f"worker {runner.name}: {threads} threads for {', '.join(sorted(portal.job_handlers))}")
    stop.wait()
    grace = settings.job_shutdown_grace_seconds
    console.print(f"stopping: the jobs in hand have {grace:g} s to finish…")
    handed_back = runner.stop(grace)
    if handed_back:
        listed = ", ".join(handed_back)
        console.print(f"handed {len(handed_back)} unfinished job(s) back to the queue: {listed}")
    portal.close()


@app.command()
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
    ingester = build_ingester(_settings())
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
        _fail(exc)
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


@app.command("ingest-package")
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

    portal = build_portal(_settings())
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
        _fail(exc)
    finally:
        portal.close()
    console.print(f"created dataset [bold]{done.dataset.name}[/]")
    for table in done.tables:
        version = table.outcome.version
        state = f"[yellow]held back:[/] {table.outcome.held_message}" if table.outcome.holds else "published"
        columns = ", ".join(f"{c['name']} ({c['type']})" for c in version.report.get("columns", []))
        console.print(f"{table.resource_name}: version {version.number}, {version.row_count} rows, {state}")
        console.print(f"  {columns}")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from obert.portal import build_portal
    from obert.storage import migrate as migrations

    settings = _settings()
    portal = build_portal(settings, run_migrations=False)
    before = migrations.current_revision(portal.store)
    migrations.upgrade(portal.store)
    console.print(f"database at {migrations.current_revision(portal.store)} (was {before})")


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="archive to write: .tar, or .tar.gz to compress it")],
    pg_dump: Annotated[
        bool, typer.Option("--pg-dump", help="on PostgreSQL, include a pg_dump of the database")
    ] = False,
) -> None:
    """Back up the catalogue database and every table version and uploaded file, while obert runs."""
    from obert.errors import ObertError
    from obert.storage.backup import create_backup

    settings = _settings()
    try:
        with console.status(f"writing {dest}…"):
            report = create_backup(settings=settings, dest=dest, pg_dump=pg_dump)
    except ObertError as exc:
        _fail(exc)
    size = report.bytes / 1024**2
    console.print(f"backed up {report.files} files ({size:.1f} MiB before compression) to {report.path}")
    console.print(f"database: {report.database or 'not included'} (revision {report.revision})")
    if report.backend == "postgresql" and report.database is None:
        console.print(
            "[yellow]the PostgreSQL database is not in the archive:[/] back it up with "
            "`pg_dump --format=custom --file=obert.pgdump \"$OBERT_DATABASE_URL\"` (without '+psycopg'), "
            "or run again with --pg-dump"
        )


@app.command()
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

    settings = _settings()
    try:
        with console.status(f"restoring {src}…"):
            report = restore_backup(settings=settings, source=src, force=force, pg_restore=pg_restore)
    except ObertError as exc:
        _fail(exc)
    console.print(f"restored {report.files} files into {settings.data_dir.resolve()}, checksums verified")
    console.print(report.database)
    if report.revision_after != report.revision_before:
        console.print(f"migrated the database from {report.revision_before} to {report.revision_after}")


@app.command()
def reindex() -> None:
    """Rebuild the search index from the catalogue, in one transaction."""
    import time

    from obert.catalog.indexing import rebuild_index
    from obert.errors import ObertError
    from obert.portal import build_portal

    settings = _settings()
    portal = build_portal(settings)
    started = time.perf_counter()
    try:
        count = rebuild_index(store=portal.store, workers=settings.index_workers)
    except ObertError as exc:
        _fail(exc)
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

    settings = _settings()
    portal = build_portal(settings)
    started = time.perf_counter()
    path = snapshot_path(settings.data_dir)
    try:
        # Built here first, so a catalogue the graph cannot be made of fails in this command, not in a query.
        graph = CatalogueGraph(store=portal.store, info=CatalogInfo.from_settings(settings), snapshot=path)
        report = graph.rebuild(write_snapshot=True)
        request_rebuild(store=portal.store, covered=graph.base)
    except ObertError as exc:
        _fail(exc)
    console.print(
        f"the graph holds {report.derived} public datasets, built in {time.perf_counter() - started:.1f} s "
        f"and written to {path}; serving processes load it before their next query"
    )


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
        _fail(exc)
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
        _fail(exc)
    console.print(token.secret, highlight=False, soft_wrap=True)


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

    portal = build_portal(_settings())
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
        _fail(exc)
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

    portal = build_portal(_settings())
    try:
        with console.status(f"harvesting {name}…") as status:
            report = harvesting.run_now(
                portal=portal, ref=name, dry_run=dry_run, show=lambda text: status.update(f"{name}: {text}")
            )
    except ObertError as exc:
        _fail(exc)
    for line in harvesting.describe(report):
        console.print(line, highlight=False)
    if report.state != "done":
        raise typer.Exit(1)


@harvest_app.command("list")
def harvest_list() -> None:
    """List harvest sources and how their last run went."""
    from obert.harvest import cli_support as harvesting
    from obert.portal import build_portal

    portal = build_portal(_settings())
    for line in harvesting.listing(store=portal.store):
        console.print(line, highlight=False)


def _fail(exc: ObertError) -> NoReturn:
    err.print(f"[red]error:[/] {exc.message}")
    for field_error in exc.errors:
        err.print(f"  {field_error.field}: {field_error.message}")
    raise typer.Exit(1)


def _run(settings: Settings, host: str, port: int, *, workers: int = 1, portal: Portal | None = None) -> None:
    import uvicorn

    from obert.app import create_app
    from obert.observe import logs
    from obert.portal import build_portal

    logs.configure(settings)
    if workers > 1 and portal is None:
        # Migrate once here, before the workers start: they would otherwise race to do it.
        build_portal(settings).close()
        _share_metrics()
        if not settings.redis_url:
            console.print(
                f"{workers} web processes: each counts request budgets apart (OBERT_REDIS_URL shares them)"
            )
        uvicorn.run(
            "obert.cli:web_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=None,  # obert's own (obert/observe/logs.py), set up in each process
            access_log=False,  # obert logs each request itself, with its id (OBERT_ACCESS_LOG)
            proxy_headers=True,
            **_http_options(settings),
        )
        return
    application = create_app(settings, portal=portal)
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        **_http_options(settings),
    )


def _share_metrics() -> None:
    """Give the web processes one folder for their metrics, so that a scrape of any of them reports all
    of them (prometheus_client's multiprocess mode; the processes import the library after this)."""
    import tempfile

    from obert.metrics import MULTIPROC_ENV

    folder = os.environ.get(MULTIPROC_ENV)
    if folder:  # the operator's own: emptied, as the client asks before the processes start
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="obert-metrics-")


def _http_options(settings: Settings) -> dict[str, Any]:
    # httptools with a limit on the request head (obert/serving.py says why not h11).
    from obert import serving

    return {"http": serving.PROTOCOL, "h11_max_incomplete_event_size": settings.max_header_bytes}
