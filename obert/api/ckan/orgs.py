"""Organisations: organization_list, organization_show, organization_create/update/patch/delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import organization_dict, organization_input
from obert.api.ckan.params import Params, ParamsDep
from obert.api.ckan.present import Packager
from obert.catalog import organizations
from obert.catalog.common import validated
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.catalog.models import OrganizationInput
from obert.deps import ActorDep, PortalDep
from obert.portal import Portal

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}


@router.api_route("/organization_list", **ACTION)  # type: ignore[arg-type]
def organization_list(request: Request, portal: PortalDep, params: ParamsDep) -> JSONResponse:
    """Return the organisations (publishers).

    :param all_fields: return dicts instead of names (default false)
    :param limit: how many (optional)
    :param offset: where to start (optional)
    """
    orgs = organizations.list_organizations(store=portal.store, limit=1000).items
    orgs = window(orgs, params)
    if params.boolean("all_fields", False):
        lang = portal.settings.default_lang
        return success(request, [organization_dict(o, lang) for o in orgs])
    return success(request, [o.name for o in orgs])


@router.api_route("/organization_show", **ACTION)  # type: ignore[arg-type]
def organization_show(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Return an organisation.

    :param id: its id or name
    :param include_datasets: include its datasets, up to 1000 (default false)
    """
    org = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    result = organization_dict(org, portal.settings.default_lang)
    if params.boolean("include_datasets", False):
        result["packages"] = datasets_of(portal, actor, "organization", org.name)
    return success(request, result)


@router.api_route("/organization_create", methods=["POST"], include_in_schema=False)
def organization_create(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Create an organisation (site administrators only).

    :param name: its URL name
    :param title: its title (or title_translated, a dict by language)
    :param description: (optional)
    :param image_url: (optional)
    """
    data = validated(OrganizationInput, organization_input(params.data, lang=portal.settings.default_lang))
    created = organizations.create_organization(store=portal.store, actor=actor, data=data)
    return success(request, organization_dict(created, portal.settings.default_lang))


@router.api_route("/organization_update", methods=["POST"], include_in_schema=False)
def organization_update(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Replace an organisation's metadata (its administrators and site administrators).

    :param id: its id or name
    :param name, title (or title_translated), description, image_url: its new metadata
    """
    current = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    lang = portal.settings.default_lang
    data = validated(OrganizationInput, organization_input({"name": current.name, **params.data}, lang=lang))
    updated = organizations.replace_organization(store=portal.store, actor=actor, ref=current.id, data=data)
    return success(request, organization_dict(updated, lang))


@router.api_route("/organization_patch", methods=["POST"], include_in_schema=False)
def organization_patch(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Change only the given fields of an organisation.

    :param id: its id or name
    """
    current = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    lang = portal.settings.default_lang
    body = {**organization_dict(current, lang), **{k: v for k, v in params.data.items() if k != "id"}}
    data = validated(OrganizationInput, organization_input(body, lang=lang))
    updated = organizations.replace_organization(store=portal.store, actor=actor, ref=current.id, data=data)
    return success(request, organization_dict(updated, lang))


@router.api_route("/organization_delete", methods=["POST"], include_in_schema=False)
def organization_delete(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Delete an organisation (its administrators), once it publishes no dataset any more.

    :param id: its id or name
    """
    organizations.delete_organization(store=portal.store, actor=actor, ref=str(params.required("id")))
    return success(request, None)


def window(items: list[Any], params: Params) -> list[Any]:
    offset = params.integer("offset", 0, minimum=0)
    limit = params.integer("limit", len(items), minimum=0)
    return items[offset : offset + limit]


def datasets_of(portal: Portal, actor: Any, facet: str, value: str) -> list[dict[str, Any]]:
    found = browse_datasets(
        store=portal.store,
        actor=actor,
        query=BrowseQuery(filters={facet: (value,)}, limit=1000),  # type: ignore[dict-item]
    )
    return Packager.load(portal, actor).packages(found.items, found.groups)
