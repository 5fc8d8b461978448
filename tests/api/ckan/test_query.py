"""CKAN's query language on package_search, as CKAN clients write it: Lucene syntax in q and fq, sort on
several keys, rows capped quietly; against the demo catalogue served over HTTP, read by ckanapi."""

from __future__ import annotations

import ckanapi
import pytest

from tests.api.ckan.test_read import DEMO_DATASETS


def _names(ckan: ckanapi.RemoteCKAN, **params: object) -> set[str]:
    return {p["name"] for p in ckan.action.package_search(rows=1000, **params)["results"]}


def test_boolean_operators_groups_and_negation(ckan_get: ckanapi.RemoteCKAN) -> None:
    either = _names(ckan_get, fq="organization:bsm OR organization:guardia-urbana")
    assert either == {"bicing-estacions", "accidents-gu-bcn", "accidents-tipus-gu-bcn"}
    assert _names(ckan_get, fq="organization:(bsm OR guardia-urbana)") == either
    not_police = _names(ckan_get, fq="-organization:guardia-urbana -organization:estadistica")
    assert len(not_police) == DEMO_DATASETS - 5 and "accidents-gu-bcn" not in not_police
    assert _names(ckan_get, fq="NOT organization:guardia-urbana") | {
        "accidents-gu-bcn",
        "accidents-tipus-gu-bcn",
    } == _names(ckan_get, q="*:*")
    both = _names(ckan_get, q="organization:guardia-urbana AND tags:collisions")
    assert both == {"accidents-tipus-gu-bcn"}
    grouped = _names(ckan_get, q="(tags:collisions OR tags:ozone) AND -organization:guardia-urbana")
    assert grouped == {"qualitat-aire-detall-bcn"}


def test_fields_phrases_and_wildcards(ckan_get: ckanapi.RemoteCKAN) -> None:
    assert _names(ckan_get, q="name:bicing-estacions") == {"bicing-estacions"}
    air_stations = {"qualitat-aire-detall-bcn", "qualitat-aire-estacions-bcn"}
    assert _names(ckan_get, q="name:qualitat-aire-*") == air_stations
    assert _names(ckan_get, q='title:"air quality" title:stations') == air_stations
    # Two searches in one statement each keep their own words.
    assert _names(ckan_get, q="title:stations -title:air") == {"bicing-estacions"}
    # A word found only in the keywords is not in the title.
    assert _names(ckan_get, q="title:pollution") == set()
    assert "qualitat-aire-detall-bcn" in _names(ckan_get, q="pollution")
    assert _names(ckan_get, q="title:bicin*") == {"bicing-estacions"}
    found = ckan_get.action.package_search(
        q="id:" + ckan_get.action.package_show(id="bicing-estacions")["id"]
    )
    assert [p["name"] for p in found["results"]] == ["bicing-estacions"]


def test_every_word_must_match_with_the_sites_analysis(ckan_get: ckanapi.RemoteCKAN) -> None:
    # Accents, case and stems as on the site; each word must be found (CKAN's rule), so adding a word
    # that nothing has leaves nothing.
    assert "accidents-gu-bcn" in _names(ckan_get, q="ACCIDENTS trafico")
    assert _names(ckan_get, q="accidents zzzunknownword") == set()
    assert _names(ckan_get, q="accidents -collisions") >= {"accidents-gu-bcn"}
    assert "accidents-tipus-gu-bcn" not in _names(ckan_get, q="accidents -collisions")


def test_date_ranges(ckan_get: ckanapi.RemoteCKAN) -> None:
    everything = _names(ckan_get, q="*:*")
    assert _names(ckan_get, fq="metadata_modified:[2000-01-01T00:00:00.123456Z TO *]") == everything
    assert _names(ckan_get, fq="metadata_created:[* TO NOW]") == everything
    assert _names(ckan_get, fq="metadata_modified:{2999-01-01 TO *}") == set()
    newest = ckan_get.action.package_search(rows=1, sort="metadata_modified desc")["results"][0]
    since = _names(ckan_get, fq=f"metadata_modified:[{newest['metadata_modified']}Z TO *]")
    assert newest["name"] in since


def test_sort_on_every_documented_key(ckan_get: ckanapi.RemoteCKAN) -> None:
    def order(sort: str) -> list[dict[str, str]]:
        return list(ckan_get.action.package_search(rows=100, sort=sort)["results"])

    ids = [p["id"] for p in order("id asc")]
    assert ids == sorted(ids) and len(ids) == DEMO_DATASETS
    assert [p["id"] for p in order("id desc")] == sorted(ids, reverse=True)
    names = [p["name"] for p in order("name desc")]
    assert names == sorted(names, reverse=True)
    modified = [p["metadata_modified"] for p in order("metadata_modified asc, name asc")]
    assert modified == sorted(modified)
    created = [p["metadata_created"] for p in order("metadata_created desc")]
    assert created == sorted(created, reverse=True)
    titles = [p["title"].casefold() for p in order("title_string asc")]
    assert titles == sorted(titles)
    ranked = ckan_get.action.package_search(q="accidents", sort="score desc, metadata_modified desc")
    assert ranked["count"] >= 2 and ranked["sort"] == "score desc, metadata_modified desc"


def test_rows_are_capped_quietly(ckan_get: ckanapi.RemoteCKAN) -> None:
    assert len(ckan_get.action.package_search(rows=1001)["results"]) == DEMO_DATASETS


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"fq": "author:someone"}, "author"),
        ({"q": "title:air~2"}, "air~2"),
        ({"q": "accidents^4"}, "accidents^4"),
        ({"q": "name:/bic.*/"}, "/bic.*/"),
        ({"fq": "tags:[a TO b]"}, "ranges are supported on metadata_modified"),
        ({"fq": "metadata_modified:[yesterday TO *]"}, "'yesterday' is not a date"),
        ({"q": "organization:(bsm"}, "cannot read this query"),
        ({"sort": "views desc"}, "'views' is not sortable"),
        ({"q": "bic*ng"}, "only a trailing *"),
    ],
)
def test_what_is_not_supported_is_named(
    ckan_get: ckanapi.RemoteCKAN, params: dict[str, str], named: str
) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan_get.action.package_search(**params)
    field = next(iter(params))
    assert named in " ".join(refused.value.error_dict[field])
