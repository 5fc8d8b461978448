"""A dataset as Croissant 1.0 (MLCommons) JSON-LD: one FileObject and one RecordSet per published table.

Each FileObject is the Parquet file of the version described, at its stable address and with its SHA-256
(kept since the file was written; see obert.tableservice.version_file), so ML tooling downloads it once and
checks it. For a table of statistics about people the address gives the masked export and the checksum is
that export's: the hidden small counts never leave obert, whichever door a reader uses.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from obert.auth import Actor
from obert.dcat.terms import CROISSANT
from obert.i18n import pick
from obert.interchange.datapackage import pick_list
from obert.interchange.tables import PublishedTable, published_tables
from obert.interchange.tableschema import licence_out
from obert.storage import Store
from obert.storage.tablestore import TableStore
from obert.tableservice.version_file import version_file

CONFORMS_TO = CROISSANT
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
PARQUET = "application/x-parquet"
DATA_TYPES = {
    "integer": "sc:Integer",
    "decimal": "sc:Float",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
    "boolean": "sc:Boolean",
    "text": "sc:Text",
    "geometry": "sc:Text",
}


def context(lang: str) -> dict[str, Any]:
    """Croissant 1.0's JSON-LD context, inline (no reader has to fetch it)."""
    return {
        "@language": lang,
        "@vocab": "https://schema.org/",
        "sc": "https://schema.org/",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "dct": "http://purl.org/dc/terms/",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "data": {"@id": "cr:data", "@type": "@json"},
        "equivalentProperty": "cr:equivalentProperty",
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    }


def croissant(
    *, store: Store, actor: Actor, tables: TableStore, base_url: str, ref: str, lang: str
) -> dict[str, Any]:
    """The Croissant document of dataset `ref` as `actor` may read it."""
    base = base_url.rstrip("/")
    dataset, readable = published_tables(store=store, actor=actor, tables=tables, ref=ref)
    page = f"{base}/dataset/{dataset.name}"
    title = pick(dataset.title, lang)[0] or dataset.name
    out: dict[str, Any] = {
        "@context": context(lang),
        "@type": "sc:Dataset",
        "@id": page,
        "conformsTo": CONFORMS_TO,
        "name": title,
        "description": pick(dataset.description, lang)[0] or title,
        "url": page,
    }
    if licence := licence_out(dataset.license):
        out["license"] = licence.get("path") or licence["name"]
    # Both recommended: the catalogue's version (Croissant wants MAJOR.MINOR.PATCH) and issue date, else
    # when obert last changed the dataset (as 2026.12.6, a date in that shape).
    changed = dataset.updated_at
    semver = dataset.version if dataset.version and SEMVER.match(dataset.version) else None
    out["version"] = semver or f"{changed.year}.{changed.month}.{changed.day}"
    out["datePublished"] = dataset.issued or dataset.created_at.date().isoformat()
    if dataset.modified:
        out["dateModified"] = dataset.modified
    if keywords := pick_list(dataset.keywords, lang):
        out["keywords"] = keywords
    if dataset.organization:
        org = dataset.organization
        out["creator"] = {
            "@type": "sc:Organization",
            "name": pick(org.title, lang)[0] or org.name,
            "url": f"{base}/organization/{org.name}",
        }
    out["citeAs"] = f"{title}. {out.get('creator', {}).get('name', '')}. {page}".replace(". . ", ". ")
    out["distribution"] = [_file_object(store, base, t) for t in readable]
    out["recordSet"] = [_record_set(t, lang) for t in readable]
    return out


def _file_id(item: PublishedTable) -> str:
    return f"{item.resource.name}.parquet"


def _file_object(store: Store, base: str, item: PublishedTable) -> dict[str, Any]:
    file = version_file(store=store, base_url=base, ref=item.table)
    out = {
        "@type": "cr:FileObject",
        "@id": _file_id(item),
        "name": _file_id(item),
        "contentUrl": file.url,
        "contentSize": f"{file.byte_size} B",
        "encodingFormat": PARQUET,
        "sha256": file.sha256,
    }
    if file.masked:
        out["description"] = "small counts hidden (statistics about people)"
    return out


def _record_set(item: PublishedTable, lang: str) -> dict[str, Any]:
    name = item.resource.name
    fields = []
    for column in item.table.version.report.get("columns", []):
        col = str(column["name"])
        fields.append(
            {
                "@type": "cr:Field",
                "@id": f"{name}/{quote(col, safe='')}",
                "name": col,
                "dataType": DATA_TYPES.get(str(column["type"]), "sc:Text"),
                "source": {"fileObject": {"@id": _file_id(item)}, "extract": {"column": col}},
            }
        )
    out: dict[str, Any] = {"@type": "cr:RecordSet", "@id": name, "name": name, "field": fields}
    if description := pick(item.resource.title, lang)[0]:
        out["description"] = description
    if item.primary_key:
        out["key"] = [{"@id": f"{name}/{quote(k, safe='')}"} for k in item.primary_key]
    return out
