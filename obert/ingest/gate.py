"""The hook through which a check may hold a new table version back before it is published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from obert.ingest.result import IngestResult


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a version is held back: a message for people and the findings as JSON (masked, never raw)."""

    message: str
    findings: dict[str, Any]


class PublicationGate(Protocol):
    """Return a Hold to keep the version at `path` from publication, or None to let it through."""

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> Hold | None: ...


def publish_all(*, resource_id: str, result: IngestResult, path: Path) -> Hold | None:
    """The gate when none is configured: every version is published."""
    return None
