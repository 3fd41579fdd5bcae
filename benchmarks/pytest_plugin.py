"""The pytest plugin's warm path (run by hand; results go in the README): 20 tests of 10
invokes each (200 invokes), each test in a fresh state; the time of the tests after the
first (setup, call and teardown: the state copy included), warm and with --lambdactl-cold.

Target: under 2 s for those 19 tests (190 invokes) warm.

Usage: python benchmarks/pytest_plugin.py [--runs N]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MANIFEST = "functions:\n  echo: {handler: app.handler, code: fn}\n"
HANDLER = "def handler(event, context):\n    return event\n"
TESTS = """\
import pytest

@pytest.mark.parametrize("n", range(20))
def test_ten_invokes(lambdactl, n):
    for i in range(10):
        assert lambdactl.invoke("echo", {"i": i}).payload == {"i": i}
"""
CONFTEST = """\
import json, os, time
import pytest

TIMES = {}

@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        TIMES[item.nodeid] = time.perf_counter() - started

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump(list(TIMES.values()), out)
"""


def run(root: Path, *extra: str) -> list[float]:
    out = root / "times.json"
    registered = any(
        e.name == "lambdactl" for e in importlib.metadata.entry_points(group="pytest11")
    )
    plugin = [] if registered else ["-p", "lambdactl.testing.plugin"]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, *extra],
        cwd=root,
        env={**os.environ, "BENCH_OUT": str(out), "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        (root / "functions.yaml").write_text(MANIFEST)
        (root / "test_bench.py").write_text(TESTS)
        (root / "conftest.py").write_text(CONFTEST)
        for label, extra in (("warm", ()), ("--lambdactl-cold", ("--lambdactl-cold",))):
            firsts, rests = [], []
            for _ in range(runs):
                times = run(root, *extra)
                firsts.append(times[0])
                rests.append(sum(times[1:]))
            print(
                f"{label}: first test {statistics.median(firsts) * 1000:.0f} ms; the other 19 "
                f"tests (190 invokes) {statistics.median(rests) * 1000:.0f} ms "
                f"(runs: {', '.join(f'{r * 1000:.0f}' for r in rests)}); "
                f"per test {statistics.median(rests) / 19 * 1000:.1f} ms"
            )
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
