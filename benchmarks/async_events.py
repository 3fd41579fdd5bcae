"""Asynchronous invocation throughput and latency (run by hand; results go in the README).

  1. durable enqueue rate, events/s, with one client and with four client processes
     (target: at least 2,000/s);
  2. drain rate with a no-op handler and 1, 2 and 4 environments (target: at least 500/s);
  3. time from enqueue to the start of the first attempt with a worker running
     (target: p50 under 50 ms).

Usage: python benchmarks/async_events.py [--events N]
"""

from __future__ import annotations

import argparse
import multiprocessing
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


def stamp(event, context):
    return {"started": time.time(), "queued": event["queued"]}
"""

MANIFEST = """\
account_concurrency: 1000
functions:
  noop: {handler: app.noop, code: fn}
  stamp: {handler: app.stamp, code: fn}
"""


def _enqueue_many(manifest: str, count: int) -> None:
    from lambdactl.events.enqueue import enqueue
    from lambdactl.project import Project

    project = Project.open(Path(manifest))
    for _ in range(count):
        enqueue(project, "noop", b"{}")
    project.close()


def enqueue_rate(manifest: Path, total: int, clients: int) -> float:
    per_client = total // clients
    started = time.perf_counter()
    if clients == 1:
        _enqueue_many(str(manifest), per_client)
    else:
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(target=_enqueue_many, args=(str(manifest), per_client))
            for _ in range(clients)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join()
    return per_client * clients / (time.perf_counter() - started)


def drain_rate(manifest: Path, concurrency: int) -> float:
    from lambdactl.events.worker import Worker
    from lambdactl.project import Project
    from lambdactl.store.lifecycle import EventState

    project = Project.open(manifest)
    waiting = len(project.store.list_events(state=EventState.PENDING))
    finished_before = len(project.store.list_events(state=EventState.SUCCEEDED))
    worker = Worker(project, concurrency=concurrency)
    for _ in range(concurrency):  # warm the environments first
        worker.invoker.invoke("noop")
    idle_exit = 0.3
    started = time.perf_counter()
    worker.run(threading.Event(), idle_exit=idle_exit)  # returns once idle for idle_exit s
    elapsed = time.perf_counter() - started - idle_exit
    finished = len(project.store.list_events(state=EventState.SUCCEEDED)) - finished_before
    assert finished == waiting, (finished, waiting)
    rate = waiting / elapsed
    worker.close()
    project.close()
    return rate


def start_latency(manifest: Path, samples: int) -> list[float]:
    import json

    from lambdactl.events.enqueue import enqueue
    from lambdactl.events.worker import Worker
    from lambdactl.project import Project
    from lambdactl.store.lifecycle import EventState

    project = Project.open(manifest)
    worker = Worker(project, concurrency=2)
    worker.invoker.invoke("stamp", payload=b'{"queued": 0}')
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    ids = []
    for _ in range(samples):
        ids.append(enqueue(project, "stamp", json.dumps({"queued": time.time()}).encode())[0])
        time.sleep(0.02)
    deadline = time.time() + 30
    while time.time() < deadline:
        states = [project.store.get_event(i).state for i in ids]
        if all(s is EventState.SUCCEEDED for s in states):
            break
        time.sleep(0.05)
    stop.set()
    thread.join()
    latencies = []
    for event_id in ids:
        last = project.store.get_event(event_id).last
        assert last is not None
        result = json.loads(last.payload)
        latencies.append((result["started"] - result["queued"]) * 1000)
    worker.close()
    project.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLERS)
        manifest = root / "functions.yaml"
        manifest.write_text(MANIFEST)
        one = enqueue_rate(manifest, args.events, 1)
        four = enqueue_rate(manifest, args.events, 4)
        print(f"durable enqueue, 1 client:  {one:8.0f} events/s")
        print(f"durable enqueue, 4 clients: {four:8.0f} events/s")
        for concurrency in (1, 2, 4):
            if concurrency > 1:
                enqueue_rate(manifest, args.events // 2, 1)
            rate = drain_rate(manifest, concurrency)
            print(f"drain, no-op handler, {concurrency} environment(s): {rate:8.0f} events/s")
        latencies = start_latency(manifest, 100)
        p50 = statistics.median(latencies)
        p99 = sorted(latencies)[int(0.99 * len(latencies)) - 1]
        print(f"enqueue to first attempt: p50 {p50:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
