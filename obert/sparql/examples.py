"""The example queries the SPARQL page offers, each answerable by the catalogue graph as obert writes it.
Titles are English message ids, translated where they are shown."""

from __future__ import annotations

from dataclasses import dataclass


def _(message: str) -> str:
    """Marks `message` for translation (gettext extracts `_`); the page translates it."""
    return message


PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcatap: <http://data.europa.eu/r5r/>
"""


@dataclass(frozen=True, slots=True)
class Example:
    key: str
    title: str
    query: str


EXAMPLES = (
    Example(
        "datasets-per-theme",
        _("Datasets per theme"),
        PREFIXES
        + """SELECT ?theme (COUNT(?dataset) AS ?datasets)
WHERE { ?dataset dcat:theme ?theme }
GROUP BY ?theme
ORDER BY DESC(?datasets)""",
    ),
    Example(
        "distributions-per-format",
        _("Distributions per format"),
        PREFIXES
        + """SELECT ?format (COUNT(?distribution) AS ?distributions)
WHERE { ?distribution dct:format ?format }
GROUP BY ?format
ORDER BY DESC(?distributions)""",
    ),
    Example(
        "datasets-of-a-publisher",
        _("Datasets of each publisher"),
        PREFIXES
        + """SELECT ?publisher ?name ?dataset ?title
WHERE {
  ?dataset a dcat:Dataset ; dct:publisher ?publisher ; dct:title ?title .
  ?publisher foaf:name ?name .
  FILTER(LANG(?title) = "en" && LANG(?name) IN ("en", ""))
}
ORDER BY ?name ?title
LIMIT 100""",
    ),
    Example(
        "high-value-datasets",
        _("High-value datasets and their categories"),
        PREFIXES
        + """SELECT ?dataset ?title ?category ?label
WHERE {
  ?dataset dcatap:hvdCategory ?category ; dct:title ?title .
  ?category skos:prefLabel ?label .
  FILTER(LANG(?title) = "en" && LANG(?label) = "en")
}""",
    ),
    Example(
        "data-services",
        _("Data services and the datasets they serve"),
        PREFIXES
        + """SELECT ?service ?endpoint (COUNT(?dataset) AS ?datasets)
WHERE {
  ?service a dcat:DataService ; dcat:endpointURL ?endpoint .
  OPTIONAL { ?service dcat:servesDataset ?dataset }
}
GROUP BY ?service ?endpoint""",
    ),
    Example(
        "describe-a-dataset",
        _("One dataset as a graph (CONSTRUCT)"),
        PREFIXES
        + """CONSTRUCT { ?dataset ?property ?value }
WHERE {
  { SELECT ?dataset WHERE { ?dataset a dcat:Dataset } ORDER BY ?dataset LIMIT 1 }
  ?dataset ?property ?value
}""",
    ),
)
BY_KEY = {example.key: example for example in EXAMPLES}
