"""SPARQL 1.1 over the public catalogue graph: a copy derived from the SQL store (`graph`) that a
process starts from a snapshot file (`snapshot`), queries checked (`lexing`) and run within limits
(`run`), answers in the W3C formats (`results`), the protocol's choices (`endpoint`) and the example
queries the query page offers (`examples`)."""

from obert.sparql.endpoint import Endpoint, Reply
from obert.sparql.examples import EXAMPLES, Example
from obert.sparql.graph import REBUILD_ACTION, REBUILD_OBJECT, CatalogueGraph, SyncReport, request_rebuild
from obert.sparql.lexing import QueryForm, UpdateRefused
from obert.sparql.snapshot import snapshot_path

__all__ = [
    "EXAMPLES",
    "REBUILD_ACTION",
    "REBUILD_OBJECT",
    "CatalogueGraph",
    "Endpoint",
    "Example",
    "QueryForm",
    "Reply",
    "SyncReport",
    "UpdateRefused",
    "request_rebuild",
    "snapshot_path",
]
