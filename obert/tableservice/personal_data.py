"""The personal-data gate as the ingest sees it: scan a freshly written version, hold it if it must wait."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from obert.datastore.schema import METADATA_KEY, decode_metadata
from obert.ingest.result import IngestResult
from obert.privacy import GateDecision, Override, ScanReport, gate, scan_table, suggest_plan
from obert.privacy.plans import plan_to_json
from obert.privacy.scanner import sample_positions
from obert.tableservice.gate import PERSONAL_DATA, Hold


def read_version(path: Path) -> pa.Table:
    return pq.read_table(path)


def read_sample(path: Path, rows: int | None) -> tuple[pa.Table, int]:
    """The rows of the version the scanner's sample would pick, and how many rows the version has.

    Reads one row group at a time and keeps only the chosen rows, so memory stays bounded by the sample
    and one row group however big the table is (reading the whole of a 2 GB table took 4 GB).
    """
    file = pq.ParquetFile(path)
    total = file.metadata.num_rows
    chosen = sample_positions(total, rows)
    if chosen is None:
        return file.read(), total
    parts, start, i = [], 0, 0
    for group in range(file.num_row_groups):
        end = start + file.metadata.row_group(group).num_rows
        j = bisect.bisect_left(chosen, end, lo=i)
        if j > i:
            picked = pa.array([p - start for p in chosen[i:j]], pa.int64())
            parts.append(file.read_row_group(group).take(picked))
        start, i = end, j
    return pa.concat_tables(parts).replace_schema_metadata(file.schema_arrow.metadata), total


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

    Tables longer than `sample_rows` are scanned on an even sample (None reads every row)."""

    sample_rows: int | None

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
        table, total = read_sample(path, self.sample_rows)
        report, decision = self.decide(table, (), rows_total=total)
        if decision.allowed:
            return None
        return Hold(PERSONAL_DATA, decision.message, findings_json(report, decision))

    def decide(
        self, table: pa.Table, overrides: tuple[Override, ...], *, rows_total: int | None = None
    ) -> tuple[ScanReport, GateDecision]:
        """Scan `table` (already sampled from `rows_total` rows, when given) and decide."""
        report = scan_table(_without_geometry(table), sample_rows=self.sample_rows)
        if rows_total is not None:
            report = dataclasses.replace(report, rows_total=rows_total)
        return report, gate(report, overrides)


def _without_geometry(table: pa.Table) -> pa.Table:
    # WKT shapes are long texts of numbers, not free text about people: the scan leaves them out.
    raw = (table.schema.metadata or {}).get(METADATA_KEY.encode())
    if raw is None:
        return table
    schema = decode_metadata(raw.decode())
    shapes = {f.name for f in schema.fields if f.type == "geometry"} | {schema.geo.geometry} - {None}
    return table.drop_columns([name for name in table.column_names if name in shapes])
