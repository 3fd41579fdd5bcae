"""Which size to pick, by strategy: pure rules over measured sizes.

`cost`: the cheapest per invocation (ties: the faster). `speed`: the fastest p50 (ties: the
cheaper). `balanced`: the smallest `weight * cost_n + (1 - weight) * duration_n`, each
normalised to 0..1 across the sizes (x - min) / (max - min), as AWS Lambda Power Tuning's
`balancedWeight` defines it: 0 is the speed strategy, 1 the cost strategy, 0.5 the default.
Sizes with errors are not candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STRATEGIES = ("cost", "speed", "balanced")


@dataclass(frozen=True)
class Candidate:
    memory_mb: int
    cost: float
    """USD per invocation."""
    duration_ms: float
    """p50."""


@dataclass(frozen=True)
class Recommendation:
    strategy: str
    memory_mb: int
    current_mb: int | None
    cost_change: float | None
    """Relative change of cost per invocation against the current size (-0.25: 25% cheaper)."""
    duration_change: float | None


def _normalised(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high == low:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def choose(
    candidates: Sequence[Candidate], strategy: str, *, weight: float = 0.5
) -> Candidate | None:
    """The candidate `strategy` picks; None when there is none."""
    if not candidates:
        return None
    if strategy == "cost":
        return min(candidates, key=lambda c: (c.cost, c.duration_ms, c.memory_mb))
    if strategy == "speed":
        return min(candidates, key=lambda c: (c.duration_ms, c.cost, c.memory_mb))
    if strategy != "balanced":
        raise ValueError(strategy)
    costs = _normalised([c.cost for c in candidates])
    durations = _normalised([c.duration_ms for c in candidates])
    scores = [weight * c + (1 - weight) * d for c, d in zip(costs, durations, strict=True)]
    best = min(range(len(candidates)), key=lambda i: (scores[i], candidates[i].memory_mb))
    return candidates[best]


def recommend(
    candidates: Sequence[Candidate],
    strategy: str,
    *,
    weight: float = 0.5,
    current_mb: int | None = None,
) -> Recommendation | None:
    """`choose`, compared with the current size when that was measured without errors."""
    best = choose(candidates, strategy, weight=weight)
    if best is None:
        return None
    current = next((c for c in candidates if c.memory_mb == current_mb), None)
    cost_change = duration_change = None
    if current is not None:
        cost_change = _change(best.cost, current.cost)
        duration_change = _change(best.duration_ms, current.duration_ms)
    return Recommendation(strategy, best.memory_mb, current_mb, cost_change, duration_change)


def _change(new: float, old: float) -> float:
    return (new - old) / old if old else 0.0
