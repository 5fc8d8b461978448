"""`obert doctor` on a configuration that works and on one that does not: what it prints and its exit code."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obert.cli import app
from obert.portal import build_portal
from obert.settings import Settings

runner = CliRunner()
SECRET = "9f2c4a7e1b8d3f6a0c5e2b9d7a4f1c8e"  # 32 characters
OBERT_VARIABLES = ("OBERT_DATABASE_URL", "OBERT_REDIS_URL", "OBERT_HTTP_ALLOWLIST", "OBERT_MAP_TILE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OBERT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_good_configuration_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_portal(Settings(data_dir=tmp_path, secret_key=SECRET)).close()  # type: ignore[arg-type]
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBERT_SECRET_KEY", SECRET)
    monkeypatch.setenv("OBERT_BASE_URL", "https://dades.example.cat")
    monkeypatch.setenv("OBERT_HTTP_ALLOWLIST", "intranet.bcn.cat, 10.20.0.0/16")
    monkeypatch.setenv("OBERT_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("OBERT_MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "schema at" in result.output and "(latest)" in result.output
    assert "2 entries: intranet.bcn.cat, 10.20.0.0/16" in result.output


def test_a_bad_configuration_says_what_to_fix_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path / "never-made"))
    monkeypatch.setenv("OBERT_SECRET_KEY", "short")
    monkeypatch.setenv("OBERT_REDIS_URL", f"redis://127.0.0.1:{_unused_port()}/0")
    monkeypatch.setenv("OBERT_HTTP_ALLOWLIST", "10.0.0.0/33, https://intranet.bcn.cat")
    monkeypatch.setenv("OBERT_MAP_TILE_URL", "https://tile.example.org/{z}/{x}.png")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    out = result.output
    assert "OBERT_SECRET_KEY has 5 characters" in out and "openssl rand -hex 32" in out
    assert "no database yet" in out and "run `obert migrate`" in out
    assert "Redis does not answer" in out
    assert "10.0.0.0/33, https://intranet.bcn.cat" in out
    assert "lacks {y}" in out
    assert not (tmp_path / "never-made").exists(), "the doctor changes nothing"


def test_settings_that_cannot_be_read_are_named_by_their_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OBERT_SECRET_KEY", raising=False)
    monkeypatch.setenv("OBERT_PORT", "eighty")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "OBERT_PORT" in result.output


def test_an_unmigrated_database_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "obert.db").touch()  # exists, holds nothing
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBERT_SECRET_KEY", SECRET)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "its schema is at nothing" in result.output
