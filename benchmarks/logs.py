"""Log store costs (run by hand; results go in the README).

  1. write cost per invoke: warm `Invoker.invoke` p50/mean with the log writer, against the
     same invoker with its writer's `write` stubbed out, interleaved in rounds so drift on
     the machine hits both alike; plus how fast the writer thread stores invocations;
  2. `lambdactl logs FUNCTION --since 1h` over a group of 1,000,000 lines (spread over the
     last two hours): wall time until the first line reaches stdout, and for the whole
     output; the same with `--filter` and with `--request-id`.

Usage: python benchmarks/logs.py [--warm N] [--lines N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANDLER = "def handler(event, context):\n    print('working on', event)\n    return {'ok': True}\n"


def make_project(root: Path) -> Path:
    (root / "fn").mkdir(parents=True)
    (root / "fn" / "app.py").write_text(HANDLER)
    (root / "functions.yaml").write_text(
        "functions:\n  bench:\n    handler: app.handler\n    code: fn\n"
        "    logging: {max_size_mb: 4096}\n"
    )
    return root / "functions.yaml"


def write_cost(manifest: Path, warm: int) -> dict[str, float]:
    from lambdactl.invoke import Invoker
    from lambdactl.project import Project

    project = Project.open(manifest)
    payload = b'{"n": 1}'
    with_log: list[float] = []
    without: list[float] = []
    with Invoker(project) as invoker:
        real_write = invoker.logs.write
        for _ in range(200):
            invoker.invoke("bench", payload=payload)
        rounds = 20
        for _ in range(rounds):
            for samples, write in ((with_log, real_write), (without, lambda entries: None)):
                invoker.logs.write = write  # type: ignore[method-assign]
                for _ in range(warm // rounds):
                    started = time.perf_counter()
                    invoker.invoke("bench", payload=payload)
                    samples.append(time.perf_counter() - started)
        invoker.logs.write = real_write  # type: ignore[method-assign]
        invoker.logs.flush()
        stored = storage_rate(invoker)
    project.close()
    return {
        "with_p50_ms": statistics.median(with_log) * 1000,
        "without_p50_ms": statistics.median(without) * 1000,
        "cost_p50_ms": (statistics.median(with_log) - statistics.median(without)) * 1000,
        "cost_mean_ms": (statistics.fmean(with_log) - statistics.fmean(without)) * 1000,
        "stored_per_s": stored,
    }


def storage_rate(invoker) -> float:  # type: ignore[no-untyped-def]
    """Invocations (5 lines each) the writer thread stores per second, when handed at once."""
    from lambdactl.logs.lines import LogEvent, now_ms
    from lambdactl.logs.store import LogEntry

    n = 20000
    lines = [LogEvent(now_ms(), f"line {i} of a typical invocation log") for i in range(5)]
    started = time.perf_counter()
    for i in range(n):
        invoker.logs.write([LogEntry("/aws/lambda/rate", "s", "$LATEST", lines, f"r{i}")])
    invoker.logs.flush(timeout=120)
    return n / (time.perf_counter() - started)


def fill(state_dir: Path, lines: int) -> None:
    """`lines` events in /aws/lambda/bench over the last two hours, as invocations of 5."""
    from lambdactl.logs.lines import LogEvent, now_ms
    from lambdactl.logs.store import LogEntry, LogStore

    store = LogStore(state_dir)
    now = now_ms()
    span = 2 * 3600 * 1000
    per_batch = 1000
    invocations = lines // 5
    try:
        batch = []
        for i in range(invocations):
            at = now - span + (span * i) // invocations
            rid = f"{i:08d}-0000-4000-8000-000000000000"
            events = [
                LogEvent(at, f"START RequestId: {rid} Version: $LATEST"),
                LogEvent(at, f"working on {{'n': {i}}}"),
                LogEvent(at + 1, f"[INFO]\t2026-11-27T00:00:00.000Z\t{rid}\tdone {i}"),
                LogEvent(at + 1, f"END RequestId: {rid}"),
                LogEvent(
                    at + 1,
                    f"REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\t"
                    "Memory Size: 128 MB\tMax Memory Used: 40 MB\t",
                ),
            ]
            stream = f"2026/11/27/[$LATEST]{i % 8:032x}"
            batch.append(LogEntry("/aws/lambda/bench", stream, "$LATEST", events, rid))
            if len(batch) == per_batch:
                store.append(batch, now=now)
                batch = []
        if batch:
            store.append(batch, now=now)
    finally:
        store.close()


def first_output(cwd: Path, *args: str) -> tuple[float, float, int]:
    """(seconds to the first line, seconds to the end, lines) of `lambdactl logs bench ...`."""
    command = [sys.executable, "-m", "lambdactl", "logs", "bench", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, bufsize=1 << 20)
    assert process.stdout is not None
    first = process.stdout.readline()
    first_at = time.perf_counter() - started
    count = 1 if first else 0
    for _ in process.stdout:
        count += 1
    process.wait()
    return first_at, time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=4000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        manifest = make_project(Path(tmp))
        cost = write_cost(manifest, args.warm)
        print(f"warm invoke p50, log writer on        {cost['with_p50_ms']:8.3f} ms")
        print(f"warm invoke p50, log writer stubbed   {cost['without_p50_ms']:8.3f} ms")
        print(f"log write cost per invoke, p50        {cost['cost_p50_ms']:8.3f} ms")
        print(f"log write cost per invoke, mean       {cost['cost_mean_ms']:8.3f} ms")
        print(f"writer thread stores                  {cost['stored_per_s']:8.0f} invocations/s")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        started = time.perf_counter()
        fill(root / ".lambda", args.lines)
        print(f"filled {args.lines} lines in {time.perf_counter() - started:.1f} s")
        size = (root / ".lambda" / "logs.db").stat().st_size
        print(f"log database: {size / 1e6:.0f} MB")
        for label, extra in (
            ("logs --since 1h", ("--since", "1h")),
            ("logs --since 1h --filter done", ("--since", "1h", "--filter", "done 199999")),
            (
                "logs --request-id",
                ("--request-id", f"{args.lines // 10:08d}-0000-4000-8000-000000000000"),
            ),
            ("logs --since 1h -o json", ("--since", "1h", "-o", "json")),
        ):
            first, total, count = first_output(root, *extra)
            print(
                f"{label:<34} first line {first * 1000:7.0f} ms, "
                f"all {count:>7} lines {total:6.1f} s"
            )


if __name__ == "__main__":
    main()
