from __future__ import annotations

from pathlib import Path

import pytest

from obert.ingest import ingest_file

FILES = Path(__file__).resolve().parents[2] / "obert" / "demo" / "files"


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files ingested once per session: name -> Parquet version."""
    root = tmp_path_factory.mktemp("versions")
    out = {}
    for name, src in {
        "accidents": "2018_accidents_gu_bcn.csv",
        "education": "educacion_sample_2023.csv",
        "stations": "qualitat_aire_estacions.csv",
        "barris": "barris.geojson",
        "padro": "taula_dimensions_padro.csv",
    }.items():
        dest = root / f"{name}.parquet"
        ingest_file(FILES / src, dest=dest, max_bytes=50_000_000)
        out[name] = dest
    return out


def make_version(tmp_path: Path, name: str, text: str) -> Path:
    src = tmp_path / f"{name}.csv"
    src.write_text(text)
    dest = tmp_path / f"{name}.parquet"
    ingest_file(src, dest=dest, max_bytes=1_000_000)
    return dest
