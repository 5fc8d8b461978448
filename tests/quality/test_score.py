"""MQA scores checked against hand-computed ones, with the arithmetic written out."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.i18n import translations
from obert.portal import Portal
from obert.quality.links import UNCHECKED, KnownStatuses
from obert.quality.metrics import MAX_BY_DIMENSION, MAX_POINTS, METRICS, Dimension, Rating, rating
from obert.quality.score import score_dataset
from tests.conftest import dataset_payload
from tests.demo_copy import ensure_demo


def test_the_methodology_weights() -> None:
    assert MAX_POINTS == 405
    assert MAX_BY_DIMENSION == {
        Dimension.FINDABILITY: 100,
        Dimension.ACCESSIBILITY: 100,
        Dimension.INTEROPERABILITY: 110,
        Dimension.REUSABILITY: 75,
        Dimension.CONTEXTUALITY: 20,
    }
    assert [rating(p) for p in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        Rating.EXCELLENT, Rating.EXCELLENT, Rating.GOOD, Rating.GOOD,
        Rating.SUFFICIENT, Rating.SUFFICIENT, Rating.BAD, Rating.BAD,
    ]  # fmt: skip


@pytest.mark.demo
def test_demo_municipal_markets_by_hand(portal: Portal) -> None:
    ensure_demo(portal)
    markets = datasets.get_dataset(store=portal.store, actor=SYSTEM, ref="mercats-municipals")
    score = score_dataset(markets, base_url="http://testserver", links=UNCHECKED)
    # Findability: keywords 30 + themes (ECON) 30 + spatial (Barcelona) 20 + temporal (none given) 0 = 80
    # Accessibility: the JSON file is uploaded, so obert serves it:
    #   access URL answers 50 + download URL present 20 + download URL answers 30 = 100
    # Interoperability: format JSON 20 + media type application/json 10 + JSON is in the EU file-type
    #   vocabulary 10 + non-proprietary 20 + machine-readable 20 + title and description (DCAT-AP) 30 = 110
    # Reusability: licence 20 + CC BY 4.0 is a known licence 10 + access rights 10 + from the EU
    #   vocabulary 5 + contact point (Open Data BCN) 20 + publisher (IMMB) 10 = 75
    # Contextuality: rights 0 (no rights statement) + byte size 5 + issued 5 + modified 5 = 15
    # Total: 80 + 100 + 110 + 75 + 15 = 380, Excellent (351-405)
    assert score.by_dimension == {
        Dimension.FINDABILITY: 80,
        Dimension.ACCESSIBILITY: 100,
        Dimension.INTEROPERABILITY: 110,
        Dimension.REUSABILITY: 75,
        Dimension.CONTEXTUALITY: 15,
    }
    assert score.points == 380 and score.rating is Rating.EXCELLENT
    assert [(r.key, r.max_points) for r in score.metrics if not r.passed] == [
        ("temporalAvailability", 20),
        ("rightsAvailability", 5),
    ]


def _external(**overrides: Any) -> DatasetInput:
    payload = dataset_payload(
        name="extern",
        organization=None,
        contact_point=None,
        access_rights=None,
        keywords={},
        resources=[
            {"title": {"ca": "Full de càlcul"}, "format": "XLSX", "access_url": "https://example.org/a.xlsx"},
            {
                "title": {"ca": "CSV"},
                "format": "CSV",
                "access_url": "https://example.org/c",
                "download_url": "https://example.org/c.csv",
            },
        ],
    )
    return validated(DatasetInput, {**payload, **overrides})


def test_external_links_need_a_link_check(portal: Portal) -> None:
    created = datasets.create_dataset(store=portal.store, actor=SYSTEM, data=_external())
    unchecked = score_dataset(created, base_url="http://testserver", links=UNCHECKED)
    # Findability: keywords 0 + themes 30 + spatial 20 + temporal 20 = 70
    # Best distribution, with no link checked yet:
    #   XLSX: access 0 + download 0 + 0 | format 20 + media type 10 + vocabulary 10 + non-proprietary 0
    #         + machine-readable 20 | licence 20 + known 10 | byte size 0 = 90
    #   CSV:  access 0 + download present 20 + answers 0 | format 20 + media type 10 + vocabulary 10
    #         + non-proprietary 20 + machine-readable 20 | licence 20 + known 10 | byte size 0 = 130  <- best
    # Dataset level: DCAT-AP 30 | access rights 0 + vocabulary 0 + contact 0 + publisher 0
    #   | issued 5 + modified 5 = 40
    # Total: 70 + 130 + 40 = 240, Good (221-350)
    assert unchecked.points == 240 and unchecked.rating is Rating.GOOD
    assert unchecked.best_distribution == created.resources[1].id

    answered = KnownStatuses({"https://example.org/a.xlsx": 200, "https://example.org/c": 404})
    checked = score_dataset(created, base_url="http://testserver", links=answered)
    # XLSX now: 90 + access answers 50 = 140 beats CSV (still 130): 70 + 140 + 40 = 250, Good
    assert checked.points == 250 and checked.rating is Rating.GOOD
    assert checked.best_distribution == created.resources[0].id


@pytest.mark.demo
def test_quality_api(client: TestClient, portal: Portal) -> None:
    ensure_demo(portal)
    body = client.get("/api/v1/datasets/mercats-municipals/quality?lang=es").json()
    assert body["points"] == 380 and body["max_points"] == 405 and body["rating"] == "excellent"
    assert body["dimensions"]["findability"] == {"points": 80, "max_points": 100}
    assert body["advice"][0] == {
        "metric": "temporalAvailability",
        "gain": 20,
        "message": "Indique qué periodo cubren los datos",
    }
    metric = next(m for m in body["metrics"] if m["metric"] == "keywordAvailability")
    assert metric["iri"] == "https://piveau.eu/ns/voc#keywordAvailability" and metric["points"] == 30

    catalogue = client.get("/api/v1/quality").json()
    assert catalogue["datasets"] == 10 and 0 < catalogue["points"] <= 405
    assert [d["points"] for d in catalogue["data"]] == sorted(d["points"] for d in catalogue["data"])
    publisher = client.get("/api/v1/quality?publisher=institut-municipal-mercats&lang=ca").json()
    assert publisher["datasets"] == 1 and publisher["points"] == 380
    assert publisher["data"][0]["top_advice"][0]["message"] == "Indiqueu quin període cobreixen les dades"
    assert client.get("/api/v1/quality?publisher=nobody").status_code == 404
    assert client.get("/api/v1/datasets/nothing/quality").status_code == 404


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_every_advice_is_translated(lang: str) -> None:
    for metric in METRICS:
        translated = translations(lang).gettext(metric.advice)
        assert translated and (lang == "en" or translated != metric.advice), metric.key
