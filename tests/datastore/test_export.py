from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from obert.datastore import export as export_module
from obert.datastore.export import export
from obert.datastore.filters import Range
from obert.errors import Invalid


def _bytes(*args: object, **kwargs: object) -> bytes:
    return b"".join(export(*args, **kwargs))  # type: ignore[arg-type]


def test_csv(versions: dict[str, Path]) -> None:
    data = _bytes(
        versions["accidents"],
        "csv",
        filters={"Nom_districte": "Eixample"},
        fields=["Numero_expedient", "Any"],
    )
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == ["Numero_expedient", "Any"] and len(rows) == 2948 and rows[1][1] == "2018"


def test_json_and_jsonl(versions: dict[str, Path]) -> None:
    doc = json.loads(_bytes(versions["education"], "json"))
    assert len(doc) == 12687 and doc[0]["Data_Referencia"] == "2023-01-01"
    assert sum(1 for r in doc if r["Valor"] is None) == 817
    lines = _bytes(versions["education"], "jsonl", limit=3).decode().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["Codi_Districte"] == 1


def test_parquet_whole_file_and_filtered(versions: dict[str, Path]) -> None:
    whole = _bytes(versions["accidents"], "parquet")
    assert whole == versions["accidents"].read_bytes()
    part = pq.read_table(io.BytesIO(_bytes(versions["accidents"], "parquet", filters={"Codi_districte": 2})))
    assert part.num_rows == 2947 and part.schema.field("Codi_districte").type == "int64"


def test_filtered_parquet_streams_in_row_groups_and_keeps_every_row(
    versions: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "_ROW_GROUP", 1_000)  # DuckDB's 122,880 rows, scaled down
    chunks = list(export(versions["accidents"], "parquet", filters={"Numero_victimes": Range(gte=1)}))
    assert len(chunks) > 5  # sent as it is written, a row group at a time, not in one piece at the end
    got = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    sizes = [got.metadata.row_group(i).num_rows for i in range(got.metadata.num_row_groups)]
    assert all(n >= 1_000 for n in sizes[:-1]) and len(sizes) == sum(sizes) // 1_000 + (
        sum(sizes) % 1_000 > 0
    )
    whole = pq.read_table(versions["accidents"])
    kept = [r for r in whole.to_pylist() if (r["Numero_victimes"] or 0) >= 1]
    assert got.read().to_pylist() == kept and 9_000 < len(kept) < 9_936


def test_an_empty_filtered_parquet_is_a_valid_file_with_the_columns(versions: dict[str, Path]) -> None:
    empty = pq.read_table(io.BytesIO(_bytes(versions["accidents"], "parquet", filters={"Any": 1900})))
    assert empty.num_rows == 0 and "Numero_victimes" in empty.schema.names


def test_xlsx(versions: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    target.write_bytes(_bytes(versions["stations"], "xlsx"))
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "Estacio" and len(rows) == 56


def test_geojson_from_lon_lat_and_from_geometry(versions: dict[str, Path]) -> None:
    points = json.loads(_bytes(versions["stations"], "geojson"))
    assert len(points["features"]) == 55
    assert points["features"][0]["geometry"] == {"type": "Point", "coordinates": [2.2045, 41.4039]}
    polys = json.loads(_bytes(versions["barris"], "geojson", fields=["NOM"]))
    assert len(polys["features"]) == 73 and polys["features"][0]["geometry"]["type"] == "Polygon"
    assert "geometry" not in polys["features"][0]["properties"]


def test_geojson_needs_positions(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid):
        export(versions["padro"], "geojson")


def test_bad_format_and_field_fail_before_streaming(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid):
        export(versions["padro"], "docx")
    with pytest.raises(Invalid):
        export(versions["padro"], "csv", fields=["nope"])
