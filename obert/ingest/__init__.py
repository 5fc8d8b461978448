"""File → typed, profiled Parquet table (see :func:`ingest_file`): sniffing, reading every format,
inferring types, profiling. Which version of a table is served, and to whom, is obert.tableservice's."""

from obert.ingest.pipeline import ingest_file
from obert.ingest.result import ColumnInfo, IngestResult, TopValue

__all__ = ["ColumnInfo", "IngestResult", "TopValue", "ingest_file"]
