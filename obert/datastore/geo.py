"""Which columns of a table place its rows on a map.

Needed both when a file is ingested (to tell the user) and when a version is exported as GeoJSON,
so it lives here, below the ingest package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from obert.datastore.pairs import LonLatBox, find_pairs, xy_pairs
from obert.datastore.schema import Field, GeoInfo

if TYPE_CHECKING:
    from pyproj import Transformer

_LON = re.compile(r"(?i)^(lon|long|lng|longitud|longitude|longitud_wgs84|x_wgs84|wgs84_lon)$")
_LAT = re.compile(r"(?i)^(lat|latitud|latitude|latitud_wgs84|y_wgs84|wgs84_lat)$")
_UTM_X = re.compile(r"(?i)(utm.*\bx\b|utm_?x|\bx_?utm|^x$|^coord_?x$|^coordenada_x$|^etrs89_x$)")
_UTM_Y = re.compile(r"(?i)(utm.*\by\b|utm_?y|\by_?utm|^y$|^coord_?y$|^coordenada_y$|^etrs89_y$)")
# Columns that name their system's EPSG code, as the city's facility register does ("geo_epgs_25831.x",
# misspelt): x and y of one code make a pair.
# UTM zone 31N bounds, loosely: eastings for the zone, northings for the northern hemisphere.
_UTM_X_RANGE = (100_000.0, 900_000.0)
_UTM_Y_RANGE = (0.0, 9_400_000.0)

# A UTM reference system named the way GeoDCAT-AP names it (dct:conformsTo
# http://www.opengis.net/def/crs/EPSG/0/23031), or as EPSG:23031 / epsg.io/23031. Only UTM zones of ETRS89
# (258zz), ED50 (230zz) and WGS 84 north (326zz), which is what x/y columns of city files are in.
_EPSG_URI = re.compile(r"(?i)epsg(?:/0/|:+|\.io/|/)(\d{4,5})\b")
_UTM_CODES = frozenset([*range(25828, 25839), *range(23028, 23039), *range(32601, 32661)])
DEFAULT_UTM_EPSG = 25831  # ETRS89 / UTM 31N, Spain's official system (Real Decreto 1071/2007)
# Percentiles of this many numeric columns at most are measured to find coordinates by value (a wide
# census table need not pay for hundreds).
MAX_CANDIDATES = 48
DIGITS = 7  # decimal places kept of reprojected degrees: about a centimetre

Range = tuple[float, float]
Position = dict[str, object]  # a GeoJSON geometry


def detect_geo(
    fields: list[Field],
    ranges: Mapping[str, Range],
    *,
    geometry: str | None = None,
    extent: LonLatBox | None = None,
) -> GeoInfo:
    """Lon/lat and UTM columns, judged by name and by the range of their values.

    `ranges` gives (min, max) of numeric columns, ignoring ``-1``-style unknowns is the caller's
    business; a column whose values fall outside the plausible range is not a coordinate. Columns the
    usual names miss are looked for in x/y-named pairs and, inside the city's `extent` when it is
    known, by their values alone (obert.datastore.pairs).
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
    epsg = DEFAULT_UTM_EPSG if utm_x is not None else None
    if lon is None or utm_x is None:
        found = find_pairs(numeric, ranges, extent=extent)
        if lon is None and found.lon is not None:
            lon, lat = found.lon, found.lat
        if utm_x is None and found.utm_x is not None:
            utm_x, utm_y, epsg = found.utm_x, found.utm_y, found.epsg or DEFAULT_UTM_EPSG
    return GeoInfo(geometry=geometry, lon=lon, lat=lat, utm_x=utm_x, utm_y=utm_y, epsg=epsg)


def coordinate_candidates(fields: list[Field]) -> list[str]:
    """Numeric columns that may be a coordinate (their range decides): those whose name says so, those of
    an x/y pair, then the others (a city's extent finds coordinates by value), at most MAX_CANDIDATES."""
    patterns = (_LON, _LAT, _UTM_X, _UTM_Y)
    numeric = [f.name for f in fields if f.type in ("decimal", "integer")]
    paired = {n for pair in xy_pairs(numeric) for n in pair}
    named = [n for n in numeric if n in paired or any(p.search(n) for p in patterns)]
    return [*named, *[n for n in numeric if n not in named]][:MAX_CANDIDATES]


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


def declared_utm_epsg(uris: Iterable[str]) -> int | None:
    """The UTM system a resource declares among its standards (``dct:conformsTo``), or None.

    Barcelona's files do not say which datum their UTM columns use, and both are in use: the 2010
    accident file is in ETRS89 (EPSG:25831), the 2014 and 2018 ones in ED50 (EPSG:23031), about 200 m
    apart. Only the publisher knows, so a resource can say so the GeoDCAT-AP way.
    """
    for uri in uris:
        match = _EPSG_URI.search(uri)
        if match and int(match.group(1)) in _UTM_CODES:
            return int(match.group(1))
    return None


@lru_cache(maxsize=8)
def _to_wgs84(epsg: int) -> Transformer:
    # Transformers are thread-safe since pyproj 3.1; building one costs milliseconds, so keep it.
    # pyproj and shapely are imported where they are used: an ingest only detects coordinates and
    # never needs them, and they cost a tenth of a second of `obert ingest`'s start-up.
    from pyproj import Transformer

    return Transformer.from_crs(epsg, 4326, always_xy=True)


def utm_to_lonlat(xs: Sequence[float], ys: Sequence[float], epsg: int) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes (WGS 84) of UTM eastings and northings, in one vectorised call."""
    if not xs:
        return [], []
    lons, lats = _to_wgs84(epsg).transform(list(xs), list(ys))
    return [round(float(v), DIGITS) for v in lons], [round(float(v), DIGITS) for v in lats]


def _number(value: object) -> object:
    # Coordinates written with a fixed number of decimals are stored exact (DECIMAL); maps want floats.
    return float(value) if isinstance(value, Decimal) else value


def valid_lonlat(lon: object, lat: object) -> bool:
    """A usable WGS 84 position: in range, and neither Barcelona's ``-1`` for unknown nor (0, 0)."""
    return (
        isinstance(lon, int | float)
        and isinstance(lat, int | float)
        and -180 <= lon <= 180
        and -90 <= lat <= 90
        and lon != -1
        and lat != -1
        and (lon, lat) != (0, 0)
    )


def valid_utm(x: object, y: object) -> bool:
    return (
        isinstance(x, int | float)
        and isinstance(y, int | float)
        and _UTM_X_RANGE[0] <= x <= _UTM_X_RANGE[1]
        and _UTM_Y_RANGE[0] < y <= _UTM_Y_RANGE[1]
    )


def positions(
    rows: Sequence[Mapping[str, object]], geo: GeoInfo, *, epsg: int | None = None
) -> list[Position | None]:
    """Each row's GeoJSON geometry: its WKT geometry, else its lon/lat, else its UTM x/y reprojected
    (in `epsg`, else the table's, else ETRS89 / UTM 31N); None for a row without a usable position.

    Lon/lat come before UTM because the city computed them from the UTM values knowing their datum; a
    row whose lon/lat are broken (the 2018 accidents have latitudes like 41375) still gets its UTM point.
    """
    out: list[Position | None] = [None] * len(rows)
    pending: list[int] = []
    for i, rec in enumerate(rows):
        if geo.geometry is not None:
            out[i] = wkt_geometry(rec.get(geo.geometry))
            if out[i] is not None:
                continue
        if geo.has_lonlat:
            lon, lat = _number(rec.get(geo.lon or "")), _number(rec.get(geo.lat or ""))
            if valid_lonlat(lon, lat):
                out[i] = {"type": "Point", "coordinates": [lon, lat]}
                continue
        if geo.has_utm and valid_utm(_number(rec.get(geo.utm_x or "")), _number(rec.get(geo.utm_y or ""))):
            pending.append(i)
    if pending:
        xs = [float(rows[i][geo.utm_x or ""]) for i in pending]  # type: ignore[arg-type]
        ys = [float(rows[i][geo.utm_y or ""]) for i in pending]  # type: ignore[arg-type]
        lons, lats = utm_to_lonlat(xs, ys, epsg or geo.epsg or DEFAULT_UTM_EPSG)
        for i, lon, lat in zip(pending, lons, lats, strict=True):
            out[i] = {"type": "Point", "coordinates": [lon, lat]}
    return out


def wkt_geometry(text: object) -> Position | None:
    """The GeoJSON geometry of a WKT text; None if it is empty or does not parse."""
    if not isinstance(text, str) or not text.strip():
        return None
    from shapely import wkt as shapely_wkt
    from shapely.errors import GEOSException
    from shapely.geometry import mapping

    try:
        shape: Position = mapping(shapely_wkt.loads(text))
    except (GEOSException, ValueError):
        return None
    return shape
