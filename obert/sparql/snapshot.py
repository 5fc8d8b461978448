"""Snapshots of the catalogue graph: a file in the data dir that a process loads at start instead of
deriving every public dataset again (minutes at 100k datasets), then reads the activity log since.

A snapshot is one N-Quads file whose first line is a comment holding its tag as JSON: how far it has
read the activity log (the graph's position), the id and time of the last activity row it covers (so a
snapshot of another database, or of this one before a restore, is never taken for this one's), and a
fingerprint of what derivation depends on (the catalogue's base URL and description, the shape of the
derived graph). It is written beside its final name and moved there in one step, so a reader sees the
old file or the new one, never half of one; any number of processes may write it, the last one wins.

The file is derived data like the graph itself: deleting it costs the next start a full build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import sqlalchemy as sa

from obert.dcat.context import CatalogInfo
from obert.sparql.derive import SHAPE
from obert.storage import Store
from obert.storage.tables.catalog import activity

FORMAT = 1  # of the file itself
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tag:
    """What a snapshot covers: every activity id up to `floor`, and `seen` above it."""

    floor: int
    seen: tuple[int, ...]
    last_id: int  # the highest activity id covered, and when it was written
    last_at: str | None
    fingerprint: str
    datasets: int
    format: int = FORMAT

    @property
    def top(self) -> int:
        return max([self.floor, *self.seen])


def snapshot_path(data_dir: Path) -> Path:
    """Where the snapshot of the catalogue graph is kept in a data dir."""
    return data_dir / "sparql" / "graph.nq"


def fingerprint(info: CatalogInfo) -> str:
    """What the derived graph depends on besides the catalogue: a snapshot made under another is stale."""
    described = json.dumps({"info": dataclasses.asdict(info), "shape": SHAPE}, sort_keys=True, default=str)
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def activity_time(store: Store, activity_id: int) -> str | None:
    """When activity row `activity_id` was written (None when there is no such row)."""
    if activity_id <= 0:
        return None
    with store.read() as conn:
        found = conn.execute(sa.select(activity.c.at).where(activity.c.id == activity_id)).scalar()
    return found.isoformat() if isinstance(found, datetime) else None


def write(path: Path, graph: ox.Store, tag: Tag) -> None:
    """Write `graph` tagged with `tag` to `path` atomically (see the module's docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with temp.open("wb") as out:
            out.write(b"# " + json.dumps(dataclasses.asdict(tag)).encode() + b"\n")
            graph.dump(out, ox.RdfFormat.N_QUADS)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        temp.unlink(missing_ok=True)


def read_tag(path: Path) -> Tag | None:
    """The tag of the snapshot at `path`; None when there is none or it is not one of ours."""
    try:
        with path.open("rb") as source:
            return _tag(source.readline())
    except OSError:
        return None


def load(path: Path, *, store: Store, info: CatalogInfo, at_least: int = 0) -> tuple[ox.Store, Tag] | None:
    """The graph in the snapshot at `path` and its tag, when it is a snapshot of this catalogue as it is
    derived now that covers the log at least up to `at_least`; else None (and the caller builds)."""
    try:
        with path.open("rb") as source:
            tag = _tag(source.readline())
            if tag is None or not usable(tag, store=store, info=info) or tag.top < at_least:
                return None
            graph = ox.Store()
            # Our own file, written by `dump`: no need to check every IRI again.
            graph.bulk_extend(ox.parse(source, ox.RdfFormat.N_QUADS, lenient=True))
    except FileNotFoundError:
        return None  # none written yet: a new data directory
    except (OSError, SyntaxError, ValueError) as exc:
        log.warning("the SPARQL snapshot %s could not be read: %s", path, exc)
        return None
    return graph, tag


def usable(tag: Tag, *, store: Store, info: CatalogInfo) -> bool:
    return (
        tag.format == FORMAT
        and tag.fingerprint == fingerprint(info)
        and activity_time(store, tag.last_id) == tag.last_at
    )


def _tag(line: bytes) -> Tag | None:
    if not line.startswith(b"# "):
        return None
    try:
        data: dict[str, Any] = json.loads(line[2:])
        data["seen"] = tuple(int(i) for i in data.get("seen", ()))
        return Tag(**data)
    except (ValueError, TypeError):
        return None
