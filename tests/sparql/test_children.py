"""The warm query child outlives catalogue changes: the next query carries what changed, and the child
answers over the catalogue as it is now without being forked again; a graph rebuilt whole is forked anew."""

from __future__ import annotations

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.models import DatasetInput
from obert.portal import Portal
from obert.sparql import request_rebuild
from tests.conftest import dataset_payload

COUNT = "SELECT (COUNT(?d) AS ?n) { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
TITLES = (
    "SELECT ?t { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t "
    'FILTER(LANG(?t) = "en") } ORDER BY ?t'
)


def _ask(portal: Portal, query: str) -> list[str]:
    reply = portal.sparql.answer(query=query, format_param="csv")
    return reply.body.decode().strip().splitlines()[1:]


def _children(portal: Portal) -> set[int]:
    return {child.pid for child in portal.sparql._children._idle}


def test_the_warm_child_follows_changes_without_a_new_fork(portal: Portal) -> None:
    def create(name: str, title: str) -> str:
        payload = dataset_payload(name=name, organization=None, title={"en": title})
        return datasets.create_dataset(
            store=portal.store, actor=SYSTEM, data=DatasetInput.model_validate(payload)
        ).id

    first = create("first", "First")
    assert _ask(portal, COUNT) == ["1"]
    child = _children(portal)
    assert len(child) == 1
    create("second", "Second")
    datasets.patch_dataset(
        store=portal.store, actor=SYSTEM, ref=first, patch={"title": {"en": "First, edited"}}
    )
    assert _ask(portal, TITLES) == ['"First, edited"', "Second"]  # CSV quotes the comma
    assert _children(portal) == child  # the same process, brought up to date
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref=first, patch={"visibility": "private"})
    assert _ask(portal, TITLES) == ["Second"]
    assert _children(portal) == child
    request_rebuild(store=portal.store)
    assert _ask(portal, COUNT) == ["1"]
    assert _children(portal).isdisjoint(child)  # a graph swapped in whole: a fresh fork
