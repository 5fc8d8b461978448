"""Quoted phrases in CKAN's `q`: their words must come in a row, as Solr finds them, after the site's own
analysis (case, accents, stems, stop words), on SQLite FTS5 and on PostgreSQL alike."""

from __future__ import annotations

from obert.api.ckan.query import parse
from obert.auth import SYSTEM
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.portal import Portal
from tests.search.helpers import add_dataset


def _names(portal: Portal, q: str) -> set[str]:
    query = BrowseQuery(criterion=parse(q, source="q"), limit=100)
    return {d.name for d in browse_datasets(store=portal.store, actor=SYSTEM, query=query).items}


def _catalogue(portal: Portal) -> None:
    add_dataset(portal, "aire", title="Qualitat de l'aire a Barcelona", state="published")
    add_dataset(portal, "aigua", title="Qualitat de l'aigua i de l'aire", state="published")
    add_dataset(
        portal,
        "estacions",
        title="Estacions de Bicing",
        description="Les estacions públiques de bicicletes compartides de la ciutat.",
        state="published",
    )
    add_dataset(
        portal,
        "bicicletes",
        title="Carrils bici",
        description="Bicicletes i estacions: on aparcar.",
        state="published",
    )


def test_a_quoted_phrase_needs_its_words_in_a_row(portal: Portal) -> None:
    _catalogue(portal)
    assert _names(portal, "qualitat aire") == {"aire", "aigua"}  # words anywhere
    assert _names(portal, '"qualitat aire"') == {"aire"}  # in a row ("de l'" are stop words)
    assert _names(portal, '"estacions bicicletes"') == set()
    assert _names(portal, '"bicicletes compartides"') == {"estacions"}
    assert _names(portal, '"aire qualitat"') == set()  # order counts


def test_phrases_follow_the_sites_analysis(portal: Portal) -> None:
    _catalogue(portal)
    # Case and accents fold; words whose stem differs from them (estacions, bicicletes) still follow
    # each other, whatever language's stem the index holds between them.
    assert _names(portal, '"ESTACIONS DE BICING"') == {"estacions"}
    assert _names(portal, '"Qualitat de l\'AIRE a barcelona"') == {"aire"}
    assert _names(portal, '"estacions de bicicletes"') == set()


def test_phrases_combine_with_fields_and_operators(portal: Portal) -> None:
    _catalogue(portal)
    assert _names(portal, 'title:"estacions bicing"') == {"estacions"}
    assert _names(portal, 'notes:"estacions bicing"') == set()
    assert _names(portal, '"qualitat aire" OR "carrils bici"') == {"aire", "bicicletes"}
    assert _names(portal, 'qualitat -"qualitat aire"') == {"aigua"}
