"""`obert --help` starts without the heavy libraries: each command imports what it needs when it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from obert.demo import FILES

# (Typer itself imports pydantic to read a command's parameters, so it is not listed.) Rich, with the
# Markdown parser and syntax highlighter its help pages pull in, costs more than all the rest of `--help`:
# help is plain text and the console is made when a command first prints.
HEAVY = (
    "duckdb",
    "pyarrow",
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "starlette",
    "obert.portal",
    "rich",
    "markdown_it",
    "pygments",
)


def _imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "obert", *args], capture_output=True, text=True, check=True
    )
    assert "Usage" in done.stdout
    # -X importtime writes "import time: self | cumulative | <indented module name>" lines to stderr.
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


@pytest.mark.parametrize("args", [("--help",), ("ingest", "--help"), ("harvest", "add", "--help")])
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    modules = _imported(*args)
    assert "typer" in modules
    loaded = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert loaded == []


def test_ingest_imports_neither_pandas_nor_the_rest_of_the_portal(tmp_path: Path) -> None:
    """`obert ingest` builds only the ingester: no harvesters, SPARQL or RDF, and no pandas (which pyarrow
    would import the first time the personal-data scan builds an array)."""
    env = {
        **os.environ,
        "OBERT_DATA_DIR": str(tmp_path),
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough",
    }
    source = FILES / "qualitat_aire_estacions.csv"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "obert", "ingest", str(source), "--dataset", "estacions"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "version 1: 55 rows" in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    # pyarrow's one attempt to import pandas is refused at once: listed, but nothing below it loads.
    modules = {line.rsplit("|", 1)[1].strip() for line in lines}
    assert not {m for m in modules if m.startswith("pandas.")}
    assert not modules & {"obert.sparql", "obert.harvest.runner", "rdflib", "obert.notify.webhooks"}


def test_obert_processes_give_arrow_jemalloc_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """The personal-data scan spent a third of its first run in page faults with pyarrow's default
    allocator; obert's own processes choose jemalloc through Arrow's variable, which an operator can set."""
    from obert.cli import common as cli

    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "")
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    monkeypatch.delitem(sys.modules, "pyarrow", raising=False)
    monkeypatch.setattr(sys, "argv", ["/usr/bin/obert", "ingest"])
    cli.arrow_allocator()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    cli.arrow_allocator()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    monkeypatch.setattr(sys, "argv", ["pytest"])  # a program running commands inside it keeps its choice
    cli.arrow_allocator()
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ
