"""What reading DCAT pages in the sandbox costs: a page read (parse + map) in obert's process against the
same read in a sandbox child (`obert.untrusted.sandbox`), for the official DCAT-AP-ES examples and for
generated catalogue pages of realistic size (the full example's datasets repeated with new IRIs).

    PYTHONPATH=. .venv/bin/python bench/dcat_parse.py [--runs 5] [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from obert.harvest.dcatpage import read_page
from obert.untrusted.sandbox import Limits, run_bounded

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "harvest" / "dcat"
TYPES = {".ttl": "text/turtle", ".rdf": "application/rdf+xml"}


def _page(datasets: int, fmt: str) -> bytes:
    """A catalogue page of `datasets` datasets: the full DCAT-AP-ES example's, each copy under new IRIs."""
    example = Graph().parse(DATA / "E_DCAT-AP-ES_full_optional.ttl")
    page = Graph()
    for prefix, namespace in example.namespaces():
        page.bind(prefix, namespace)
    local = "http://dcat-ap-es.ejemplo.org/"
    for n in range(datasets):
        for s, p, o in example:
            s2 = URIRef(f"{s}-{n}") if isinstance(s, URIRef) and str(s).startswith(local) else s
            o2 = URIRef(f"{o}-{n}") if isinstance(o, URIRef) and str(o).startswith(local) else o
            page.add((s2, p, o2))
    return page.serialize(format=fmt, encoding="utf-8")


def _median(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    limits = Limits(seconds=600)
    started = time.perf_counter()
    run_bounded(
        read_page, b"<a> <b> <c> .", "text/turtle", "https://x/p.ttl", "es", {}, limits=limits, what="x"
    )
    print(f"first sandboxed read (starts the worker): {time.perf_counter() - started:.3f} s")
    documents = [(p.name, p.read_bytes(), TYPES[p.suffix]) for p in sorted(DATA.glob("E_DCAT-AP-ES_*"))]
    for size in (int(s) for s in args.sizes.split(",")):
        documents.append((f"generated {size} datasets (RDF/XML)", _page(size, "xml"), "application/rdf+xml"))
        documents.append((f"generated {size} datasets (Turtle)", _page(size, "turtle"), "text/turtle"))
    print(f"{'document':45} {'bytes':>11} {'items':>6} {'in process':>11} {'sandboxed':>10} {'overhead':>9}")
    for name, content, content_type in documents:
        url = f"https://example.org/{name.replace(' ', '-')}"
        call = (content, content_type, url, "es", {})
        inside, page = _median(args.runs, partial(read_page, *call))
        boxed, same = _median(args.runs, partial(run_bounded, read_page, *call, limits=limits, what=url))
        assert len(same["items"]) == len(page["items"])
        print(
            f"{name:45} {len(content):>11,} {len(page['items']):>6} {inside * 1000:>9.1f} ms"
            f" {boxed * 1000:>7.1f} ms {(boxed - inside) * 1000:>6.1f} ms"
        )


if __name__ == "__main__":
    main()
