"""`lambdactl invoke` handed to a running `lambdactl serve` (the warm CLI), paired against
python-lambda-local and against the same command run locally (run by hand; results go in the
README).

The project, the handler, the event and python-lambda-local (in benchmarks/.venv-pll) are
`invoke_latency.py`'s. A server is started for the project; then, run in turn (A B A B ...)
and compared pair by pair (the median of the pairs' ratios):

  1. warm `lambdactl invoke bench --event event.json` against python-lambda-local;
  2. the same against `lambdactl invoke ... --cpu-throttle`, which asks for the manifest's own
     default and so runs the function here, in a new environment (a cold local invoke);
  3. the interpreter alone (`python -c pass`), the floor under any Python command.

lambdactl runs from the Python that runs this script: measure a regular install (an editable
one adds its import hook to every start). Target: the warm invoke at most 0.5 of
python-lambda-local's wall time.

Usage: python benchmarks/warm_invoke.py [--pairs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from invoke_latency import make_project, python_lambda_local, wall_seconds


def start_server(root: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    ready = json.loads(server.stdout.readline())
    if ready.get("Status") != "ready":
        raise SystemExit(f"serve did not start: {ready}")
    return server


def pairs(a: list[str], b: list[str], cwd: Path, n: int) -> tuple[float, float, float]:
    """Median wall ms of `a` and of `b` run in turn, and the median of the pairs' a/b."""
    for command in (a, b, a, b):  # warm-up: caches, bytecode, the server's environment
        wall_seconds(command, cwd)
    measured = [(wall_seconds(a, cwd), wall_seconds(b, cwd)) for _ in range(n)]
    return (
        statistics.median(x for x, _ in measured) * 1000,
        statistics.median(y for _, y in measured) * 1000,
        statistics.median(x / y for x, y in measured),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=31)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        invoke = [sys.executable, "-m", "lambdactl", "invoke", "bench", "--event", "event.json"]
        local = [*invoke, "--cpu-throttle"]
        pll = [str(python_lambda_local()), "-f", "handler", "fn/app.py", "event.json"]
        floor = [sys.executable, "-c", "pass"]
        server = start_server(root)
        try:
            rows = [
                (
                    "warm `lambdactl invoke`",
                    "python-lambda-local",
                    pairs(invoke, pll, root, args.pairs),
                ),
                (
                    "warm `lambdactl invoke`",
                    "local (cold) `lambdactl invoke`",
                    pairs(invoke, local, root, args.pairs),
                ),
                (
                    "warm `lambdactl invoke`",
                    "`python -c pass`",
                    pairs(invoke, floor, root, args.pairs),
                ),
            ]
        finally:
            server.terminate()
            server.communicate(timeout=30)
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.1f}; {args.pairs} pairs each"
    )
    print(f"{'A':<26}{'B':<34}{'A ms':>8}{'B ms':>8}{'A/B':>8}")
    for a, b, (a_ms, b_ms, ratio) in rows:
        print(f"{a:<26}{b:<34}{a_ms:>8.1f}{b_ms:>8.1f}{ratio:>8.3f}")


if __name__ == "__main__":
    main()
