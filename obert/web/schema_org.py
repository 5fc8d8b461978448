"""schema.org `Dataset` JSON-LD for search engines (Google Dataset Search reads it from the page)."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from obert.catalog.models import Dataset
from obert.catalog.vocabulary import file_type_for, vocabulary
from obert.i18n import pick


def dataset_json_ld(dataset: Dataset, *, base_url: str, lang: str) -> dict[str, Any]:
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
        "distribution": [_download(r, base_url) for r in dataset.resources if r.href(base_url)],
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


def json_ld_script_body(dataset: Dataset, *, base_url: str, lang: str) -> Markup:
    """The JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are escaped so no
    text in the metadata can close the element or start markup."""
    text = json.dumps(dataset_json_ld(dataset, base_url=base_url, lang=lang), ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _download(resource: Any, base_url: str) -> dict[str, Any]:
    file_type = file_type_for(resource.format) if resource.format else None
    return {
        "@type": "DataDownload",
        "name": pick(resource.title, "en")[0] or resource.name,
        "contentUrl": resource.href(base_url),
        "encodingFormat": resource.media_type or (file_type.extra.get("media_type") if file_type else None),
        "contentSize": str(resource.byte_size) if resource.byte_size is not None else None,
    }


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value
