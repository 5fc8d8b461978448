"""CKAN package dict <-> obert dataset: what goes out comes back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from obert.api.ckan.mapping import dataset_input, package_dict
from obert.catalog.common import validated
from obert.catalog.licences import CKAN_LICENCES
from obert.catalog.models import Dataset, DatasetInput, OrganizationRef, Resource
from obert.catalog.vocabulary import vocabulary
from obert.harvest.backends.ckan import map_package
from obert.harvest.mapping import licence_code
from obert.tableservice.originals import Download
from tests.conftest import dataset_payload

STAMP = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def as_dataset(data: DatasetInput) -> Dataset:
    fields: dict[str, Any] = data.model_dump(exclude={"organization", "resources"})
    resources = [
        Resource(
            id=f"r{i}",
            name=res.name or f"r{i}",
            dataset_id="d1",
            dataset_name=data.name,
            position=i,
            upload=None,
            created_at=STAMP,
            updated_at=STAMP,
            **res.model_dump(exclude={"name"}),
        )
        for i, res in enumerate(data.resources)
    ]
    org = OrganizationRef(id="o1", name="guardia-urbana", title={"ca": "Guàrdia Urbana"})
    return Dataset(
        id="d1", organization=org, resources=resources, created_at=STAMP, updated_at=STAMP, **fields
    )


def test_round_trip_keeps_every_field() -> None:
    payload = dataset_payload(
        resources=[
            {
                "name": "accidents-2018-csv",
                "title": {"ca": "Accidents 2018", "en": "Accidents 2018"},
                "format": "CSV",
                "access_url": "https://example.org/a.csv",
                "byte_size": 1234,
                "license": "CC_BY_4_0",
            }
        ]
    )
    original = validated(DatasetInput, payload)
    dataset = as_dataset(original)
    links = {r.id: Download(r.href("https://dades.example"), True, r.format) for r in dataset.resources}
    package = package_dict(
        dataset, base_url="https://dades.example", lang="ca", organization=None, groups=[], links=links
    )
    back = validated(DatasetInput, {**dataset_input(package, lang="ca"), "organization": "guardia-urbana"})
    assert back.model_dump(exclude={"resources"}) == original.model_dump(exclude={"resources"})
    assert back.resources[0].model_dump(exclude={"media_type"}) == original.resources[0].model_dump(
        exclude={"media_type"}
    )


def test_the_face_and_the_harvester_read_ckan_licences_alike() -> None:
    for licence in CKAN_LICENCES:
        if licence.code is not None:
            assert vocabulary("licence").get(licence.code) is not None, licence.id
        face = dataset_input({"name": "x", "license_id": licence.id}, lang="ca")["license"]
        harvested = map_package({"id": "x", "license_id": licence.id}, site="https://x.org", lang="ca")
        assert harvested.dataset["license"] == licence.code, licence.id
        assert face == (licence.code or licence.id), licence.id
    # Once harvested as no licence at all.
    assert licence_code("uk-ogl") == "OGL_3_0" and licence_code("cc-nc") == "CC_BYNC_4_0"


def test_a_plain_ckan_dict_becomes_a_dataset_in_the_default_language() -> None:
    package = {
        "name": "arbres",
        "title": "Arbres de la ciutat",
        "notes": "Inventari d'arbres.",
        "owner_org": "parcs",
        "license_id": "odc-odbl",
        "tags": [{"name": "arbres"}, {"name": "verd urbà"}],
        "url": "https://example.org/arbres",
        "maintainer": "Parcs i Jardins",
        "maintainer_email": "parcs@example.org",
        "extras": [{"key": "issued", "value": "2020-02-03"}, {"key": "font", "value": "IMPJ"}],
    }
    data = validated(DatasetInput, dataset_input(package, lang="es"))
    assert data.title == {"es": "Arbres de la ciutat"} and data.keywords == {"es": ["arbres", "verd urbà"]}
    assert data.license == "ODC_BL" and data.landing_page == "https://example.org/arbres"
    assert data.contact_point is not None and data.contact_point.email == "parcs@example.org"
    assert data.issued == "2020-02-03" and data.extras == {"font": "IMPJ"}
