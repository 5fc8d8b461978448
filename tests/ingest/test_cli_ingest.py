from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from obert.auth import ANONYMOUS
from obert.cli import app
from obert.demo import FILES
from obert.portal import build_portal
from obert.settings import Settings
from obert.tableservice.published import open_version

runner = CliRunner()
BAD = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBERT_SECRET_KEY", "a-test-secret-that-is-long-enough")
    return tmp_path


def test_ingest_creates_the_dataset_and_publishes_at_once(env: Path, tmp_path: Path) -> None:
    source = FILES / "qualitat_aire_estacions.csv"
    result = runner.invoke(app, ["ingest", str(source), "--dataset", "estacions"])
    assert result.exit_code == 0, result.output
    assert "created dataset estacions" in result.output and "version 1: 55 rows" in result.output
    assert "Codi_Contaminant" in result.output and "integer" in result.output

    # The same file again changes nothing; an edited one under the same name becomes version 2.
    again = runner.invoke(app, ["ingest", str(source), "--dataset", "estacions"])
    assert again.exit_code == 0 and "unchanged: version 1" in again.output
    edited = tmp_path / "in" / source.name
    edited.parent.mkdir()
    edited.write_text("\n".join(source.read_text(encoding="utf-8").splitlines()[:11]) + "\n")
    third = runner.invoke(app, ["ingest", str(edited), "--dataset", "estacions"])
    assert third.exit_code == 0 and "version 2: 10 rows" in third.output

    portal = build_portal(Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough"))  # type: ignore[arg-type]
    table = open_version(store=portal.store, actor=ANONYMOUS, tables=portal.tables, ref="estacions-1")
    assert table.version.number == 2 and table.version.row_count == 10 and table.path.is_file()
    portal.close()


def test_a_bad_file_says_where_and_publishes_nothing(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(BAD / "invalid.json"), "--dataset", "broken"])
    assert result.exit_code == 1
    assert "line 2" in result.output and "column 10" in result.output
    assert not list((env / "tables").rglob("*.parquet")) if (env / "tables").exists() else True


def test_a_file_without_a_column_is_held_and_the_cli_says_why(env: Path, tmp_path: Path) -> None:
    source = FILES / "qualitat_aire_contaminants.csv"
    assert runner.invoke(app, ["ingest", str(source), "--dataset", "contaminants"]).exit_code == 0
    edited = tmp_path / "in" / source.name
    edited.parent.mkdir()
    lines = source.read_text(encoding="utf-8").splitlines()
    edited.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    held = runner.invoke(app, ["ingest", str(edited), "--dataset", "contaminants"])
    assert held.exit_code == 0, held.output
    said = " ".join(held.output.split())  # the console wraps long lines
    assert "held back" in said and "column 'Unitats' dropped" in said
    assert "published version 2" not in said

    portal = build_portal(Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough"))  # type: ignore[arg-type]
    table = open_version(store=portal.store, actor=ANONYMOUS, tables=portal.tables, ref="contaminants-1")
    assert table.version.number == 1  # still served until an editor accepts the change
    portal.close()
