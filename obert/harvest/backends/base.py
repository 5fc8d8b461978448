"""What a harvest backend is: something that lists a source's datasets as mapped records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from obert.harvest.fetch import Fetcher
from obert.harvest.models import Failure, Listing, Record, Source
from obert.untrusted.sandbox import Limits


@dataclass(frozen=True, slots=True)
class FetchContext:
    fetcher: Fetcher
    work_dir: Path  # scratch space for files a backend makes (SQL exports); emptied after the run
    listing: Listing  # the backend fills in the cursor, completeness and the id-only listing
    limits: Limits = field(default_factory=Limits)  # what reading one document may cost


class Backend(Protocol):
    def __call__(self, source: Source, ctx: FetchContext) -> Iterator[Record | Failure]: ...
