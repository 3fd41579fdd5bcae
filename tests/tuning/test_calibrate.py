"""The calibration is measured once, then read back."""

from __future__ import annotations

import json
from pathlib import Path

from lambdactl.tuning import calibrate


def test_measured_once_then_cached(tmp_path: Path) -> None:
    first = calibrate.cached(tmp_path)
    assert not first.cached and first.workload_ms > 0
    stored = json.loads((tmp_path / "calibration.json").read_text())
    assert stored["workload_ms"] == first.workload_ms
    second = calibrate.cached(tmp_path)
    assert second.cached and second.workload_ms == first.workload_ms


def test_a_damaged_file_is_measured_again(tmp_path: Path) -> None:
    (tmp_path / "calibration.json").write_text("{not json")
    assert not calibrate.cached(tmp_path).cached
