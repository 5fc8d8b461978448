"""CKAN's datastore_create, datastore_upsert and datastore_delete. Versions are immutable Parquet, so
every write is a new version: datastore_create turns the records into the resource's uploaded file,
ingested at once; datastore_upsert and datastore_delete write the current rows with the records added
or applied on the primary key, or less the deleted ones, as the next version. datastore_delete without
filters stops serving the table, whose versions stay in its history.

The file goes through the same upload and ingest services as any other, so permissions, type inference
and the personal-data gate are exactly those of an uploaded CSV.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.datastore import ACCEPTED_TYPES, CKAN_TYPES, filters_param
from obert.api.ckan.envelope import missing, success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import resource_input
from obert.api.ckan.params import Params, ParamsDep
from obert.auth import Actor
from obert.catalog import resources
from obert.catalog.common import validated
from obert.catalog.models import ResourceInput
from obert.datastore.rewrite import WriteMethod
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, ObertError, msg
from obert.portal import Portal
from obert.tableservice.table_writes import (
    check_key,
    delete_rows,
    drop_table,
    set_key,
    table_key,
    write_records,
)

router = CKAN.router()
WRITE = {"methods": ["POST"], "include_in_schema": False}
METHODS: tuple[WriteMethod, ...] = ("upsert", "insert", "update")


@router.api_route("/datastore_create", **WRITE)  # type: ignore[arg-type]
def datastore_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Make a resource's table from records: a new version replacing the current one.

    :param resource_id: an existing resource (id or obert name), or
    :param resource: a new resource's dict, with package_id
    :param fields: [{"id": column, "type": ...}] — the columns and their order (types are inferred)
    :param records: [{column: value}] the rows
    :param primary_key: the field or fields (a list or comma-separated) that identify a row, for
        datastore_upsert's upsert and update; [] removes the key; left out, the table keeps its key
    """
    names = _field_names(params)
    records = _records(params, names)
    if not names and not records:
        raise missing("records")
    given_key = _primary_key(params)
    ref = params.get("resource_id")
    key = given_key
    if key is None:
        key = table_key(ingester=portal.ingester, actor=actor, ref=str(ref)) if ref else ()
    body, filename, header = _file(records, names)
    check_key(records, key, header)
    created: str | None = None
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
        if given_key is not None:
            set_key(ingester=portal.ingester, actor=actor, ref=attached.id, key=given_key)
    except ObertError:
        if created is not None:
            # A resource without the table its client sent would be a lie: undo the creation.
            resources.delete_resource(store=portal.store, actor=actor, ref=created)
        raise
    version = outcome.version
    columns: list[dict[str, Any]] = version.report.get("columns", [])
    result = {
        "resource_id": attached.id,
        "fields": [
            {"id": c["name"], "type": CKAN_TYPES.get(c["type"], "text"), "obert_type": c["type"]}
            for c in columns
        ],
        "records": records,
        "method": "insert",
        "primary_key": list(key),
        "version": version.number,
        # The personal-data gate may hold the version for review; it then serves nobody until released.
        "held": outcome.held is not None,
    }
    return success(request, result)


@router.api_route("/datastore_delete", **WRITE)  # type: ignore[arg-type]
def datastore_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Delete the rows `filters` match, the rows that stay becoming the table's next version ({} deletes
    every row). Without filters, delete the table: the resource stays, its table answers "not found"
    until a new one is made, and the versions it had stay readable by number in its history.

    :param resource_id: the resource (id or obert name)
    :param filters: {"column": value or [values]}, as in datastore_search (optional)
    """
    ref = str(params.required("resource_id"))
    filters_param(params)  # a bad filter is refused before anything is dropped
    if params.get("filters") in (None, ""):
        dropped = drop_table(ingester=portal.ingester, actor=actor, ref=ref)
        return success(request, {"resource_id": dropped.resource_id, "version": dropped.number})
    return _delete_rows(request, portal, actor, params, ref)


@router.api_route("/datastore_records_delete", **WRITE)  # type: ignore[arg-type]
def datastore_records_delete(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Delete the rows `filters` match ({} deletes every row), the rows that stay becoming the table's
    next version; unlike datastore_delete, never the table itself.

    :param resource_id: the resource (id or obert name)
    :param filters: {"column": value or [values]}, as in datastore_search
    """
    ref = str(params.required("resource_id"))
    if params.get("filters") is None:
        raise missing("filters")
    return _delete_rows(request, portal, actor, params, ref)


def _delete_rows(request: Request, portal: Portal, actor: Actor, params: Params, ref: str) -> JSONResponse:
    done = delete_rows(ingester=portal.ingester, actor=actor, ref=ref, filters=filters_param(params))
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
    """Write records into a table, as its next version.

    :param resource_id: the resource (id or obert name)
    :param records: [{column: value}] — columns the table has, values of their types
    :param method: upsert (default: update the rows whose primary key a record gives, add the others),
        update (every record must match a row's key) or insert (add them all); upsert and update need
        the primary key set by datastore_create
    """
    ref = str(params.required("resource_id"))
    asked = params.text("method", "upsert")
    method = next((m for m in METHODS if m == asked), None)
    if method is None:
        raise Invalid(
            f"method {asked!r} is not supported",
            errors=[FieldError("method", f"use one of {', '.join(METHODS)}")],
        )
    records = _records(params, [])
    if not records:
        raise missing("records")
    done = write_records(ingester=portal.ingester, actor=actor, ref=ref, records=records, method=method)
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
        raise Invalid(msg("resource.package_id is missing"), errors=[FieldError("resource", "package_id")])
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
        if f.get("type") and f["type"] not in ACCEPTED_TYPES:
            raise Invalid(
                f"unknown type {f['type']!r}",
                errors=[FieldError("fields", f"{f['id']}: type {f['type']!r} is not a datastore type")],
            )
    if len(set(names)) != len(names):
        raise Invalid(msg("a field is named twice"), errors=[FieldError("fields", "Duplicate field id")])
    return names


def _records(params: Params, names: list[str]) -> list[dict[str, Any]]:
    raw = params.get("records") or []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Invalid(
                msg("records is not JSON"), errors=[FieldError("records", "Invalid JSON")]
            ) from None
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise Invalid(msg("records must be a list of objects"), errors=[FieldError("records", "Not a list")])
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


def _primary_key(params: Params) -> tuple[str, ...] | None:
    """primary_key as CKAN takes it: a field name, a comma-separated string or a list; None if absent."""
    raw = params.get("primary_key")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(k, str) and k for k in raw):
        raise Invalid(
            "primary_key must be a field name or a list of them",
            errors=[FieldError("primary_key", "Not a field name or a list of field names")],
        )
    if len(set(raw)) != len(raw):
        raise Invalid(
            msg("a primary key field is named twice"), errors=[FieldError("primary_key", "Duplicate")]
        )
    return tuple(raw)


def _file(records: list[dict[str, Any]], names: list[str]) -> tuple[bytes, str, list[str]]:
    """The records as a file the ingest reads: CSV, its columns in the declared order; and the columns."""
    columns = list(names)
    for record in records:
        columns.extend(k for k in record if k not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else _cell(v) for k, v in record.items()})
    return out.getvalue().encode("utf-8"), "datastore.csv", columns


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
