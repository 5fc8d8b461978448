"""/health and /metrics: for load balancers, orchestrators and Prometheus.

`/health/live` says the process is up (restart it when this fails); `/health/ready` says it can serve
(send it traffic only when this passes): the database answers, Redis answers when configured, the data
directory has room and can be written. `/health` is the original readiness check, kept for old probes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from obert.api.face import NATIVE
from obert.deps import PortalDep
from obert.errors import Unavailable
from obert.faces import rules
from obert.portal import Portal

router = NATIVE.router(tags=["system"])
MIN_FREE_BYTES = 100 * 1024 * 1024


def _database(portal: Portal) -> str:
    try:
        portal.store.ping()
    except Unavailable as exc:
        return exc.message
    return "ok"


def _disk(portal: Portal) -> str:
    try:
        free = shutil.disk_usage(portal.settings.data_dir).free
    except OSError as exc:
        return f"cannot measure the free space: {exc.strerror}"
    return "ok" if free >= MIN_FREE_BYTES else f"only {free // 1024**2} MiB free"


def _data_dir(portal: Portal) -> str:
    probe = portal.settings.data_dir / f".ready-{uuid.uuid4().hex}"
    try:
        with probe.open("wb") as f:
            f.write(b"ok")
        probe.unlink()
    except OSError as exc:
        return f"{portal.settings.data_dir} cannot be written: {exc.strerror}"
    return "ok"


def _redis(portal: Portal) -> str:
    return "ok" if portal.limiter.reachable() else "Redis does not answer at OBERT_REDIS_URL"


def _answer(checks: dict[str, str]) -> JSONResponse:
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    body: dict[str, object] = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/health")
@rules(metered=False, cache="no-store")
def health(portal: PortalDep) -> JSONResponse:
    """Readiness: the database answers and the data directory has room."""
    return _answer({"database": _database(portal), "disk": _disk(portal)})


@router.get("/health/live")
@rules(metered=False, cache="no-store")
def live(request: Request) -> JSONResponse:
    """Liveness: the process answers. No dependency is checked, so a database outage never gets every
    web process restarted at once; 503 only while the process is shutting down."""
    if getattr(request.app.state, "shutting_down", False):
        return JSONResponse({"status": "shutting down"}, status_code=503)
    return JSONResponse({"status": "ok", "pid": os.getpid()})


@router.get("/health/ready")
@rules(metered=False, cache="no-store")
def ready(request: Request, portal: PortalDep) -> JSONResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the checks that failed."""
    probes: dict[str, Callable[[Portal], str]] = {"database": _database}
    if portal.settings.redis_url:
        probes["redis"] = _redis
    probes.update(disk=_disk, data_dir=_data_dir)
    checks = {name: probe(portal) for name, probe in probes.items()}
    if getattr(request.app.state, "shutting_down", False):
        checks["process"] = "shutting down"
    return _answer(checks)


@router.get("/metrics", include_in_schema=False)
@rules(cache="no-store")
def metrics(portal: PortalDep, response: Response) -> Response:
    return Response(portal.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
