"""An opened table version, and every way of reading it.

A face never queries a Parquet file itself: it opens the version through the table service (which applies
the catalogue's visibility and never serves a held version) and reads it through this handle, whose every
read applies the table's small-count protection. A new face gets the same protection by calling the same
methods; nothing is passed by hand. (The import contract keeps obert.api and obert.web away from the query
modules of obert.datastore.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

from obert.datastore.aggregate import AggregateResult, aggregate
from obert.datastore.export import FORMATS, export
from obert.datastore.filters import FilterValue
from obert.datastore.masking import published_profile
from obert.datastore.points import MapPoints, map_points
from obert.datastore.query import MAX_LIMIT, JSONScalar, RowsPage, cached_rows, dumps, query_rows
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


__all__ = ["FORMATS", "MAX_LIMIT", "JSONScalar", "RowsPage", "TableRef", "dumps"]


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
    ) -> Iterator[bytes]:
        """The rows as a byte stream in `fmt`, small counts hidden."""
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
        )

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


def _aggregate_protection(protection: Protection) -> dict[str, Any]:
    if not protection.statistics_about_people:
        return {}
    # The rule itself (figures of the published cells only) lives in obert.datastore.aggregate.
    return {"min_group_size": protection.min_count, "masked": protection.masked()}
