"""Write actions: package_create/update/patch/delete (with the groups a dataset is in) and
resource_create/update/delete.

Each translates the CKAN dict into obert's input model and calls the same service the native API calls,
so permissions and validation are the same whichever face a client uses.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import dataset_input, member_refs, resource_dict, resource_input
from obert.api.ckan.params import Params, ParamsDep
from obert.api.ckan.present import Packager
from obert.auth import Actor
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.group_datasets import check_groups, set_dataset_groups
from obert.catalog.models import Dataset, DatasetInput, ResourceInput
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, ObertError
from obert.portal import Portal
from obert.tableservice.originals import downloads

router = CKAN.router()
WRITE = {"methods": ["POST"], "include_in_schema": False}


@router.api_route("/package_create", **WRITE)  # type: ignore[arg-type]
def package_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Create a dataset, with its resources when given.

    :param name: its URL name
    :param title: its title (or title_translated, a dict by language)
    :param owner_org: the id or name of its publisher
    :param notes, tags, license_id, url, version, private, extras, resources: (optional)
    :param groups: the groups it is in, as [{"name": ...}] (optional)
    """
    data = validated(DatasetInput, dataset_input(params.data, lang=portal.settings.default_lang))
    in_groups = member_refs(params.data.get("groups"), "groups")
    check_groups(store=portal.store, refs=in_groups or [])
    created = datasets.create_dataset(store=portal.store, actor=actor, data=data)
    if in_groups:
        set_dataset_groups(store=portal.store, actor=actor, dataset_ref=created.id, group_refs=in_groups)
        created = datasets.get_dataset(store=portal.store, actor=actor, ref=created.id)
    return success(request, Packager.load(portal, actor).package(created))


@router.api_route("/package_update", **WRITE)  # type: ignore[arg-type]
def package_update(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Replace a dataset's metadata; when `resources` is given, the resources become that list, and
    when `groups` is, its groups.

    :param id: the id or name of the dataset
    """
    current = datasets.get_dataset(store=portal.store, actor=actor, ref=str(params.required("id")))
    body = {"name": current.name, **params.data}
    updated = update_package(portal, actor, current, body)
    return success(request, Packager.load(portal, actor).package(updated))


@router.api_route("/package_patch", **WRITE)  # type: ignore[arg-type]
def package_patch(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Change only the given fields of a dataset.

    :param id: the id or name of the dataset
    """
    current = datasets.get_dataset(store=portal.store, actor=actor, ref=str(params.required("id")))
    shown = Packager.load(portal, actor).package(current)
    body = {**shown, **{k: v for k, v in params.data.items() if k != "id"}}
    if "resources" not in params.data:
        body.pop("resources")
    updated = update_package(portal, actor, current, body)
    return success(request, Packager.load(portal, actor).package(updated))


@router.api_route("/package_delete", **WRITE)  # type: ignore[arg-type]
def package_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Delete a dataset (a soft delete a site administrator can undo).

    :param id: the id or name of the dataset
    """
    datasets.delete_dataset(store=portal.store, actor=actor, ref=str(params.required("id")))
    return success(request, None)


@router.api_route("/resource_create", **WRITE)  # type: ignore[arg-type]
def resource_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Add a resource to a dataset: a link (`url`) or a file (multipart field `upload`).

    :param package_id: the id or name of the dataset
    :param name, description, format, mimetype, url: (optional)
    :param upload: the file (optional)
    """
    package_id = str(params.required("package_id"))
    data = validated(ResourceInput, resource_input(params.data, lang=portal.settings.default_lang))
    created = resources.create_resource(store=portal.store, actor=actor, dataset_ref=package_id, data=data)
    if params.upload is not None:
        try:
            created = _attach(portal, actor, created.id, params)
        except ObertError:
            # A resource without the file its client sent would be a lie: undo the creation.
            resources.delete_resource(store=portal.store, actor=actor, ref=created.id)
            raise
    return success(request, resource_answer(portal, actor, created))


@router.api_route("/resource_update", **WRITE)  # type: ignore[arg-type]
def resource_update(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Replace a resource's metadata, and its file when `upload` is sent.

    :param id: the id of the resource
    """
    current = resources.get_resource(store=portal.store, actor=actor, ref=str(params.required("id")))
    fields = resource_input(params.data, lang=portal.settings.default_lang)
    fields.setdefault("name", current.name)
    if current.upload and fields.get("access_url") == current.href(portal.settings.base_url):
        fields.pop("access_url")  # the download link obert gave it, sent back unchanged
    data = validated(ResourceInput, fields)
    updated = resources.replace_resource(store=portal.store, actor=actor, ref=current.id, data=data)
    if params.upload is not None:
        updated = _attach(portal, actor, updated.id, params)
    return success(request, resource_answer(portal, actor, updated))


@router.api_route("/resource_delete", **WRITE)  # type: ignore[arg-type]
def resource_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Delete a resource.

    :param id: the id of the resource
    """
    resources.delete_resource(store=portal.store, actor=actor, ref=str(params.required("id")))
    return success(request, None)


def update_package(portal: Portal, actor: Actor, current: Dataset, body: dict[str, Any]) -> Dataset:
    lang = portal.settings.default_lang
    fields = dataset_input(body, lang=lang)
    wanted = fields.pop("resources", None)
    data = validated(DatasetInput, fields)
    in_groups = member_refs(body.get("groups"), "groups")
    check_groups(store=portal.store, refs=in_groups or [])
    # Validate every resource before changing anything, so a bad one leaves the dataset as it was.
    planned: list[tuple[str, ResourceInput]] | None = None
    existing = {r.id for r in current.resources}
    if wanted is not None:
        planned = [
            (str(r.get("id") or ""), validated(ResourceInput, resource_input(r, lang=lang)))
            for r in (body.get("resources") or [])
        ]
        unknown = [rid for rid, _ in planned if rid and rid not in existing]
        if unknown:
            raise Invalid(
                "a resource belongs to another dataset",
                errors=[FieldError("resources", f"no resource {unknown[0]} in this dataset")],
            )
    updated = datasets.replace_dataset(store=portal.store, actor=actor, ref=current.id, data=data)
    if in_groups is not None:
        set_dataset_groups(store=portal.store, actor=actor, dataset_ref=current.id, group_refs=in_groups)
        updated = datasets.get_dataset(store=portal.store, actor=actor, ref=current.id)
    if planned is None:
        return updated
    for rid, resource in planned:
        if rid:
            resources.replace_resource(store=portal.store, actor=actor, ref=rid, data=resource)
        else:
            resources.create_resource(store=portal.store, actor=actor, dataset_ref=current.id, data=resource)
    kept = {rid for rid, _ in planned if rid}
    for rid in existing - kept:
        resources.delete_resource(store=portal.store, actor=actor, ref=rid)
    return datasets.get_dataset(store=portal.store, actor=actor, ref=current.id)


def _attach(portal: Portal, actor: Actor, resource_id: str, params: Params) -> Any:
    assert params.upload is not None
    return resources.attach_upload(
        store=portal.store,
        files=portal.files,
        actor=actor,
        ref=resource_id,
        filename=params.upload.filename,
        stream=params.upload.stream,
        max_bytes=portal.settings.max_upload_bytes,
    )


def resource_answer(portal: Portal, actor: Actor, resource: Any) -> dict[str, Any]:
    settings = portal.settings
    link = downloads(store=portal.store, actor=actor, found=[resource], base_url=settings.base_url)
    return resource_dict(resource, link=link[resource.id], lang=settings.default_lang)
