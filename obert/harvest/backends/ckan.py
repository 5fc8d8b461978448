"""CKAN Action API: paged package_search, incremental by metadata_modified, organisations as publishers.

Keeps what CKAN portals add on top of the core schema: extras, ckanext-fluent's translated fields
(`title_translated`, `notes_translated`, `tags_translated`) and custom top-level fields such as Open Data
BCN's `code`, `fuente` or `frequency`, which go to `extras`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from obert.errors import FieldError, Invalid, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.mapping import (
    code_in,
    file_format,
    http_url,
    iso_date,
    licence_code,
    localized,
    slugify,
    text_value,
    themes_and_sectors,
)
from obert.harvest.models import Failure, Record, Source

PAGE = 1000
# Core CKAN package keys; any other top-level scalar is a portal's custom field and kept as an extra.
_CORE = frozenset(
    [
        "id",
        "name",
        "title",
        "notes",
        "url",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license_id",
        "license_title",
        "license_url",
        "version",
        "state",
        "type",
        "private",
        "owner_org",
        "organization",
        "groups",
        "tags",
        "resources",
        "extras",
        "metadata_created",
        "metadata_modified",
        "num_tags",
        "num_resources",
        "isopen",
        "revision_id",
        "creator_user_id",
        "relationships_as_object",
        "relationships_as_subject",
        "title_translated",
        "notes_translated",
        "tags_translated",
        "tracking_summary",
    ]
)


def api_base(url: str) -> str:
    base = url.rstrip("/")
    if base.endswith("/api/3/action"):
        return base
    return base + "/api/3/action"


def harvest_ckan(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    api = api_base(source.url)
    site = api.removesuffix("/api/3/action")
    rows = int(source.config.get("rows", PAGE))
    base_fq = str(source.config.get("fq", "")).strip()
    lang = str(source.config.get("language", "en"))
    incremental = bool(source.cursor) and not source.config.get("full", False)
    fq = base_fq
    if incremental:
        fq = f"{base_fq} metadata_modified:[{source.cursor} TO *]".strip()
        ctx.listing.complete = False
        ctx.listing.all_ids = set(_all_ids(api, base_fq, rows, ctx))
    newest = source.cursor or ""
    for package in _packages(api, fq, rows, ctx):
        remote_id = str(package.get("id") or package.get("name") or "")
        if not remote_id:
            yield Failure("?", msg("a package without an id"))
            continue
        modified = str(package.get("metadata_modified") or "")
        newest = max(newest, _solr_stamp(modified)) if modified else newest
        try:
            yield map_package(
                package, site=site, lang=lang, map_orgs=source.config.get("map_organizations", True)
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield Failure(remote_id, msg("cannot read the package: {error}", error=str(exc)))
    ctx.listing.cursor = newest or None


def _packages(api: str, fq: str, rows: int, ctx: FetchContext) -> Iterator[dict[str, Any]]:
    start = 0
    while True:
        params = {"rows": rows, "start": start, "sort": "metadata_modified asc, id asc"}
        if fq:
            params["fq"] = fq
        result = _result(ctx.fetcher.json(f"{api}/package_search?{urlencode(params)}"), api)
        results = result.get("results") or []
        yield from (r for r in results if isinstance(r, dict))
        start += len(results)
        if not results or start >= int(result.get("count") or 0):
            return


def _all_ids(api: str, fq: str, rows: int, ctx: FetchContext) -> Iterator[str]:
    start = 0
    while True:
        params: dict[str, Any] = {"rows": rows, "start": start, "fl": "id", "sort": "id asc"}
        if fq:
            params["fq"] = fq
        result = _result(ctx.fetcher.json(f"{api}/package_search?{urlencode(params)}"), api)
        results = result.get("results") or []
        yield from (str(r["id"]) for r in results if isinstance(r, dict) and r.get("id"))
        start += len(results)
        if not results or start >= int(result.get("count") or 0):
            return


def _result(body: object, api: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not body.get("success") or not isinstance(body.get("result"), dict):
        error = body.get("error") if isinstance(body, dict) else None
        raise Invalid(
            f"{api} is not a CKAN Action API",
            errors=[FieldError("url", f"package_search did not succeed: {str(error or body)[:200]}")],
        )
    result: dict[str, Any] = body["result"]
    return result


def _solr_stamp(value: str) -> str:
    # Solr range queries need a UTC stamp with a Z; CKAN hands out microseconds without a zone.
    return value[:19] + "Z"


def map_package(package: dict[str, Any], *, site: str, lang: str, map_orgs: object = True) -> Record:
    """A CKAN package dict as a record of an obert dataset."""
    title = localized(package.get("title_translated"), lang) or localized(package.get("title"), lang)
    if not title:
        title = {lang: str(package.get("name") or package["id"])}
    extras: dict[str, str] = {}
    for item in package.get("extras") or []:
        if isinstance(item, dict) and item.get("key"):
            extras[str(item["key"])] = text_value(item.get("value"))
    for key, value in package.items():
        if key not in _CORE and value not in (None, "", [], {}):
            extras[key] = text_value(value)
    keywords: dict[str, list[str]] = {}
    translated_tags = package.get("tags_translated")
    if isinstance(translated_tags, dict):
        keywords = {k: [str(t) for t in v] for k, v in translated_tags.items() if isinstance(v, list)}
    else:
        names = [_tag(t) for t in package.get("tags") or [] if t]
        keywords = {lang: names} if names else {}
    group_names = [str(g.get("name") or "") for g in package.get("groups") or [] if isinstance(g, dict)]
    themes, sectors, _ = themes_and_sectors(group_names + _listed(extras.get("theme")))
    landing = http_url(package.get("url")) or f"{site}/dataset/{package.get('name') or package['id']}"
    dataset: dict[str, Any] = {
        "name": slugify(str(package.get("name") or next(iter(title.values())))),
        "title": title,
        "description": localized(package.get("notes_translated"), lang)
        or localized(package.get("notes"), lang),
        "keywords": keywords,
        "themes": themes,
        "sectors": sectors,
        "license": licence_code(package.get("license_id"))
        or licence_code(package.get("license_url"))
        or licence_code(package.get("license_title")),
        "frequency": code_in("frequency", extras.get("frequency")),
        "issued": iso_date(package.get("metadata_created")),
        "modified": iso_date(package.get("metadata_modified")),
        "landing_page": landing,
        "contact_point": _contact(package),
        "version": str(package.get("version") or "")[:100] or None,
        "extras": extras,
        "resources": [_resource(r, lang) for r in package.get("resources") or [] if isinstance(r, dict)],
        "visibility": "private" if package.get("private") else "public",
    }
    org = package.get("organization")
    publisher = _publisher(org, lang) if map_orgs and isinstance(org, dict) and org.get("name") else None
    identifier = extras.get("identifier") or extras.get("dct:identifier") or f"{site}/dataset/{package['id']}"
    return Record(remote_id=str(package["id"]), dataset=dataset, publisher=publisher, identifier=identifier)


def _tag(tag: object) -> str:
    # Most portals send tag objects; some send bare strings.
    if isinstance(tag, dict):
        return str(tag.get("display_name") or tag.get("name"))
    return str(tag)


def _listed(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip().strip('"[]') for part in value.split(",") if part.strip().strip('"[]')]


def _contact(package: dict[str, Any]) -> dict[str, str] | None:
    name = package.get("maintainer") or package.get("author")
    email = package.get("maintainer_email") or package.get("author_email")
    contact = {}
    if isinstance(name, str) and name.strip():
        contact["name"] = name.strip()
    if isinstance(email, str) and "@" in email and " " not in email.strip():
        contact["email"] = email.strip()
    return contact or None


def _resource(res: dict[str, Any], lang: str) -> dict[str, Any]:
    url = http_url(res.get("url"))
    size = res.get("size")
    name = res.get("name_translated") or res.get("name")
    return {
        "title": localized(name, lang),
        "description": localized(res.get("description_translated") or res.get("description"), lang),
        "format": file_format(res.get("format"), res.get("mimetype"), url),
        "media_type": str(res["mimetype"])[:200] if res.get("mimetype") else None,
        "download_url": url if res.get("url_type") == "upload" or file_format(url) else None,
        "access_url": url,
        "byte_size": int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        "issued": iso_date(res.get("created")),
        "modified": iso_date(res.get("last_modified")),
    }


def _publisher(org: dict[str, Any], lang: str) -> dict[str, Any]:
    title = localized(org.get("title_translated"), lang) or localized(org.get("title"), lang)
    return {
        "name": slugify(str(org["name"])),
        "title": title or {lang: str(org["name"])},
        "description": localized(org.get("description"), lang),
        "image_url": http_url(org.get("image_url")),
    }
