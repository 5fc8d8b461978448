"""An opened table version, and every way of reading it.

A face never queries a Parquet file itself: it opens the version through the table service (which applies
the catalogue's visibility and never serves a held version) and reads it through this handle, whose every
read applies the table's small-count protection. A new face gets the same protection by calling the same
methods; nothing is passed by hand. (The import contract keeps obert.api and obert.web away from the query
modules of obert.datastore.)
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

from obert.datastore.aggregate import AggregateResult, aggregate
from obert.datastore.crs import Crs
from obert.datastore.export import FORMATS, GEO_FORMATS, PLAIN_CSV, SPREADSHEET_CSV, CsvStyle, export
from obert.datastore.features import (
    Extent,
    FeaturePage,
    FeatureQuery,
    FeatureText,
    TimeSpan,
    get_feature,
    query_features,
    table_extent,
    table_positions,
)
from obert.datastore.filters import FilterValue, filter_problem
from obert.datastore.masking import published_profile
from obert.datastore.points import MapPoints, map_points
from obert.datastore.positions import BBox
from obert.datastore.query import MAX_LIMIT, JSONScalar, RowsPage, cached_rows, dumps, query_rows
from obert.datastore.schema import GeoInfo, TableSchema
from obert.datastore.tables import open_table
from obert.datastore.xlsx import MAX_DATA_ROWS as XLSX_MAX_ROWS
from obert.tableservice.export_cache import touch
from obert.tableservice.small_counts import UNPROTECTED, Protection
from obert.tableservice.versions import Version

Filters = dict[str, FilterValue]
Sort = list[tuple[str, bool]]


class RowsOptions(TypedDict, total=False):
    """What selects a page of rows (obert.datastore.query.query_rows' arguments, less the file)."""

    filters: Filters | None
    q: str | None
    fields: list[str] | None
    sort: Sort | None
    limit: int
    offset: int
    include_total: bool
    row_ids: bool  # the row number (CKAN's _id) first, to filter and sort on like a column


__all__ = [
    "FORMATS",
    "GEO_FORMATS",
    "MAX_LIMIT",
    "PLAIN_CSV",
    "SPREADSHEET_CSV",
    "XLSX_MAX_ROWS",
    "BBox",
    "CsvStyle",
    "ExportFile",
    "Extent",
    "FeaturePage",
    "FeatureQuery",
    "FeatureText",
    "JSONScalar",
    "RowsPage",
    "TableRef",
    "TimeSpan",
    "dumps",
]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A whole-version export on disk; `key` names its bytes (an ETag); `written` when this call wrote it
    into the cache (which may then be over its size)."""

    path: Path
    key: str
    written: bool = False


@dataclass(frozen=True, slots=True)
class TableRef:
    """A version of a resource's table that the caller may read (see published.open_version)."""

    resource_id: str
    resource_name: str
    version: Version
    path: Path
    current: bool
    protection: Protection = UNPROTECTED  # small-count protection of statistics about people

    def profile(self) -> list[dict[str, Any]]:
        """The column profile measured at ingest, less what it measured on hidden small counts."""
        return published_profile(self.version.report.get("columns", []), self.protection.masked())

    def filter_problem(self, column: str, value: FilterValue) -> str | None:
        """Why the rows cannot be filtered on `column` by `value`: "masked" (small counts are hidden
        there), "unknown" (no such column), the column's type when it cannot hold the value; else None."""
        if column in (self.protection.masked() or {}):
            return "masked"
        return filter_problem(open_table(self.path).schema, column, value)

    def rows(self, *, distinct: bool = False, **options: Unpack[RowsOptions]) -> RowsPage:
        """One page of rows, small counts hidden (see obert.datastore.query.query_rows)."""
        return query_rows(self.path, distinct=distinct, masked=self.protection.masked(), **options)

    def cached_rows(self, **options: Unpack[RowsOptions]) -> RowsPage | None:
        """The page `rows` would return if memory alone can answer it, else None (no file is read)."""
        return cached_rows(self.path, masked=self.protection.masked(), **options)

    def aggregate(
        self,
        *,
        group_by: list[str],
        metrics: list[tuple[str, str]],
        filters: Filters | None = None,
        q: str | None = None,
        limit: int = 1000,
    ) -> AggregateResult:
        """Grouped metrics; on statistics about people, under the small-count rule."""
        return aggregate(
            self.path,
            group_by=group_by,
            metrics=metrics,
            filters=filters,
            q=q,
            limit=limit,
            **_aggregate_protection(self.protection),
        )

    def export(
        self,
        fmt: str,
        *,
        filters: Filters | None = None,
        q: str | None = None,
        fields: list[str] | None = None,
        sort: Sort | None = None,
        limit: int | None = None,
        epsg: int | None = None,
        csv_style: CsvStyle = PLAIN_CSV,
    ) -> Iterator[bytes]:
        """The rows as a byte stream in `fmt`, small counts hidden (`csv_style`: a CSV's separators)."""
        return export(
            self.path,
            fmt,
            filters=filters,
            q=q,
            fields=fields,
            sort=sort,
            limit=limit,
            masked=self.protection.masked(),
            epsg=epsg,
            csv_style=csv_style,
        )

    def whole_export(self, fmt: str, *, cache_dir: Path, epsg: int | None = None) -> ExportFile:
        """The whole version in `fmt` as a file whose bytes never change, so that it can be served in
        ranges (DuckDB, GDAL) and revalidated: the version's own Parquet file when nothing is hidden, else
        a file written once under `cache_dir`, named by the version, the format and what is hidden.
        Files in `cache_dir` are derived: deleting them only costs writing them again (see
        obert.tableservice.export_cache, which keeps the folder under its size)."""
        masked = self.protection.masked()
        if fmt == "parquet" and not masked:
            return ExportFile(self.path, f"{self.version.id}.parquet")
        recipe = json.dumps([self.version.id, fmt, sorted(masked.items()), epsg])
        key = f"{self.version.id}-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}.{fmt}"
        target = cache_dir / self.version.id[:2] / key
        if target.exists():
            touch(target)  # the cache's clean-up removes the least recently used first
            return ExportFile(target, key)
        stream = self.export(fmt, epsg=epsg)  # checks the format before a file is begun
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{key}.{uuid.uuid4().hex}")
        try:
            with partial.open("wb") as out:
                for chunk in stream:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            # The first writer wins and its bytes stay: a reader fetching ranges never mixes two writes.
            written = True
            try:
                os.link(partial, target)
            except FileExistsError:
                written = False
        finally:
            partial.unlink(missing_ok=True)
        return ExportFile(target, key, written)

    def points(
        self,
        *,
        limit: int,
        filters: Filters | None = None,
        q: str | None = None,
        fields: list[str] | None = None,
        epsg: int | None = None,
    ) -> MapPoints:
        """The rows with a position as map features, small counts hidden."""
        return map_points(
            self.path,
            limit=limit,
            filters=filters,
            q=q,
            fields=fields,
            masked=self.protection.masked(),
            epsg=epsg,
        )

    def schema(self) -> TableSchema:
        """The version's typed columns."""
        return open_table(self.path).schema

    def positions(self) -> GeoInfo:
        """Which columns place the rows (a geometry, lon/lat or UTM x/y), if any."""
        return table_positions(self.path)

    def extent(self, *, epsg: int | None = None) -> Extent:
        """Where (CRS84) and when the rows are; `epsg` is the system of UTM x/y columns when declared."""
        return table_extent(self.path, epsg=epsg)

    def features(self, query: FeatureQuery, *, epsg: int | None = None) -> FeaturePage:
        """A page of the rows as GeoJSON features (every row, null geometry where it has no position),
        small counts hidden; see obert.datastore.features."""
        return query_features(self.path, query=query, masked=self.protection.masked(), epsg=epsg)

    def feature(self, feature_id: int, *, crs: Crs, epsg: int | None = None) -> FeatureText:
        """One row as a GeoJSON feature; its id is its row number in the version, from 1."""
        return get_feature(
            self.path, feature_id=feature_id, crs=crs, masked=self.protection.masked(), epsg=epsg
        )


def _aggregate_protection(protection: Protection) -> dict[str, Any]:
    if not protection.statistics_about_people:
        return {}
    # The rule itself (figures of the published cells only) lives in obert.datastore.aggregate.
    return {"min_group_size": protection.min_count, "masked": protection.masked()}
