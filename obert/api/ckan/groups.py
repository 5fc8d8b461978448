"""Groups as CKAN names them: group_list, group_show, group_create, group_update, group_patch and
group_delete. Site administrators change groups; `packages` (as in CKAN 2.11) says which datasets a group
holds when it is sent and leaves them as they are when it is not."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import group_input, member_refs
from obert.api.ckan.orgs import datasets_of, window
from obert.api.ckan.params import ParamsDep
from obert.api.ckan.present import group_dict
from obert.auth import Actor
from obert.catalog import group_datasets
from obert.catalog import groups as service
from obert.catalog.common import validated
from obert.catalog.models import GroupInput
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid
from obert.portal import Portal

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}
WRITE = {"methods": ["POST"], "include_in_schema": False}


@router.api_route("/group_list", **ACTION)  # type: ignore[arg-type]
def group_list(request: Request, portal: PortalDep, params: ParamsDep) -> JSONResponse:
    """Return the groups.

    :param all_fields: return dicts instead of names (default false)
    """
    found = window(service.list_groups(store=portal.store), params)
    if params.boolean("all_fields", False):
        return success(request, [group_dict(g, portal.settings.default_lang) for g in found])
    return success(request, [g.name for g in found])


@router.api_route("/group_show", **ACTION)  # type: ignore[arg-type]
def group_show(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return a group.

    :param id: its id or name
    :param include_datasets: include its datasets, up to 1000 (default false)
    """
    group = service.get_group(store=portal.store, ref=str(params.required("id")))
    return success(request, _shown(portal, actor, group, params.boolean("include_datasets", False)))


@router.api_route("/group_create", **WRITE)  # type: ignore[arg-type]
def group_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Create a group (site administrators).

    :param name: its URL name
    :param title: its title (or title_translated, a dict by language; default: the name)
    :param description, image_url: (optional)
    :param packages: its datasets, as [{"name": ...}] (optional)
    """
    _refuse_type(params.data)
    packages = member_refs(params.data.get("packages"), "packages")
    data = validated(GroupInput, group_input(params.data, lang=portal.settings.default_lang))
    group_datasets.check_datasets(store=portal.store, actor=actor, refs=packages or [])
    created = service.create_group(store=portal.store, actor=actor, data=data)
    if packages:
        group_datasets.set_group_datasets(
            store=portal.store, actor=actor, group_ref=created.id, dataset_refs=packages
        )
        created = service.get_group(store=portal.store, ref=created.id)
    return success(request, _shown(portal, actor, created, False))


@router.api_route("/group_update", **WRITE)  # type: ignore[arg-type]
def group_update(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Replace a group's metadata (site administrators); its datasets too when `packages` is sent.

    :param id: its id or name
    """
    current = service.get_group(store=portal.store, ref=str(params.required("id")))
    body = {"name": current.name, **params.data}
    return success(request, _replace(portal, actor, current.id, body))


@router.api_route("/group_patch", **WRITE)  # type: ignore[arg-type]
def group_patch(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Change only the given fields of a group (site administrators).

    :param id: its id or name
    """
    current = service.get_group(store=portal.store, ref=str(params.required("id")))
    lang = portal.settings.default_lang
    body = {**group_dict(current, lang), **{k: v for k, v in params.data.items() if k != "id"}}
    return success(request, _replace(portal, actor, current.id, body))


@router.api_route("/group_delete", **WRITE)  # type: ignore[arg-type]
def group_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Delete a group (site administrators): its datasets stay, outside it.

    :param id: its id or name
    """
    service.delete_group(store=portal.store, actor=actor, ref=str(params.required("id")))
    return success(request, None)


def _replace(portal: Portal, actor: Actor, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    _refuse_type(body)
    packages = member_refs(body.get("packages"), "packages")
    data = validated(GroupInput, group_input(body, lang=portal.settings.default_lang))
    group_datasets.check_datasets(store=portal.store, actor=actor, refs=packages or [])
    updated = service.replace_group(store=portal.store, actor=actor, ref=group_id, data=data)
    if packages is not None:
        group_datasets.set_group_datasets(
            store=portal.store, actor=actor, group_ref=group_id, dataset_refs=packages
        )
        updated = service.get_group(store=portal.store, ref=group_id)
    return _shown(portal, actor, updated, False)


def _shown(portal: Portal, actor: Actor, group: service.Group, with_datasets: bool) -> dict[str, Any]:
    result = group_dict(group, portal.settings.default_lang)
    if with_datasets:
        result["packages"] = datasets_of(portal, actor, "groups", group.name)
    return result


def _refuse_type(data: dict[str, Any]) -> None:
    if data.get("type") not in (None, "", "group"):
        raise Invalid(
            "unsupported group type",
            errors=[
                FieldError("type", "groups here are of type 'group'; organisations have their own actions")
            ],
        )
