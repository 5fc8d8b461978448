"""File → typed, profiled Parquet table version (see :func:`ingest_file`)."""

from obert.ingest.pipeline import ingest_file
from obert.ingest.result import ColumnInfo, IngestResult, TopValue

__all__ = ["ColumnInfo", "IngestResult", "TopValue", "ingest_file"]
