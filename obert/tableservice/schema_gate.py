"""The gate that holds a version dropping, renaming or retyping a column of the version served now."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from obert.ingest.result import IngestResult
from obert.storage import Store
from obert.tableservice.gate import SCHEMA_CHANGE, Hold
from obert.tableservice.schema_diff import changes_json, columns_of, compare_columns, holds_back
from obert.tableservice.versions import table_state


@dataclass(frozen=True, slots=True)
class SchemaChangeGate:
    """Hold a version that drops, renames or retypes a column of the version served now."""

    store: Store

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
        with self.store.read() as conn:
            current = table_state(conn, resource_id).current
        if current is None:
            return None
        changes = compare_columns(columns_of(current.report), [(c.name, c.type) for c in result.columns])
        holding = holds_back(changes)
        if not holding:
            return None
        message = "publication is held back until an editor accepts the changed columns: " + "; ".join(
            c.describe() for c in holding
        )
        return Hold(
            SCHEMA_CHANGE,
            message,
            {"compared_with": current.number, "changes": changes_json(changes), "accepted": None},
        )
