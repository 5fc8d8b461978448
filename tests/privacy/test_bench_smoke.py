"""A tiny run of bench/privacy.py, so the benchmark keeps working as the code changes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "privacy.py"


def test_the_benchmark_runs_and_its_table_is_caught_then_cleared(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_privacy", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--rows", "3000"])
    out = capsys.readouterr().out
    assert "('dni', 'dni', 3000)" in out and "('iban', 'iban', 3000)" in out
    assert "published table clean on re-scan: True" in out
