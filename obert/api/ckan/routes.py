"""The CKAN face's routers, mounted under both prefixes CKAN answers on (ckanapi uses /api/action)."""

from __future__ import annotations

from fastapi import FastAPI

from obert.api.ckan import orgs, read, system, write

PREFIXES = ("/api/3/action", "/api/action")


def mount(app: FastAPI) -> None:
    for prefix in PREFIXES:
        for module in (read, orgs, write, system):  # system last: it answers unknown action names
            app.include_router(module.router, prefix=prefix, tags=["ckan"])
