"""A staff account on the demo: `obert demo` says how, and `obert user create` works on its data directory
without OBERT_SECRET_KEY; any other data directory still needs the key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

import obert.demo
from obert.auth.users import authenticate_password
from obert.cli import app
from obert.demo.secret import MARKER
from obert.portal import build_portal
from obert.settings import Settings

runner = CliRunner()


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("OBERT_SECRET_KEY", raising=False)
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    # The catalogue itself is not what is tested here (tests/demo loads it): loading it takes seconds.
    monkeypatch.setattr(obert.demo, "load_demo", lambda portal: "stub catalogue")
    return tmp_path


def test_demo_prints_how_to_sign_in_and_user_create_needs_no_key(no_secret: Path) -> None:
    result = runner.invoke(app, ["demo", "--load-only"])
    assert result.exit_code == 0, result.output
    assert f"OBERT_DATA_DIR={no_secret.resolve()} obert user create NAME --sysadmin" in result.output
    assert "/login" in result.output
    secret = no_secret / MARKER
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) >= 40
    made = runner.invoke(app, ["user", "create", "ada", "--sysadmin", "--password", "a long password"])
    assert made.exit_code == 0, made.output
    assert "site administrator" in made.output
    assert runner.invoke(app, ["token", "create", "ada"]).exit_code == 0
    # The demo keeps its secret across runs.
    assert runner.invoke(app, ["demo", "--load-only"]).exit_code == 0
    assert (no_secret / MARKER).read_text() == secret.read_text()
    settings = Settings(mode="demo", data_dir=no_secret, secret_key=secret.read_text().strip())  # type: ignore[arg-type]
    portal = build_portal(settings)
    try:
        actor = authenticate_password(store=portal.store, name="ada", password="a long password")
        assert actor.sysadmin
    finally:
        portal.close()


def test_any_other_data_directory_still_needs_the_key(no_secret: Path) -> None:
    result = runner.invoke(app, ["user", "create", "ada", "--password", "a long password"])
    assert result.exit_code == 2
    assert "OBERT_SECRET_KEY" in result.output
    assert not (no_secret / MARKER).exists()
    assert runner.invoke(app, ["serve"]).exit_code == 2  # serving is refused as before
