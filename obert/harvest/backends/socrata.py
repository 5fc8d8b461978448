"""Socrata portals through the Discovery API (`/api/catalog/v1`), paged with limit and offset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from obert.errors import FieldError, Invalid, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.mapping import (
    http_url,
    iso_date,
    licence_code,
    localized,
    slugify,
    text_value,
    themes_and_sectors,
)
from obert.harvest.models import Failure, Record, Source

PAGE = 100


def harvest_socrata(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    parts = urlsplit(source.url)
    site = f"{parts.scheme}://{parts.netloc}"
    domain = str(source.config.get("domain") or parts.hostname or "")
    lang = str(source.config.get("language", "en"))
    limit = int(source.config.get("limit", PAGE))
    offset = 0
    while True:
        query = urlencode({"domains": domain, "only": "dataset", "limit": limit, "offset": offset})
        body = ctx.fetcher.json(f"{site}/api/catalog/v1?{query}")
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise Invalid(
                f"{site} is not a Socrata Discovery API",
                errors=[FieldError("url", "/api/catalog/v1 did not answer a list of results")],
            )
        results = body["results"]
        for entry in results:
            remote = str((entry.get("resource") or {}).get("id") or "?") if isinstance(entry, dict) else "?"
            try:
                yield map_entry(entry, site=site, lang=lang)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                yield Failure(remote, msg("cannot read the entry: {error}", error=str(exc)))
        offset += len(results)
        if not results or offset >= int(body.get("resultSetSize") or 0):
            return


def map_entry(entry: dict[str, Any], *, site: str, lang: str) -> Record:
    resource = entry["resource"]
    four_by_four = str(resource["id"])
    classification = entry.get("classification") or {}
    metadata = entry.get("metadata") or {}
    categories = [
        c for c in [*classification.get("categories", []), classification.get("domain_category")] if c
    ]
    themes, sectors, other = themes_and_sectors([str(c) for c in categories])
    tags = [str(t) for t in [*classification.get("tags", []), *classification.get("domain_tags", [])]]
    extras = {
        str(item["key"]): text_value(item.get("value"))
        for item in classification.get("domain_metadata") or []
        if isinstance(item, dict) and item.get("key")
    }
    if other:
        extras["categories"] = ", ".join(other)
    if resource.get("attribution"):
        extras["attribution"] = str(resource["attribution"])
    if resource.get("columns_name"):
        extras["columns"] = ", ".join(str(c) for c in resource["columns_name"])
    permalink = http_url(entry.get("permalink")) or http_url(entry.get("link")) or f"{site}/d/{four_by_four}"
    name = str(resource.get("name") or four_by_four)
    dataset = {
        "name": slugify(f"{name}-{four_by_four}"),
        "title": localized(name, lang),
        "description": localized(resource.get("description"), lang),
        "keywords": {lang: list(dict.fromkeys(tags))} if tags else {},
        "themes": themes,
        "sectors": sectors,
        "license": licence_code(metadata.get("license")),
        "issued": iso_date(resource.get("createdAt")),
        "modified": iso_date(resource.get("updatedAt") or resource.get("data_updated_at")),
        "landing_page": permalink,
        "extras": extras,
        "resources": [
            {
                "title": {lang: f"{name} (CSV)"},
                "format": "CSV",
                "download_url": f"{site}/api/views/{four_by_four}/rows.csv?accessType=DOWNLOAD",
                "access_url": f"{site}/api/views/{four_by_four}/rows.csv?accessType=DOWNLOAD",
            },
            {
                "title": {lang: f"{name} (API)"},
                "format": "JSON",
                "access_url": f"{site}/resource/{four_by_four}.json",
            },
        ],
    }
    return Record(remote_id=four_by_four, dataset=dataset, identifier=permalink)
