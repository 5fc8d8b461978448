"""Small read actions CKAN clients and forms call: license_list, tag_show, package_autocomplete,
format_autocomplete. Each answers from the catalogue's listing (visibility included) or its
vocabularies."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.params import ParamsDep
from obert.api.ckan.present import Packager
from obert.catalog.criteria import AnyOf, Value, Words
from obert.catalog.licences import ckan_ids, ckan_licence, ckan_licence_id, is_open
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.catalog.vocabulary import vocabulary
from obert.deps import ActorDep, PortalDep
from obert.errors import NotFound, msg
from obert.i18n import pick

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}


@router.api_route("/license_list", **ACTION)  # type: ignore[arg-type]
def license_list(request: Request, portal: PortalDep) -> JSONResponse:
    """Return the licences a dataset's license_id may name (the EU licence vocabulary): by CKAN's id,
    title and link where CKAN's default list has the licence, as package_show names it, otherwise by
    its EU code; `obert_license` is the EU code and `ckan_ids` the CKAN ids license_id accepts for it."""
    lang = portal.settings.default_lang
    out = []
    for concept in vocabulary("licence"):
        ckan = ckan_licence(concept.code)
        out.append(
            _licence(concept.code, ckan.title, ckan.url)
            if ckan
            else _licence(concept.code, concept.label_in(lang), concept.uri)
        )
    return success(request, out)


@router.api_route("/tag_show", **ACTION)  # type: ignore[arg-type]
def tag_show(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return a tag (a keyword of the visible datasets).

    :param id: the tag's name
    :param include_datasets: include its datasets, up to 1000 (default false)
    """
    name = str(params.required("id"))
    with_datasets = params.boolean("include_datasets", False)
    query = BrowseQuery(criterion=Value("tags", name), limit=1000 if with_datasets else 0)
    found = browse_datasets(store=portal.store, actor=actor, query=query)
    if not found.count:
        raise NotFound(msg("no tag '{name}'", name=name))
    result: dict[str, Any] = {"id": name, "name": name, "display_name": name, "vocabulary_id": None}
    if with_datasets:
        result["packages"] = Packager.load(portal, actor).packages(found.items, found.groups)
    return success(request, result)


@router.api_route("/package_autocomplete", **ACTION)  # type: ignore[arg-type]
def package_autocomplete(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Return datasets whose name contains `q` or whose title has words starting like it.

    :param q: the text typed
    :param limit: how many (default 10)
    """
    text = str(params.required("q")).strip()
    limit = min(params.integer("limit", 10, minimum=0), 100)
    criterion = AnyOf((Value("name", f"*{text}*", pattern=True), Words(text, ("title",), prefix=True)))
    query = BrowseQuery(criterion=criterion, limit=limit, order=(("name", False),))
    found = browse_datasets(store=portal.store, actor=actor, query=query)
    lang = portal.settings.default_lang
    out = []
    for dataset in found.items:
        title = pick(dataset.title, lang)[0]
        by_name = text.casefold() in dataset.name.casefold()
        out.append(
            {
                "name": dataset.name,
                "title": title,
                "match_field": "name" if by_name else "title",
                "match_displayed": dataset.name if by_name else f"{title} ({dataset.name})",
            }
        )
    return success(request, out)


@router.api_route("/format_autocomplete", **ACTION)  # type: ignore[arg-type]
def format_autocomplete(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Return the resource formats in use that contain `q`, most used first.

    :param q: the text typed
    :param limit: how many (default 5)
    """
    text = str(params.required("q")).strip().casefold()
    limit = params.integer("limit", 5, minimum=0)
    query = BrowseQuery(limit=0, facets=("format",), facet_limit=10**6, include_private=False)
    found = browse_datasets(store=portal.store, actor=actor, query=query)
    formats = [value for value, _ in found.facets["format"] if text in value.casefold()]
    return success(request, [f.lower() for f in formats[:limit]])


def _licence(code: str, title: str, url: str) -> dict[str, Any]:
    open_data = is_open(code)
    return {
        "id": ckan_licence_id(code),
        "obert_license": code,
        "title": title,
        "url": url,
        "ckan_ids": ckan_ids(code),
        "status": "active",
        "maintainer": "",
        "family": "",
        "domain_content": False,
        "domain_data": True,
        "domain_software": False,
        "is_generic": False,
        "is_okd_compliant": open_data,
        "is_osi_compliant": False,
        "od_conformance": "approved" if open_data else "not reviewed",
        "osd_conformance": "not reviewed",
    }
