"""CKAN's datastore_create, datastore_upsert (insert) and datastore_delete. Versions are immutable
Parquet, so every write is a new version: datastore_create turns the records into the resource's
uploaded file, ingested at once; datastore_upsert and datastore_delete write the current rows plus the
new ones, or less the deleted ones, as the next version.

The file goes through the same upload and ingest services as any other, so permissions, type inference
and the personal-data gate are exactly those of an uploaded CSV.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from obert.api.ckan.datastore import CKAN_TYPES, filters_param
from obert.api.ckan.envelope import missing, success
from obert.api.ckan.mapping import resource_input
from obert.api.ckan.params import Params, ParamsDep
from obert.auth import Actor
from obert.catalog import resources
from obert.catalog.common import validated
from obert.catalog.models import ResourceInput
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, ObertError
from obert.ingest.table_writes import delete_rows, insert_rows
from obert.portal import Portal

router = APIRouter()
WRITE = {"methods": ["POST"], "include_in_schema": False}


@router.api_route("/datastore_create", **WRITE)  # type: ignore[arg-type]
def datastore_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Make a resource's table from records: a new version replacing the current one.

    :param resource_id: an existing resource (id or obert name), or
    :param resource: a new resource's dict, with package_id
    :param fields: [{"id": column, "type": ...}] — the columns and their order (types are inferred)
    :param records: [{column: value}] the rows
    """
    names = _field_names(params)
    records = _records(params, names)
    if not names and not records:
        raise missing("records")
    body, filename = _file(records, names)
    created: str | None = None
    ref = params.get("resource_id")
    if not ref:
        created = _new_resource(portal, actor, params.get("resource"))
        ref = created
    try:
        attached = resources.attach_upload(
            store=portal.store,
            files=portal.files,
            actor=actor,
            ref=str(ref),
            filename=filename,
            stream=io.BytesIO(body),
            max_bytes=portal.settings.max_upload_bytes,
            queue_ingest=False,
        )
        outcome = portal.ingester.ingest_resource(resource_id=attached.id, created_by=actor.user_id)
    except ObertError:
        if created is not None:
            # A resource without the table its client sent would be a lie: undo the creation.
            resources.delete_resource(store=portal.store, actor=actor, ref=created)
        raise
    version = outcome.version
    columns: list[dict[str, Any]] = version.report.get("columns", [])
    result = {
        "resource_id": attached.id,
        "fields": [{"id": c["name"], "type": CKAN_TYPES.get(c["type"], "text")} for c in columns],
        "records": records,
        "method": "insert",
        "version": version.number,
        # The personal-data gate may hold the version for review; it then serves nobody until released.
        "held": outcome.held is not None,
    }
    return success(request, result)


@router.api_route("/datastore_delete", **WRITE)  # type: ignore[arg-type]
def datastore_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Delete the rows `filters` match: the rows that stay become the table's next version.

    :param resource_id: the resource (id or obert name)
    :param filters: {"column": value or [values]}, as in datastore_search; required (obert keeps a
        resource's table while the resource exists: delete the resource to remove it)
    """
    ref = str(params.required("resource_id"))
    filters = filters_param(params)
    if not filters:
        raise Invalid(
            "filters are missing",
            errors=[
                FieldError("filters", "name the rows to delete; delete the resource to remove its table")
            ],
        )
    done = delete_rows(ingester=portal.ingester, actor=actor, ref=ref, filters=filters)
    version = done.version
    result = {
        "resource_id": version.resource_id,
        "filters": params.get("filters"),
        "deleted": done.rows,
        "version": version.number,
        "held": done.held,
    }
    return success(request, result)


@router.api_route("/datastore_upsert", **WRITE)  # type: ignore[arg-type]
def datastore_upsert(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Add records after a table's rows, as its next version.

    :param resource_id: the resource (id or obert name)
    :param records: [{column: value}] — columns the table has, values of their types
    :param method: insert (obert keeps no primary key, so upsert and update are refused)
    """
    ref = str(params.required("resource_id"))
    method = params.text("method", "upsert")
    if method != "insert":
        raise Invalid(
            f"method {method!r} is not supported",
            errors=[FieldError("method", "only insert: obert tables have no primary key to match on")],
        )
    records = _records(params, [])
    if not records:
        raise missing("records")
    done = insert_rows(ingester=portal.ingester, actor=actor, ref=ref, records=records)
    result = {
        "resource_id": done.version.resource_id,
        "method": method,
        "records": records,
        "version": done.version.number,
        "held": done.held,
    }
    return success(request, result)


def _new_resource(portal: Portal, actor: Actor, raw: Any) -> str:
    if not isinstance(raw, dict):
        raise Invalid(
            "resource_id or resource is missing",
            errors=[FieldError("resource_id", "Missing value: give resource_id or a resource dict")],
        )
    package_id = raw.get("package_id")
    if not package_id:
        raise Invalid("resource.package_id is missing", errors=[FieldError("resource", "package_id")])
    fields = resource_input(raw, lang=portal.settings.default_lang)
    data = validated(ResourceInput, fields)
    found = resources.create_resource(store=portal.store, actor=actor, dataset_ref=str(package_id), data=data)
    return found.id


def _field_names(params: Params) -> list[str]:
    raw = params.get("fields") or []
    if not isinstance(raw, list) or not all(
        isinstance(f, dict) and isinstance(f.get("id"), str) for f in raw
    ):
        raise Invalid("fields must be a list of {id, type}", errors=[FieldError("fields", "Invalid fields")])
    names = [str(f["id"]) for f in raw]
    for f in raw:
        if f.get("type") and f["type"] not in set(CKAN_TYPES.values()) | {"float", "int4", "int8", "bigint"}:
            raise Invalid(
                f"unknown type {f['type']!r}",
                errors=[FieldError("fields", f"{f['id']}: type {f['type']!r} is not a datastore type")],
            )
    if len(set(names)) != len(names):
        raise Invalid("a field is named twice", errors=[FieldError("fields", "Duplicate field id")])
    return names


def _records(params: Params, names: list[str]) -> list[dict[str, Any]]:
    raw = params.get("records") or []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Invalid("records is not JSON", errors=[FieldError("records", "Invalid JSON")]) from None
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise Invalid("records must be a list of objects", errors=[FieldError("records", "Not a list")])
    known = set(names)
    for i, record in enumerate(raw):
        unknown = [k for k in record if known and k not in known]
        if unknown:
            raise Invalid(
                f"record {i} has a column not in fields",
                errors=[FieldError("records", f"row {i}: unknown field {unknown[0]!r}")],
            )
        nested = [k for k, v in record.items() if isinstance(v, dict | list)]
        if nested:
            raise Invalid(
                f"record {i} has a nested value",
                errors=[FieldError("records", f"row {i}: {nested[0]!r} must be a plain value")],
            )
    return raw


def _file(records: list[dict[str, Any]], names: list[str]) -> tuple[bytes, str]:
    """The records as a file the ingest reads: CSV, its columns in the declared order."""
    columns = list(names)
    for record in records:
        columns.extend(k for k in record if k not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else _cell(v) for k, v in record.items()})
    return out.getvalue().encode("utf-8"), "datastore.csv"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
