"""`obert backup` and `obert restore`: nothing is lost, damage is caught, old backups are migrated, and a
backup taken while obert writes opens with a catalogue and a datastore that agree."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from obert.app import create_app
from obert.auth import SYSTEM
from obert.auth.users import create_token, create_user
from obert.cli import app
from obert.demo import FILES
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage import Store, migrate
from obert.storage.backup import create_backup
from obert.storage.restore import restore_backup
from obert.tableservice.local import ingest_local_file
from tests.conftest import bearer, dataset_payload, organization_payload
from tests.reliability.consistency import check_data_dir

runner = CliRunner()
SECRET = "a-test-secret-that-is-long-enough"
STATIONS = FILES / "qualitat_aire_estacions.csv"


def _settings(data_dir: Path, **extra: Any) -> Settings:
    return Settings(mode="test", data_dir=data_dir, base_url="http://testserver", **extra)


def _env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("OBERT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OBERT_SECRET_KEY", SECRET)
    monkeypatch.delenv("OBERT_DATABASE_URL", raising=False)


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Path]:
    """A data dir with an organisation, datasets, accounts, tokens, audit rows and table versions."""
    data_dir = tmp_path / "source"
    portal = build_portal(_settings(data_dir))
    try:
        _fill(portal, tmp_path)
    finally:
        portal.close()
    yield data_dir


def _fill(portal: Portal, tmp_path: Path) -> None:
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    create_user(store=portal.store, name="editora", password="another long password", email="e@bcn.cat")
    headers = bearer(create_token(store=portal.store, user_ref="admin", name="tests").secret)
    client = TestClient(create_app(portal.settings, portal=portal))
    assert (
        client.post("/api/v1/organizations", json=organization_payload(), headers=headers).status_code == 201
    )
    for name in ("accidents-2018", "accidents-2019"):
        made = client.post("/api/v1/datasets", json=dataset_payload(name=name), headers=headers)
        assert made.status_code == 201, made.text
    # Two versions of one table, and a second table: superseded versions must come back too.
    ingest_local_file(ingester=portal.ingester, actor=SYSTEM, path=STATIONS, dataset="estacions")
    edited = tmp_path / "edit" / STATIONS.name
    edited.parent.mkdir()
    edited.write_text("\n".join(STATIONS.read_text(encoding="utf-8").splitlines()[:11]) + "\n")
    ingest_local_file(ingester=portal.ingester, actor=SYSTEM, path=edited, dataset="estacions")
    other = sorted(p for p in FILES.iterdir() if p.suffix == ".csv" and p != STATIONS)[0]
    ingest_local_file(ingester=portal.ingester, actor=SYSTEM, path=other, dataset="altres")


def _all_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


def _version_answers(data_dir: Path) -> dict[tuple[str, int], Any]:
    """Every version of every table as the API serves it to a site administrator."""
    portal = build_portal(_settings(data_dir))
    try:
        client = TestClient(create_app(portal.settings, portal=portal))
        headers = bearer(create_token(store=portal.store, user_ref="admin", name="compare").secret)
        with portal.store.read() as conn:
            versions = conn.exec_driver_sql("SELECT resource_id, number FROM resource_versions").all()
        answers = {}
        for resource_id, number in versions:
            got = client.get(
                f"/api/v1/datastore/{resource_id}/rows",
                params={"version": number, "limit": 1000},
                headers=headers,
            )
            assert got.status_code == 200, got.text
            answers[(resource_id, number)] = got.json()
        return answers
    finally:
        portal.close()


def test_backup_then_restore_into_a_fresh_dir_loses_nothing(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "obert.tar.gz"
    _env(monkeypatch, filled)
    made = runner.invoke(app, ["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "backed up 5 files" in " ".join(made.output.split())  # 3 versions and 2 uploads
    before = _all_rows(filled / "obert.db")
    assert before["users"] and before["activity"] and before["api_tokens"] and len(before["datasets"]) == 4

    fresh = tmp_path / "fresh"
    _env(monkeypatch, fresh)
    restored = runner.invoke(app, ["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    said = " ".join(restored.output.split())  # the console wraps long lines
    assert "restored 5 files" in said and "checksums verified" in said
    assert _all_rows(fresh / "obert.db") == before
    old_answers = _version_answers(filled)
    assert len(old_answers) == 3
    assert _version_answers(fresh) == old_answers
    for upload in (filled / "files").rglob("*"):
        if upload.is_file():
            assert (fresh / upload.relative_to(filled)).read_bytes() == upload.read_bytes()
    assert check_data_dir(_settings(fresh)).ok


def test_the_archive_has_a_manifest_with_sizes_and_checksums(filled: Path, tmp_path: Path) -> None:
    report = create_backup(settings=_settings(filled), dest=tmp_path / "b.tar")
    with tarfile.open(report.path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.load(member)
        names = set(tar.getnames())
    assert manifest["alembic_revision"] == migrate.head_revision()
    assert manifest["backend"] == "sqlite" and manifest["database"] == "database/obert.sqlite"
    assert manifest["obert_version"]
    listed = {m["path"] for m in manifest["members"]}
    assert listed | {"manifest.json"} == names
    assert all(len(m["sha256"]) == 64 and m["size"] > 0 for m in manifest["members"])
    assert sum(p.startswith("data/tables/") for p in listed) == 3


def test_restore_refuses_a_data_dir_in_use_unless_forced(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = create_backup(settings=_settings(filled), dest=tmp_path / "b.tar").path
    other = tmp_path / "other"
    build_portal(_settings(other)).close()
    (other / "notes.txt").write_text("kept until --force")
    _env(monkeypatch, other)
    refused = runner.invoke(app, ["restore", str(archive)])
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "is not empty" in said and "--force" in said
    assert (other / "notes.txt").exists()
    forced = runner.invoke(app, ["restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (other / "notes.txt").exists()
    assert _all_rows(other / "obert.db") == _all_rows(filled / "obert.db")


def _rewrite(archive: Path, target: Path, change: dict[str, bytes]) -> None:
    with tarfile.open(archive) as src, tarfile.open(target, "w") as out:
        for member in src.getmembers():
            data = src.extractfile(member)
            body = change.get(member.name, data.read() if data else b"")
            info = tarfile.TarInfo(member.name)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))


def test_restore_refuses_a_damaged_archive_and_leaves_the_dir_untouched(filled: Path, tmp_path: Path) -> None:
    archive = create_backup(settings=_settings(filled), dest=tmp_path / "b.tar").path
    with tarfile.open(archive) as tar:
        victim = next(n for n in tar.getnames() if n.startswith("data/tables/"))
        member = tar.extractfile(victim)
        assert member is not None
        body = bytearray(member.read())
    body[len(body) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.tar"
    _rewrite(archive, damaged, {victim: bytes(body)})
    fresh = tmp_path / "fresh"
    with pytest.raises(Exception, match="damaged") as caught:
        restore_backup(settings=_settings(fresh), source=damaged)
    assert victim in str(getattr(caught.value, "errors", ""))
    assert not (fresh / "obert.db").exists() and not (fresh / "tables").exists()


def test_an_older_backup_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    store = Store(f"sqlite:///{old_dir / 'obert.db'}")
    migrate.upgrade(store, "0003_datastore")
    store.dispose()
    archive = create_backup(settings=_settings(old_dir), dest=tmp_path / "old.tar").path
    report = restore_backup(settings=_settings(tmp_path / "fresh"), source=archive)
    assert report.revision_before == "0003_datastore"
    assert report.revision_after == migrate.head_revision()

    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.load(member)
    manifest["alembic_revision"] = "0999_from_the_future"
    future = tmp_path / "future.tar"
    _rewrite(archive, future, {"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(Exception, match="newer obert"):
        restore_backup(settings=_settings(tmp_path / "fresh2"), source=future)


def test_a_backup_taken_while_obert_writes_is_consistent(tmp_path: Path) -> None:
    data_dir = tmp_path / "busy"
    portal = build_portal(_settings(data_dir))
    work = tmp_path / "in"
    work.mkdir()
    lines = STATIONS.read_text(encoding="utf-8").splitlines()
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            path = work / f"taula_{n % 3}.csv"
            path.write_text("\n".join(lines[: 2 + n % (len(lines) - 2)]) + "\n", encoding="utf-8")
            ingest_local_file(ingester=portal.ingester, actor=SYSTEM, path=path, dataset=f"dades-{n % 3}")
            written.append(n)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    archives = []
    try:
        while len(written) < 3:
            writer.join(0.05)
            assert writer.is_alive()
        for i in range(3):
            archives.append(create_backup(settings=_settings(data_dir), dest=tmp_path / f"b{i}.tar").path)
    finally:
        stop.set()
        writer.join(60)
        portal.close()
    assert len(written) > 3  # the writer went on while the backups ran
    for i, archive in enumerate(archives):
        fresh = tmp_path / f"restored{i}"
        restore_backup(settings=_settings(fresh), source=archive)
        verdict = check_data_dir(_settings(fresh))
        assert verdict.ok, verdict.problems
        assert verdict.versions >= 3 and verdict.served >= 1


def _new_database(server: str) -> str:
    name = f"obert_test_{uuid.uuid4().hex[:12]}"
    libpq = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


@pytest.mark.postgres
def test_postgres_backup_with_pg_dump_restores_into_another_database(
    postgres_server: str, tmp_path: Path
) -> None:
    names = [_new_database(postgres_server), _new_database(postgres_server)]
    urls = [make_url(postgres_server).set(database=n).render_as_string(hide_password=False) for n in names]
    try:
        source = _settings(tmp_path / "pg-source", database_url=urls[0])
        portal = build_portal(source)
        try:
            _fill(portal, tmp_path)
        finally:
            portal.close()
        plain = create_backup(settings=source, dest=tmp_path / "files-only.tar")
        assert plain.database is None and plain.files == 5
        dumped = create_backup(settings=source, dest=tmp_path / "with-dump.tar", pg_dump=True)
        assert dumped.database == "database/obert.pgdump"
        target = _settings(tmp_path / "pg-target", database_url=urls[1])
        report = restore_backup(settings=target, source=dumped.path, pg_restore=True)
        assert report.files == 5 and "pg_restore" in report.database
        verdict = check_data_dir(target)
        assert verdict.ok, verdict.problems
        assert verdict.versions == 3 and verdict.served == 2
    finally:
        libpq = make_url(postgres_server).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
