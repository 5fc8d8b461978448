"""The hook through which a check may hold a new table version back before it is published."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from obert.ingest.result import IngestResult


class PublicationGate(Protocol):
    """Raise an ``ObertError`` saying why to hold the version at `path` back; return to let it through.

    The personal-data scan (obert.privacy) will be wired in here by the composition root.
    """

    def __call__(self, *, resource_id: str, result: IngestResult, path: Path) -> None: ...


def publish_all(*, resource_id: str, result: IngestResult, path: Path) -> None:
    """The gate until a real one is configured: every version is published."""
