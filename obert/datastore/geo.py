"""Which columns of a table place its rows on a map.

Needed both when a file is ingested (to tell the user) and when a version is exported as GeoJSON,
so it lives here, below the ingest package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from obert.datastore.schema import Field, GeoInfo

_LON = re.compile(r"(?i)^(lon|long|lng|longitud|longitude|longitud_wgs84|x_wgs84|wgs84_lon)$")
_LAT = re.compile(r"(?i)^(lat|latitud|latitude|latitud_wgs84|y_wgs84|wgs84_lat)$")
_UTM_X = re.compile(r"(?i)(utm.*\bx\b|utm_?x|\bx_?utm|^x$|^coord_?x$|^coordenada_x$|^etrs89_x$)")
_UTM_Y = re.compile(r"(?i)(utm.*\by\b|utm_?y|\by_?utm|^y$|^coord_?y$|^coordenada_y$|^etrs89_y$)")
# UTM zone 31N bounds, loosely: eastings for the zone, northings for the northern hemisphere.
_UTM_X_RANGE = (100_000.0, 900_000.0)
_UTM_Y_RANGE = (0.0, 9_400_000.0)

Range = tuple[float, float]


def detect_geo(fields: list[Field], ranges: Mapping[str, Range], *, geometry: str | None = None) -> GeoInfo:
    """Lon/lat and UTM columns, judged by name and by the range of their values.

    `ranges` gives (min, max) of numeric columns, ignoring ``-1``-style unknowns is the caller's
    business; a column whose values fall outside the plausible range is not a coordinate.
    """
    numeric = [f.name for f in fields if f.type in ("decimal", "integer")]
    lon = _pick(numeric, _LON, ranges, (-180.0, 180.0))
    lat = _pick(numeric, _LAT, ranges, (-90.0, 90.0))
    utm_x = _pick(numeric, _UTM_X, ranges, _UTM_X_RANGE)
    utm_y = _pick(numeric, _UTM_Y, ranges, _UTM_Y_RANGE)
    if lon is None or lat is None:
        lon = lat = None
    if utm_x is None or utm_y is None:
        utm_x = utm_y = None
    return GeoInfo(
        geometry=geometry,
        lon=lon,
        lat=lat,
        utm_x=utm_x,
        utm_y=utm_y,
        epsg=25831 if utm_x is not None else None,
    )


def coordinate_candidates(fields: list[Field]) -> list[str]:
    """Numeric columns whose name says they may be a coordinate (their range decides)."""
    patterns = (_LON, _LAT, _UTM_X, _UTM_Y)
    return [
        f.name for f in fields if f.type in ("decimal", "integer") and any(p.search(f.name) for p in patterns)
    ]


def _pick(
    names: list[str], pattern: re.Pattern[str], ranges: Mapping[str, Range], bounds: Range
) -> str | None:
    for name in names:
        if not pattern.search(name):
            continue
        r = ranges.get(name)
        if r is not None and bounds[0] <= r[0] and r[1] <= bounds[1]:
            return name
    return None
