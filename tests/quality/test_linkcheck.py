"""Link checks run as jobs against a real HTTP server on 127.0.0.1, and the scores read their results."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import sqlalchemy as sa

from obert.auth import ANONYMOUS, SYSTEM, Actor
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.errors import Forbidden, Unauthorized
from obert.portal import Portal, build_portal
from obert.quality.linkcheck import request_link_checks, stored_statuses
from obert.quality.score import score_dataset
from obert.settings import Settings
from obert.storage.tables.transparency import link_checks
from tests.conftest import dataset_payload
from tests.receiver import serving


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok.csv" else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"a\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def _portal(tmp_path: Path, database_url: str, allowlist: str) -> Portal:
    settings = Settings(
        mode="test", data_dir=tmp_path / "data", database_url=database_url, http_allowlist=allowlist
    )
    return build_portal(settings)


def _dataset(portal: Portal, site: str) -> None:
    payload = dataset_payload(
        organization=None,
        resources=[
            {"format": "CSV", "access_url": f"{site}/ok.csv", "download_url": f"{site}/ok.csv"},
            {"format": "CSV", "access_url": f"{site}/gone.csv"},
        ],
    )
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, payload))


def test_link_check_job_feeds_the_score(tmp_path: Path, database_url: str, site: str) -> None:
    portal = _portal(tmp_path, database_url, "127.0.0.1")
    _dataset(portal, site)
    before = score_dataset(
        datasets.get_dataset(store=portal.store, actor=SYSTEM, ref="accidents-2018"),
        base_url="http://testserver",
        links=stored_statuses(store=portal.store),
    )
    request_link_checks(store=portal.store, actor=SYSTEM)
    assert portal.job_runner(1).run_once()
    statuses = stored_statuses(store=portal.store)
    assert statuses.status(f"{site}/ok.csv") == 200 and statuses.status(f"{site}/gone.csv") == 404
    after = score_dataset(
        datasets.get_dataset(store=portal.store, actor=SYSTEM, ref="accidents-2018"),
        base_url="http://testserver",
        links=statuses,
    )
    # The first resource's access URL (50) and download URL (30) now answer.
    assert after.points - before.points == 80
    portal.close()


def test_the_ssrf_guard_applies_to_link_checks(tmp_path: Path, database_url: str, site: str) -> None:
    portal = _portal(tmp_path, database_url, "")
    _dataset(portal, site)
    request_link_checks(store=portal.store, actor=SYSTEM)
    assert portal.job_runner(1).run_once()
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(link_checks.c.status, link_checks.c.error)).all()
    assert len(rows) == 2
    assert all(status is None and "private" in error for status, error in rows)
    portal.close()


def test_only_administrators_start_link_checks(portal: Portal) -> None:
    with pytest.raises(Unauthorized):
        request_link_checks(store=portal.store, actor=ANONYMOUS)
    with pytest.raises(Forbidden):
        request_link_checks(store=portal.store, actor=Actor(user_id="u1", name="editor"))
