"""/api/v1/datastore: every published table as an API — rows, aggregates, SQL, exports, versions, diffs."""

from __future__ import annotations

import dataclasses
from email.utils import formatdate
from functools import lru_cache, partial
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import Body, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from obert.api.face import NATIVE
from obert.api.v1.datastore_params import (
    decode_cursor,
    encode_cursor,
    parse_filters,
    parse_metrics,
    parse_sort,
    split_list,
)
from obert.auth import Actor
from obert.datastore.schema import Field
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.errors import FieldError, Invalid
from obert.faces import rules
from obert.portal import Portal
from obert.tableservice import history, published, small_counts, table_map
from obert.tableservice.export_cache import request_clean_up
from obert.tableservice.handle import (
    FORMATS,
    GEO_FORMATS,
    MAX_LIMIT,
    PLAIN_CSV,
    SPREADSHEET_CSV,
    TableRef,
    dumps,
)
from obert.tableservice.small_counts import DEFAULT_MIN_COUNT, MAX_MIN_COUNT
from obert.tableservice.versions import Version

router = NATIVE.router(prefix="/api/v1", tags=["datastore"])

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "geoparquet": "application/vnd.apache.parquet",
}
VersionQuery = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="version number (default: the current one)")
]
TextQuery = Annotated[str | None, Query(description="text to find in any text column")]
# Declared for the docs only: the filters are read from the whole query string (parse_filters).
FiltersQuery = Annotated[str | None, Query(description="JSON filters (see the description)")]
FILTER_HELP = (
    " Filter with `col=value` (repeat for any of several values), `col__gte=`, `col__gt=`, `col__lte=`, "
    "`col__lt=` (ranges), `col__contains=` (text, case and accents ignored), `col__in=a,b`, or "
    '`filters={"col": value | [values] | {"gte": …} | {"contains": "…"}}` as JSON; `q` searches every '
    "text column."
)


def _fields(fields: list[Any]) -> list[dict[str, str]]:
    return [{"name": f.name, "type": f.type} for f in fields]


@lru_cache(maxsize=1024)
def _fields_json(fields: tuple[Field, ...]) -> bytes:
    """The fields of a page as JSON: the same for every page of a table, so encoded once (~40 us)."""
    return dumps(_fields(list(fields)))


def _version_out(v: Version, current: bool) -> dict[str, Any]:
    return {
        "number": v.number,
        "id": v.id,
        "current": current,
        "state": v.state,
        "rows": v.row_count,
        "source_name": v.source_name,
        "sha256": v.sha256,
        "byte_size": v.byte_size,
        "created_at": v.created_at.isoformat(),
        "created_by": v.created_by,
        "job_id": v.job_id,
    }


# The SQL routes come first: "sql" would otherwise be taken for a resource name.
@router.get("/datastore/sql", summary="Read-only SQL over published tables")
@rules(budget="sql")
def sql_get(
    portal: PortalDep,
    actor: ActorDep,
    sql: Annotated[str, Query(min_length=1, description="one SELECT; tables are resource names, - as _")],
) -> JSONResponse:
    """Run one read-only `SELECT` over the published tables (a table is named after its resource, with
    hyphens as underscores). Time and rows are capped; private tables do not exist for those who may not
    see them."""
    return _sql(portal, actor, sql)


@router.post("/datastore/sql", summary="Read-only SQL over published tables (query in the body)")
@rules(budget="sql")
def sql_post(
    portal: PortalDep, actor: ActorDep, sql: Annotated[str, Body(embed=True, min_length=1)]
) -> JSONResponse:
    """The same as `GET /api/v1/datastore/sql`, for queries too long for an address: `{"sql": "SELECT …"}`."""
    return _sql(portal, actor, sql)


def _sql(portal: Any, actor: Any, sql: str) -> JSONResponse:
    page = published.query_sql(
        store=portal.store, actor=actor, settings=portal.settings, tables=portal.tables, sql=sql
    )
    return JSONResponse(
        {
            "fields": _fields(page.fields),
            "data": page.rows,
            "count": len(page.rows),
            "truncated": page.truncated,
        }
    )


@router.get("/datastore/{resource}", summary="A table's fields, profile, ingest report and versions")
def table_info(portal: PortalDep, actor: ActorDep, resource: str) -> JSONResponse:
    """The table's current version and how its latest ingest went. `last_error` (which may say what held
    a version back) and the job's `progress` and `error` are shown to the people of the dataset's
    organisation only; others see null there."""
    status = published.table_status(store=portal.store, actor=actor, ref=resource)
    current = status.state.current
    report = current.report if current else {}
    base = f"{portal.settings.base_url.rstrip('/')}/api/v1/datastore/{status.resource.name}"
    job = status.job
    body: dict[str, Any] = {
        "resource": {"id": status.resource.id, "name": status.resource.name},
        "dataset": status.resource.dataset_name,
        "active": current is not None,
        "version": current.number if current else None,
        "versions": status.versions,
        "rows": current.row_count if current else None,
        "fields": [
            {"name": c["name"], "type": c["type"], "original_name": c["original_name"]}
            for c in report.get("columns", [])
        ],
        "profile": status.profile(),
        "geo": current.geo if current else None,
        "report": {k: v for k, v in report.items() if k not in ("columns", "geo")},
        "last_error": status.state.last_error,
        "statistics_about_people": status.protection.statistics_about_people,
        "min_count": status.protection.min_count if status.protection.statistics_about_people else None,
        "count_columns": list(status.protection.count_columns),
        # Outside the dataset's organisation, table_status leaves the job's state only.
        "job": None
        if job is None
        else {"id": job.id, "state": job.state.value, "progress": job.progress, "error": job.error},
        "links": {
            "rows": f"{base}/rows",
            "aggregate": f"{base}/aggregate",
            "versions": f"{base}/versions",
            **{f"export_{fmt}": f"{base}/export.{fmt}" for fmt in FORMATS},
        }
        if current
        else {},
    }
    return JSONResponse(body)


@router.patch("/datastore/{resource}", summary="Mark a table as statistics about people")
def protect(
    portal: PortalDep,
    actor: WriterDep,
    resource: str,
    statistics_about_people: Annotated[bool, Body(embed=True)],
    min_count: Annotated[int, Body(embed=True, ge=2, le=MAX_MIN_COUNT)] = DEFAULT_MIN_COUNT,
    count_columns: Annotated[list[str] | None, Body(embed=True)] = None,
) -> JSONResponse:
    """Editors of the dataset mark its table as statistics about people (or unmark it). Then, as in
    Barcelona's census tables, counts from 1 to `min_count` - 1 in `count_columns` are null in rows and
    exports (zero stays) and cannot be filtered or sorted on; aggregates are computed from the published
    cells only (hidden cells add nothing, each group counts its empty cells in `hidden_<column>`), or,
    with no count column named (a row per person), leave out groups of fewer than `min_count` rows and
    say how many in `suppressed_groups`; SQL and diffs are refused."""
    found = small_counts.set_protection(
        store=portal.store,
        actor=actor,
        ref=resource,
        statistics_about_people=statistics_about_people,
        min_count=min_count,
        count_columns=count_columns,
    )
    return JSONResponse(
        {
            "statistics_about_people": found.statistics_about_people,
            "min_count": found.min_count if found.statistics_about_people else None,
            "count_columns": list(found.count_columns),
        }
    )


ROWS_HELP = "One page of rows (at most 1000) and the number of rows matching." + FILTER_HELP


@router.get(
    "/datastore/{resource}/rows",
    summary="Rows of a table, filtered, searched, sorted and paged",
    description=ROWS_HELP,
)
async def rows(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    resource: str,
    version: VersionQuery = None,
    q: TextQuery = None,
    fields: Annotated[str | None, Query(description="columns to return, comma-separated")] = None,
    sort: Annotated[str | None, Query(description="columns, comma-separated; -col sorts descending")] = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: Annotated[str | None, Query(description="the `next` value of the previous page")] = None,
    count: Annotated[bool, Query(description="count the matching rows (false is faster)")] = True,
    filters: FiltersQuery = None,
) -> Response:
    if cursor:
        version, offset = decode_cursor(cursor)
    lookup = partial(_open, portal, actor, resource, version, details=False)
    # The busiest read of the API answers on the event loop when it can: handing it to a thread cost ~0.1
    # ms, a tenth of the request. SQLite's lookup is a few dozen microseconds of CPU (the GIL serialises
    # it anyway); a server database is a network round trip away, so it goes to a thread. A page or count
    # not yet computed goes to a thread too.
    table = lookup() if portal.store.backend == "sqlite" else await run_in_threadpool(lookup)
    options: dict[str, Any] = {
        "filters": parse_filters(request.query_params),
        "q": q,
        "fields": split_list(fields),
        "sort": parse_sort(sort),
        "limit": limit,
        "offset": offset,
        "include_total": count,
    }
    page = table.cached_rows(**options)
    if page is None:
        page = await run_in_threadpool(lambda: table.rows(**options))
    more = len(page.rows) == limit and limit > 0
    if page.total is not None:
        more = offset + len(page.rows) < page.total
    # The page's rows arrive already encoded (cached with the page); the rest is spliced around them.
    next_cursor = encode_cursor(table.version.number, offset + len(page.rows)) if more else None
    body = b"".join(
        (
            b'{"fields":',
            _fields_json(tuple(page.fields)),
            b',"data":',
            page.rows_json(),
            b',"count":',
            dumps(page.total),
            b',"next":',
            dumps(next_cursor),
            b',"version":',
            dumps(table.version.number),
            b"}",
        )
    )
    return Response(body, media_type="application/json")


AGGREGATE_HELP = (
    "One row per group with each metric (named `func_column`). On statistics about people, every "
    "number is computed from the published cells only: hidden small counts add nothing, a group of "
    "hidden cells only answers null, and `hidden_<column>` says how many cells of the group are empty."
    + FILTER_HELP
)


@router.get(
    "/datastore/{resource}/aggregate",
    summary="Grouped counts, sums, averages, minima, maxima",
    description=AGGREGATE_HELP,
)
def aggregate_rows(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    resource: str,
    version: VersionQuery = None,
    group_by: Annotated[str | None, Query(description="columns to group by, comma-separated")] = None,
    metrics: Annotated[
        list[str] | None, Query(description="`count`, `sum:col`, `avg:col`, `min:col`, `max:col`")
    ] = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    filters: str | None = None,
) -> JSONResponse:
    table = _open(portal, actor, resource, version, details=False)
    result = table.aggregate(
        group_by=split_list(group_by) or [],
        metrics=parse_metrics(metrics or []),
        filters=parse_filters(request.query_params),
        q=q,
        limit=limit,
    )
    body: dict[str, Any] = {
        "fields": _fields(result.fields),
        "data": result.rows,
        "count": len(result.rows),
        "version": table.version.number,
    }
    if table.protection.statistics_about_people:
        body["suppressed_groups"] = result.suppressed_groups
        body["min_count"] = table.protection.min_count
    return JSONResponse(body)


EXPORT_HELP = (
    "The whole table, or the rows a query selects, streamed as CSV, JSON, JSON Lines, Parquet, XLSX, "
    "GeoJSON or GeoParquet 1.1 (these two for tables with a geometry, lon/lat or UTM x/y columns, positions "
    "in CRS84; UTM is read as ETRS89 / UTM 31N unless the resource declares another system in "
    "`conforms_to`, e.g. http://www.opengis.net/def/crs/EPSG/0/23031). A whole version is a file served "
    "with ranges and validators; `?spreadsheet=ca|es|en` is the CSV for spreadsheet programs." + FILTER_HELP
)


@router.get(
    "/datastore/{resource}/export.{fmt}", summary="Download a table or a query of it", description=EXPORT_HELP
)
@rules(budget=lambda scope: "read" if _whole(scope) else "sql")
def export_rows(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    resource: str,
    fmt: str,
    version: VersionQuery = None,
    q: str | None = None,
    fields: str | None = None,
    sort: str | None = None,
    limit: Annotated[int | None, Query(ge=0)] = None,
    filters: str | None = None,
    spreadsheet: Annotated[
        Literal["ca", "es", "en"] | None,
        Query(
            description="CSV for spreadsheet programs set to this language: UTF-8 with a byte-order mark; "
            "`;` between fields and a decimal comma for ca and es, `,` and a decimal point for en"
        ),
    ] = None,
) -> Response:
    if fmt not in MEDIA_TYPES:
        raise Invalid(
            "unknown export format", errors=[FieldError("format", f"use one of {', '.join(FORMATS)}")]
        )
    table = _open(portal, actor, resource, version)
    filters_ = parse_filters(request.query_params)
    epsg = None
    if fmt in GEO_FORMATS:  # the positions the publisher chose, as the map and the OGC API place them
        table, epsg = table_map.export_positions(store=portal.store, actor=actor, table=table)
    # GeoParquet is Parquet: readers (GDAL, GeoPandas, DuckDB) go by the .parquet suffix.
    suffix = "geo.parquet" if fmt == "geoparquet" else fmt
    filename = f"{table.resource_name}-v{table.version.number}.{suffix}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    query_free = q is None and fields is None and sort is None and limit is None and spreadsheet is None
    if not filters_ and query_free:
        # The whole version: a file whose bytes never change, served with ranges and validators.
        whole = table.whole_export(fmt, cache_dir=portal.tables.exports_dir, epsg=epsg)
        if whole.written:
            request_clean_up(
                store=portal.store,
                cache_dir=portal.tables.exports_dir,
                max_bytes=portal.settings.export_cache_max_bytes,
            )
        return FileResponse(
            whole.path,
            media_type=MEDIA_TYPES[fmt],
            headers={
                **disposition,
                "ETag": f'"{whole.key}"',
                "Last-Modified": formatdate(table.version.created_at.timestamp(), usegmt=True),
            },
        )
    stream = table.export(
        fmt,
        filters=filters_,
        q=q,
        fields=split_list(fields),
        sort=parse_sort(sort),
        limit=limit,
        epsg=epsg,
        csv_style=SPREADSHEET_CSV[spreadsheet] if spreadsheet else PLAIN_CSV,
    )
    return StreamingResponse(stream, media_type=MEDIA_TYPES[fmt], headers=disposition)


def _whole(scope: Scope) -> bool:
    """An export of a whole version, a file written once: it spends the read budget, not the query one
    (DuckDB and GDAL read a remote file in many small ranges)."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return all(key == "version" for key, _ in query)


@router.get("/datastore/{resource}/versions", summary="Every version of a table, newest first")
def list_versions(portal: PortalDep, actor: ActorDep, resource: str) -> JSONResponse:
    """Published and superseded versions to everyone; held ones (and why) to the dataset's editors. Each
    says which columns it changed against the version before it."""
    found = history.version_history(store=portal.store, actor=actor, ref=resource)
    return JSONResponse(
        {
            "resource": found.resource.name,
            "data": [
                {
                    **_version_out(e.version, e.state == history.PUBLISHED),
                    "columns": e.columns,
                    "holds": list(e.holds),
                    "schema_changes": e.schema_changes,
                    # To editors: what keeps the file it was read from from the public, part by part.
                    "file_held": [
                        {"where": str(k.where), "checked": k.checked, "findings": k.findings} for k in e.kept
                    ],
                }
                for e in found.entries
            ],
            "count": len(found.entries),
            "next": None,
        }
    )


@router.get("/datastore/{resource}/diff", summary="What changed between two versions")
def diff_versions(
    portal: PortalDep,
    actor: ActorDep,
    resource: str,
    from_: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to: Annotated[int, Query(ge=1, le=2**31 - 1)],
    key: Annotated[str | None, Query(description="key columns, comma-separated")] = None,
) -> JSONResponse:
    """Columns added, removed or retyped, and rows added, removed (and, with a key, changed), with samples."""
    result = published.diff_versions(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        ref=resource,
        old=from_,
        new=to,
        key=split_list(key),
    )
    return JSONResponse({"from": from_, "to": to, **dataclasses.asdict(result)})


@router.post("/datastore/{resource}/ingest", status_code=202, summary="Queue a fresh ingest of a resource")
def ingest(
    portal: PortalDep,
    actor: WriterDep,
    resource: str,
    source: Annotated[str, Body(embed=True, description="`upload` or `url` (the download URL)")] = "upload",
    format: Annotated[str | None, Body(embed=True)] = None,
) -> JSONResponse:
    """Read the resource's uploaded file or download URL again into a new version (in the background:
    follow the job at `/api/v1/jobs/{id}`)."""
    job_id = published.request_ingest(
        store=portal.store, actor=actor, ref=resource, source=source, format=format
    )
    return JSONResponse({"job": job_id, "url": f"/api/v1/jobs/{job_id}"}, status_code=202)


@router.get("/jobs/{job_id}", tags=["jobs"], summary="A background job's state and progress")
def job(portal: PortalDep, actor: ActorDep, job_id: str) -> JSONResponse:
    """Visible to the account that asked for the job and to site administrators."""
    found = published.job_status(store=portal.store, actor=actor, job_id=job_id)
    return JSONResponse(
        {
            "id": found.id,
            "kind": found.kind,
            "state": found.state.value,
            "attempts": found.attempts,
            "progress": found.progress,
            "result": found.result,
            "error": found.error,
            "created_at": found.created_at.isoformat(),
            "updated_at": found.updated_at.isoformat(),
            "finished_at": found.finished_at.isoformat() if found.finished_at else None,
        }
    )


def _open(
    portal: Portal, actor: Actor, resource: str, version: int | None, *, details: bool = True
) -> TableRef:
    """The table version a datastore route reads, if `actor` may see it (see published.open_version)."""
    return published.open_version(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        ref=resource,
        version=version,
        details=details,
    )
