"""OpenDataSoft portals through the Explore API v2.1 (`/api/explore/v2.1/catalog/datasets`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from obert.errors import FieldError, Invalid, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.mapping import (
    http_url,
    iso_date,
    language_codes,
    licence_code,
    localized,
    slugify,
    text_value,
    themes_and_sectors,
)
from obert.harvest.models import Failure, Record, Source

PAGE = 100
EXPORTS = (("csv", "CSV"), ("json", "JSON"), ("geojson", "GEOJSON"), ("parquet", "PARQUET"))
_MAPPED = {"title", "description", "keyword", "theme", "license", "license_url", "modified", "language"}


def harvest_ods(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    parts = urlsplit(source.url)
    site = f"{parts.scheme}://{parts.netloc}"
    lang = str(source.config.get("language", "en"))
    limit = int(source.config.get("limit", PAGE))
    offset = 0
    while True:
        query = urlencode({"limit": limit, "offset": offset})
        body = ctx.fetcher.json(f"{site}/api/explore/v2.1/catalog/datasets?{query}")
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise Invalid(
                f"{site} is not an OpenDataSoft Explore API v2.1",
                errors=[FieldError("url", "catalog/datasets did not answer a list of results")],
            )
        results = body["results"]
        for entry in results:
            remote = str(entry.get("dataset_id") or "?") if isinstance(entry, dict) else "?"
            try:
                yield map_dataset(entry, site=site, lang=lang)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                yield Failure(remote, msg("cannot read the dataset: {error}", error=str(exc)))
        offset += len(results)
        if not results or offset >= int(body.get("total_count") or 0):
            return


def map_dataset(entry: dict[str, Any], *, site: str, lang: str) -> Record:
    dataset_id = str(entry["dataset_id"])
    meta: dict[str, Any] = (entry.get("metas") or {}).get("default") or {}
    meta_lang = str(meta.get("language") or lang)[:2].lower()
    themes, sectors, other = themes_and_sectors([str(t) for t in meta.get("theme") or []])
    extras = {k: text_value(v) for k, v in meta.items() if k not in _MAPPED and v not in (None, "", [], {})}
    if other:
        extras["themes"] = ", ".join(other)
    api = f"{site}/api/explore/v2.1/catalog/datasets/{dataset_id}"
    title = localized(meta.get("title"), meta_lang) or {meta_lang: dataset_id}
    resources = [
        {
            "title": {meta_lang: f"{next(iter(title.values()))} ({label})"},
            "format": label,
            "download_url": f"{api}/exports/{export}",
            "access_url": f"{api}/exports/{export}",
        }
        for export, label in EXPORTS
        if export != "geojson" or _has_geometry(entry)
    ]
    dataset = {
        "name": slugify(dataset_id),
        "title": title,
        "description": localized(meta.get("description"), meta_lang),
        "keywords": {meta_lang: [str(k) for k in meta.get("keyword") or []]} if meta.get("keyword") else {},
        "themes": themes,
        "sectors": sectors,
        "license": licence_code(meta.get("license")) or licence_code(meta.get("license_url")),
        "languages": language_codes([meta_lang]),
        "modified": iso_date(meta.get("modified")),
        "landing_page": http_url(f"{site}/explore/dataset/{dataset_id}/"),
        "extras": extras,
        "resources": resources,
    }
    publisher = None
    if isinstance(meta.get("publisher"), str) and meta["publisher"].strip():
        publisher = {"name": slugify(meta["publisher"]), "title": {meta_lang: meta["publisher"].strip()}}
    return Record(
        remote_id=dataset_id,
        dataset=dataset,
        publisher=publisher,
        identifier=f"{site}/explore/dataset/{dataset_id}/",
    )


def _has_geometry(entry: dict[str, Any]) -> bool:
    return any(
        isinstance(f, dict) and f.get("type") in ("geo_point_2d", "geo_shape")
        for f in entry.get("fields") or []
    )
