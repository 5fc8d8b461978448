"""Dataset -> Turtle -> parse -> the same key fields, for many generated datasets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from obert.catalog.models import Dataset
from obert.catalog.vocabulary import vocabulary
from obert.dcat.catalog import dataset_graph
from obert.dcat.context import CatalogInfo, GraphContext
from obert.dcat.formats import BY_SUFFIX, serialize
from obert.dcat.read import read_dataset
from obert.dcat.terms import Profile

INFO = CatalogInfo(
    base_url="https://dades.example",
    title={"ca": "Dades"},
    description={"ca": "Dades obertes"},
    homepage="https://dades.example/",
    publisher_uri="http://datos.gob.es/recurso/sector-publico/org/Organismo/L01080193",
    publisher_name={"ca": "Ajuntament"},
    license="CC_BY_4_0",
    languages=("CAT",),
    theme_taxonomies=(),
)
STAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

text = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
langs = st.sampled_from(["ca", "es", "en"])
localized = st.dictionaries(langs, text, min_size=1, max_size=3)
codes = lambda name: st.sampled_from([c.code for c in vocabulary(name)])  # noqa: E731
dates = st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2030, 1, 1).date()).map(
    lambda d: d.isoformat()
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    start, end = sorted([draw(dates), draw(dates)])
    fields: dict[str, Any] = {
        "id": "8a4f0c1e-0000-4000-8000-000000000001",
        "name": "generat",
        "state": "published",
        "visibility": "public",
        "organization": None,
        "title": draw(localized),
        "description": draw(localized),
        "keywords": draw(
            st.dictionaries(langs, st.lists(text, min_size=1, max_size=4, unique=True), max_size=3)
        ),
        "themes": draw(st.lists(codes("data-theme"), unique=True, max_size=3)),
        "sectors": [],
        "license": draw(st.none() | codes("licence")),
        "access_rights": draw(st.none() | codes("access-right")),
        "frequency": draw(st.none() | codes("frequency")),
        "temporal": {"start": start, "end": end},
        "spatial": None,
        "languages": draw(st.lists(codes("language"), unique=True, max_size=3)),
        "issued": draw(dates),
        "modified": draw(dates),
        "landing_page": draw(st.none() | st.just("https://example.org/page")),
        "contact_point": {"name": draw(text), "email": "dades@example.org"},
        "conforms_to": [],
        "version": None,
        "version_notes": {},
        "provenance": {},
        "extras": {},
        "resources": [],
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    if fields["license"]:
        fields["resources"] = [
            {
                "id": "r1",
                "name": "r1",
                "dataset_id": fields["id"],
                "dataset_name": "generat",
                "position": 0,
                "title": {"ca": "Fitxer"},
                "description": {},
                "format": "CSV",
                "media_type": "text/csv",
                "access_url": "https://example.org/f.csv",
                "download_url": None,
                "upload": None,
                "byte_size": 10,
                "checksum": None,
                "license": None,
                "language": [],
                "conforms_to": [],
                "issued": None,
                "modified": None,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        ]
    return Dataset.model_validate(fields)


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_turtle_round_trip_keeps_key_fields(dataset: Dataset) -> None:
    graph = dataset_graph(dataset, context=GraphContext(catalog=INFO), profile=Profile.DCAT_AP)
    parsed = Graph().parse(data=serialize(graph, BY_SUFFIX["ttl"]), format="turtle")
    back = read_dataset(parsed, URIRef(INFO.dataset_uri(dataset.id)))
    assert back["title"] == dataset.title
    assert back["description"] == dataset.description
    assert back["keywords"] == {lang: sorted(words) for lang, words in dataset.keywords.items()}
    assert back["themes"] == sorted(dataset.themes)
    assert back["languages"] == sorted(dataset.languages)
    assert back.get("frequency") == dataset.frequency
    assert back.get("access_rights") == dataset.access_rights
    assert back.get("license") == dataset.license
    assert back["issued"] == dataset.issued and back["modified"] == dataset.modified
    assert dataset.temporal is not None and back["temporal"] == dataset.temporal.model_dump()
    assert back.get("landing_page") == dataset.landing_page
    assert dataset.contact_point is not None
    assert back["contact_point"] == dataset.contact_point.model_dump(exclude_none=True)
