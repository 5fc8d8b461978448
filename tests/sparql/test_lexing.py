"""Updates and federation are refused on the text, before any engine sees it; DCAT's own words are not."""

from __future__ import annotations

import pytest

from obert.errors import Invalid
from obert.sparql.lexing import QueryForm, UpdateRefused, classify

P = "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        (P + "SELECT ?s WHERE { ?s dcat:service ?x }", QueryForm.SELECT),
        ("select ?service { ?service a <http://www.w3.org/ns/dcat#DataService> }", QueryForm.SELECT),
        ('SELECT * { ?s ?p "SERVICE <http://10.0.0.1/>" }', QueryForm.SELECT),
        ("# SERVICE in a comment\nASK { ?s ?p ?o }", QueryForm.ASK),
        (
            "BASE <http://x/> PREFIX : <http://x/#> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
            QueryForm.CONSTRUCT,
        ),
        ("DESCRIBE <http://x/service>", QueryForm.DESCRIBE),
    ],
)
def test_queries_pass(query: str, form: QueryForm) -> None:
    assert classify(query) is form


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://169.254.169.254/latest/> { ?s ?p ?o } }",
        "SELECT * { service silent <http://127.0.0.1:5432/> { ?s ?p ?o } }",
        P + "SELECT * { ?a dcat:x ?b . SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_federation_is_refused(query: str) -> None:
    with pytest.raises(Invalid, match="SERVICE"):
        classify(query)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        P + "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1/x.ttl>",
        "CLEAR ALL",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(UpdateRefused, match="read-only"):
        classify(update)


def test_not_a_query() -> None:
    with pytest.raises(Invalid, match="empty"):
        classify("  ")
    with pytest.raises(Invalid, match="not a SPARQL query"):
        classify("hello")
