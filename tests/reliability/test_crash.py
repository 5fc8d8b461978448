"""kill -9 during ingests and harvests never leaves the catalogue and the datastore disagreeing.

A few kills here; OBERT_CRASH_ITERATIONS=300 runs the long version (see crash.py)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.reliability.crash import run


def test_kill_9_at_random_moments_leaves_a_consistent_data_dir(tmp_path: Path) -> None:
    iterations = int(os.environ.get("OBERT_CRASH_ITERATIONS", "6"))
    report = run(tmp_path / "data", iterations)
    assert report.failures == []
    assert report.iterations == iterations
    assert report.versions > 0  # the writer got far enough to publish, so kills landed mid-write too
