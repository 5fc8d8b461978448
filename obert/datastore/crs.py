"""Coordinate reference systems that tables' positions are served in, named as OGC names them.

Positions are kept in CRS84 (longitude, latitude on WGS 84) and reprojected on the way out. Besides CRS84
a city's GIS teams ask for EPSG:4326 (the same datum, latitude first) and ETRS89 / UTM 31N (EPSG:25831,
Spain's official system); a table whose UTM columns are in another system (ED50, EPSG:23031, declared by
its resource) is served in that one too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import Transformer
from pyproj.exceptions import CRSError, ProjError

from obert.datastore.geo import DEFAULT_UTM_EPSG
from obert.errors import FieldError, Invalid

OGC_CRS = "http://www.opengis.net/def/crs/"
_EPSG = re.compile(
    r"(?i)^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|\[?EPSG:{1,2}|urn:ogc:def:crs:EPSG:[\d.]*:)(\d{4,5})\]?$"
)
_CRS84 = re.compile(
    r"(?i)^(?:https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84|\[?OGC:CRS84\]?|urn:ogc:def:crs:OGC:1\.3:CRS84)$"
)


@dataclass(frozen=True, slots=True)
class Crs:
    """A reference system: its OGC URI, the name pyproj knows it by and how its coordinates are written."""

    uri: str
    code: str  # "OGC:CRS84", "EPSG:25831"…
    lat_first: bool = False  # EPSG:4326 lists latitude before longitude
    projected: bool = False

    @property
    def digits(self) -> int:
        # About a centimetre either way: seven decimals of a degree, two of a metre.
        return 2 if self.projected else 7

    @property
    def geographic(self) -> bool:
        return not self.projected


CRS84 = Crs(f"{OGC_CRS}OGC/1.3/CRS84", "OGC:CRS84")
WGS84 = Crs(f"{OGC_CRS}EPSG/0/4326", "EPSG:4326", lat_first=True)


def epsg_crs(code: int) -> Crs:
    """A CRS named by its EPSG code (4326 is latitude first, as EPSG defines it)."""
    if code == 4326:
        return WGS84
    return Crs(f"{OGC_CRS}EPSG/0/{code}", f"EPSG:{code}", projected=True)


UTM31N = epsg_crs(DEFAULT_UTM_EPSG)


def served_crs(storage: Crs) -> list[Crs]:
    """The systems a table whose positions are stored in `storage` is served in (CRS84 first)."""
    out = [CRS84, WGS84, UTM31N]
    return out if storage in out else [*out, storage]


def storage_crs(*, has_utm_only: bool, epsg: int | None) -> Crs:
    """The system a table's positions come in: its UTM system when x/y columns are all it has, else CRS84."""
    return epsg_crs(epsg or DEFAULT_UTM_EPSG) if has_utm_only else CRS84


def parse_crs(text: str, *, field: str, allowed: Sequence[Crs]) -> Crs:
    """The CRS a URI (or a safe CURIE such as ``[EPSG:25831]``) names, if it is one of `allowed`."""
    value = text.strip()
    found: Crs | None = None
    if _CRS84.match(value):
        found = CRS84
    elif match := _EPSG.match(value):
        found = epsg_crs(int(match.group(1)))
    if found is None or found not in allowed:
        offered = ", ".join(c.uri for c in allowed)
        raise Invalid(
            f"unsupported coordinate reference system {value!r}",
            errors=[FieldError(field, f"use one of {offered}")],
        )
    return found


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    # Thread-safe since pyproj 3.1; building one costs milliseconds, so keep them.
    return Transformer.from_crs(source, target, always_xy=True)


def transform(
    xs: np.ndarray | Sequence[float], ys: np.ndarray | Sequence[float], *, source: Crs, target: Crs
) -> tuple[np.ndarray, np.ndarray]:
    """Easting/longitude and northing/latitude arrays from `source` to `target` (axis order: x first)."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if source.code == target.code or {source.code, target.code} == {"OGC:CRS84", "EPSG:4326"}:
        return x, y
    try:
        tx, ty = _transformer(source.code, target.code).transform(x, y)
    except (CRSError, ProjError) as exc:  # pragma: no cover - every served CRS is known to PROJ
        raise Invalid("cannot reproject", errors=[FieldError("crs", str(exc))]) from exc
    return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)


def axis_ordered(x: float, y: float, crs: Crs) -> tuple[float, float]:
    """A position in `crs`'s own axis order (latitude first in EPSG:4326)."""
    return (y, x) if crs.lat_first else (x, y)


def crs_uris(systems: Iterable[Crs]) -> list[str]:
    return [c.uri for c in systems]


__all__ = [
    "CRS84",
    "UTM31N",
    "WGS84",
    "Crs",
    "axis_ordered",
    "crs_uris",
    "epsg_crs",
    "parse_crs",
    "served_crs",
    "storage_crs",
    "transform",
]
