"""Croissant out: mlcroissant validates each document and loads records from the version's Parquet file,
checking its SHA-256, against the live server."""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.interchange.conftest import Live


@pytest.fixture(scope="module")
def mlc(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # mlcroissant reads its cache folder from the environment when it is imported.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROISSANT_CACHE", str(tmp_path_factory.mktemp("croissant-cache")))
        import mlcroissant

        yield mlcroissant


def test_mlcroissant_validates_and_loads_a_record_set(live: Live, mlc) -> None:  # type: ignore[no-untyped-def]
    url = f"{live.url}/dataset/qualitat-aire-detall-bcn/croissant.json"
    dataset = mlc.Dataset(url)  # raises on any validation error
    assert not dataset.metadata.ctx.issues.errors
    assert not dataset.metadata.ctx.issues.warnings  # not even a recommended property missing
    names = [rs.name for rs in dataset.metadata.record_sets]
    assert "qualitat-aire-detall-mostra" in names
    records = list(itertools.islice(dataset.records("qualitat-aire-detall-mostra"), 5))
    assert len(records) == 5
    first = records[0]
    station = first["qualitat-aire-detall-mostra/ESTACIO"]
    assert station in (b"043", "043")  # text, zero-padded as published
    assert first["qualitat-aire-detall-mostra/ANY"] == 2025


def test_file_object_is_the_version_file_with_its_checksum(live: Live) -> None:
    doc = live.get("/dataset/qualitat-aire-estacions-bcn/croissant.json").json()
    [file] = doc["distribution"]
    assert file["encodingFormat"] == "application/x-parquet"
    assert "/export.parquet?version=1" in file["contentUrl"]
    body = live.get(file["contentUrl"].removeprefix(live.url)).content
    assert hashlib.sha256(body).hexdigest() == file["sha256"]
    # The very file written at ingest, whose checksum was kept then.
    version_id = live.get("/api/v1/datastore/qualitat-aire-estacions/versions").json()["data"][0]["id"]
    stored = next(Path(live.portal.settings.data_dir, "tables").glob(f"*/{version_id}.parquet"))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == file["sha256"]
    types = {f["name"]: f["dataType"] for f in doc["recordSet"][0]["field"]}
    assert types["Longitud"] == "sc:Float" and types["Estacio"] == "sc:Integer"


def test_protected_table_points_at_its_masked_export(live: Live) -> None:
    doc = live.get("/dataset/pad-mdbas-niv-educa-esta-sexe/croissant.json").json()
    [file] = doc["distribution"]
    body = live.get(file["contentUrl"].removeprefix(live.url)).content
    assert hashlib.sha256(body).hexdigest() == file["sha256"]
    assert len(body) == int(file["contentSize"].removesuffix(" B"))
    values = pq.read_table(io.BytesIO(body)).column("Valor").to_pylist()
    shown = [v for v in values if v is not None]
    assert len(shown) < len(values) and all(v == 0 or v >= 5 for v in shown)  # no small count leaves
    # Asked again, the same bytes: the checksum holds for whoever downloads later.
    again = live.get(file["contentUrl"].removeprefix(live.url)).content
    assert hashlib.sha256(again).hexdigest() == file["sha256"]


def test_unknown_dataset_answers_json_404(live: Live) -> None:
    response = live.get("/dataset/no-such-dataset/croissant.json")
    assert response.status_code == 404 and response.json()["status"] == 404
