"""status_show, help_show, and CKAN's answer to an action it does not know."""

from __future__ import annotations

import inspect

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from obert.api.ckan import datastore, datastore_write, orgs, read, write
from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.params import ParamsDep
from obert.deps import PortalDep
from obert.errors import BadRequest, NotFound, msg

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}
# The CKAN API level obert answers as: clients that check the version gate features on it.
CKAN_API_VERSION = "2.10.0"


@router.api_route("/status_show", **ACTION)  # type: ignore[arg-type]
def status_show(request: Request, portal: PortalDep) -> JSONResponse:
    """Return the site's version and configuration."""
    settings = portal.settings
    return success(
        request,
        {
            "site_title": settings.site_name,
            "site_url": settings.base_url,
            "site_description": settings.catalog_description.get(settings.default_lang, ""),
            "ckan_version": CKAN_API_VERSION,
            "locale_default": settings.default_lang,
            "extensions": ["dcat", "fluent"],
            "obert": True,
        },
    )


@router.api_route("/help_show", **ACTION)  # type: ignore[arg-type]
def help_show(request: Request, params: ParamsDep) -> JSONResponse:
    """Return the help text of an action.

    :param name: the action's name
    """
    name = str(params.required("name"))
    for module_router in (
        read.router,
        orgs.router,
        write.router,
        datastore.router,
        datastore_write.router,
        router,
    ):
        for route in module_router.routes:
            if isinstance(route, APIRoute) and route.path == f"/{name}" and name != "{name}":
                return success(request, inspect.cleandoc(route.endpoint.__doc__ or name))
    raise NotFound(msg("no action '{name}'", name=name))


@router.api_route("/{name}", **ACTION)  # type: ignore[arg-type]
def unknown_action(name: str) -> JSONResponse:
    """(Any action obert does not provide.)"""
    raise BadRequest(f"Action name not known: {name}")
