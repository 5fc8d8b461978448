"""Coordinate columns found by their values: pairs named x/y (``geo_x``/``geo_y``, ``x_etrs89``/``y_etrs89``,
``geo_epgs_25831.x``/``.y``) and, inside a city's extent, columns whose names say nothing.

A pair's names tell that two columns go together; their values tell what they are. Degrees or metres, and
which of two degree columns is the latitude, are decided by the ranges (1st-99th percentile) of the values:
Barcelona's equipment files call their EPSG:4326 columns ``.x`` and ``.y`` in that system's own axis order,
latitude first, so a name alone would put the markets in the Indian Ocean. When the city's extent is known
(its boundaries or a setting) a pair must fall inside it, and columns inside it are found without a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

Range = tuple[float, float]
LonLatBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

_X_TOKEN = re.compile(r"(?<![A-Za-z])([xX])(?![A-Za-z])")
_COORDINATE_WORD = re.compile(r"(?i)(geo|coord|wgs|etrs|ed50|utm|lon|lat|posici|pos_|loc)")
_EPSG_IN_NAME = re.compile(r"(?<!\d)(\d{4,5})(?!\d)")
GEOGRAPHIC_CODES = frozenset({4326, 4258, 4230})  # WGS 84, ETRS89 and ED50 in degrees
UTM_CODES = frozenset([*range(25828, 25839), *range(23028, 23039), *range(32601, 32661)])
_UTM_X = (100_000.0, 900_000.0)
_UTM_Y = (0.0, 9_400_000.0)
_MARGIN_M = 5_000.0  # a city's rows may lie a little outside its boundaries (the port, the coast)
_MARGIN_DEG = 0.05


@dataclass(frozen=True, slots=True)
class Found:
    """Coordinate columns: lon/lat in degrees, or UTM x/y in metres (with their EPSG code when named)."""

    lon: str | None = None
    lat: str | None = None
    utm_x: str | None = None
    utm_y: str | None = None
    epsg: int | None = None


def xy_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of columns whose names differ only in an x and a y standing alone (``geo_x``, ``Y_ETRS89``)."""
    present = set(names)
    pairs = []
    for name in names:
        for match in _X_TOKEN.finditer(name):
            y = "y" if match.group(1) == "x" else "Y"
            other = name[: match.start()] + y + name[match.end() :]
            if other in present:
                pairs.append((name, other))
                break
    return pairs


def named_epsg(name: str) -> int | None:
    """The EPSG code a column's name carries (``geo_epgs_25831.x``), if it is one coordinates use."""
    for match in _EPSG_IN_NAME.finditer(name):
        code = int(match.group(1))
        if code in GEOGRAPHIC_CODES or code in UTM_CODES:
            return code
    return None


def find_pairs(
    numeric: Sequence[str], ranges: Mapping[str, Range], *, extent: LonLatBox | None = None
) -> Found:
    """The first lon/lat pair and the best UTM pair among the x/y-named columns, then, when `extent` is
    known and a kind is still missing, columns whose values lie inside it."""
    lonlat: tuple[str, str] | None = None
    utm: list[tuple[int, str, str, int | None]] = []
    for x, y in xy_pairs(numeric):
        rx, ry = ranges.get(x), ranges.get(y)
        if rx is None or ry is None:
            continue
        code = named_epsg(x) or named_epsg(y)
        if code is None and extent is None and not _COORDINATE_WORD.search(x):
            continue  # "Codi_x"/"Codi_y" may hold anything: without an extent only a telling name counts
        if code is None or code in GEOGRAPHIC_CODES:
            order = _lonlat_order(x, y, rx, ry, authority_lat_first=code == 4326, extent=extent)
            if order is not None:
                lonlat = lonlat or order
                continue
        if (code is None or code in UTM_CODES) and _utm_fits(rx, ry, code, extent):
            # ETRS89 first (Spain's official datum), then an unnamed pair, then any other datum.
            rank = 0 if code == 25831 else 1 if code is None else 2
            utm.append((rank, x, y, code))
    found = Found(*(lonlat or (None, None)))
    if utm:
        _, ux, uy, code = min(utm, key=lambda u: u[0])
        found = Found(found.lon, found.lat, ux, uy, code)
    if extent is None:
        return found
    if found.lon is None:
        lon = _inside(numeric, ranges, (extent[0] - _MARGIN_DEG, extent[2] + _MARGIN_DEG), taken=())
        lat = _inside(numeric, ranges, (extent[1] - _MARGIN_DEG, extent[3] + _MARGIN_DEG), taken=(lon,))
        if lon and lat:
            found = Found(lon, lat, found.utm_x, found.utm_y, found.epsg)
    if found.utm_x is None:
        xs, ys = utm_extent(extent, 25831)
        east = _inside(numeric, ranges, xs, taken=(found.lon, found.lat))
        north = _inside(numeric, ranges, ys, taken=(found.lon, found.lat, east))
        if east and north:
            found = Found(found.lon, found.lat, east, north, None)
    return found


def _lonlat_order(
    x: str, y: str, rx: Range, ry: Range, *, authority_lat_first: bool, extent: LonLatBox | None
) -> tuple[str, str] | None:
    """(lon column, lat column) of a pair in degrees, or None if its values are not degrees."""
    as_named = (x, y) if _degrees(rx, ry) else None
    swapped = (y, x) if _degrees(ry, rx) else None
    if extent is not None:
        if as_named and _in_box(rx, ry, extent):
            return as_named
        if swapped and _in_box(ry, rx, extent):
            return swapped
        return None
    if authority_lat_first and swapped:  # EPSG:4326 lists latitude first
        return swapped
    return as_named or swapped


def _degrees(lon: Range, lat: Range) -> bool:
    return -180 <= lon[0] <= lon[1] <= 180 and -90 <= lat[0] <= lat[1] <= 90 and lon != lat


def _in_box(lon: Range, lat: Range, box: LonLatBox) -> bool:
    m = _MARGIN_DEG
    return box[0] - m <= lon[0] and lon[1] <= box[2] + m and box[1] - m <= lat[0] and lat[1] <= box[3] + m


def _utm_fits(rx: Range, ry: Range, code: int | None, extent: LonLatBox | None) -> bool:
    if extent is None:
        return _UTM_X[0] <= rx[0] <= rx[1] <= _UTM_X[1] and _UTM_Y[0] < ry[0] <= ry[1] <= _UTM_Y[1]
    xs, ys = utm_extent(extent, code if code in UTM_CODES else 25831)
    return xs[0] <= rx[0] and rx[1] <= xs[1] and ys[0] <= ry[0] and ry[1] <= ys[1]


def _inside(
    names: Sequence[str], ranges: Mapping[str, Range], bounds: Range, *, taken: tuple[object, ...]
) -> str | None:
    for name in names:
        r = ranges.get(name)
        if name not in taken and r is not None and r[0] < r[1] and bounds[0] <= r[0] and r[1] <= bounds[1]:
            return name
    return None


@lru_cache(maxsize=32)
def utm_extent(extent: LonLatBox, code: int | None) -> tuple[Range, Range]:
    """The eastings and northings that `extent` covers in UTM system `code`, with a margin."""
    from pyproj import Transformer  # here: only tables with UTM-like columns need it (see geo._to_wgs84)

    to_utm = Transformer.from_crs(4326, code or 25831, always_xy=True)
    lons = [extent[0], extent[2], extent[0], extent[2]]
    lats = [extent[1], extent[1], extent[3], extent[3]]
    xs, ys = to_utm.transform(lons, lats)
    return (
        (min(xs) - _MARGIN_M, max(xs) + _MARGIN_M),
        (min(ys) - _MARGIN_M, max(ys) + _MARGIN_M),
    )


__all__ = ["Found", "LonLatBox", "find_pairs", "named_epsg", "utm_extent", "xy_pairs"]
