"""Trials on real environments: CPU-bound code speeds up with memory, sleep-bound code does
not, and an OOM at a small size is that size's result. The one place tests compare durations:
as ratios, with wide tolerances (the machine may be loaded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lambdactl.project import Project
from lambdactl.tuning import trials

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  work:
    handler: app.handler
    code: src/work
"""

CPU = """\
def handler(event, context):
    total = 0
    for i in range(800_000):
        total += i * i
    return total
"""
SHORT_CPU = """\
import time

def handler(event, context):
    until = time.process_time() + 0.13
    while time.process_time() < until:
        pass
"""
SLEEP = """\
import time

def handler(event, context):
    time.sleep(0.05)
"""
ALLOCATE = """\
def handler(event, context):
    block = b"x" * (300 << 20)
    return len(block)
"""


def _trials(
    project_dir: Path, code: str, sizes: tuple[int, ...], **kw: int
) -> dict[int, trials.Trial]:
    (project_dir / "src" / "work").mkdir(parents=True)
    (project_dir / "src" / "work" / "app.py").write_text(code)
    (project_dir / "functions.yaml").write_text(MANIFEST)
    seen: list[int] = []
    project = Project.open(project_dir / "functions.yaml")
    try:
        run: Callable[..., object] = trials.run
        found = run(
            project,
            "work",
            qualifier=None,
            payload=b"{}",
            sizes=sizes,
            runs=kw.get("runs", 3),
            warm_up=kw.get("warm_up", 1),
            on_invoke=seen.append,
        )
        result = {t.memory_mb: t for t in found}  # type: ignore[attr-defined]
    finally:
        project.close()
    assert seen == [s for s in sizes for _ in range(kw.get("runs", 3) + kw.get("warm_up", 1))]
    return result


def test_cpu_bound_is_faster_with_more_memory(project_dir: Path) -> None:
    found = _trials(project_dir, CPU, (256, 1769))
    small, large = found[256], found[1769]
    assert len(small.durations_ms) == len(large.durations_ms) == 3
    assert not small.errors and not large.errors
    assert small.init_ms is not None and large.init_ms is not None
    assert small.p50_ms / large.p50_ms > 1.5, (small, large)
    assert small.cost(trials.prices.PRICES["x86_64"]) > 0


def test_short_cpu_bound_keeps_speeding_up_to_one_vcpu(project_dir: Path) -> None:
    """130 ms of CPU: throttled at 1,024 MB (a 58 ms quota per 100 ms period: ~200 ms), not
    at 1,769 MB, as AWS's curve falls until one vCPU. A CPU credit carried over from idle
    time (137 ms at 1,024 MB) flattened it early: ~1.0."""
    found = _trials(project_dir, SHORT_CPU, (1024, 1769))
    mid, large = found[1024], found[1769]
    assert not mid.errors and not large.errors
    assert mid.p50_ms / large.p50_ms > 1.3, (mid, large)


def test_sleep_bound_is_flat(project_dir: Path) -> None:
    found = _trials(project_dir, SLEEP, (256, 1769))
    assert 0.7 < found[256].p50_ms / found[1769].p50_ms < 1.4, found


def test_oom_at_a_small_size_is_a_result(project_dir: Path) -> None:
    found = _trials(project_dir, ALLOCATE, (128, 512), runs=1, warm_up=0)
    assert found[128].errors == ("Runtime.OutOfMemory",)
    assert found[512].errors == ()
    assert found[512].max_memory_mb > 300
