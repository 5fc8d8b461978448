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
from obert.datastore.export import (
    FORMATS,
    GEO_FORMATS,
    PLAIN_CSV,
    SPREADSHEET_CSV,
    WRITER_REVISIONS,
    CsvStyle,
    csv_texts,
    export,
)
from obert.datastore.feature_ids import feature_key
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
from obert.datastore.pairs import LonLatBox
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
    """A whole-version export on disk; `key` names its bytes (an ETag), `sha256` and `size` are theirs
    (None for a stored version file written before checksums were kept); `written` when this call wrote
    it into the cache (which may then be over its size)."""

    path: Path
    key: str
    sha256: str | None = None
    size: int | None = None
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
    # Where the rows are, once decided for the map (a publisher's choice, the city's extent; see
    # tableservice.map_positions); None: found from the table's column names and values alone.
    geo: GeoInfo | None = None

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
            geo=self.geo,
        )

    def whole_export(self, fmt: str, *, cache_dir: Path, epsg: int | None = None) -> ExportFile:
        """The whole version in `fmt` as a file whose bytes never change, so that it can be served in
        ranges (DuckDB, GDAL), revalidated and described by its size and SHA-256 (a Data Package's
        `bytes` and `hash`): the version's own Parquet file when nothing is hidden, else a file written
        once under `cache_dir`, named by the version, the format and what is hidden, its digest written
        beside it before the file itself appears. Files in `cache_dir` are derived: deleting them only
        costs writing them again (see obert.tableservice.export_cache, which keeps the folder under its
        size)."""
        masked = self.protection.masked()
        if fmt == "parquet" and not masked:
            v = self.version
            return ExportFile(self.path, f"{v.id}.parquet", v.file_sha256, v.file_bytes)
        placed = None
        if fmt in GEO_FORMATS and self.geo is not None:  # the publisher's choice of position columns
            placed = [self.geo.geometry, self.geo.lon, self.geo.lat, self.geo.utm_x, self.geo.utm_y]
        revision = [WRITER_REVISIONS[fmt]] if fmt in WRITER_REVISIONS else []  # other names unchanged
        recipe = json.dumps(
            [self.version.id, fmt, sorted(masked.items()), epsg, *([placed] if placed else []), *revision]
        )
        key = f"{self.version.id}-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}.{fmt}"
        target = cache_dir / self.version.id[:2] / key
        digest_file = target.with_name(f"{key}.sha256")
        if target.exists():
            # The cache's clean-up removes the least recently used first: the file and its digest.
            touch(target)
            touch(digest_file)
            return _with_digest(target, key, digest_file)
        stream = self.export(fmt, epsg=epsg)  # checks the format before a file is begun
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{key}.{uuid.uuid4().hex}")
        digest, size = hashlib.sha256(), 0
        try:
            with partial.open("wb") as out:
                for chunk in stream:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            # An export is the same bytes whoever writes it, so two writers' digests agree.
            _write_digest(digest_file, digest.hexdigest(), size)
            # The first writer wins and its bytes stay: a reader fetching ranges never mixes two writes.
            written = True
            try:
                os.link(partial, target)
            except FileExistsError:
                written = False
        finally:
            partial.unlink(missing_ok=True)
        return ExportFile(target, key, digest.hexdigest(), size, written)

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
            geo=self.geo,
        )

    def csv_texts(self, column: str, values: list[object]) -> list[str]:
        """How the CSV export writes those of `values` that `column` holds (see export.csv_texts)."""
        return csv_texts(self.path, column, values)

    def schema(self) -> TableSchema:
        """The version's typed columns."""
        return open_table(self.path).schema

    def positions(self, *, extent: LonLatBox | None = None) -> GeoInfo:
        """Which columns place the rows (a geometry, lon/lat or UTM x/y), if any: as decided, else as
        their names and values say (inside the city's `extent` when given)."""
        return self.geo or table_positions(self.path, extent=extent)

    def extent(self, *, epsg: int | None = None) -> Extent:
        """Where (CRS84) and when the rows are; `epsg` is the system of UTM x/y columns when declared."""
        return table_extent(self.path, epsg=epsg, geo=self.geo)

    def features(
        self, query: FeatureQuery, *, epsg: int | None = None, key: tuple[str, ...] = ()
    ) -> FeaturePage:
        """A page of the rows as GeoJSON features (every row, null geometry where it has no position),
        small counts hidden; `key` is the table's recorded primary key (see obert.datastore.features)."""
        return query_features(
            self.path, query=query, masked=self.protection.masked(), epsg=epsg, key=key, geo=self.geo
        )

    def feature(
        self, feature_id: str, *, crs: Crs, epsg: int | None = None, key: tuple[str, ...] = ()
    ) -> FeatureText:
        """One row as a GeoJSON feature: its id is its identifier's value, else its row number from 1."""
        return get_feature(
            self.path,
            feature_id=feature_id,
            crs=crs,
            masked=self.protection.masked(),
            epsg=epsg,
            key=key,
            geo=self.geo,
        )

    def feature_key(self, key: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The columns whose values make the features' ids (none: row numbers); see feature_ids."""
        columns = feature_key(open_table(self.path), declared=key)
        return () if any(c in (self.protection.masked() or {}) for c in columns) else columns


def _with_digest(target: Path, key: str, digest_file: Path) -> ExportFile:
    """An export already written, with its digest (computed now, once, for a file kept from before
    digests were written beside exports)."""
    try:
        sha, _, size = digest_file.read_text(encoding="ascii").partition(" ")
        return ExportFile(target, key, sha, int(size))
    except (OSError, ValueError):
        digest = hashlib.sha256()
        with target.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        size_now = target.stat().st_size
        _write_digest(digest_file, digest.hexdigest(), size_now)
        return ExportFile(target, key, digest.hexdigest(), size_now)


def _write_digest(path: Path, sha256: str, size: int) -> None:
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    partial.write_text(f"{sha256} {size}", encoding="ascii")
    partial.replace(path)


def _aggregate_protection(protection: Protection) -> dict[str, Any]:
    if not protection.statistics_about_people:
        return {}
    # The rule itself (figures of the published cells only) lives in obert.datastore.aggregate.
    return {"min_group_size": protection.min_count, "masked": protection.masked()}
