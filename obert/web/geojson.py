"""A readable summary of a GeoJSON upload: the text alternative to its map (feature count, bounds, the
first features with their properties), for screen readers and for browsers without JavaScript."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# Parsing is cached per file version; a file larger than this is left to the map alone, because a page
# must not stall reading it.
MAX_BYTES = 20_000_000
MAX_COLUMNS = 8
MAX_CELL = 80


@dataclass(frozen=True, slots=True)
class FeatureTable:
    total: int
    geometry_types: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (geometry type, cell texts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


@lru_cache(maxsize=32)
def _summarise(path: Path, mtime_ns: int, size: int, limit: int) -> FeatureTable | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        return None
    shown = [f for f in features[:limit] if isinstance(f, dict)]
    columns: list[str] = []
    for feature in shown:
        for key in feature.get("properties") or {}:
            if key not in columns and len(columns) < MAX_COLUMNS:
                columns.append(key)
    rows = []
    for feature in shown:
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        rows.append((str(geometry.get("type", "")), tuple(_cell(props.get(c)) for c in columns)))
    kinds = sorted({str((f.get("geometry") or {}).get("type", "")) for f in features if isinstance(f, dict)})
    return FeatureTable(
        total=len(features),
        geometry_types=tuple(k for k in kinds if k),
        columns=tuple(columns),
        rows=tuple(rows),
    )


def feature_table(path: Path, *, limit: int = 50) -> FeatureTable | None:
    """The first `limit` features of the GeoJSON file at `path`; None if it is missing, too big or not a
    FeatureCollection."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size > MAX_BYTES:
        return None
    return _summarise(path, stat.st_mtime_ns, stat.st_size, limit)
