"""The personal-data gate as the ingest sees it: scan a freshly written version, hold it if it must wait."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from obert.datastore.schema import METADATA_KEY, decode_metadata
from obert.errors import message_record
from obert.ingest.names import clean_names
from obert.ingest.result import IngestResult, LeftOut
from obert.privacy import GateDecision, Override, ScanReport, gate, scan_table, suggest_plan
from obert.privacy.column import SMALLEST_IDENTIFIER
from obert.privacy.plans import plan_to_json
from obert.tableservice.gate import PERSONAL_DATA, PERSONAL_DATA_IN_FILE, Hold

PieceT = TypeVar("PieceT", pa.Table, pa.RecordBatch)


def read_version(path: Path) -> pa.Table:
    return pq.read_table(path)


def read_sample(path: Path, rows: int | None, *, scanned_only: bool = False) -> tuple[pa.Table, int]:
    """The rows of the version the scanner's sample would pick, and how many rows the version has.

    Reads one row group at a time and keeps only the chosen rows, so memory stays bounded by the sample
    and one row group however big the table is (reading the whole of a 2 GB table took 4 GB). With
    `scanned_only`, the columns in which the scan cannot find anything (see `_unscannable`) are not
    read and come back as nulls, and text columns the writer dictionary-encoded come back as codes (which
    the scan reads as it reads their text): the scan's findings are the same, for less work.
    """
    plain = pq.ParquetFile(path)
    total = plain.metadata.num_rows
    chosen = sample_rows(total, rows)
    if chosen is None:
        return plain.read(), total
    # Columns of few values are read as their dictionary codes and only the chosen rows become text.
    file = pq.ParquetFile(path, read_dictionary=_dictionary_columns(plain), metadata=plain.metadata)
    schema = plain.schema_arrow
    # Columns the scan never reads a value of are not read at all: they come back empty (nulls).
    unread = set(_unscannable(plain)) if scanned_only else set()
    wanted = [name for name in schema.names if name not in unread]
    as_read = file.schema_arrow if scanned_only else schema
    types = pa.schema([as_read.field(name) for name in wanted])
    parts, start, i = [], 0, 0
    for group in range(file.num_row_groups):
        end = start + file.metadata.row_group(group).num_rows
        j = int(np.searchsorted(chosen, end))
        if j > i:
            picked = pa.array(chosen[i:j] - start)
            parts.append(file.read_row_group(group, columns=wanted).take(picked).cast(types))
        start, i = end, j
    # Each row group has its own dictionary: one for the whole sample.
    read = pa.concat_tables(parts).unify_dictionaries()
    empty = {name: pa.chunked_array([pa.nulls(len(chosen), schema.field(name).type)]) for name in unread}
    columns = [empty[name] if name in unread else read.column(name) for name in schema.names]
    fields = [as_read.field(name) for name in schema.names]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=schema.metadata)), total


def sample_rows(total: int, rows: int | None) -> npt.NDArray[np.int64] | None:
    """The positions obert.privacy.scanner.sample_positions gives, drawn by numpy: one row from each of
    `rows` equal stretches of the table, by Python's ``random.Random(total)``'s draws, made from the same
    Mersenne Twister state (the same rows, in a tenth of the time; the privacy package itself stays free
    of numpy)."""
    if rows is None or total <= rows:
        return None
    _, state, _ = random.Random(total).getstate()
    generator = np.random.RandomState()
    generator.set_state(("MT19937", np.array(state[:-1], dtype=np.uint32), state[-1], 0, 0.0))
    draws = generator.random_sample(rows)
    if rows * total < 2**62:
        bounds = np.arange(rows + 1, dtype=np.int64) * total // rows
    else:  # past 64-bit arithmetic: the stretches' bounds one by one
        bounds = np.array([i * total // rows for i in range(rows + 1)], dtype=np.int64)
    low, high = bounds[:-1], bounds[1:]
    return low + (draws * (high - low)).astype(np.int64)


def _unscannable(file: pq.ParquetFile) -> list[str]:
    """Columns in which the scan finds nothing, whatever their values: numbers with a fraction, booleans,
    bytes (obert.privacy.column reads none of them), and integer columns whose every row group's
    statistics say they are all too small to be an identifier (counts, codes, years; the scan leaves out
    such values too)."""
    meta, schema = file.metadata, file.schema_arrow
    found = [
        field.name
        for field in schema
        if pa.types.is_floating(field.type) or pa.types.is_boolean(field.type)
        or pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)
        or pa.types.is_fixed_size_binary(field.type)
    ]  # fmt: skip
    if meta.num_columns != len(schema.names):
        return found  # nested columns: Parquet's leaf columns no longer line up with the table's fields
    for index, name in enumerate(schema.names):
        if pa.types.is_integer(schema.field(name).type) and all(
            _smaller_than(meta.row_group(g).column(index).statistics, SMALLEST_IDENTIFIER)
            for g in range(meta.num_row_groups)
        ):
            found.append(name)
    return found


def _smaller_than(stats: pq.Statistics | None, bound: int) -> bool:
    if stats is None or not stats.has_min_max:
        return stats is not None and stats.num_values == 0  # a group of nulls only
    return -bound < int(stats.min) and int(stats.max) < bound


def _dictionary_columns(file: pq.ParquetFile) -> list[str]:
    """Text columns that the writer dictionary-encoded in every row group: read as codes, they are counted
    without turning each row into a string (a column of ten district names, a million times)."""
    meta, schema = file.metadata, file.schema_arrow
    if meta.num_columns != len(schema.names):
        return []  # nested columns: Parquet's leaf columns no longer line up with the table's fields
    found = []
    for index, name in enumerate(schema.names):
        kind = schema.field(name).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        if all(meta.row_group(g).column(index).has_dictionary_page for g in range(meta.num_row_groups)):
            found.append(name)
    return found


def findings_json(report: ScanReport, decision: GateDecision) -> dict[str, Any]:
    """What a publisher needs to act: the decision, the scan (masked examples only) and a suggested plan."""
    return {
        "decision": decision.to_json(),
        "scan": report.to_json(),
        "suggested_plan": plan_to_json(suggest_plan(report)),
    }


def salt_for(secret_key: str, resource_id: str) -> bytes:
    """A per-resource hashing salt derived from the site secret: stable, never stored, never published."""
    return hashlib.sha256(f"obert-privacy:{secret_key}:{resource_id}".encode()).digest()


@dataclass(frozen=True, slots=True)
class PersonalDataGate:
    """Hold back any version with high-severity personal data (DNI/NIE, IBAN, cards, e-mails, phones,
    names, addresses, birth dates) until a publisher transforms it away or records a justified override.

    Identifiers are searched in every cell of the version, `BATCH_ROWS` rows at a time (a single DNI
    in a note of a million-row table holds it back); names, addresses and birth dates, which need a
    column's values side by side, are judged on an even sample of `sample_rows` rows (None: every
    row)."""

    sample_rows: int | None

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
        table, total = read_sample(path, self.sample_rows, scanned_only=True)
        batches = None
        if table.num_rows < total:
            batches = _pieces(path, _without_geometry(table).column_names)
        report, decision = self._decide(table, (), rows_total=total, batches=batches)
        if decision.allowed:
            return None
        return Hold(PERSONAL_DATA, decision.message, findings_json(report, decision))

    def decide(
        self, table: pa.Table, overrides: tuple[Override, ...], *, rows_total: int | None = None
    ) -> tuple[ScanReport, GateDecision]:
        """Scan `table` (already sampled from `rows_total` rows, when given) and decide. A whole version
        longer than the sample is judged as the gate judged it: identifiers in every row, the rest on
        the same sample."""
        whole = rows_total is None and self.sample_rows is not None and table.num_rows > self.sample_rows
        batches = None
        if whole:  # the same pieces the gate read from the file, so the same findings
            searched = table.select(_searchable(_without_geometry(table).schema))
            batches = _first_split(
                searched.slice(start, BATCH_ROWS) for start in range(0, len(searched), BATCH_ROWS)
            )
        return self._decide(table, overrides, rows_total=rows_total, batches=batches)

    def _decide(
        self,
        table: pa.Table,
        overrides: tuple[Override, ...],
        *,
        rows_total: int | None,
        batches: Iterable[pa.Table | pa.RecordBatch] | None,
    ) -> tuple[ScanReport, GateDecision]:
        report = scan_table(_without_geometry(table), sample_rows=self.sample_rows, batches=batches)
        if rows_total is not None:
            report = dataclasses.replace(report, rows_total=rows_total)
        return report, gate(report, overrides)


@dataclass(frozen=True, slots=True)
class FileGate:
    """Keep the file a version was read from away from the public when the parts of it that the table does
    not hold (a workbook's other sheets, rows left out of a CSV) have personal data, or could not be read
    whole: the file is served as it is, so those parts are scanned as a table is. The version itself,
    scanned by `PersonalDataGate`, is not held for them."""

    sample_rows: int | None

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
        scan = PersonalDataGate(sample_rows=self.sample_rows)
        found, unread = [], []
        for part in result.left_out:
            if not part.complete:
                unread.append(_where(part))
            report, decision = scan.decide(_table(part), ())
            if not decision.allowed:
                found.append({**_where(part), "decision": decision.to_json(), "scan": report.to_json()})
        if not (found or unread):
            return None
        places = ", ".join(str(p["where"]) for p in [*found, *unread])
        return Hold(
            PERSONAL_DATA_IN_FILE,
            f"the file holds personal data outside the table, or parts too large to check ({places})",
            {"parts": found, "unread": unread},
            table=False,
        )


def _where(part: LeftOut) -> dict[str, Any]:
    return {"where": str(part.where), "where_message": message_record(part.where)}


def _table(part: LeftOut) -> pa.Table:
    """A part's cells as a table of text, its header's names cleaned as a table's are."""
    width = max([len(part.header), *(len(r) for r in part.rows)])
    names = clean_names([*part.header, *[""] * (width - len(part.header))])
    columns = [pa.array([r[i] if i < len(r) else None for r in part.rows], pa.string()) for i in range(width)]
    return pa.Table.from_arrays(columns, names=names)


# Rows per piece of the full identifier pass: large enough that a column's few distinct values are
# counted and matched a handful of times rather than once per row group, small enough to bound memory.
# Each column's first piece is smaller, so a column full of identifiers is settled (see
# obert.privacy.tally) after reading few of them in Python.
BATCH_ROWS = 262_144
FIRST_ROWS = 32_768


def _pieces(path: Path, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The version's columns that can hold an identifier, one column and `BATCH_ROWS` rows at a time,
    so memory stays bounded however long and wide the table is."""
    plain = pq.ParquetFile(path)
    coded = _dictionary_columns(plain)
    file = pq.ParquetFile(path, read_dictionary=coded, metadata=plain.metadata)
    unread = set(_unscannable(plain))
    for name in _searchable(plain.schema_arrow):
        if name in columns and name not in unread:
            batches = file.iter_batches(batch_size=BATCH_ROWS, columns=[name])
            yield from _first_split(_rejoined(batches) if name in coded else batches)


def _rejoined(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pieces of `BATCH_ROWS` rows again: read as codes, a column comes one row group at a time (each
    group has its own dictionary), and each piece costs the scan a fixed overhead."""
    held: list[pa.RecordBatch] = []
    for batch in batches:
        held.append(batch)
        if sum(len(b) for b in held) >= BATCH_ROWS:
            yield _joined(held)
            held = []
    if held:
        yield _joined(held)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    # One dictionary for the piece, then one array of codes.
    table = pa.Table.from_batches(batches).unify_dictionaries().combine_chunks()
    return table.to_batches()[0]


def _first_split(pieces: Iterable[PieceT]) -> Iterator[PieceT]:
    for index, piece in enumerate(pieces):
        if index == 0 and len(piece) > FIRST_ROWS:
            yield piece.slice(0, FIRST_ROWS)
            yield piece.slice(FIRST_ROWS)
        else:
            yield piece


def _searchable(schema: pa.Schema) -> list[str]:
    """Columns that can hold an identifier: text, integers, nested values (not numbers with a
    fraction, booleans, dates or bytes)."""
    return [
        field.name
        for field in schema
        if not (
            pa.types.is_floating(field.type) or pa.types.is_boolean(field.type)
            or pa.types.is_temporal(field.type) or pa.types.is_binary(field.type)
        )
    ]  # fmt: skip


def _without_geometry(table: pa.Table) -> pa.Table:
    # WKT shapes are long texts of numbers, not free text about people: the scan leaves them out.
    raw = (table.schema.metadata or {}).get(METADATA_KEY.encode())
    if raw is None:
        return table
    schema = decode_metadata(raw.decode())
    shapes = {f.name for f in schema.fields if f.type == "geometry"} | {schema.geo.geometry} - {None}
    return table.drop_columns([name for name in table.column_names if name in shapes])
