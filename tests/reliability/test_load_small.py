"""The load and fault harness (bench/load.py) at a small size: a few seconds of the request mix, then a
process killed with SIGKILL; no request may fail except those the fault itself cut, and every write the
portal accepted must be there afterwards, ingests included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _harness(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    argv = [sys.executable, str(ROOT / "bench" / "load.py"), "--light", "--levels", "2", "--step", "4"]
    argv += ["--warmup", "1", "--fault-concurrency", "2", "--fault-seconds", "6", "--lease", "3"]
    argv += ["--jobs-timeout", "90", "--json", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*argv, *args], env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def _assert_sound(report: dict[str, Any], faults: list[str]) -> None:
    level = report["sweep"]["levels"][0]
    assert level["requests"] > 0
    assert level["errors"] == 0, level["error_examples"]
    assert report["sweep_problems"] == []
    assert [f["fault"] for f in report["faults"]] == faults
    for fault in report["faults"]:
        assert fault["other_errors"] == 0, fault["other_error_examples"]
        assert fault["problems"] == [], fault["problems"]
        assert fault["restarts"].get(fault["victim"], 0) >= 1  # the supervisor brought it back


def test_embedded_serves_the_mix_and_recovers_from_a_killed_process(tmp_path: Path) -> None:
    report = _harness(tmp_path, "--mode", "embedded", "--fault", "kill-web")
    _assert_sound(report, ["kill-web"])
    assert report["memory"]["serve-0#0"]["last_mib"] > 0


@pytest.mark.postgres
@pytest.mark.redis
def test_scale_out_loses_nothing_when_a_web_process_and_a_worker_die(tmp_path: Path) -> None:
    postgres, redis = os.environ.get("OBERT_TEST_POSTGRES_URL"), os.environ.get("OBERT_TEST_REDIS_URL")
    if not postgres or not redis:
        pytest.skip("OBERT_TEST_POSTGRES_URL and OBERT_TEST_REDIS_URL are not both set")
    report = _harness(
        tmp_path,
        *("--mode", "scale-out", "--serve", "2", "--workers", "2", "--worker-threads", "1"),
        *("--postgres", postgres, "--redis", redis, "--fault", "kill-web,kill-worker"),
    )
    _assert_sound(report, ["kill-web", "kill-worker"])
    killed_worker = report["faults"][1]
    assert killed_worker["mid_ingest"] is True
    assert killed_worker["accepted"]["ingests"] >= 1  # the big file whose ingest was cut, among others
