"""`obert harvest add|run|list`, the harvest job, and the schedule that queues due sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from obert.auth import SYSTEM
from obert.cli import app
from obert.harvest.jobs import dedupe_key, enqueue_run, schedule
from obert.harvest.sources import get_source
from obert.jobs import JobState, list_jobs, tick
from obert.portal import Portal
from obert.storage.tables.harvest import harvest_sources
from tests.harvest.conftest import add_source
from tests.harvest.servers import FakeCkan, serve

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBERT_SECRET_KEY", "a-test-secret-that-is-long-enough")
    monkeypatch.setenv("OBERT_HTTP_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("OBERT_HARVEST_REQUESTS_PER_SECOND", "1000")
    return tmp_path


def test_add_run_and_list_from_the_command_line(env: Path) -> None:
    ckan = FakeCkan(4)
    with serve(ckan.route) as server:
        added = runner.invoke(app, ["harvest", "add", "city", server.url, "--type", "ckan", "--every", "1d"])
        assert added.exit_code == 0, added.output
        dry = runner.invoke(app, ["harvest", "run", "city", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "dry run: nothing written" in dry.output and "4 created" in dry.output
        real = runner.invoke(app, ["harvest", "run", "city"])
        assert real.exit_code == 0, real.output
        assert "done — 4 created" in real.output and "Generated dataset 0" in real.output
        listed = runner.invoke(app, ["harvest", "list"])
    assert "city" in listed.output and "1d" in listed.output and "{'created': 4}" in listed.output
    bad = runner.invoke(app, ["harvest", "add", "x y", "ftp://nowhere", "--type", "ckan", "--every", "often"])
    assert bad.exit_code == 1 and "name:" in bad.output and "every:" in bad.output


def test_a_failed_run_exits_non_zero(env: Path) -> None:
    with serve(lambda p, q: (500, {}, b"down")) as server:
        runner.invoke(app, ["harvest", "add", "down", server.url, "--type", "ckan"])
        result = runner.invoke(app, ["harvest", "run", "down"])
    assert result.exit_code == 1 and "HTTP 500" in result.output


def test_due_sources_are_queued_once(portal: Portal) -> None:
    add_source(portal, type="ckan", url="https://a.example.org", every="1h")
    add_source(portal, name="manual", type="ckan", url="https://b.example.org")
    add_source(portal, name="off", type="ckan", url="https://c.example.org", every="1h", enabled=False)
    now = datetime.now(UTC)
    assert tick(portal.store, [schedule()], now=now) == ["harvest-due-sources"]
    queued = list_jobs(portal.store, kind="harvest")
    source = get_source(store=portal.store, actor=SYSTEM, ref="src")
    assert [j.dedupe_key for j in queued] == [dedupe_key(source.id)]
    with portal.store.begin() as conn:  # asking again while it is queued adds nothing
        assert enqueue_run(conn, source_id=source.id) == queued[0].id
    with portal.store.begin() as conn:  # ran a while ago, not yet due
        conn.execute(harvest_sources.update().values(last_run_at=now - timedelta(minutes=30)))
    assert tick(portal.store, [schedule()], now=now + timedelta(minutes=2)) == ["harvest-due-sources"]
    assert len(list_jobs(portal.store, kind="harvest")) == 1


def test_the_harvest_job_runs_the_source(portal: Portal, hctx: object) -> None:
    ckan = FakeCkan(2)
    settings = portal.settings.model_copy(update={"http_allowlist": "127.0.0.1"})
    from obert.portal import build_portal

    local = build_portal(settings)
    with serve(ckan.route) as server:
        add_source(local, type="ckan", url=server.url)
        source = get_source(store=local.store, actor=SYSTEM, ref="src")
        with local.store.begin() as conn:
            job_id = enqueue_run(conn, source_id=source.id)
        job = local.job_runner(1).run_job(job_id)
    assert job is not None and job.state is JobState.DONE and job.result
    assert job.result["counts"] == {"created": 2}
    with local.store.read() as conn:
        assert conn.execute(sa.select(harvest_sources.c.last_run_at)).scalar() is not None
    local.close()
