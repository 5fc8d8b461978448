"""CKAN's datastore read actions — datastore_search, datastore_search_sql, datastore_info — answered by
obert's datastore. Visibility comes from obert.tableservice.published and querying from obert.datastore; this
module only translates CKAN's parameters and result shapes."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.params import Params, ParamsDep
from obert.datastore.filters import Contains, FilterValue
from obert.datastore.schema import ROW_ID, Field
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.tableservice import published
from obert.tableservice.handle import MAX_LIMIT, JSONScalar

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}

# obert's column types under the names CKAN's datastore (PostgreSQL) gives them: obert's integers are
# 64-bit, PostgreSQL's int8. Each field also says obert's own type ("obert_type").
CKAN_TYPES = {
    "integer": "int8",
    "decimal": "numeric",
    "date": "date",
    "datetime": "timestamp",
    "boolean": "bool",
    "text": "text",
    "geometry": "text",
}
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
# A CKAN resource id as a table name: a double-quoted UUID (or a quoted resource name with hyphens).
_QUOTED_TABLE = re.compile(r'"([0-9A-Za-z][0-9A-Za-z_-]*-[0-9A-Za-z_-]*)"')
_SORT_KEY = re.compile(r'^\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>.+?))(?:\s+(?P<dir>asc|desc))?\s*$', re.I)


# What datastore_create accepts as a field's type: CKAN's names and PostgreSQL's usual spellings.
ACCEPTED_TYPES = frozenset(CKAN_TYPES.values()) | {
    "int", "int2", "int4", "smallint", "integer", "bigint", "float", "float4", "float8", "double precision",
    "real", "timestamptz", "varchar", "boolean", "json",
}  # fmt: skip


def ckan_fields(fields: list[Field]) -> list[dict[str, str]]:
    """CKAN's `fields`: its type names, obert's type alongside; the row number `_id` is CKAN's "int"."""
    return [
        {
            "id": f.name,
            "type": "int" if f.name == ROW_ID else CKAN_TYPES.get(f.type, "text"),
            "obert_type": f.type,
        }
        for f in fields
    ]


@router.api_route("/datastore_search", **ACTION)  # type: ignore[arg-type]
def datastore_search(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Search a resource's table.

    :param resource_id: the resource's id (or obert name)
    :param filters: {"column": value or [values]} (optional)
    :param q: text to find in any text column, or {"column": "text"} (optional)
    :param fields: columns to return, a list or comma-separated (optional)
    :param sort: e.g. "Nom_barri desc, _id" (optional); `_id` is the row's number in the version
    :param limit: rows to return (default 100, at most 1000)
    :param offset: rows to skip (default 0)
    :param include_total: count the matching rows (default true)
    :param distinct: each different row of `fields` once, in order of first appearance (default false)
    :param records_format: objects (default), lists, csv or tsv
    """
    ref = str(params.required("resource_id"))
    records_format = params.text("records_format", "objects") or "objects"
    if records_format not in RECORDS_FORMATS:
        raise Invalid(
            "unknown records_format",
            errors=[FieldError("records_format", f"use one of {', '.join(RECORDS_FORMATS)}")],
        )
    filters = filters_param(params)
    text_query = _text_query(params, filters)
    # CKAN caps a too-large limit at its maximum rather than refusing it.
    limit = min(params.integer("limit", 100, minimum=0), MAX_LIMIT)
    offset = params.integer("offset", 0, minimum=0)
    distinct = params.boolean("distinct", False)
    table = published.open_version(
        store=portal.store, actor=actor, tables=portal.tables, ref=ref, details=False
    )
    page = table.rows(
        filters=filters,
        q=text_query,
        fields=_name_list(params, "fields"),
        sort=_sort(params),
        limit=limit,
        offset=offset,
        include_total=params.boolean("include_total", True),
        distinct=distinct,
        row_ids=not distinct,  # a distinct row stands for many
    )
    result: dict[str, Any] = {
        "resource_id": table.resource_id,
        "fields": ckan_fields(page.fields),
        "records_format": records_format,
        "records": _records(page.rows, [f.name for f in page.fields], records_format),
        "limit": limit,
        "_links": _links(request, params, offset=offset, limit=limit),
    }
    if "offset" in params.data:
        result["offset"] = offset
    if page.total is not None:
        result["total"] = page.total
        result["total_was_estimated"] = False
    return success(request, result)


@router.api_route("/datastore_search_sql", **ACTION)  # type: ignore[arg-type]
def datastore_search_sql(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Run one read-only SELECT over published tables, written in PostgreSQL's SQL as for CKAN.

    :param sql: the query; a table is a resource id in double quotes (as in CKAN) or its obert SQL
        name (the resource name with hyphens as underscores); each table has CKAN's `_id` column
    """
    sql = str(params.required("sql"))
    rewritten = _resolve_quoted_tables(portal, actor, sql)
    page = published.query_sql(
        store=portal.store,
        actor=actor,
        settings=portal.settings,
        tables=portal.tables,
        sql=rewritten,
        dialect="postgres",
        row_ids=True,
    )
    result: dict[str, Any] = {"sql": sql, "records": page.rows, "fields": ckan_fields(page.fields)}
    if page.truncated:
        result["records_truncated"] = True
    return success(request, result)


@router.api_route("/datastore_info", **ACTION)  # type: ignore[arg-type]
def datastore_info(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """A table's row count, fields with their types and obert's column profile.

    :param id: the resource's id (or obert name); resource_id is accepted too
    """
    ref = params.get("id") or params.required("resource_id")
    status = published.table_status(store=portal.store, actor=actor, ref=str(ref))
    current = status.state.current
    if current is None:
        raise NotFound(msg("resource '{name}' has no datastore table", name=status.resource.name))
    columns = status.profile()
    fields = [
        {
            "id": c["name"],
            "type": CKAN_TYPES.get(c["type"], "text"),
            "obert_type": c["type"],
            "info": {"label": c.get("original_name") or c["name"]},
            "schema": {k: v for k, v in c.items() if k not in ("name", "type", "original_name")},
        }
        for c in columns
    ]
    meta = {
        "id": status.resource.id,
        "count": current.row_count,
        "table_type": "BASE TABLE",
        "aliases": [published.sql_name(status.resource.name)],
        "version": current.number,
        "versions": status.versions,
        "size": current.byte_size,
        "primary_key": list(status.state.primary_key),
    }
    schema = {f["id"]: f["type"] for f in fields}
    return success(request, {"meta": meta, "fields": fields, "schema": schema})


def _json_param(params: Params, key: str) -> Any:
    """A parameter that CKAN takes as JSON: already decoded from a JSON body, or a string in a query."""
    value = params.get(key)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise Invalid(
                msg("{key} is not valid JSON", key=key), errors=[FieldError(key, "Invalid JSON")]
            ) from None
    return value


def filters_param(params: Params) -> dict[str, FilterValue]:
    raw = _json_param(params, "filters")
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise Invalid(msg("filters must be an object"), errors=[FieldError("filters", "Not a JSON object")])
    filters: dict[str, FilterValue] = {}
    for name, value in raw.items():
        if isinstance(value, list) and all(_scalar(v) for v in value):
            filters[str(name)] = list(value)
        elif _scalar(value):
            filters[str(name)] = value
        else:
            raise Invalid(
                f"filter {name!r} must be a value or a list of values",
                errors=[FieldError(f"filters.{name}", "Not a value or a list of values")],
            )
    return filters


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _text_query(params: Params, filters: dict[str, FilterValue]) -> str | None:
    """A string `q` searches every text column; a dict searches each named column (added to `filters`)."""
    raw = _json_param(params, "q")
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        for name, text in raw.items():
            if not isinstance(text, str) or str(name) in filters:
                raise Invalid(
                    f"q.{name} must be text for a column not already filtered",
                    errors=[FieldError(f"q.{name}", "Text expected, for a column not in filters")],
                )
            filters[str(name)] = Contains(text)
        return None
    if not isinstance(raw, str):
        raise Invalid(msg("q must be text or an object"), errors=[FieldError("q", "Text or object expected")])
    return raw


def _name_list(params: Params, key: str) -> list[str] | None:
    raw = _json_param(params, key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return raw
    raise Invalid(
        msg("{key} must be a list of column names", key=key), errors=[FieldError(key, "Not a list of names")]
    )


def _sort(params: Params) -> list[tuple[str, bool]] | None:
    keys = _name_list(params, "sort")
    if keys is None:
        return None
    out = []
    for key in keys:
        match = _SORT_KEY.match(key)
        if match is None:
            raise Invalid(msg("bad sort key"), errors=[FieldError("sort", f"cannot read {key!r}")])
        name = match.group("quoted") or match.group("bare")
        out.append((name, (match.group("dir") or "asc").lower() == "desc"))
    return out


def _records(rows: list[dict[str, JSONScalar]], names: list[str], fmt: str) -> Any:
    if fmt == "objects":
        return rows
    lists = [[row.get(n) for n in names] for row in rows]
    if fmt == "lists":
        return lists
    # CKAN's csv and tsv records are the rows alone, without a header line; booleans are written as
    # obert's CSV exports write them.
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerows([[str(v).lower() if isinstance(v, bool) else v for v in row] for row in lists])
    return out.getvalue()


def _links(request: Request, params: Params, *, offset: int, limit: int) -> dict[str, str]:
    """The same search from its first page and from the next one, as GET URLs (CKAN's _links)."""
    query = {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        for k, v in params.data.items()
        if k != "offset" and v is not None
    }
    start = f"{request.url.path}?{urlencode(query)}"
    return {"start": start, "next": f"{start}&{urlencode({'offset': offset + limit})}"}


def _resolve_quoted_tables(portal: Any, actor: Any, sql: str) -> str:
    """`sql` with each double-quoted resource id or name turned into its obert SQL table name.

    Resolving goes through open_version, so a resource the caller may not see stays unknown. A quoted
    word that is no resource (a column such as "Codi-barri") is left as it is.
    """

    def replace(match: re.Match[str]) -> str:
        try:
            table = published.open_version(
                store=portal.store,
                actor=actor,
                tables=portal.tables,
                ref=match.group(1),
                details=False,
            )
        except NotFound:
            return match.group(0)
        return f'"{published.sql_name(table.resource_name)}"'

    return _QUOTED_TABLE.sub(replace, sql)
