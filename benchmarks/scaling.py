"""Warm pool, scaling and limits (run by hand; results go in the README).

  1. throughput of warm invokes of a no-op handler with 1, 2, 8 and 32 concurrent callers
     (target: at least 1,000 invokes/s on 2 cores);
  2. the CPU-share ratio of a CPU-bound handler at 128 MB vs 1,769 MB, for a fixed amount
     of work (iterations) and for a fixed CPU demand (CPU seconds, which this VM's drifting
     CPU speed does not skew) (target: within 15% of 1769/128 = 13.8); the tests assert the
     share each is granted, never these speed ratios, which load skews;
  3. memory per idle warm environment (resident memory of the runtime process).

Usage: python benchmarks/scaling.py [--seconds S] [--callers 1,2,8,32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

HANDLERS = """\
import time


def noop(event, context):
    return None


def spin(event, context):
    started, cpu, n = time.perf_counter(), time.process_time(), 0
    while n < event["n"]:
        n += 1
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def burn(event, context):
    started, cpu = time.perf_counter(), time.process_time()
    while time.process_time() < cpu + event["cpu"]:
        n = 0
        while n < 10000:
            n += 1
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}
"""

MANIFEST = """\
functions:
  noop: {handler: app.noop, code: fn, memory: 128}
  spin128: {handler: app.spin, code: fn, memory: 128, timeout: 120}
  spin1769: {handler: app.spin, code: fn, memory: 1769, timeout: 120}
  burn128: {handler: app.burn, code: fn, memory: 128, timeout: 120}
  burn1769: {handler: app.burn, code: fn, memory: 1769, timeout: 120}
"""


def throughput(invoker, callers: int, seconds: float) -> float:  # type: ignore[no-untyped-def]
    for _ in range(callers * 3):  # warm enough environments for every caller
        invoker.invoke("noop")
    counts = [0] * callers
    stop = time.perf_counter() + seconds

    def caller(index: int) -> None:
        while time.perf_counter() < stop:
            invoker.invoke("noop")
            counts[index] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def cpu_ratio(invoker, handler: str, work: dict, rounds: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median over interleaved pairs: this kind of VM drifts in CPU speed within seconds.
    `handler` is `spin` (`work`: iterations `n`) or `burn` (`work`: CPU seconds `cpu`)."""
    payload = json.dumps(work).encode()
    warm = json.dumps({key: 1 if key == "n" else 0.001 for key in work}).encode()
    invoker.invoke(f"{handler}128", payload=warm)
    invoker.invoke(f"{handler}1769", payload=warm)
    ratios, shares = [], []
    for _ in range(rounds):
        fast = json.loads(invoker.invoke(f"{handler}1769", payload=payload).payload)
        slow = json.loads(invoker.invoke(f"{handler}128", payload=payload).payload)
        ratios.append(slow["seconds"] / fast["seconds"])
        shares.append(slow["cpu"] / slow["seconds"])
    return statistics.median(ratios), statistics.median(shares)


def idle_memory_mb(invoker) -> float:  # type: ignore[no-untyped-def]
    from lambdactl.runtime.governor import _tree_rss_kb

    invoker.invoke("noop")
    pids = [env.pid for envs in invoker.pool._idle.values() for env in envs if env.pid]
    return statistics.mean(_tree_rss_kb(pid)[0] for pid in pids) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--callers", default="1,2,8,32")
    parser.add_argument("--spin", type=int, default=2_000_000)
    parser.add_argument("--burn", type=float, default=0.18, help="CPU seconds per burn")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from lambdactl.invoke import Invoker
    from lambdactl.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLERS)
        (root / "functions.yaml").write_text(MANIFEST)
        project = Project.open(root / "functions.yaml")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        with Invoker(project, watch_code=True) as invoker:
            for callers in (int(c) for c in args.callers.split(",")):
                rate = throughput(invoker, callers, args.seconds)
                print(f"warm no-op invokes/s, {callers:>2} concurrent callers: {rate:8.0f}")
            print(f"memory per idle warm environment: {idle_memory_mb(invoker):.1f} MB RSS")
            for handler, work, what in (
                ("spin", {"n": args.spin}, "fixed work"),
                ("burn", {"cpu": args.burn}, "fixed CPU demand"),
            ):
                ratio, share = cpu_ratio(invoker, handler, work, args.rounds)
                print(
                    f"CPU-bound slowdown 128 MB vs 1769 MB, {what}: {ratio:.2f} "
                    f"(AWS: {1769 / 128:.2f}, off by {100 * (ratio / (1769 / 128) - 1):+.1f}%); "
                    f"CPU share granted at 128 MB: {share:.4f} (AWS: {128 / 1769:.4f})"
                )
        project.close()


if __name__ == "__main__":
    main()
