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


def test_the_gate_benchmark_runs_and_catches_its_hidden_dni(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location("bench_privacy_gate", BENCH.parent / "privacy_gate.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--rows", "3000", "--runs", "1", "--sample-rows", "1000", "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "held: False" in out
    assert "one DNI in a street-name cell: held True [['Nom_carrer', 'dni', 1]]" in out
