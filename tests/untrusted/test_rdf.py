"""RDF parsing that opens nothing: defused RDF/XML reads real catalogues exactly as rdflib does, refuses
entity declarations, and JSON-LD uses only the contexts it is given, even through rdflib's own API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from obert.errors import Invalid
from obert.untrusted.rdf import MissingContexts, context_urls, read_graph
from tests.harvest.servers import serve

DCAT_FILES = Path(__file__).parent.parent / "data" / "harvest" / "dcat"
DCT = "http://purl.org/dc/terms/"


@pytest.mark.parametrize("path", sorted(DCAT_FILES.glob("*.rdf")), ids=lambda p: p.name)
def test_real_rdf_xml_reads_as_rdflib_reads_it(path: Path) -> None:
    content = path.read_bytes()
    ours = read_graph(
        content, content_type="application/rdf+xml", url=f"https://example.org/{path.name}", contexts={}
    )
    theirs = Graph().parse(data=content, format="xml", publicID=f"https://example.org/{path.name}")
    assert len(ours) > 10 and isomorphic(ours, theirs)


def test_an_entity_declaration_is_refused() -> None:
    doc = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
<rdf:Description rdf:about="https://example.org/d"><dct:title>&e;</dct:title></rdf:Description></rdf:RDF>"""
    with pytest.raises(Invalid) as caught:
        read_graph(doc, content_type="application/rdf+xml", url="https://example.org/c.rdf", contexts={})
    assert "declares XML entities (<!ENTITY e>)" in caught.value.errors[0].message


def test_rdflib_itself_no_longer_fetches_a_json_ld_context() -> None:
    with serve(lambda p, q: (200, {"Content-Type": "application/ld+json"}, b'{"@context": {}}')) as server:
        doc = json.dumps({"@context": f"{server.url}/ctx.jsonld", "@id": "https://example.org/d", "t": "x"})
        with pytest.raises(MissingContexts) as caught:
            Graph().parse(data=doc, format="json-ld")
        assert server.hits == []
    assert caught.value.urls == [f"{server.url}/ctx.jsonld"]


def test_every_kind_of_context_reference_is_found() -> None:
    doc = {
        "@context": [
            "a.jsonld",
            {
                "@import": "https://other.example/b.jsonld",
                "t": {"@id": f"{DCT}title", "@context": "c.jsonld"},
            },
        ],
        "@graph": [{"@context": "../d.jsonld", "@id": "x"}, {"@value": "not a context"}],
    }
    assert context_urls(doc, "https://example.org/cat/page.jsonld") == {
        "https://example.org/cat/a.jsonld",
        "https://other.example/b.jsonld",
        "https://example.org/cat/c.jsonld",
        "https://example.org/d.jsonld",
    }


def test_contexts_that_name_contexts_are_asked_for_in_turn() -> None:
    url = "https://example.org/page.jsonld"
    doc = json.dumps(
        {"@context": "https://example.org/outer.jsonld", "@id": "https://example.org/d", "t": "x"}
    )
    outer = json.dumps({"@context": {"@import": "https://example.org/inner.jsonld"}}).encode()
    inner = json.dumps({"@context": {"t": f"{DCT}title"}}).encode()
    with pytest.raises(MissingContexts) as first:
        read_graph(doc.encode(), content_type="application/ld+json", url=url, contexts={})
    assert first.value.urls == ["https://example.org/outer.jsonld"]
    given = {"https://example.org/outer.jsonld": outer}
    with pytest.raises(MissingContexts) as second:
        read_graph(doc.encode(), content_type="application/ld+json", url=url, contexts=given)
    assert second.value.urls == ["https://example.org/inner.jsonld"]
    given["https://example.org/inner.jsonld"] = inner
    graph = read_graph(doc.encode(), content_type="application/ld+json", url=url, contexts=given)
    assert [str(o) for o in graph.objects(None, None)] == ["x"]
