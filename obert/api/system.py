"""/health and /metrics: for load balancers and Prometheus."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from obert.deps import PortalDep
from obert.errors import Unavailable

router = APIRouter(tags=["system"])
MIN_FREE_BYTES = 100 * 1024 * 1024


@router.get("/health")
def health(portal: PortalDep) -> JSONResponse:
    """Readiness: the database answers and the data directory has room."""
    checks: dict[str, Any] = {}
    try:
        portal.store.ping()
        checks["database"] = "ok"
    except Unavailable as exc:
        checks["database"] = exc.message
    free = shutil.disk_usage(portal.settings.data_dir).free
    checks["disk"] = "ok" if free >= MIN_FREE_BYTES else f"only {free // 1024**2} MiB free"
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status_code=200 if healthy else 503
    )


@router.get("/metrics", include_in_schema=False)
def metrics(portal: PortalDep, response: Response) -> Response:
    registry = portal.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
