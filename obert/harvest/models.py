"""Input, patch and domain models of harvest sources, the records backends yield, and run reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from obert.catalog.fields import Slug, Strict
from obert.harvest.kinds import SourceType as SourceType  # defined apart for the command line


class ItemStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    LINKED = "linked"  # already in the catalogue from elsewhere: recognised and linked, not duplicated
    WITHDRAWN = "withdrawn"
    FAILED = "failed"


_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(text: str) -> int:
    """Seconds in an interval such as ``30m``, ``6h``, ``1d`` or ``2w``."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"'{text}' is not an interval: write a number and s, m, h, d or w (e.g. 1d)")
    seconds = int(match[1]) * _UNITS[match[2]]
    if seconds < 60:
        raise ValueError("run a source at most once a minute")
    return seconds


class SourceInput(Strict):
    name: Slug
    title: str | None = Field(default=None, max_length=300)
    type: SourceType
    url: str = Field(
        min_length=1, max_length=4000, description="an http(s) URL, a folder or an SQLAlchemy URL"
    )
    organization: str | None = Field(default=None, description="id or name of the publisher")
    config: dict[str, Any] = {}
    every: str | None = Field(default=None, description="run interval such as 6h or 1d; none: by hand only")
    enabled: bool = True
    auto_ingest: bool = False

    @field_validator("every")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    title: str
    type: SourceType
    url: str
    organization_id: str | None
    organization: str | None  # its name
    config: dict[str, Any]
    every: str | None
    enabled: bool
    auto_ingest: bool
    cursor: str | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def interval(self) -> timedelta | None:
        return timedelta(seconds=parse_interval(self.every)) if self.every else None

    def as_input(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json",
            include={"name", "title", "type", "url", "config", "every", "enabled", "auto_ingest"},
        ) | {"organization": self.organization_id}


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file a backend made (an SQL table exported to CSV): kept as the upload of resource `position`."""

    position: int
    path: Path
    filename: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Record:
    """One dataset as a source describes it, already mapped to obert's DatasetInput JSON.

    `dataset` carries no `organization`: the runner decides it (the source's, or `publisher` when the
    backend maps the remote organisation to an obert publisher).
    """

    remote_id: str
    dataset: dict[str, Any]
    publisher: dict[str, Any] | None = None  # OrganizationInput JSON
    identifier: str | None = None  # dct:identifier or the remote URL: how other sources name it too
    files: tuple[LocalFile, ...] = ()


@dataclass(frozen=True, slots=True)
class Failure:
    """A record the backend could read but not map: reported as failed, never stops the run."""

    remote_id: str
    reason: str


@dataclass(slots=True)
class Listing:
    """What a backend found. `complete` means every remote item was listed (so absent ones are gone);
    an incremental run lists only what changed and gives `all_ids` from a cheap id-only pass instead."""

    all_ids: set[str] | None = None
    cursor: str | None = None
    complete: bool = True


@dataclass(frozen=True, slots=True)
class ItemReport:
    remote_id: str
    status: ItemStatus
    dataset_id: str | None = None
    title: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class RunReport:
    id: str
    source_id: str
    dry_run: bool
    state: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    items: list[ItemReport] = field(default_factory=list)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
