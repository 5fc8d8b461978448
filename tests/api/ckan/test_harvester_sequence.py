"""The requests ckanext-harvest 1.x's CKAN harvester sends, replayed against a real obert server.

Its gather stage pages package_search with rows=100, start and sort=id asc, and filters with an fq of
space-joined terms: `organization:a OR organization:b` for an include list, `-organization:x` terms for
an exclude list, likewise for groups, and `metadata_modified:[<last run - 1 h>Z TO *]` on incremental
runs (the last run's start, a naive UTC isoformat with microseconds). It stops at an empty page and
fails if a page repeats the previous one. Its import stage asks organization_show and group_show for
each dataset's publisher and groups. A harvest must get every dataset exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.catalog.datasets import create_datasets, patch_dataset
from obert.catalog.models import DatasetInput, OrganizationInput
from obert.catalog.organizations import create_organization
from obert.storage.tables.catalog import dataset_groups, datasets, groups
from tests.api.ckan.conftest import Server, _serve

ORGS = {"parcs": 120, "obres": 70, "arxiu": 40}  # datasets per publisher: more than two pages of 100
GROUPS = {"verd": range(0, 150, 2), "ciutat": range(100, 230, 3)}  # dataset numbers in each group


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A catalogue of 230 datasets in three publishers and two groups, all last changed two days ago."""
    with _serve(Path(tmp_path_factory.mktemp("ckan-harvested")), demo=False) as server:
        store = server.portal.store
        items, owner = [], {}
        for org, count in ORGS.items():
            create_organization(
                store=store, actor=SYSTEM, data=OrganizationInput(name=org, title={"ca": org.title()})
            )
            for n in range(count):
                name = f"{org}-{n:03d}"
                owner[len(items)] = name
                items.append(DatasetInput(name=name, title={"ca": f"Conjunt {name}"}, organization=org))
        made = create_datasets(store=store, actor=SYSTEM, items=items)
        long_ago = datetime.now(UTC) - timedelta(days=2)
        with store.begin() as conn:
            for group, numbers in GROUPS.items():
                conn.execute(
                    sa.insert(groups).values(
                        id=f"g-{group}",
                        name=group,
                        title={"ca": group.title()},
                        description={},
                        created_at=long_ago,
                        updated_at=long_ago,
                    )
                )
                conn.execute(
                    sa.insert(dataset_groups),
                    [{"dataset_id": made[n].id, "group_id": f"g-{group}"} for n in numbers],
                )
            conn.execute(sa.update(datasets).values(updated_at=long_ago, created_at=long_ago))
        yield server, {"made": made, "owner": owner}


def _gather(base_url: str, fq_terms: list[str]) -> list[dict[str, Any]]:
    """The gather stage's search loop, as ckanext-harvest writes it."""
    params = {"rows": "100", "start": "0", "sort": "id asc"}
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    previous = None
    with httpx.Client(base_url=base_url) as http:
        while True:
            response = http.get("/api/3/action/package_search", params=params)
            assert response.status_code == 200, response.text
            assert response.content != previous, "the paging does not seem to work"
            previous = response.content
            page = response.json()["result"]["results"]
            ids = {p["id"] for p in page}
            assert not ids & seen, "a dataset came twice"
            seen |= ids
            found.extend(page)
            if not page:
                return found
            params["start"] = str(int(params["start"]) + int(params["rows"]))


def _names(found: list[dict[str, Any]]) -> list[str]:
    return sorted(p["name"] for p in found)


def _expected(owner: dict[int, str], keep: Any) -> list[str]:
    return sorted(name for n, name in owner.items() if keep(n, name))


def test_a_full_gather_gets_every_dataset_once(harvested: tuple[Server, dict[str, Any]]) -> None:
    server, made = harvested
    found = _gather(server.url, [])
    assert _names(found) == sorted(made["owner"].values())
    assert [p["id"] for p in found] == sorted(p["id"] for p in found)  # sort=id asc


def test_organization_and_group_filters(harvested: tuple[Server, dict[str, Any]]) -> None:
    server, made = harvested
    owner = made["owner"]
    include = _gather(server.url, ["organization:parcs OR organization:arxiu"])
    assert _names(include) == _expected(owner, lambda n, name: not name.startswith("obres"))
    exclude = _gather(server.url, ["-organization:parcs", "-organization:obres"])
    assert _names(exclude) == _expected(owner, lambda n, name: name.startswith("arxiu"))
    in_groups = _gather(
        server.url, ["organization:parcs OR organization:obres", "groups:verd OR groups:ciutat"]
    )
    wanted = set(GROUPS["verd"]) | set(GROUPS["ciutat"])
    assert _names(in_groups) == _expected(owner, lambda n, name: n in wanted and not name.startswith("arxiu"))
    not_in_groups = _gather(server.url, ["-groups:verd", "-groups:ciutat"])
    assert _names(not_in_groups) == _expected(owner, lambda n, name: n not in wanted)


def test_an_incremental_gather_gets_what_changed(harvested: tuple[Server, dict[str, Any]]) -> None:
    server, made = harvested
    last_run = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    changed = [made["made"][n].name for n in (5, 130, 199)]
    for name in changed:
        patch_dataset(store=server.portal.store, actor=SYSTEM, ref=name, patch={"title": {"ca": "Nou"}})
    since = (last_run - timedelta(hours=1)).isoformat()
    found = _gather(server.url, ["-organization:obres", f"metadata_modified:[{since}Z TO *]"])
    assert _names(found) == sorted(n for n in changed if not n.startswith("obres"))


def test_the_import_stage_finds_publishers_and_groups(harvested: tuple[Server, dict[str, Any]]) -> None:
    server, _ = harvested
    found = _gather(server.url, ["groups:ciutat"])
    with httpx.Client(base_url=server.url) as http:
        for package in found[:5]:
            org = http.get("/api/3/action/organization_show", params={"id": package["owner_org"]})
            assert org.json()["result"]["name"] == package["organization"]["name"]
            for group in package["groups"]:
                shown = http.get("/api/3/action/group_show", params={"id": group["name"]}).json()["result"]
                assert shown["name"] == group["name"] and shown["id"] == group["id"]


# ckanapi's RemoteCKAN sends every action as a POST: reads are budgeted by action, not by method, so a
# few hundred of them in a row (more than the write budget's 120 a minute) all answer.
POST_READS = 232


def test_ckanapi_reads_by_post_many_times_in_a_row(harvested: tuple[Server, dict[str, Any]]) -> None:
    server, made = harvested
    ckan = server.client()
    names = ckan.action.package_list()
    assert sorted(names) == sorted(made["owner"].values())
    shown = [ckan.action.package_show(id=name)["name"] for name in names[: POST_READS - 2]]
    assert shown == names[: POST_READS - 2]
    page = ckan.action.package_search(fq="organization:arxiu", rows=1000)
    assert page["count"] == ORGS["arxiu"] == len(page["results"])
