"""ckanapi's command line, as a data team runs it against obert: `ckanapi dump datasets --all`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

from tests.api.ckan.conftest import Server


def _ckanapi() -> str:
    found = shutil.which("ckanapi") or str(Path(sys.executable).with_name("ckanapi"))
    if not Path(found).exists():
        pytest.skip("the ckanapi command is not installed")
    return found


def test_dump_datasets_writes_every_public_dataset(
    server: Server, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    out = tmp_path / "datasets.jsonl"
    done = subprocess.run(
        [_ckanapi(), "dump", "datasets", "--all", "-O", str(out), "-p", "1", "-q", "-r", server.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # Its workers are started as `ckanapi` again, found on the PATH.
        env={**os.environ, "PATH": f"{Path(_ckanapi()).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stderr
    dumped = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(d["name"] for d in dumped) == sorted(ckan.action.package_list())
    first = dumped[0]
    assert first == ckan.action.package_show(id=first["name"])
