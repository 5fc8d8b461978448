"""Every real Open Data BCN file bundled with the demo: no false findings (whole-value, inside text, in
column names, and through the ingest and its gate), and the market managers' names in the equipment
file are caught."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from obert.ingest import ingest_file
from obert.privacy import scan_table
from obert.tableservice.personal_data import PersonalDataGate

FILES = Path(__file__).resolve().parents[2] / "obert" / "demo" / "files"
CSVS = sorted(FILES.glob("*.csv"))
GEOJSONS = sorted(FILES.glob("*.geojson"))


def read_csv(path: Path) -> pa.Table:
    try:
        path.read_bytes().decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"  # the older accident files are Windows/Latin-1 exports
    query = f"select * from read_csv('{path}', all_varchar=true, encoding='{encoding}')"
    return duckdb.sql(query).to_arrow_table()


def read_json(path: Path) -> pa.Table:
    return duckdb.sql(f"select * from read_json('{path}')").to_arrow_table()


def test_the_demo_files_are_all_here() -> None:
    assert len(CSVS) >= 10 and len(GEOJSONS) >= 3


@pytest.mark.parametrize("path", CSVS, ids=lambda p: p.name)
def test_real_csv_files_have_no_personal_data(path: Path) -> None:
    table = read_csv(path)
    assert table.num_rows > 0
    report = scan_table(table, sample_rows=None)
    assert report.findings == (), [f.to_json() for f in report.findings]
    assert report.rows_scanned == table.num_rows


@pytest.mark.parametrize("path", GEOJSONS, ids=lambda p: p.name)
def test_real_geojson_files_have_no_personal_data(path: Path) -> None:
    report = scan_table(read_json(path), sample_rows=None)
    assert report.findings == ()


def test_market_managers_are_flagged_as_names() -> None:
    report = scan_table(read_json(FILES / "equipaments_twoMunicipalMarkets.json"))
    names = {f.column: f for f in report.findings if f.kind == "person_name"}
    leaf = "attribute_categories.attributes.values.responsible_value"
    assert {f"{leaf}.name", f"{leaf}.surname"} <= set(names)
    assert names[f"{leaf}.name"].reason == "both"
    assert names[f"{leaf}.surname"].severity == "high"
    assert all("Jordi" not in example for f in report.findings for example in f.examples)
    # Nothing in the file is a DNI, IBAN, card or birth date.
    assert {f.kind for f in report.findings} <= {"person_name", "email", "phone"}
    assert not report.clean


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every demo file as the ingest stores it (JSON flattened, lists as JSON text, GeoJSON as WKT)."""
    folder = tmp_path_factory.mktemp("demo-versions")
    out = {}
    for path in sorted(FILES.iterdir()):
        out[path.name] = folder / f"{path.name}.parquet"
        ingest_file(path, dest=out[path.name], max_bytes=10**9)
    return out


@pytest.mark.parametrize("name", [p.name for p in CSVS + GEOJSONS])
def test_the_gate_holds_no_demo_table_back(ingested: dict[str, Path], name: str) -> None:
    # A small sample, so the larger files also take the every-row pass for identifiers.
    gate = PersonalDataGate(sample_rows=1000)
    assert gate(resource_id="demo", result=None, path=ingested[name]) is None  # type: ignore[arg-type]


def test_the_gate_finds_only_the_markets_public_contacts_in_the_json_file(ingested: dict[str, Path]) -> None:
    hold = PersonalDataGate(sample_rows=1000)(
        resource_id="demo",
        result=None,  # type: ignore[arg-type]
        path=ingested["equipaments_twoMunicipalMarkets.json"],
    )
    assert hold is not None
    found = {(f["column"], f["kind"]) for f in hold.findings["scan"]["findings"]}
    # The markets' addresses and their contact e-mails and phones, inside JSON text; nothing else.
    assert found == {("addresses", "address"), ("attribute_categories", "free_text"), ("values", "free_text")}
