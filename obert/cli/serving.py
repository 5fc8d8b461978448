"""`obert serve`, `obert demo` and `obert worker`: the long-running processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from obert.cli.common import console, err, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from obert.portal import Portal
    from obert.settings import Settings


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
    settings = load_settings()
    _run(settings, host or settings.host, port or settings.port, workers=workers or settings.workers)


def web_app() -> FastAPI:
    """The application of one web process of `obert serve --workers N`: built in that process, from the
    same environment the command read."""
    from obert.app import create_app
    from obert.observe import logs

    settings = load_settings()
    logs.configure(settings)
    return create_app(settings)


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
    settings = load_settings(mode="demo", data_dir=data_dir, **secret, **catalog_settings())
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

    settings = load_settings()
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
            "obert.cli.serving:web_app",
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
