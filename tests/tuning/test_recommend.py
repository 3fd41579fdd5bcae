"""Each strategy's choice on fixed inputs (pure)."""

from __future__ import annotations

import pytest

from lambdactl.tuning.recommend import Candidate, choose, recommend

SIZES = [
    Candidate(128, cost=4.0e-6, duration_ms=1600.0),
    Candidate(512, cost=2.0e-6, duration_ms=200.0),
    Candidate(1024, cost=2.4e-6, duration_ms=110.0),
    Candidate(1769, cost=3.2e-6, duration_ms=100.0),
]


def test_cost_picks_the_cheapest() -> None:
    assert choose(SIZES, "cost").memory_mb == 512  # type: ignore[union-attr]


def test_speed_picks_the_fastest() -> None:
    assert choose(SIZES, "speed").memory_mb == 1769  # type: ignore[union-attr]


def test_balanced_weighs_normalised_cost_and_duration() -> None:
    # cost_n: 128 1.0, 512 0.0, 1024 0.2, 1769 0.6; duration_n: 1.0, 0.0667, 0.00667, 0.0
    # 0.5: 1.0, 0.033, 0.103, 0.3 -> 512; 0.1: ... 1024 0.026 beats 512 0.06 -> 1024
    assert choose(SIZES, "balanced", weight=0.5).memory_mb == 512  # type: ignore[union-attr]
    assert choose(SIZES, "balanced", weight=0.1).memory_mb == 1024  # type: ignore[union-attr]
    assert choose(SIZES, "balanced", weight=0.0).memory_mb == 1769  # type: ignore[union-attr]
    assert choose(SIZES, "balanced", weight=1.0).memory_mb == 512  # type: ignore[union-attr]


def test_against_the_current_size() -> None:
    advice = recommend(SIZES, "cost", current_mb=128)
    assert advice is not None and advice.memory_mb == 512
    assert advice.cost_change == pytest.approx(-0.5)
    assert advice.duration_change == pytest.approx(-0.875)
    unmeasured = recommend(SIZES, "cost", current_mb=256)
    assert unmeasured is not None and unmeasured.cost_change is None


def test_nothing_to_choose() -> None:
    assert recommend([], "speed") is None
