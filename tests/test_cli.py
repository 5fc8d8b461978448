from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from obert.auth import SYSTEM
from obert.auth.tokens import list_tokens
from obert.auth.users import actor_for_token
from obert.catalog import datasets
from obert.catalog.models import DatasetInput
from obert.cli import app
from obert.demo import load_demo
from obert.portal import build_portal
from obert.settings import Settings
from obert.sparql import snapshot_path
from obert.storage import migrate as migrations
from tests.conftest import dataset_payload

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBERT_SECRET_KEY", "a-test-secret-that-is-long-enough")
    return tmp_path


def test_migrate_user_and_token(env: Path) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert f"database at {migrations.head_revision()}" in result.output
    result = runner.invoke(app, ["user", "create", "ada", "--sysadmin", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["token", "create", "ada", "--name", "laptop", "--scope", "read"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("obert_")
    portal = build_portal(Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough"))  # type: ignore[arg-type]
    actor = actor_for_token(store=portal.store, secret=secret)
    assert actor.name == "ada" and actor.sysadmin and not actor.can_write


def test_bad_input_is_reported_not_raised(env: Path) -> None:
    result = runner.invoke(app, ["user", "create", "X Y", "--password", "short"])
    assert result.exit_code == 1
    assert "name:" in result.output and "password:" in result.output
    result = runner.invoke(app, ["token", "create", "nobody"])
    assert result.exit_code == 1
    assert "no user 'nobody'" in result.output


@pytest.mark.parametrize("days", ["0", "-3", "366"])
def test_token_expiry_is_checked_as_the_api_checks_it(env: Path, days: str) -> None:
    runner.invoke(app, ["user", "create", "ada", "--password", "a long password"])
    result = runner.invoke(app, ["token", "create", "ada", "--expires-in-days", days])
    assert result.exit_code == 1, result.output
    assert "expires_in_days: a token lives 1 to 365 days" in result.output


def test_a_token_from_the_command_line_expires_by_default(env: Path) -> None:
    runner.invoke(app, ["user", "create", "ada", "--password", "a long password"])
    result = runner.invoke(app, ["token", "create", "ada"])
    assert result.exit_code == 0, result.output
    portal = build_portal(Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough"))  # type: ignore[arg-type]
    (token,) = list_tokens(
        store=portal.store, actor=actor_for_token(store=portal.store, secret=result.output.strip())
    )
    assert token.expires_at is not None and 89 <= (token.expires_at - token.created_at).days <= 90


def test_production_refuses_the_default_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OBERT_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "OBERT_SECRET_KEY" in result.output


def test_reindex_rebuilds_and_reports(env: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    settings = Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough")  # type: ignore[arg-type]
    portal = build_portal(settings)
    load_demo(portal)
    portal.close()
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 10 datasets" in result.output


def test_serve_with_workers_migrates_once_and_lets_each_process_build_its_app(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import obert.cli.serving

    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    monkeypatch.setenv("OBERT_ACCESS_LOG", "false")
    metrics_dir = env / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))  # restored after the test
    (metrics_dir / "counter_1234.db").parent.mkdir()
    (metrics_dir / "counter_1234.db").write_bytes(b"left by a previous run")
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "budgets apart" in result.output  # no Redis: each process counts its own
    (target, options) = calls[0]
    assert target == "obert.cli.serving:web_app"
    assert options["factory"] is True and options["workers"] == 2 and options["port"] == 8123
    assert options["access_log"] is False and options["log_config"] is None  # obert logs requests itself
    assert options["http"] == "obert.serving:HeadLimitedHttpTools"
    assert (env / "obert.db").exists()  # migrated before the workers start
    assert list(metrics_dir.iterdir()) == []  # one metrics view across the processes, started afresh
    web = obert.cli.serving.web_app()  # what each worker process runs, from the same environment
    assert web.state.portal.settings.data_dir == env
    web.state.portal.close()


def test_serve_with_one_worker_runs_the_app_in_process(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    (target, options) = calls[0]
    assert not isinstance(target, str) and "workers" not in options
    assert options["access_log"] is False and options["log_config"] is None  # obert logs requests itself
    # httptools with obert's limit on the request head (tests/security/test_header_limit.py runs it)
    assert options["http"] == "obert.serving:HeadLimitedHttpTools"
    assert options["h11_max_incomplete_event_size"] == 64 * 1024


def test_sparql_rebuild_builds_and_asks_every_process_to_rebuild(env: Path) -> None:
    settings = Settings(data_dir=env, secret_key="a-test-secret-that-is-long-enough")
    portal = build_portal(settings)
    portal.sparql.graph.sync()  # a serving process's copy, built before the command runs
    payload = dataset_payload(name="made-after-the-build", organization=None)
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=DatasetInput.model_validate(payload))
    result = runner.invoke(app, ["sparql", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "the graph holds 1 public datasets" in result.output
    assert snapshot_path(env).exists()
    graph = portal.sparql.graph
    assert graph.sync().rebuilt and graph.base > 0  # the serving process loaded the command's snapshot
    assert not graph.sync().rebuilt  # once
    portal.close()
