"""Validating obert's RDF against the official SHACL shapes copied into tests/data/shacl."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import RDF, Graph, Namespace

SHAPES = Path(__file__).parents[1] / "data" / "shacl"
SH = Namespace("http://www.w3.org/ns/shacl#")
BUNDLES = {
    # The SEMIC bundle the DCAT-AP 3.0.1 validators load together.
    "dcat-ap": "dcat-ap-3.0.1",
    # DCAT-AP-ES: common + catalog + dataset + distribution shapes, and the vocabulary shapes they refer
    # to (without them the DIR3 restriction is an undefined shape that every contact point "conforms" to,
    # so `sh:not` rejects them all).
    "dcat-ap-es": "dcat-ap-es-1.0.0",
    # High-Value Datasets: DCAT-AP-ES's HVD shapes on top of its own, as its validation guide loads them.
    # They target every dataset, distribution and service, so they are for graphs of HVD datasets only.
    "dcat-ap-es-hvd": "dcat-ap-es-1.0.0 dcat-ap-es-1.0.0-hvd",
}


@cache
def shapes(profile: str) -> Graph:
    graph = Graph()
    for folder in BUNDLES[profile].split():
        for path in sorted((SHAPES / folder).glob("*.ttl")):
            graph.parse(path)
    return graph


def violations(data: Graph, profile: str) -> list[str]:
    """The top-level results of severity sh:Violation, described for an assertion message."""
    _, report, _ = validate(data, shacl_graph=shapes(profile), allow_warnings=True, advanced=True)
    found = []
    for node in report.subjects(RDF.type, SH.ValidationReport):
        for result in report.objects(node, SH.result):
            if (result, SH.resultSeverity, SH.Violation) in report:
                found.append(
                    f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
                    f"{report.value(result, SH.resultMessage)}"
                )
    return found
