from __future__ import annotations

from typing import Any

import pytest

from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog import browse, datasets, organizations, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, OrganizationInput, ResourceInput
from obert.errors import NotFound
from obert.portal import Portal
from tests.conftest import dataset_payload, organization_payload


def _add(portal: Portal, **overrides: Any) -> None:
    datasets.create_dataset(
        store=portal.store, actor=SYSTEM, data=validated(DatasetInput, dataset_payload(**overrides))
    )


@pytest.fixture
def catalogue(portal: Portal) -> Portal:
    organizations.create_organization(
        store=portal.store, actor=SYSTEM, data=validated(OrganizationInput, organization_payload())
    )
    _add(portal, name="accidents", themes=["TRAN", "JUST"])
    _add(portal, name="bicing", themes=["TRAN"])
    _add(portal, name="air", themes=["ENVI", "HEAL"])
    _add(portal, name="hidden-transport", themes=["TRAN"], visibility="private")
    return portal


def test_list_datasets_by_theme_keeps_visibility(catalogue: Portal) -> None:
    page = datasets.list_datasets(store=catalogue.store, actor=ANONYMOUS, theme="TRAN")
    assert [d.name for d in page.items] == ["accidents", "bicing"]
    assert page.count == 2
    # Administrators see the private one too; the theme may be given by IRI or in any case.
    iri = "http://publications.europa.eu/resource/authority/data-theme/TRAN"
    assert datasets.list_datasets(store=catalogue.store, actor=SYSTEM, theme=iri).count == 3
    assert datasets.list_datasets(store=catalogue.store, actor=ANONYMOUS, theme="envi").count == 1
    assert datasets.list_datasets(store=catalogue.store, actor=ANONYMOUS, theme="AGRI").count == 0


def test_theme_pages_follow_the_cursor(catalogue: Portal) -> None:
    first = datasets.list_datasets(store=catalogue.store, actor=ANONYMOUS, theme="TRAN", limit=1)
    assert first.next is not None
    second = datasets.list_datasets(
        store=catalogue.store, actor=ANONYMOUS, theme="TRAN", limit=1, cursor=first.next
    )
    assert [d.name for d in first.items + second.items] == ["accidents", "bicing"]
    assert second.next is None


def test_unknown_theme_is_not_found_and_names_the_known_ones() -> None:
    with pytest.raises(NotFound, match="TRAN"):
        browse.theme_code("TRAFFIC")


def test_theme_counts_only_count_what_the_reader_may_see(catalogue: Portal) -> None:
    assert browse.theme_counts(store=catalogue.store, actor=ANONYMOUS) == {
        "TRAN": 2,
        "JUST": 1,
        "ENVI": 1,
        "HEAL": 1,
    }
    assert browse.theme_counts(store=catalogue.store, actor=SYSTEM)["TRAN"] == 3


def test_latest_datasets_come_most_recent_first(catalogue: Portal) -> None:
    datasets.patch_dataset(store=catalogue.store, actor=SYSTEM, ref="accidents", patch={"version": "2"})
    latest = browse.latest_dataset_cards(store=catalogue.store, actor=ANONYMOUS, limit=2)
    assert next(d.name for d in latest) == "accidents"
    assert "hidden-transport" not in [
        d.name for d in browse.latest_dataset_cards(store=catalogue.store, actor=ANONYMOUS)
    ]


def test_latest_dataset_cards_say_what_the_whole_datasets_say(catalogue: Portal) -> None:
    _add(catalogue, name="draft-one", state="draft")
    _add(catalogue, name="deleted-one")
    datasets.delete_dataset(store=catalogue.store, actor=SYSTEM, ref="deleted-one")
    for fmt in ("CSV", "csv", "JSON"):
        data = validated(ResourceInput, {"title": {"ca": fmt}, "format": fmt})
        resources.create_resource(store=catalogue.store, actor=SYSTEM, dataset_ref="bicing", data=data)
    datasets.patch_dataset(store=catalogue.store, actor=SYSTEM, ref="bicing", patch={"version": "2"})
    for actor in (ANONYMOUS, SYSTEM):
        cards = browse.latest_dataset_cards(store=catalogue.store, actor=actor)
        whole = [datasets.get_dataset(store=catalogue.store, actor=actor, ref=c.id) for c in cards]
        assert [(c.id, c.name, c.title, c.description, c.organization, c.formats) for c in cards] == [
            (d.id, d.name, d.title, d.description, d.organization, d.formats) for d in whole
        ]
        assert cards[0].name == "bicing"
        assert cards[0].formats == ("CSV", "JSON")
    shown = [c.name for c in browse.latest_dataset_cards(store=catalogue.store, actor=ANONYMOUS)]
    assert not {"hidden-transport", "draft-one", "deleted-one"} & set(shown)
    every = [c.name for c in browse.latest_dataset_cards(store=catalogue.store, actor=SYSTEM, limit=10)]
    assert {"hidden-transport", "draft-one"} <= set(every) and "deleted-one" not in every
    assert len(browse.latest_dataset_cards(store=catalogue.store, actor=SYSTEM, limit=2)) == 2
