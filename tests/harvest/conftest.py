from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from obert.auth import SYSTEM
from obert.harvest.fetch import Fetcher
from obert.harvest.models import Source, SourceInput
from obert.harvest.runner import HarvestContext
from obert.harvest.sources import create_source
from obert.http import Allowlist, HttpClient
from obert.portal import Portal

DATA = Path(__file__).parent.parent / "data" / "harvest"


class Recorder:
    """An IngestRequester that remembers what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, *, dataset_id: str, resource_id: str) -> None:
        self.asked.append((dataset_id, resource_id))


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(allowlist=Allowlist.parse("127.0.0.1,localhost"), timeout=2.0)
    yield client
    client.close()


@pytest.fixture
def ingest() -> Recorder:
    return Recorder()


@pytest.fixture
def hctx(portal: Portal, http: HttpClient, ingest: Recorder, tmp_path: Path) -> HarvestContext:
    """A harvest context whose fetcher does not really sleep between retries or requests."""
    fetcher = Fetcher(http, per_second=1000, retries=2, backoff=0.0, sleep=lambda _s: None)
    return HarvestContext(store=portal.store, files=portal.files, fetcher=fetcher, ingest=ingest)


def add_source(portal: Portal, **fields: object) -> Source:
    data = SourceInput.model_validate({"name": "src", **fields})
    return create_source(store=portal.store, actor=SYSTEM, data=data)
