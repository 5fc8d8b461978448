"""The hook through which a check may hold a new table version back before it is published.

Each check holds for its own reason; a version waits until every reason it was held for is cleared
(a publisher covers the personal data, an editor accepts the changed columns), and is published then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from obert.ingest.result import IngestResult

PERSONAL_DATA = "personal_data"
SCHEMA_CHANGE = "schema_change"
# Personal data in the parts of the source file the table does not hold (another sheet, rows left out).
PERSONAL_DATA_IN_FILE = "personal_data_in_file"


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a version is held back: the reason (its key), a message for people and the findings as JSON
    (masked, never raw). With `table` False, the version itself is published and only the file it was
    read from is kept back (see tableservice.originals)."""

    reason: str
    message: str
    findings: dict[str, Any]
    table: bool = True


class PublicationGate(Protocol):
    """Return a Hold to keep the version at `path` from publication, or None to let it through."""

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None: ...


def publish_all(*, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
    """The gate when none is configured: every version is published."""
    return None


def hold_message(holds: Sequence[Hold]) -> str:
    """The holds as one line: "held back: <first reason's message>; <second's>"."""
    return "; ".join(h.message for h in holds)
