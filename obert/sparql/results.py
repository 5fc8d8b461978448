"""SPARQL results in the W3C formats: JSON, XML, CSV and TSV for solutions and booleans; Turtle, JSON-LD,
N-Triples and RDF/XML for graphs.

Solutions are written here rather than by the engine's own writer because obert caps how many it sends:
the engine serialises a whole result or nothing, and a capped result is the first rows of the full one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from obert.dcat.terms import PREFIXES

XSD = "http://www.w3.org/2001/XMLSchema#"
_STRING = XSD + "string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_BARE_IN_TSV = {XSD + "integer", XSD + "decimal", XSD + "double", XSD + "boolean"}

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


@dataclass(frozen=True, slots=True)
class ResultFormat:
    token: str  # the `format` parameter's value
    media_type: str
    graph: bool  # for CONSTRUCT and DESCRIBE (else for SELECT and ASK)


SOLUTION_FORMATS = (
    ResultFormat("json", "application/sparql-results+json", False),
    ResultFormat("xml", "application/sparql-results+xml", False),
    ResultFormat("csv", "text/csv", False),
    ResultFormat("tsv", "text/tab-separated-values", False),
)
GRAPH_FORMATS = (
    ResultFormat("turtle", "text/turtle", True),
    ResultFormat("json-ld", "application/ld+json", True),
    ResultFormat("n-triples", "application/n-triples", True),
    ResultFormat("rdf+xml", "application/rdf+xml", True),
)
_GRAPH_WRITERS = {
    "turtle": ox.RdfFormat.TURTLE,
    "json-ld": ox.RdfFormat.JSON_LD,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "rdf+xml": ox.RdfFormat.RDF_XML,
}


def solutions(variables: Sequence[str], rows: Iterable[Row], fmt: ResultFormat) -> bytes:
    """SELECT results in `fmt` (one of SOLUTION_FORMATS)."""
    rows = list(rows)
    if fmt.token == "json":
        return _json(variables, rows)
    if fmt.token == "xml":
        return _xml(variables, rows)
    if fmt.token == "csv":
        return _csv(variables, rows)
    return _tsv(variables, rows)


def boolean(value: bool, fmt: ResultFormat) -> bytes:
    """An ASK result; CSV and TSV have no boolean form, so they carry the word alone."""
    if fmt.token == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt.token == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    return b"true\r\n" if value else b"false\r\n"


def graph(triples: Iterable[ox.Triple], fmt: ResultFormat) -> bytes:
    """CONSTRUCT or DESCRIBE results in `fmt` (one of GRAPH_FORMATS)."""
    prefixes = {name: str(ns) for name, ns in PREFIXES.items()}
    writer = _GRAPH_WRITERS[fmt.token]
    out = ox.serialize(
        (_retyped(t) for t in triples),
        format=writer,
        prefixes=None if writer is ox.RdfFormat.N_TRIPLES else prefixes,
    )
    return out or b""


_BYTE_SIZE = ox.NamedNode("http://www.w3.org/ns/dcat#byteSize")
_NON_NEGATIVE = ox.NamedNode(XSD + "nonNegativeInteger")


def _retyped(triple: ox.Triple) -> ox.Triple:
    # The engine stores every integer type as xsd:integer; DCAT-AP 3.0.1 wants dcat:byteSize typed
    # xsd:nonNegativeInteger, as obert states it (the same value: a size is never negative).
    value = triple.object
    if triple.predicate == _BYTE_SIZE and isinstance(value, ox.Literal) and not value.value.startswith("-"):
        return ox.Triple(triple.subject, triple.predicate, ox.Literal(value.value, datatype=_NON_NEGATIVE))
    return triple


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _json(variables: Sequence[str], rows: list[Row]) -> bytes:
    bindings = [
        {name: _json_term(value) for name, value in zip(variables, row, strict=True) if value is not None}
        for row in rows
    ]
    return json.dumps(
        {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}, ensure_ascii=False
    ).encode()


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != _STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
        f"</predicate><object>{_xml_term(term.object)}</object></triple>"
    )


def _xml(variables: Sequence[str], rows: list[Row]) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>')
    for name in variables:
        out.write(f"<variable name={quoteattr(name)}/>")
    out.write("</head><results>")
    for row in rows:
        out.write("<result>")
        for name, value in zip(variables, row, strict=True):
            if value is not None:
                out.write(f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>")
        out.write("</result>")
    out.write("</results></sparql>\n")
    return out.getvalue().encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def _csv(variables: Sequence[str], rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode()


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and term.datatype.value in _BARE_IN_TSV and not term.language:
        return term.value
    # Every other term as in Turtle, whose escapes keep tabs and line breaks out of the cell.
    return str(term)


def _tsv(variables: Sequence[str], rows: list[Row]) -> bytes:
    lines = ["\t".join(f"?{name}" for name in variables)]
    lines += ["\t".join(_tsv_value(value) for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()
