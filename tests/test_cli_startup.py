"""`obert --help` starts without the heavy libraries: each command imports what it needs when it runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

# (Typer itself imports pydantic to read a command's parameters, so it is not listed.)
HEAVY = ("duckdb", "pyarrow", "sqlalchemy", "fastapi", "uvicorn", "starlette", "obert.portal")


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
