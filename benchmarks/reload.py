"""What following edits of functions.yaml costs (run by hand; results go in the README).

  1. the invoke path: a warm in-process invoke (p50 over interleaved batches) with the
     manifest followed (`Reloader` started: watchdog on the manifest's directory) and
     without, the events its watch hears while invoking (the log and state writes in
     `.lambda/` must not wake it), and for comparison the per-call cost of the other design
     considered, a `stat` of the manifest at most once per second on access;
  2. the latency of a reload: `lambdactl serve` as a subprocess, the manifest's `timeout`
     edited N times; from the write until GetFunctionConfiguration (raw keep-alive HTTP,
     polled every 2 ms) answers the new value: p50 / p95 / max.

Usage: python benchmarks/reload.py [--invokes 2000] [--edits 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
MANIFEST = "functions:\n  bench:\n    handler: app.handler\n    code: fn\n    timeout: {}\n"


def project(root: Path, timeout: int = 3) -> Path:
    (root / "fn").mkdir(parents=True, exist_ok=True)
    (root / "fn" / "app.py").write_text(HANDLER)
    manifest = root / "functions.yaml"
    manifest.write_text(MANIFEST.format(timeout))
    return manifest


def invoke_path(invokes: int) -> None:
    from lambdactl import changes
    from lambdactl.invoke import Invoker
    from lambdactl.project import Project
    from lambdactl.reload import Reloader

    heard = 0
    dispatch = changes._FileHandler.dispatch

    def counting(self: object, event: object) -> None:
        nonlocal heard
        heard += 1
        dispatch(self, event)  # type: ignore[arg-type]

    changes._FileHandler.dispatch = counting  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        invokers, opened = {}, []
        for followed in (False, True):  # two projects alike, one followed
            each = Project.open(project(Path(tmp) / str(followed)))
            invokers[followed] = Invoker(each, watch_code=True)
            opened.append(each)
            invokers[followed].invoke("bench")  # cold start
        reloader = Reloader(opened[1], invokers[True])
        reloader.start()
        heard_before = heard  # the start's own look
        times: dict[bool, list[float]] = {False: [], True: []}
        batch = 100
        for round_ in range(invokes // (2 * batch)):
            for followed in (False, True) if round_ % 2 else (True, False):
                for _ in range(batch):
                    start = time.perf_counter()
                    invokers[followed].invoke("bench")
                    times[followed].append(time.perf_counter() - start)
        print(f"warm in-process invoke, p50 over {len(times[True])} each:")
        for followed in (False, True):
            label = "manifest followed" if followed else "not followed     "
            print(f"  {label}  {statistics.median(times[followed]) * 1e3:.3f} ms")
        print(f"  events heard by the manifest's watch while invoking: {heard - heard_before}")
        reloader.close()
        for followed, each in zip((False, True), opened):
            invokers[followed].close()
            each.close()

    class Stat:
        next = 0.0

        def check(self) -> None:
            now = time.monotonic()
            if now >= self.next:
                self.next = now + 1.0
                os.stat(manifest)

    manifest = Path(__file__)
    stat = Stat()
    n = 1_000_000
    per_call = timeit.timeit(stat.check, number=n) / n * 1e6
    one = timeit.timeit(lambda: os.stat(manifest), number=n // 10) / (n // 10) * 1e6
    print(f"the alternative, a stat at most once a second on access: {per_call:.3f} µs a call")
    print(f"  (one os.stat: {one:.2f} µs)")


def reload_latency(edits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = project(root)
        server = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = json.loads(server.stdout.readline())["Endpoint"]
            host, _, port = url.removeprefix("http://").rpartition(":")
            connection = http.client.HTTPConnection(host, int(port))
            path = "/2015-03-31/functions/bench/configuration"

            def timeout() -> int:
                connection.request("GET", path)
                return int(json.loads(connection.getresponse().read())["Timeout"])

            latencies = []
            for edit in range(edits):
                wanted = 4 + edit % 2
                time.sleep(0.2)  # edits apart, as a person saves
                start = time.perf_counter()
                manifest.write_text(MANIFEST.format(wanted))
                while timeout() != wanted:
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - start)
            latencies.sort()
            p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
            print(
                f"reload latency over {edits} edits (write -> new Timeout served): "
                f"p50 {statistics.median(latencies) * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms, "
                f"max {latencies[-1] * 1e3:.0f} ms (settle time included: 50 ms)"
            )
            connection.close()
        finally:
            server.terminate()
            server.communicate(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    options = parser.parse_args()
    invoke_path(options.invokes)
    reload_latency(options.edits)


if __name__ == "__main__":
    main()
