"""The generic runner against a generated CKAN portal on 127.0.0.1: create, leave alone, update,
withdraw, bring back, dry runs, failures that must not withdraw anything, and duplicates across sources."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.catalog.datasets import get_dataset, list_datasets
from obert.harvest import runs
from obert.harvest.models import RunReport
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import get_source
from obert.i18n import localize
from obert.portal import Portal
from obert.storage.tables.catalog import activity, datasets
from obert.storage.tables.harvest import harvest_items, harvest_runs
from tests.harvest.conftest import add_source
from tests.harvest.servers import FakeCkan, serve


def _count(portal: Portal, table: sa.Table) -> int:
    with portal.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_source_is_harvested_then_kept_in_step(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(25)
    with serve(ckan.route) as server:
        add_source(portal, type="ckan", url=server.url, config={"rows": 10})
        first = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        assert first.state == "done", first.error
        assert first.counts == {"created": 25}
        page = list_datasets(store=portal.store, actor=SYSTEM, limit=100)
        assert page.count == 25
        ds = get_dataset(store=portal.store, actor=SYSTEM, ref="generated-7")
        assert ds.title == {"en": "Generated dataset 7"}
        assert ds.organization and ds.organization.name == "org-2"  # the CKAN organisation, as publisher
        assert ds.license == "CC_BY_4_0"
        assert len(ds.resources) == 2 and ds.resources[0].format == "CSV"
        assert ds.extras["harvest_source"] == "src" and ds.extras["harvest_remote_id"].endswith("7")
        assert ds.extras["batch"] == "0"

        writes = _count(portal, activity)
        second = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        # Incremental: only the newest package (the range is inclusive) is asked for again.
        assert second.counts == {"unchanged": 1}
        assert _count(portal, activity) == writes, "an unchanged source rewrote the catalogue"

        ckan.modify(3, "Renamed dataset 3")
        ckan.remove(4)
        ckan.add(99, resources=1)
        third = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        assert third.counts.get("updated") == 1
        assert third.counts.get("created") == 1
        assert third.counts.get("withdrawn") == 1
        assert get_dataset(store=portal.store, actor=SYSTEM, ref="generated-3").title == {
            "en": "Renamed dataset 3"
        }
        gone = get_dataset(store=portal.store, actor=SYSTEM, ref="generated-4")
        assert gone.state.value == "withdrawn"  # kept, not deleted

        ckan.add(4)  # it comes back
        fourth = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        assert fourth.counts.get("updated") == 1
        assert get_dataset(store=portal.store, actor=SYSTEM, ref="generated-4").state.value == "published"
    with portal.store.read() as conn:
        statuses = dict(
            conn.execute(
                sa.select(harvest_items.c.status, sa.func.count()).group_by(harvest_items.c.status)
            ).all()
        )
    assert statuses["created"] == 26 and statuses["withdrawn"] == 1


def test_incremental_runs_ask_only_for_what_changed(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(30)
    with serve(ckan.route) as server:
        add_source(portal, type="ckan", url=server.url, config={"rows": 10})
        run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        source = get_source(store=portal.store, actor=SYSTEM, ref="src")
        assert source.cursor and source.cursor.endswith("Z")
        server.hits.clear()
        ckan.modify(12, "Changed")
        report = run_harvest(ctx=hctx, source=source)
    assert report.counts.get("updated") == 1 and report.counts.get("unchanged", 0) <= 1
    full_pages = [h for h in server.hits if "fl=id" not in h]
    assert len(full_pages) == 1  # one page of changes, plus the id-only listing
    assert any("metadata_modified" in h for h in full_pages)


def test_a_dry_run_writes_nothing(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(5)
    with serve(ckan.route) as server:
        add_source(portal, type="ckan", url=server.url)
        report = run_harvest(
            ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"), dry_run=True
        )
    assert report.counts == {"created": 5}
    assert [i.title for i in report.items][:1] == ["Generated dataset 0"]
    assert _count(portal, datasets) == 0
    assert _count(portal, harvest_runs) == 0
    assert get_source(store=portal.store, actor=SYSTEM, ref="src").cursor is None


def test_a_failing_source_withdraws_nothing(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(12)
    broken = {"on": False}

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if broken["on"] and int(query.get("start", 0)) >= 5:
            return 500, {}, b"Internal Server Error"
        return ckan.route(path, query)

    with serve(route) as server:
        add_source(portal, type="ckan", url=server.url, config={"rows": 5, "full": True})
        run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        broken["on"] = True
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "failed"
    assert "HTTP 500" in (report.error or "")
    assert "withdrawn" not in report.counts
    page = list_datasets(store=portal.store, actor=SYSTEM, limit=100)
    assert all(d.state.value == "published" for d in page.items) and page.count == 12


def test_garbage_fails_the_run_with_a_reason(portal: Portal, hctx: HarvestContext) -> None:
    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, b"<html>\x00\xff not json"

    with serve(route) as server:
        add_source(portal, type="ckan", url=server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "failed" and "did not answer JSON" in (report.error or "")
    with portal.store.read() as conn:
        stored = conn.execute(sa.select(harvest_runs.c.state, harvest_runs.c.error)).one()
    assert stored.state == "failed" and "JSON" in stored.error


def test_a_bad_record_fails_alone(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(3)
    ckan.packages["00000000-0000-4000-8000-000000000001"]["title_translated"] = {"not a language": "x"}
    ckan.packages["00000000-0000-4000-8000-000000000002"]["tags"] = ["plain", "strings"]
    with serve(ckan.route) as server:
        add_source(portal, type="ckan", url=server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "done"
    assert report.counts.get("created") == 2 and report.counts.get("failed") == 1
    failed = next(i for i in report.items if i.status.value == "failed") if report.items else None
    with portal.store.read() as conn:
        reason = conn.execute(
            sa.select(harvest_items.c.reason).where(harvest_items.c.status == "failed")
        ).scalar()
    assert failed is None and reason and "title" in reason and "not a language" in reason
    assert get_dataset(store=portal.store, actor=SYSTEM, ref="generated-2").keywords == {
        "en": ["plain", "strings"]
    }


def test_the_same_dataset_from_two_sources_is_linked_not_duplicated(
    portal: Portal, hctx: HarvestContext
) -> None:
    ckan = FakeCkan(4)
    with serve(ckan.route) as one, serve(ckan.route) as two:
        add_source(portal, type="ckan", url=one.url)
        add_source(portal, name="mirror", type="ckan", url=two.url)
        run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
        mirror = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="mirror"))
    # The mirror's landing pages differ (another host) but title and publisher are the same datasets.
    assert mirror.counts == {"linked": 4}
    assert list_datasets(store=portal.store, actor=SYSTEM, limit=100).count == 4


def test_a_run_cut_short_by_a_dead_worker_is_marked_when_the_job_runs_again(
    portal: Portal, hctx: HarvestContext, tmp_path: Path
) -> None:
    folder = tmp_path / "carpeta"
    folder.mkdir()
    source = add_source(portal, type="urls", url=str(folder))
    dead = RunReport(id=str(uuid.uuid4()), source_id=source.id, dry_run=False, started_at=datetime.now(UTC))
    runs.start_run(portal.store, dead, job_id="job-1")  # ...and the worker is killed here
    again = run_harvest(ctx=hctx, source=source, job_id="job-1")
    assert again.state == "done"
    with portal.store.read() as conn:
        states = dict(conn.execute(sa.select(harvest_runs.c.id, harvest_runs.c.state)).all())
        error = conn.execute(sa.select(harvest_runs.c.error).where(harvest_runs.c.id == dead.id)).scalar()
    assert states == {dead.id: "failed", again.id: "done"}
    assert error is not None and "interrupted" in error


def test_stored_reasons_are_given_in_the_readers_language(portal: Portal, hctx: HarvestContext) -> None:
    ckan = FakeCkan(2)
    ckan.packages["00000000-0000-4000-8000-000000000001"]["title_translated"] = {"not a language": "x"}
    with serve(ckan.route) as server:
        source = add_source(portal, type="ckan", url=server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    stored = runs.get_run(portal.store, source_id=source.id, run_id=report.id)
    (failed,) = [i for i in stored.items if i.status.value == "failed"]
    english = localize(failed.reason or "", "en")
    assert "'not a language' is not a language code" in english
    assert "«not a language» no és un codi de llengua" in localize(failed.reason or "", "ca")
    assert "is not a language code" not in localize(failed.reason or "", "es")
    with portal.store.read() as conn:  # the English stays in the table, for the API and older readers
        assert (
            conn.execute(sa.select(harvest_items.c.reason).where(harvest_items.c.status == "failed")).scalar()
            == english
        )


def test_a_package_the_source_cannot_read_is_reported_in_the_readers_language(
    portal: Portal, hctx: HarvestContext
) -> None:
    ckan = FakeCkan(2)
    ckan.packages["00000000-0000-4000-8000-000000000000"]["tags"] = 5  # not a list of tags
    with serve(ckan.route) as server:
        source = add_source(portal, type="ckan", url=server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    stored = runs.get_run(portal.store, source_id=source.id, run_id=report.id)
    (failed,) = [i for i in stored.items if i.status.value == "failed"]
    assert localize(failed.reason or "", "en").startswith("cannot read the package: ")
    assert localize(failed.reason or "", "ca").startswith("no es pot llegir el paquet: ")
    assert localize(failed.reason or "", "es").startswith("no se puede leer el paquete: ")
