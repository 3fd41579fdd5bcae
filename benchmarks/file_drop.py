"""File drop to invoke latency (run by hand; results go in the README).

A real `lambdactl worker` (the worker-lock holder, running the sources host) watches
`inbox/` for a function; this script drops one file at a time (open, write, close) and
measures from the close to the handler's start (`time.time()` in both processes), through
the whole path: watchdog, the files poller, the durable event queue, the worker, a warm
environment. The first drop (a cold start) is left out. Target: p50/p95 under 200 ms.

Usage: python benchmarks/file_drop.py [--drops N]
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
import time
from pathlib import Path

HANDLER = """\
import json, os, time


def handler(event, context):
    started = time.time()
    key = event["Records"][0]["s3"]["object"]["key"]
    with open(os.environ["SEEN"], "a") as f:
        f.write(json.dumps({"key": key, "started": started}) + "\\n")
"""


def seen(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    return {line["key"]: line["started"] for line in map(json.loads, path.read_text().splitlines())}


def drop(inbox: Path, name: str) -> float:
    with open(inbox / name, "wb") as file:
        file.write(os.urandom(4096))
    return time.time()


def wait_for(path: Path, key: str, seconds: float = 30.0) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = seen(path).get(key)
        if started is not None:
            return started
        time.sleep(0.002)
    raise SystemExit(f"file_drop: {key} never reached the function")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        (root / "inbox").mkdir()
        log = root / "seen.jsonl"
        (root / "functions.yaml").write_text(
            "functions:\n  drop:\n    handler: app.handler\n    code: fn\n"
            f"    environment: {{SEEN: {log}}}\n"
            "    events:\n      - files: {path: inbox}\n"
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "worker"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Until the watch is up (the worker's host starts it): the cold start, left out.
            deadline = time.monotonic() + 60
            n = 0
            while not seen(log):
                if time.monotonic() > deadline:
                    raise SystemExit("file_drop: the worker never invoked the function")
                drop(root / "inbox", f"warm-{n}.bin")
                n += 1
                time.sleep(0.5)
            latencies = []
            for i in range(args.drops):
                closed = drop(root / "inbox", f"drop-{i}.bin")
                latencies.append((wait_for(log, f"drop-{i}.bin") - closed) * 1000)
                time.sleep(0.05)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(
        f"file drop -> handler start over {len(latencies)} drops: "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
        f"max {latencies[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
