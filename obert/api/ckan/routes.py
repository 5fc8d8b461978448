"""The CKAN face's routers, mounted under both prefixes CKAN answers on (ckanapi uses /api/action)."""

from __future__ import annotations

from fastapi import FastAPI

from obert.api.ckan import (
    datastore,
    datastore_write,
    groups,
    lookups,
    orgs,
    people,
    read,
    revise,
    system,
    write,
)
from obert.api.ckan.face import CKAN

PREFIXES = ("/api/3/action", "/api/action")


def api_version() -> dict[str, int]:
    return {"version": 3}


def mount(app: FastAPI) -> None:
    # CKAN clients probe /api/3 (and /api) for the API version before calling actions.
    probes = CKAN.router()
    for path in ("/api/3", "/api/3/"):
        probes.add_api_route(path, api_version, methods=["GET"], include_in_schema=False)
    app.include_router(probes)
    for prefix in PREFIXES:
        for module in (
            read,
            orgs,
            groups,
            people,
            lookups,
            write,
            revise,
            datastore,
            datastore_write,
            system,
        ):  # system last: it answers unknown action names
            app.include_router(module.router, prefix=prefix, tags=["ckan"])
