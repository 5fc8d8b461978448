"""Table versions as Parquet files, queried, aggregated, exported and compared with DuckDB.

The query functions live in their modules (query, aggregate, export, points, sql, diff); the faces reach
them only through obert.tableservice, whose table handle applies visibility and small-count protection.
"""

from obert.datastore.filters import Contains, FilterValue, Range
from obert.datastore.schema import ColumnType, Field, GeoInfo, TableSchema

__all__ = ["ColumnType", "Contains", "Field", "FilterValue", "GeoInfo", "Range", "TableSchema"]
