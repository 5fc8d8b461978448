"""SQL databases (a SQLite file; PostgreSQL when OBERT_TEST_POSTGRES_URL is set) and folders of files."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM, Actor, Role
from obert.catalog.datasets import get_dataset, list_datasets
from obert.errors import Forbidden
from obert.harvest.models import SourceInput
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import create_source, get_source
from obert.portal import Portal
from tests.harvest.conftest import Recorder, add_source

DEMO = Path(__file__).parent.parent.parent / "obert" / "demo" / "files"


def _city_db(url: str) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    markets = sa.Table(
        "mercats",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nom", sa.Text),
        comment="Mercats municipals",
    )
    sa.Table("districtes", meta, sa.Column("codi", sa.Integer, primary_key=True), sa.Column("nom", sa.Text))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(markets.insert(), [{"id": 1, "nom": "La Boqueria"}, {"id": 2, "nom": "Sant Antoni"}])
        conn.execute(meta.tables["districtes"].insert(), [{"codi": 1, "nom": "Ciutat Vella"}])
    engine.dispose()


def _read_upload(portal: Portal, dataset_ref: str) -> str:
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref=dataset_ref)
    resource = ds.resources[0]
    assert resource.upload
    return portal.files.path(owner_id=resource.id, filename=resource.upload).read_text()


def test_tables_of_a_sqlite_database(
    portal: Portal, hctx: HarvestContext, ingest: Recorder, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    _city_db(url)
    add_source(
        portal,
        type="sql",
        url=url,
        auto_ingest=True,
        config={"queries": {"grans": "SELECT nom FROM mercats WHERE id > 1"}},
    )
    first = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert first.state == "done" and first.counts == {"created": 3}, first.error
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="src-mercats")
    assert ds.description == {"ca": "Mercats municipals"} or ds.description == {}
    assert ds.resources[0].format == "CSV" and ds.resources[0].checksum
    rows = list(csv.reader(io.StringIO(_read_upload(portal, "src-mercats"))))
    assert rows == [["id", "nom"], ["1", "La Boqueria"], ["2", "Sant Antoni"]]
    assert len(ingest.asked) == 3  # every exported table asked for ingestion
    assert ds.extras["harvest_source_url"] == url

    again = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert again.counts == {"unchanged": 3}

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO mercats VALUES (3, 'Santa Caterina')"))
        conn.execute(sa.text("DROP TABLE districtes"))
    engine.dispose()
    third = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert third.counts == {"updated": 2, "withdrawn": 1}
    assert "Santa Caterina" in _read_upload(portal, "src-mercats")
    assert get_dataset(store=portal.store, actor=SYSTEM, ref="src-districtes").state.value == "withdrawn"


def test_parquet_exports(portal: Portal, hctx: HarvestContext, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    _city_db(url)
    add_source(portal, type="sql", url=url, config={"tables": ["mercats"], "format": "parquet"})
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.counts == {"created": 1}, report.error
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="src-mercats")
    path = portal.files.path(owner_id=ds.resources[0].id, filename=ds.resources[0].upload or "")
    assert pq.read_table(path).to_pylist() == [
        {"id": 1, "nom": "La Boqueria"},
        {"id": 2, "nom": "Sant Antoni"},
    ]


@pytest.mark.postgres
def test_tables_of_a_postgresql_database(
    portal: Portal, hctx: HarvestContext, postgres_database: str
) -> None:
    _city_db(postgres_database)
    add_source(portal, type="sql", url=postgres_database, config={"tables": ["mercats", "districtes"]})
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.counts == {"created": 2}, report.error
    assert "Sant Antoni" in _read_upload(portal, "src-mercats")


def test_an_unreachable_database_fails_the_run(portal: Portal, hctx: HarvestContext) -> None:
    add_source(portal, type="sql", url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "failed" and "cannot reach the database" in (report.error or "")


def test_a_folder_of_files(portal: Portal, hctx: HarvestContext, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(DEMO / "qualitat_aire_estacions.csv", folder)
    shutil.copy(DEMO / "districtes.geojson", folder)
    (folder / "notes.txt").write_text("not data")
    add_source(portal, type="urls", url=str(folder))
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.counts == {"created": 2}, report.error
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="qualitat_aire_estacions")
    assert ds.resources[0].format == "CSV" and ds.resources[0].upload == "qualitat_aire_estacions.csv"
    (folder / "districtes.geojson").unlink()
    again = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert again.counts == {"unchanged": 1, "withdrawn": 1}


def test_a_list_of_urls(portal: Portal, hctx: HarvestContext) -> None:
    urls = ["https://data.example.org/a/markets.csv", "https://data.example.org/b/trees.xlsx"]
    add_source(portal, type="urls", url=urls[0], config={"urls": urls})
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.counts == {"created": 2}
    assert {d.resources[0].format for d in list_datasets(store=portal.store, actor=SYSTEM).items} == {
        "CSV",
        "XLSX",
    }
    add_source(portal, name="grouped", type="urls", url=urls[0], config={"urls": urls, "group": True})
    grouped = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="grouped"))
    assert grouped.counts == {"created": 1}
    assert len(get_dataset(store=portal.store, actor=SYSTEM, ref="grouped").resources) == 2


def test_only_site_administrators_reach_the_server_itself(portal: Portal, tmp_path: Path) -> None:
    editor = Actor(user_id="u1", name="ed", roles={"org-1": Role.EDITOR})
    for kind, url in (("sql", f"sqlite:///{tmp_path / 'x.db'}"), ("urls", str(tmp_path))):
        with pytest.raises(Forbidden, match="only site administrators"):
            create_source(
                store=portal.store,
                actor=editor,
                data=SourceInput.model_validate(
                    {"name": "xx", "type": kind, "url": url, "organization": None}
                ),
            )


def test_a_very_long_remote_id_is_kept_apart(portal: Portal, hctx: HarvestContext) -> None:
    long = "https://data.example.org/export.csv?" + "&".join(f"f{n}=value{n}" for n in range(80))
    add_source(portal, type="urls", url=long, config={"urls": [long, long + "&more=1"]})
    first = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert first.counts == {"created": 2}, first.error
    again = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert again.counts == {"unchanged": 2}
