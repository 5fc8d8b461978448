"""What an ingest produces: the version's typed columns, their profile, and what was noticed on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from obert.datastore.schema import ColumnType, GeoInfo

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class TopValue:
    value: Scalar
    count: int


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column of an ingested table and its profile (computed from the written Parquet)."""

    name: str
    original_name: str
    type: ColumnType
    nulls: int = 0
    distinct: int = 0  # approximate (HyperLogLog) beyond a few thousand values
    min: Scalar = None
    max: Scalar = None
    top: list[TopValue] = field(default_factory=list)
    # Placeholder token -> count. ``..`` (statistical suppression) became NULL; ``-1`` and
    # ``Desconegut``-like unknowns are kept as values and only counted here.
    placeholders: dict[str, int] = field(default_factory=dict)
    # How a number column was read (thousands separators, decimal comma, '%', '€', kept exact), by
    # language; empty for plain columns.
    reading: dict[str, str] = field(default_factory=dict)
    # The unit the values were written with and stored without: 'EUR' for '€', '%' for percentages.
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A part of the source file that the table does not hold (another sheet of a workbook, rows left out
    of a CSV), as text cells: the file is served whole, so the personal-data check reads these too. Raw
    values: never written to a report."""

    where: str  # "sheet {name}", "lines {lines}": a Message, said in the reader's language
    header: list[str]
    rows: list[list[str | None]]
    complete: bool = True  # False: only the first rows of a part too large to read whole are here


@dataclass(frozen=True, slots=True)
class IngestResult:
    row_count: int
    columns: list[ColumnInfo]
    format: str
    encoding: str | None
    delimiter: str | None
    geo: GeoInfo
    sha256: str
    byte_size: int
    elapsed_s: float
    warnings: list[str] = field(default_factory=list)
    sheet: str | None = None
    # The written Parquet file's own SHA-256 and size (sha256 and byte_size are the source file's).
    table_sha256: str = ""
    table_bytes: int = 0
    # What the source file holds beyond the table, for the check of the original file (not reported).
    left_out: tuple[LeftOut, ...] = field(default=(), repr=False)

    def column(self, name: str) -> ColumnInfo:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)
