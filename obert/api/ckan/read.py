"""Read actions on datasets and resources: package_show, package_list, package_search, resource_show,
current_package_list_with_resources, tag_list."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import resource_dict
from obert.api.ckan.params import Params, ParamsDep
from obert.api.ckan.present import Packager
from obert.api.ckan.search import DEFAULT_SORT, search_query, search_result
from obert.api.conditional import revalidate, stamped
from obert.auth import Actor
from obert.catalog import datasets, resources
from obert.catalog.listing import BrowseQuery, browse_datasets, public_names
from obert.catalog.revision import dataset_revision, resource_revision
from obert.deps import ActorDep, PortalDep
from obert.storage import Store
from obert.tableservice.originals import downloads

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}
# Every keyword of the public datasets, each once whatever its languages, with its count.
TAG_LIST_QUERY = BrowseQuery(limit=0, facets=("keyword",), facet_limit=10**6, include_private=False)


@router.api_route("/package_show", **ACTION)  # type: ignore[arg-type]
def package_show(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> Response:
    """Return the metadata of a dataset (package) and its resources.

    :param id: the id or name of the dataset
    """
    ref = str(params.required("id"))
    revision = dataset_revision(store=portal.store, actor=actor, ref=ref)
    unchanged = revalidate(request, revision)
    if unchanged is not None:
        return unchanged
    found = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    return stamped(success(request, Packager.load(portal, actor).package(found)), revision)


@router.api_route("/package_list", **ACTION)  # type: ignore[arg-type]
def package_list(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return the names of the site's public datasets.

    :param limit: how many to return (optional)
    :param offset: where to start (optional)
    """
    return success(request, package_names(portal.store, actor, params))


def package_names(store: Store, actor: Actor, params: Params) -> list[str]:
    limit = params.integer("limit", 1000, minimum=0)
    offset = params.integer("offset", 0, minimum=0)
    return public_names(store=store, actor=actor, offset=offset, limit=limit)


@router.api_route("/current_package_list_with_resources", **ACTION)  # type: ignore[arg-type]
def current_package_list_with_resources(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Return the datasets, most recently modified first, with their resources.

    :param limit: how many to return (default 10)
    :param offset: where to start (default 0)
    """
    found = browse_datasets(store=portal.store, actor=actor, query=recent_packages_query(params))
    return success(request, Packager.load(portal, actor).packages(found.items, found.groups))


def recent_packages_query(params: Params) -> BrowseQuery:
    return BrowseQuery(
        offset=params.integer("offset", 0, minimum=0),
        limit=params.integer("limit", 10, minimum=0),
        sort="modified",
        descending=True,
        include_private=False,
    )


@router.api_route("/package_search", **ACTION)  # type: ignore[arg-type]
def package_search(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Search datasets.

    :param q: a query in CKAN's (Solr) syntax: words every dataset must contain, field:value, AND, OR,
        NOT, -, quotes, groups, ranges on metadata_modified/metadata_created, trailing wildcards
    :param fq: a filter query in the same syntax (fields: id, name, title, notes, text, organization,
        owner_org, tags, res_format, license_id, groups, theme, metadata_modified, metadata_created)
    :param fq_list: more filter queries, as a list
    :param facet.field: fields to count values of (a JSON list)
    :param facet.limit: values per facet (default 50, -1 for all)
    :param facet.mincount: least count of a listed value (default 1)
    :param rows: results per page (default 10; more than 1000 gives 1000)
    :param start: offset of the first result
    :param sort: comma-separated keys with asc or desc: id, name, title (title_string),
        metadata_modified, metadata_created, score (default "score desc, metadata_modified desc")
    :param include_private: also private datasets the caller may see (default false)
    :param include_drafts: also drafts the caller may see (default false)
    """
    query = search_query(params)
    found = browse_datasets(store=portal.store, actor=actor, query=query)
    packages = Packager.load(portal, actor).packages(found.items, found.groups)
    sort = params.text("sort") or DEFAULT_SORT
    return success(request, search_result(query, found, packages, sort=sort))


@router.api_route("/resource_show", **ACTION)  # type: ignore[arg-type]
def resource_show(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> Response:
    """Return the metadata of a resource.

    :param id: the id (or obert name) of the resource
    """
    ref = str(params.required("id"))
    revision = resource_revision(store=portal.store, actor=actor, ref=ref)
    unchanged = revalidate(request, revision)
    if unchanged is not None:
        return unchanged
    found = resources.get_resource(store=portal.store, actor=actor, ref=ref)
    settings = portal.settings
    link = downloads(store=portal.store, actor=actor, found=[found], base_url=settings.base_url)[found.id]
    active = link.serves_table
    answer = resource_dict(found, link=link, lang=settings.default_lang, datastore_active=active)
    return stamped(success(request, answer), revision)


@router.api_route("/tag_list", **ACTION)  # type: ignore[arg-type]
def tag_list(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return the tags (keywords) of public datasets.

    :param query: only tags containing this text (optional)
    :param all_fields: return dicts instead of names (default false)
    """
    found = browse_datasets(store=portal.store, actor=actor, query=TAG_LIST_QUERY)
    needle = (params.text("query") or "").casefold()
    names = sorted(name for name, _ in found.facets["keyword"] if needle in name.casefold())
    if params.boolean("all_fields", False):
        return success(request, [{"name": n, "display_name": n, "vocabulary_id": None} for n in names])
    return success(request, names)
