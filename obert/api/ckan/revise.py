"""Partial writes CKAN scripts use: resource_patch and package_revise (a patch applied only when the
dataset still matches what the script last saw)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import resource_input
from obert.api.ckan.params import ParamsDep
from obert.api.ckan.present import Packager
from obert.api.ckan.write import WRITE, resource_answer, update_package
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import ResourceInput
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, msg

router = CKAN.router()


@router.api_route("/resource_patch", **WRITE)  # type: ignore[arg-type]
def resource_patch(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Change only the given fields of a resource.

    :param id: the id of the resource
    """
    current = resources.get_resource(store=portal.store, actor=actor, ref=str(params.required("id")))
    shown = resource_answer(portal, actor, current)
    body = {**shown, **{k: v for k, v in params.data.items() if k != "id"}}
    fields = resource_input(body, lang=portal.settings.default_lang)
    if current.upload and fields.get("access_url") == current.href(portal.settings.base_url):
        fields.pop("access_url")  # the download link obert gave it, sent back unchanged
    data = validated(ResourceInput, fields)
    updated = resources.replace_resource(store=portal.store, actor=actor, ref=current.id, data=data)
    return success(request, resource_answer(portal, actor, updated))


@router.api_route("/package_revise", **WRITE)  # type: ignore[arg-type]
def package_revise(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Update a dataset if it still matches `match`: CKAN's compare-and-set.

    :param match: fields the dataset must have, with `id` or `name` to find it (a dict or JSON)
    :param update: fields to set (a dict or JSON); `resources` items with an `id` change that
        resource, without one are added
    :param update__resources__extend: resources to add (a list or JSON)
    """
    match = _dict(params.data.get("match"), "match")
    update = _dict(params.data.get("update") or {}, "update")
    ref = match.get("id") or match.get("name")
    if not ref:
        raise Invalid(msg("match needs id or name"), errors=[FieldError("match", "Missing id or name")])
    unsupported = sorted(k for k in params.data if k.startswith(("filter", "update__")) and k != _EXTEND)
    if unsupported:
        raise Invalid(
            "unsupported package_revise parameters",
            errors=[FieldError(unsupported[0], "not supported here; use match, update, " + _EXTEND)],
        )
    current = datasets.get_dataset(store=portal.store, actor=actor, ref=str(ref))
    packager = Packager.load(portal, actor)
    shown = packager.package(current)
    differ = sorted(k for k, v in match.items() if shown.get(k) != v)
    if differ:
        raise Invalid(
            "the dataset no longer matches",
            errors=[FieldError("match", f"{', '.join(differ)}: the dataset has other values")],
        )
    body = {**shown, **{k: v for k, v in update.items() if k != "resources"}}
    listed = [dict(r) for r in shown.get("resources") or []]
    by_id = {r["id"]: r for r in listed}
    for item in update.get("resources") or []:
        if isinstance(item, dict) and item.get("id") in by_id:
            by_id[item["id"]].update(item)
        elif isinstance(item, dict):
            listed.append(item)
    extend = params.data.get(_EXTEND)
    if extend is not None:
        extra = json.loads(extend) if isinstance(extend, str) else extend
        if not isinstance(extra, list):
            raise Invalid(f"{_EXTEND} must be a list", errors=[FieldError(_EXTEND, "Not a list")])
        listed.extend(r for r in extra if isinstance(r, dict))
    body["resources"] = listed
    updated = update_package(portal, actor, current, body)
    return success(request, {"package": Packager.load(portal, actor).package(updated)})


_EXTEND = "update__resources__extend"


def _dict(value: Any, key: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Invalid(
                msg("{key} is not JSON", key=key), errors=[FieldError(key, "Invalid JSON")]
            ) from None
    if not isinstance(value, dict):
        raise Invalid(msg("{key} must be an object", key=key), errors=[FieldError(key, "Missing value")])
    return value
