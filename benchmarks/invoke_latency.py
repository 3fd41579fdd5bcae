"""Invoke latency, side by side in one run (run by hand; results go in the README).

  1. warm invoke overhead, p50 and p99: `Invoker.invoke` minus a direct in-process call of
     the same handler;
  2. cold invoke: a new environment each time (process start + runtime init + invoke);
  3. `lambdactl invoke` wall time against `python-lambda-local` on the same handler and event,
     python-lambda-local installed in this benchmark's own venv (created on first run in
     benchmarks/.venv-pll), run in turn (A B A B ...): the ratio is the median of each pair's,
     so that a machine whose speed drifts during the run still compares like with like.
     lambdactl runs from the Python that runs this script: measure a regular install (an
     editable one adds its import hook to every start).

Usage: python benchmarks/invoke_latency.py [--warm N] [--cold N] [--cli N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
HANDLER = "def handler(event, context):\n    return {'ok': True, 'echo': event}\n"
EVENT = {"name": "bench", "items": [1, 2, 3]}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def make_project(root: Path) -> Path:
    (root / "fn").mkdir(parents=True)
    (root / "fn" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(
        "functions:\n  bench:\n    handler: app.handler\n    code: fn\n"
    )
    (root / "event.json").write_text(json.dumps(EVENT))
    return root / "functions.yaml"


def direct_call_seconds(code: Path, n: int) -> list[float]:
    spec = importlib.util.spec_from_file_location("bench_app", code / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    payload = json.dumps(EVENT).encode()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        json.dumps(module.handler(json.loads(payload), None))
        samples.append(time.perf_counter() - started)
    return samples


def warm_and_cold(manifest: Path, warm: int, cold: int) -> dict[str, float]:
    from lambdactl.invoke import Invoker
    from lambdactl.project import Project

    project = Project.open(manifest)
    payload = json.dumps(EVENT).encode()
    with Invoker(project) as invoker:
        invoker.invoke("bench", payload=payload)
        for _ in range(50):
            invoker.invoke("bench", payload=payload)
        warm_samples = []
        for _ in range(warm):
            started = time.perf_counter()
            invoker.invoke("bench", payload=payload)
            warm_samples.append(time.perf_counter() - started)
    cold_samples, init_samples = [], []
    for _ in range(cold):
        with Invoker(project) as invoker:
            started = time.perf_counter()
            result = invoker.invoke("bench", payload=payload)
            cold_samples.append(time.perf_counter() - started)
            init_samples.append((result.init_duration_ms or 0) / 1000)
    project.close()
    direct = direct_call_seconds(manifest.parent / "fn", warm)
    direct_p50, direct_p99 = percentile(direct, 0.5), percentile(direct, 0.99)
    return {
        "direct_p50_ms": direct_p50 * 1000,
        "warm_p50_ms": percentile(warm_samples, 0.5) * 1000,
        "warm_p99_ms": percentile(warm_samples, 0.99) * 1000,
        "overhead_p50_ms": (percentile(warm_samples, 0.5) - direct_p50) * 1000,
        "overhead_p99_ms": (percentile(warm_samples, 0.99) - direct_p99) * 1000,
        "cold_median_ms": statistics.median(cold_samples) * 1000,
        "init_median_ms": statistics.median(init_samples) * 1000,
    }


def python_lambda_local() -> Path:
    env_dir = HERE / ".venv-pll"
    exe = env_dir / "bin" / "python-lambda-local"
    if not exe.exists():
        venv.create(env_dir, with_pip=True)
        subprocess.run(
            [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "python-lambda-local"],
            check=True,
        )
    return exe


def wall_seconds(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def paired(a: list[str], b: list[str], cwd: Path, n: int) -> dict[str, float]:
    """Median wall ms of `a` and `b` run in turn, and the median of the pairs' a/b ratios."""
    for command in (a, b):  # warm-up: caches, bytecode, .lambda/
        wall_seconds(command, cwd)
        wall_seconds(command, cwd)
    pairs = [(wall_seconds(a, cwd), wall_seconds(b, cwd)) for _ in range(n)]
    return {
        "lambdactl_invoke_ms": statistics.median(x for x, _ in pairs) * 1000,
        "python_lambda_local_ms": statistics.median(y for _, y in pairs) * 1000,
        "ratio": statistics.median(x / y for x, y in pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--cli", type=int, default=31)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = make_project(Path(tmp))
        figures = warm_and_cold(manifest, args.warm, args.cold)
        lambdactl_cmd = [
            sys.executable,
            "-m",
            "lambdactl",
            "invoke",
            "bench",
            "--event",
            "event.json",
        ]
        pll_cmd = [str(python_lambda_local()), "-f", "handler", "fn/app.py", "event.json"]
        figures.update(paired(lambdactl_cmd, pll_cmd, Path(tmp), args.cli))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'measure':<36}{'ms':>10}")
    labels = {
        "direct_p50_ms": "direct in-process call, p50",
        "warm_p50_ms": "warm invoke, p50",
        "warm_p99_ms": "warm invoke, p99",
        "overhead_p50_ms": "warm overhead over direct, p50",
        "overhead_p99_ms": "warm overhead over direct, p99",
        "cold_median_ms": "cold invoke (median)",
        "init_median_ms": "  of which Init Duration",
        "lambdactl_invoke_ms": "`lambdactl invoke` wall (median)",
        "python_lambda_local_ms": "`python-lambda-local` wall (median)",
        "ratio": "  ratio, median of the pairs'",
    }
    for key, label in labels.items():
        print(f"{label:<36}{figures[key]:>10.3f}")


if __name__ == "__main__":
    main()
