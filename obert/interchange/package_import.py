"""A data package → a new dataset whose tables have the types its Table Schemas declare, or new versions of
the tables of an existing dataset (matched by resource name).

Every resource's data is checked against its schema before anything is created: a package whose data
breaks its schema is refused (422) with the cells at fault (resource, row, field, value), in the reader's
language, and the catalogue stays as it was. Then the dataset and its resources are created and each file
goes through the same ingest as every upload (the personal-data and changed-column gates included), with
the declared types instead of inferred ones.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obert.auth import Actor
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, Resource, ResourceInput
from obert.errors import Conflict, FieldError, Invalid
from obert.i18n import translations
from obert.ingest.declared import CheckResult, Declared, DeclaredField, Mismatch, mismatches
from obert.interchange.datapackage import I18N
from obert.interchange.package_source import Package, PackageResource, read_url, read_zip
from obert.interchange.tableschema import declared_schema, licence_in
from obert.tableservice.service import Ingester, IngestOutcome
from obert.tableservice.versions import set_primary_key
from obert.types import LANGS


@dataclass(frozen=True, slots=True)
class ImportedTable:
    resource_id: str
    resource_name: str
    outcome: IngestOutcome
    created: bool = True  # False: a new version of a resource the dataset had


@dataclass(frozen=True, slots=True)
class PackageImport:
    dataset: Dataset
    tables: list[ImportedTable]


def import_package(
    *,
    ingester: Ingester,
    actor: Actor,
    zip_path: Path | None = None,
    url: str | None = None,
    organization: str | None = None,
    name: str | None = None,
    into: str | None = None,
    lang: str = "en",
) -> PackageImport:
    """Create a dataset from the data package in the zip file `zip_path` or at `url`; or, with `into`,
    add it to that existing dataset: each table becomes a new version of the dataset's resource of the
    same name, and a table whose name the dataset lacks becomes a new resource of it."""
    settings = ingester.settings
    ingester.tables.tables_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".package-", dir=ingester.tables.tables_dir) as work:
        workdir = Path(work)
        if zip_path is not None:
            package = read_zip(zip_path, workdir=workdir, max_bytes=settings.ingest_max_bytes)
        elif url:
            package = read_url(url, http=ingester.http, workdir=workdir, max_bytes=settings.ingest_max_bytes)
        else:
            raise Invalid("send a zip file or a URL", errors=[FieldError("url", "required without a file")])
        declared = [_declared(item, i) for i, item in enumerate(package.resources)]
        if into is not None:
            dataset = datasets.get_dataset(store=ingester.store, actor=actor, ref=into)
        _check(package, declared, workdir, lang)
        if into is None:
            dataset = datasets.create_dataset(
                store=ingester.store, actor=actor, data=_dataset_input(package, organization, name, lang)
            )
        tables = [
            _ingest(ingester, actor, dataset, item, schema, lang)
            for item, schema in zip(package.resources, declared, strict=True)
        ]
    found = datasets.get_dataset(store=ingester.store, actor=actor, ref=dataset.id)
    return PackageImport(found, tables)


def _declared(item: PackageResource, index: int) -> Declared | None:
    fmt = str(item.descriptor.get("format") or Path(item.filename).suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "tsv", "txt"):
        return None  # not a delimited file: read and typed as any upload is
    dialect = item.descriptor.get("dialect")
    delimiter = dialect.get("delimiter") if isinstance(dialect, dict) else None
    if fmt == "tsv" and delimiter is None:
        delimiter = "\t"
    schema = item.descriptor.get("schema")
    if schema is None:
        return None  # no schema: types are inferred, as for any upload
    return declared_schema(
        schema, where=f"resources[{index}]", delimiter=delimiter if isinstance(delimiter, str) else None
    )


def _check(package: Package, declared: list[Declared | None], workdir: Path, lang: str) -> None:
    """Refuse the package, saying where, when any resource's data breaks its schema."""
    _ = translations(lang).gettext
    errors: list[FieldError] = []
    total = 0
    for item, schema in zip(package.resources, declared, strict=True):
        if schema is None:
            continue
        result: CheckResult = mismatches(item.path, schema, workdir=workdir)
        total += result.total
        fields = {f.name: f for f in schema.fields}
        for m in result.mismatches:
            where = _("%(resource)s, row %(row)s, field %(field)s") % {
                "resource": item.name,
                "row": m.row,
                "field": m.field,
            }
            errors.append(FieldError(where, _message(_, m, fields[m.field])))
    if errors:
        shown = errors[:50]
        raise Invalid(
            _("the data does not match its schema: %(count)s values at fault") % {"count": total},
            errors=shown,
        )


def _message(_: Callable[[str], str], m: Mismatch, field: DeclaredField) -> str:
    """What is wrong with one cell, in the reader's language."""
    if m.value is None:
        return _("a value is required")
    value = m.value[:200]
    if m.expected in ("unique", "primaryKey"):
        return _("'%(value)s' is repeated: an earlier row has it") % {"value": value}
    if m.expected == "enum":
        return _("'%(value)s' is not one of the allowed values (%(allowed)s)") % {
            "value": value,
            "allowed": ", ".join(field.enum)[:200],
        }
    if m.expected == "minimum":
        return _("'%(value)s' is below the minimum, %(limit)s") % {"value": value, "limit": field.minimum}
    if m.expected == "maximum":
        return _("'%(value)s' is above the maximum, %(limit)s") % {"value": value, "limit": field.maximum}
    if m.expected == "pattern":
        return _("'%(value)s' does not match the pattern %(pattern)s") % {
            "value": value,
            "pattern": field.pattern,
        }
    return _("'%(value)s' is not a valid %(type)s") % {"value": value, "type": m.expected}


def _text(descriptor: dict[str, Any], key: str, lang: str) -> dict[str, str]:
    """A title or description in every language the package gives it (obert's own packages carry all)."""
    i18n = descriptor.get(I18N)
    out: dict[str, str] = {}
    if isinstance(i18n, dict):
        for code, texts in i18n.items():
            if code in LANGS and isinstance(texts, dict) and isinstance(texts.get(key), str):
                out[code] = texts[key]
    if not out and isinstance(descriptor.get(key), str) and descriptor[key].strip():
        out[lang if lang in LANGS else "en"] = descriptor[key]
    return out


def _dataset_input(package: Package, organization: str | None, name: str | None, lang: str) -> DatasetInput:
    d = package.descriptor
    slug = name or d.get("name")
    title = _text(d, "title", lang) or ({lang: str(slug)} if slug else {})
    data: dict[str, Any] = {
        "name": slug,
        "title": title,
        "description": _text(d, "description", lang),
        "organization": organization,
        "resources": [],
    }
    if isinstance(d.get("keywords"), list):
        data["keywords"] = {lang: [str(k) for k in d["keywords"] if isinstance(k, str | int)]}
    if licence := licence_in(d.get("licenses")):
        data["license"] = licence
    if isinstance(d.get("version"), str):
        data["version"] = d["version"]
    if isinstance(d.get("homepage"), str) and d["homepage"].startswith(("http://", "https://")):
        data["landing_page"] = d["homepage"]
    return validated(DatasetInput, data)


def _ingest(
    ingester: Ingester,
    actor: Actor,
    dataset: Dataset,
    item: PackageResource,
    declared: Declared | None,
    lang: str,
) -> ImportedTable:
    made = _matching(dataset, item.name)
    created = made is None
    if made is None:
        made = _create_resource(ingester, actor, dataset, item, lang)
    with item.path.open("rb") as stream:
        resources.attach_upload(
            store=ingester.store,
            files=ingester.files,
            actor=actor,
            ref=made.id,
            filename=item.filename,
            stream=stream,
            max_bytes=ingester.settings.max_upload_bytes,
            queue_ingest=False,
        )
    outcome = ingester.ingest_resource(
        resource_id=made.id,
        format="csv" if declared is not None else None,
        created_by=actor.user_id,
        declared=declared,
    )
    if declared is not None and declared.primary_key:
        set_primary_key(ingester.store, resource_id=made.id, key=declared.primary_key)
    return ImportedTable(made.id, made.name, outcome, created)


def _matching(dataset: Dataset, name: str) -> Resource | None:
    """The dataset's resource a package's table of this name updates (an earlier import of the same
    package may have prefixed it with the dataset's name, resource names being unique site-wide)."""
    for wanted in (name, f"{dataset.name}-{name}"[:100]):
        found = next((r for r in dataset.resources if r.name == wanted), None)
        if found is not None:
            return found
    return None


def _create_resource(
    ingester: Ingester, actor: Actor, dataset: Dataset, item: PackageResource, lang: str
) -> Resource:
    title = item.descriptor.get("title")
    spec: dict[str, Any] = {"name": item.name}
    if isinstance(title, str) and title.strip():
        spec["title"] = {lang if lang in LANGS else "en": title}
    try:
        return resources.create_resource(
            store=ingester.store, actor=actor, dataset_ref=dataset.id, data=validated(ResourceInput, spec)
        )
    except Conflict:
        # Resource names are unique site-wide: a copy of a package gets names of its own.
        spec["name"] = f"{dataset.name}-{item.name}"[:100]
        return resources.create_resource(
            store=ingester.store, actor=actor, dataset_ref=dataset.id, data=validated(ResourceInput, spec)
        )
