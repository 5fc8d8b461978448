"""A dataset as a Frictionless Data Package (a tabular data package: one resource per published table).

Each resource points at its table's CSV export pinned to the version described (a file written once,
whose size and SHA-256 are its `bytes` and `hash`, so Frictionless checks what it downloads), with a
Table Schema that gives obert's own types (see tableschema), so Frictionless, pandas and R read the
table as obert typed it instead of guessing again. Text is given in the reader's language; the
dataset's title and description in every language it has travel under ``obert:i18n`` (Data Package has
one title), which an upload of the package reads back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from obert.auth import Actor
from obert.catalog.models import Dataset
from obert.errors import NotFound
from obert.i18n import pick
from obert.interchange.tables import PublishedTable, published_tables
from obert.interchange.tableschema import (
    MISSING_VALUES,
    field_out,
    licence_out,
    missing_markers,
    with_missing,
)
from obert.storage import Store
from obert.storage.tablestore import TableStore

PROFILE = "tabular-data-package"
I18N = "obert:i18n"


def data_package(
    *, store: Store, actor: Actor, tables: TableStore, base_url: str, ref: str, lang: str
) -> dict[str, Any]:
    """The Data Package descriptor of dataset `ref` as `actor` may read it."""
    base = base_url.rstrip("/")
    dataset, readable = published_tables(store=store, actor=actor, tables=tables, ref=ref)
    if not readable:
        # A tabular data package holds at least one table.
        raise NotFound(f"dataset '{dataset.name}' has no published table to describe")
    page = f"{base}/dataset/{dataset.name}"
    out: dict[str, Any] = {
        "profile": PROFILE,
        "name": dataset.name,
        "id": page,
        "title": pick(dataset.title, lang)[0] or dataset.name,
    }
    if description := pick(dataset.description, lang)[0]:
        out["description"] = description
    out["homepage"] = page
    if dataset.version:
        out["version"] = dataset.version
    if dataset.issued:
        out["created"] = _datetime(dataset.issued)
    keywords = pick_list(dataset.keywords, lang)
    if keywords:
        out["keywords"] = keywords
    if licence := licence_out(dataset.license):
        out["licenses"] = [licence]
    if sources := _sources(dataset, lang):
        out["sources"] = sources
    if contributors := _contributors(dataset, base, lang):
        out["contributors"] = contributors
    out[I18N] = _translations(dataset)
    out["resources"] = [_resource(t, base, lang, tables.exports_dir) for t in readable]
    return out


def pick_list(values: dict[str, list[str]], lang: str) -> list[str]:
    if values.get(lang):
        return list(values[lang])
    return next((list(v) for v in values.values() if v), [])


def _datetime(day: str) -> str:
    return day if "T" in day else f"{day}T00:00:00Z"


def _translations(dataset: Dataset) -> dict[str, dict[str, str]]:
    langs = sorted(set(dataset.title) | set(dataset.description))
    out: dict[str, dict[str, str]] = {}
    for lang in langs:
        text = {"title": dataset.title.get(lang), "description": dataset.description.get(lang)}
        out[lang] = {k: v for k, v in text.items() if v}
    return out


def _sources(dataset: Dataset, lang: str) -> list[dict[str, str]]:
    out = []
    provenance = pick(dataset.provenance, lang)[0]
    if dataset.landing_page:
        out.append({"title": provenance or dataset.landing_page, "path": dataset.landing_page})
    harvested = dataset.extras.get("harvest_source_url")
    if harvested and harvested != dataset.landing_page:
        out.append({"title": dataset.extras.get("harvest_source") or harvested, "path": harvested})
    if provenance and not out:
        out.append({"title": provenance})
    return out


def _contributors(dataset: Dataset, base: str, lang: str) -> list[dict[str, str]]:
    out = []
    if dataset.organization:
        title = pick(dataset.organization.title, lang)[0] or dataset.organization.name
        out.append(
            {"title": title, "role": "publisher", "path": f"{base}/organization/{dataset.organization.name}"}
        )
    contact = dataset.contact_point
    if contact and (contact.name or contact.email):
        person: dict[str, str] = {"title": contact.name or contact.email or "", "role": "maintainer"}
        if contact.email:
            person["email"] = contact.email
        if contact.url:
            person["path"] = contact.url
        out.append(person)
    return out


def _resource(item: PublishedTable, base: str, lang: str, cache_dir: Path) -> dict[str, Any]:
    table, resource = item.table, item.resource
    # The path's bytes: the version's whole CSV export, a file written once, its size and digest with it.
    export = table.whole_export("csv", cache_dir=cache_dir)
    version = table.version.number
    fields = [
        with_missing(
            field_out(c), table.csv_texts(c["name"], markers) if (markers := missing_markers(c)) else []
        )
        for c in table.version.report.get("columns", [])
    ]
    schema: dict[str, Any] = {"fields": fields, "missingValues": list(MISSING_VALUES)}
    if item.primary_key:
        schema["primaryKey"] = list(item.primary_key)
    out: dict[str, Any] = {
        "profile": "tabular-data-resource",
        "name": resource.name,
        "path": f"{base}/api/v1/datastore/{resource.id}/export.csv?version={version}",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
        "bytes": export.size,
        "hash": f"sha256:{export.sha256}",
        "schema": schema,
    }
    if title := pick(resource.title, lang)[0]:
        out["title"] = title
    if description := pick(resource.description, lang)[0]:
        out["description"] = description
    if licence := licence_out(resource.license):
        out["licenses"] = [licence]
    out["obert:version"] = version
    out["obert:rows"] = table.version.row_count
    return out
