"""The data services' High-Value Dataset marks in the SPARQL graph, as the DCAT documents state them: a
service that serves a dataset of an HVD category carries that category and the regulation.

The DCAT builder states a service's marks from each HVD dataset it serves, so every such dataset would
state them again; in a union of named graphs each copy would count once more. Here the marks live in one
named graph per service (`<service>#hvd`), each statement once, and are worked out from the graph
itself: the service has category C while some dataset of category C is one it `servesDataset`. After a
change only the categories the changed datasets had or have are worked out again.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from obert.dcat.context import CatalogInfo
from obert.dcat.services import HVD_LEGISLATION, SERVICES, service_uri
from obert.dcat.terms import DCAT, DCATAP

HVD_CATEGORY = ox.NamedNode(str(DCATAP.hvdCategory))
LEGISLATION = ox.NamedNode(str(DCATAP.applicableLegislation))
SERVES = ox.NamedNode(str(DCAT.servesDataset))
REGULATION = ox.NamedNode(HVD_LEGISLATION)


def marks_graph(service: ox.NamedNode) -> ox.NamedNode:
    return ox.NamedNode(service.value + "#hvd")


def services(info: CatalogInfo) -> list[ox.NamedNode]:
    return [ox.NamedNode(service_uri(info, key)) for key in SERVICES]


def categories_in(graph: ox.Store, names: Iterable[ox.NamedNode]) -> set[ox.NamedNode]:
    """The HVD categories stated in these named graphs (datasets' own graphs)."""
    found: set[ox.NamedNode] = set()
    for name in names:
        for quad in graph.quads_for_pattern(None, HVD_CATEGORY, None, name):
            if isinstance(quad.object, ox.NamedNode):
                found.add(quad.object)
    return found


def every_category(graph: ox.Store) -> set[ox.NamedNode]:
    return {
        q.object
        for q in graph.quads_for_pattern(None, HVD_CATEGORY, None)
        if isinstance(q.object, ox.NamedNode)
    }


def refresh(graph: ox.Store, info: CatalogInfo, categories: set[ox.NamedNode]) -> None:
    """Work out again whether each service has each of `categories`, and the regulation with them."""
    nodes = services(info)
    if not categories:
        return
    for category in categories:
        marked = {q.subject for q in graph.quads_for_pattern(None, HVD_CATEGORY, category)}
        for service in nodes:
            quad = ox.Quad(service, HVD_CATEGORY, category, marks_graph(service))
            if any(_serves(graph, service, node) for node in marked):
                graph.add(quad)
            else:
                graph.remove(quad)
    for service in nodes:
        name = marks_graph(service)
        regulation = ox.Quad(service, LEGISLATION, REGULATION, name)
        if next(graph.quads_for_pattern(service, HVD_CATEGORY, None, name), None) is not None:
            graph.add(regulation)
        else:
            graph.remove(regulation)


def _serves(graph: ox.Store, service: ox.NamedNode, node: object) -> bool:
    if not isinstance(node, ox.NamedNode):
        return False
    return next(graph.quads_for_pattern(service, SERVES, node), None) is not None
