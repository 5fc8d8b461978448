"""Real clients of OGC API - Features against a served obert: GDAL's OAPIF driver (ogrinfo, ogr2ogr, as
Debian ships them) and OWSLib's Features client list the collections and read features in a bbox."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from owslib.ogcapi.features import Features

from tests.api.ogc.conftest import ACCIDENTS, BARRIS, Served

BOX = (2.15, 41.38, 2.17, 41.40)
needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL (gdal-bin) is not installed")


def _gdal(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _matched(served: Served, collection: str, **params: str) -> int:
    count: int = served.get(f"/collections/{collection}/items", limit=1, **params).json()["numberMatched"]
    return count


@needs_gdal
def test_ogrinfo_lists_the_collections_and_counts_a_bbox(served: Served) -> None:
    source = f"OAPIF:{served.base}"
    layers = _gdal("ogrinfo", "-ro", "-q", source)
    assert f"{ACCIDENTS} (title:" in layers and f"{BARRIS} (title:" in layers
    assert "estacions-privades-taula" not in layers and "qualitat-aire-contaminants" not in layers
    summary = _gdal("ogrinfo", "-ro", "-so", source, ACCIDENTS, "-spat", *map(str, BOX))
    bbox = ",".join(map(str, BOX))
    assert f"Feature Count: {_matched(served, ACCIDENTS, bbox=bbox)}" in summary
    assert "Nom_districte: String" in summary and "Numero_victimes: Integer" in summary


@needs_gdal
def test_ogr2ogr_copies_features_in_a_bbox_with_a_filter_sent_to_the_server(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "gracia.geojson"
    _gdal(
        "ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{served.base}", ACCIDENTS,
        "-oo", "PAGE_SIZE=1000", "-spat", *map(str, BOX), "-where", "Nom_districte = 'Gràcia'",
    )  # fmt: skip
    copied = json.loads(out.read_text())["features"]
    expected = _matched(served, ACCIDENTS, bbox=",".join(map(str, BOX)), Nom_districte="Gràcia")
    assert len(copied) == expected > 0
    for feature in copied:
        lon, lat = feature["geometry"]["coordinates"]
        assert BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3]
        assert feature["properties"]["Nom_districte"] == "Gràcia"


def test_owslib_lists_collections_and_reads_a_bbox(served: Served) -> None:
    client = Features(served.base)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in client.conformance()["conformsTo"]
    names = client.feature_collections()
    assert ACCIDENTS in names and BARRIS in names and "estacions-privades-taula" not in names
    assert client.collection(ACCIDENTS)["itemType"] == "feature"
    page = client.collection_items(ACCIDENTS, bbox=list(BOX), limit=50)
    assert page["numberMatched"] == _matched(served, ACCIDENTS, bbox=",".join(map(str, BOX)))
    assert page["numberReturned"] == len(page["features"]) == 50
    first = page["features"][0]
    assert client.collection_item(ACCIDENTS, str(first["id"]))["properties"] == first["properties"]
    polygons = client.collection_items(BARRIS, bbox=[2.16, 41.40, 2.161, 41.401])
    assert polygons["numberMatched"] >= 1
