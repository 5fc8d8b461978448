"""Table versions as Parquet files, queried, aggregated, exported and compared with DuckDB."""

from obert.datastore.aggregate import AggregateResult, aggregate
from obert.datastore.diff import DiffResult, diff
from obert.datastore.export import export
from obert.datastore.filters import Contains, FilterValue, Range
from obert.datastore.query import RowsPage, cached_rows, query_rows
from obert.datastore.schema import ColumnType, Field, GeoInfo, TableSchema
from obert.datastore.sql import run_sql

__all__ = [
    "AggregateResult",
    "ColumnType",
    "Contains",
    "DiffResult",
    "Field",
    "FilterValue",
    "GeoInfo",
    "Range",
    "RowsPage",
    "TableSchema",
    "aggregate",
    "cached_rows",
    "diff",
    "export",
    "query_rows",
    "run_sql",
]
