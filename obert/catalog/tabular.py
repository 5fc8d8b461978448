"""Which resources become datastore tables, and the job that asks for it.

The catalogue only queues the work (in the transaction of the change that calls for it); the ingest
package does it. Both sides share the job kind and payload shape defined here.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection

from obert.jobs import enqueue

INGEST_JOB = "ingest"
# File name endings the table engine reads (compressed copies of them too).
TABULAR_SUFFIXES = frozenset(
    {".csv", ".tsv", ".tab", ".xlsx", ".xlsm", ".ods", ".json", ".geojson", ".parquet"}
)
TABULAR_FORMATS = frozenset({"CSV", "TSV", "XLSX", "ODS", "JSON", "GEOJSON", "PARQUET"})


def is_tabular(filename: str) -> bool:
    """True for a file name the table engine can read (``x.csv``, ``x.geojson``, ``x.csv.gz``)."""
    path = PurePosixPath(filename.lower())
    suffix = path.suffix
    if suffix in (".gz", ".zip"):
        suffix = PurePosixPath(path.stem).suffix
    return suffix in TABULAR_SUFFIXES


def url_is_tabular(url: str, declared_format: str | None) -> bool:
    if declared_format and declared_format.upper() in TABULAR_FORMATS:
        return True
    return is_tabular(PurePosixPath(urlsplit(url).path).name)


def enqueue_ingest(
    conn: Connection,
    *,
    resource_id: str,
    source: str,
    sha256: str | None,
    created_by: str | None,
    format: str | None = None,
) -> str:
    """Queue an ingest of the resource's upload (`source` "upload") or download URL ("url").

    The dedupe key names the file when its checksum is known, so uploading the same bytes twice while
    the first ingest is pending queues one job, while a different file queues its own.
    """
    key = f"ingest:{resource_id}:{sha256 or source}"
    return enqueue(
        conn,
        kind=INGEST_JOB,
        payload={"resource_id": resource_id, "source": source, "format": format, "sha256": sha256},
        dedupe_key=key[:200],
        created_by=created_by,
        max_attempts=3,
    )
