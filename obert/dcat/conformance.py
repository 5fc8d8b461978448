"""The DCAT-AP 3.0.1 rules a dataset's own metadata can break in obert's output.

Everything else the SEMIC shapes check (value types, vocabularies, cardinalities) obert's models and
graph builder guarantee, and the test suite validates the demo catalogue against the shapes themselves;
what remains are the mandatory properties a publisher can leave empty. The quality score's
"passes DCAT-AP validation" metric reads this list, so it costs no SHACL run per request.
"""

from __future__ import annotations

from obert.catalog.models import Dataset


def problems(dataset: Dataset) -> list[str]:
    """What keeps `dataset` from validating, as field paths; empty when it validates."""
    found = []
    if not any(text.strip() for text in dataset.title.values()):
        found.append("title")
    if not any(text.strip() for text in dataset.description.values()):
        found.append("description")
    return found
