"""The bundled Barcelona demo catalogue is complete, trilingual and uses only codes obert knows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import obert
from obert.catalog.models import DatasetInput, OrganizationInput
from obert.catalog.vocabulary import file_type_for, vocabulary

DEMO = Path(obert.__file__).parent / "demo"
LANGS = {"ca", "es", "en"}


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO / "catalog.json").read_text(encoding="utf-8"))
    return data


def texts(demo: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    catalog = demo["catalog"]
    for key in ("title", "description", "publisher_name"):
        yield f"catalog.{key}", catalog[key]
    for org in demo["organizations"]:
        for key in ("title", "description"):
            yield f"{org['name']}.{key}", org[key]
    for ds in demo["datasets"]:
        for key in ("title", "description", "provenance", "keywords"):
            yield f"{ds['name']}.{key}", ds[key]
        yield f"{ds['name']}.spatial.label", ds["spatial"]["label"]
        for res in ds["resources"]:
            for key in ("title", "description"):
                yield f"{ds['name']}.{res['name']}.{key}", res[key]


def test_every_text_is_in_catalan_spanish_and_english(demo: dict[str, Any]) -> None:
    for where, value in texts(demo):
        assert set(value) == LANGS, where
        for lang, text in value.items():
            if isinstance(text, list):
                assert text and all(word.strip() for word in text), f"{where}.{lang}"
            else:
                assert text.strip(), f"{where}.{lang}"


def test_every_bundled_file_is_used_and_every_resource_file_exists(demo: dict[str, Any]) -> None:
    referenced = [res["file"] for ds in demo["datasets"] for res in ds["resources"]]
    bundled = {path.name for path in (DEMO / "files").iterdir() if path.is_file()}
    assert len(referenced) == len(set(referenced))
    assert set(referenced) <= bundled, set(referenced) - bundled
    assert bundled <= set(referenced), bundled - set(referenced)


def test_names_are_unique_and_organizations_exist(demo: dict[str, Any]) -> None:
    datasets = demo["datasets"]
    assert len(datasets) >= 10
    organizations = {org["name"] for org in demo["organizations"]}
    assert len(organizations) == len(demo["organizations"])
    assert len({ds["name"] for ds in datasets}) == len(datasets)
    resource_names = [res["name"] for ds in datasets for res in ds["resources"]]
    assert len(resource_names) == len(set(resource_names))
    assert {ds["organization"] for ds in datasets} == organizations


def test_every_code_resolves_in_the_vocabularies(demo: dict[str, Any]) -> None:
    def known(name: str, code: str) -> None:
        concept = vocabulary(name).get(code)
        assert concept is not None and concept.code == code, (name, code)

    catalog = demo["catalog"]
    known("licence", catalog["license"])
    for code in catalog["languages"]:
        known("language", code)
    assert vocabulary("territory").get(catalog["spatial"]["uri"]) is not None
    for ds in demo["datasets"]:
        assert ds["themes"] and ds["sectors"], ds["name"]
        for code in ds["themes"]:
            known("data-theme", code)
        for code in ds["sectors"]:
            known("sector", code)
        known("licence", ds["license"])
        known("access-right", ds["access_rights"])
        known("frequency", ds["frequency"])
        for code in ds["languages"]:
            known("language", code)
        assert vocabulary("territory").get(ds["spatial"]["uri"]) is not None, ds["name"]
        for res in ds["resources"]:
            for code in res.get("language", []):
                known("language", code)
            file_type = file_type_for(res["format"])
            assert file_type is not None and file_type.code == res["format"], res["name"]
            assert file_type.extra["media_type"] == res["media_type"], res["name"]
            extension = res["file"].rsplit(".", 1)[-1]
            assert file_type_for(extension) is file_type, res["name"]


def test_every_sector_agrees_with_a_theme(demo: dict[str, Any]) -> None:
    for ds in demo["datasets"]:
        for code in ds["sectors"]:
            sector = vocabulary("sector").get(code)
            assert sector is not None
            assert sector.extra["eu_theme"] in ds["themes"], (ds["name"], code)


def test_places_and_periods_are_plausible(demo: dict[str, Any]) -> None:
    west, south, east, north = demo["catalog"]["spatial"]["bbox"]
    for ds in demo["datasets"]:
        w, s, e, n = ds["spatial"]["bbox"]
        assert west <= w < e <= east and south <= s < n <= north, ds["name"]
        if temporal := ds.get("temporal"):
            assert temporal["start"] <= temporal["end"], ds["name"]


def test_the_demo_loads_through_the_api_input_models(demo: dict[str, Any]) -> None:
    for org in demo["organizations"]:
        OrganizationInput.model_validate(org)
    for ds in demo["datasets"]:
        resources = [{k: v for k, v in res.items() if k != "file"} for res in ds["resources"]]
        DatasetInput.model_validate({**ds, "resources": resources})
