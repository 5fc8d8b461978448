"""schema.org `Dataset` JSON-LD for search engines (Google Dataset Search reads it from the page)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from obert.catalog.models import Dataset
from obert.catalog.vocabulary import file_type_for, vocabulary
from obert.i18n import pick
from obert.tableservice.originals import Download


def dataset_json_ld(
    dataset: Dataset, *, base_url: str, lang: str, links: Mapping[str, Download]
) -> dict[str, Any]:
    """schema.org's Dataset for search engines; each download is the link `links` gives the page's reader."""
    base = base_url.rstrip("/")
    page = f"{base}/{lang}/dataset/{dataset.name}"
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": f"{base}/dataset/{dataset.id}",
        "url": page,
        "name": pick(dataset.title, lang)[0],
        "description": pick(dataset.description, lang)[0] or pick(dataset.title, lang)[0],
        "inLanguage": lang,
        "isAccessibleForFree": True,
        "keywords": dataset.keywords.get(lang) or [w for words in dataset.keywords.values() for w in words],
        "dateCreated": dataset.issued or dataset.created_at.isoformat(),
        "dateModified": dataset.modified or dataset.updated_at.isoformat(),
        "sameAs": [dataset.landing_page] if dataset.landing_page else [],
        "version": dataset.version,
        "distribution": [
            _download(r, links[r.id]) for r in dataset.resources if r.id in links and links[r.id].url
        ],
        "subjectOf": {"@type": "DataCatalog", "url": f"{base}/catalog.jsonld"},
    }
    if dataset.license and (licence := vocabulary("licence").get(dataset.license)):
        data["license"] = (licence.extra.get("exact_match") or [licence.uri])[0]
    if dataset.organization:
        data["creator"] = data["publisher"] = {
            "@type": "Organization",
            "name": pick(dataset.organization.title, lang)[0],
            "url": f"{base}/{lang}/organization/{dataset.organization.name}",
        }
    if dataset.temporal and (dataset.temporal.start or dataset.temporal.end):
        data["temporalCoverage"] = f"{dataset.temporal.start or '..'}/{dataset.temporal.end or '..'}"
    if dataset.spatial and dataset.spatial.bbox:
        west, south, east, north = dataset.spatial.bbox
        data["spatialCoverage"] = {
            "@type": "Place",
            "name": pick(dataset.spatial.label, lang)[0] or None,
            "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"},
        }
    if dataset.contact_point and (dataset.contact_point.email or dataset.contact_point.url):
        data["maintainer"] = {
            "@type": "Organization",
            "name": dataset.contact_point.name,
            "email": dataset.contact_point.email,
            "url": dataset.contact_point.url,
        }
    pruned: dict[str, Any] = _pruned(data)
    return pruned


def json_ld_script_body(
    dataset: Dataset, *, base_url: str, lang: str, links: Mapping[str, Download]
) -> Markup:
    """The JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are escaped so no
    text in the metadata can close the element or start markup."""
    data = dataset_json_ld(dataset, base_url=base_url, lang=lang, links=links)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _download(resource: Any, link: Download) -> dict[str, Any]:
    code = resource.format if link.original else link.format
    file_type = file_type_for(code) if code else None
    declared = resource.media_type if link.original else None
    return {
        "@type": "DataDownload",
        "name": pick(resource.title, "en")[0] or resource.name,
        "contentUrl": link.url,
        "encodingFormat": declared or (file_type.extra.get("media_type") if file_type else None),
        "contentSize": str(resource.byte_size) if resource.byte_size is not None and link.original else None,
    }


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value
