"""Trials: a function run at each memory size, one size at a time so that sizes do not
compete for the CPU. Each size gets a fresh invoker whose environments have that size (its
first invoke is the cold start, reported as init); `warm_up` invokes are discarded, then
`runs` are measured. Nothing is published or changed: the size is the trial invoker's own.
An error at a size (an OOM, a timeout) is a result of that size.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .. import versions
from ..invoke import Invoker
from ..project import Project
from . import prices

DEFAULT_SIZES = (128, 256, 512, 1024, 1769, 3008)


@dataclass(frozen=True)
class Trial:
    """What one memory size measured."""

    memory_mb: int
    durations_ms: tuple[float, ...]
    """The measured (warm) invokes' durations."""
    billed_ms: tuple[int, ...]
    max_memory_mb: int
    init_ms: float | None
    """The cold start's INIT duration."""
    errors: tuple[str, ...]
    """Error types of the invokes that failed (warm-up included), e.g. Runtime.OutOfMemory."""

    @property
    def p50_ms(self) -> float:
        return percentile(self.durations_ms, 50)

    @property
    def p90_ms(self) -> float:
        return percentile(self.durations_ms, 90)

    @property
    def spread_ms(self) -> float:
        """Standard deviation of the measured durations."""
        return statistics.pstdev(self.durations_ms) if len(self.durations_ms) > 1 else 0.0

    @property
    def mean_billed_ms(self) -> float:
        return statistics.fmean(self.billed_ms) if self.billed_ms else 0.0

    def cost(self, price: prices.Price) -> float:
        """USD per warm invocation (mean billed duration, plus the request)."""
        return prices.invocation_cost(self.memory_mb, self.mean_billed_ms, price)

    def init_cost(self, price: prices.Price) -> float:
        """USD of the cold start's INIT phase, billed since August 1, 2025."""
        if self.init_ms is None:
            return 0.0
        return prices.duration_cost(self.memory_mb, prices.billed_ms(self.init_ms), price)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def current_memory(project: Project, function: str, qualifier: str | None) -> int:
    """The memory size the function (that version or alias's primary version) has now."""
    return versions.resolve(project, function, qualifier).version.config.memory


def run(
    project: Project,
    function: str,
    *,
    qualifier: str | None,
    payload: bytes,
    sizes: Sequence[int],
    runs: int,
    warm_up: int,
    on_invoke: Callable[[int], None] | None = None,
) -> Iterator[Trial]:
    """Each size's trial in turn, as it finishes. `on_invoke(size)` after every invoke."""
    for size in sizes:
        yield _trial(project, function, qualifier, payload, size, runs, warm_up, on_invoke)


def _trial(
    project: Project,
    function: str,
    qualifier: str | None,
    payload: bytes,
    size: int,
    runs: int,
    warm_up: int,
    on_invoke: Callable[[int], None] | None,
) -> Trial:
    durations: list[float] = []
    billed: list[int] = []
    errors: list[str] = []
    peak = 0
    init: float | None = None
    with Invoker(project, memory=size) as invoker:
        for i in range(warm_up + runs):
            result = invoker.invoke(function, qualifier=qualifier, payload=payload)
            report = result.report
            if on_invoke is not None:
                on_invoke(size)
            if report is None:
                continue
            if init is None and report.init_duration_ms is not None:
                init = report.init_duration_ms
            if result.function_error:
                errors.append(report.error_type or result.function_error)
            peak = max(peak, report.max_memory_mb)
            if i >= warm_up:
                durations.append(report.duration_ms)
                billed.append(prices.billed_ms(report.duration_ms))
    return Trial(size, tuple(durations), tuple(billed), peak, init, tuple(errors))
