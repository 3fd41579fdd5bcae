"""Local queue -> function throughput (run by hand; results go in the README).

A queue is filled beforehand (the production is timed apart and not counted), then a real
`lambdactl worker` (the worker-lock holder, running the sources host and its queue poller)
drains it into a no-op handler. Drain time: from the first handler call (each environment
stamps its first call) to the moment the queue holds no message (read every 20 ms from a
read-only connection); messages/s = messages / drain time. Batch sizes 1, 10 and 100; a batch
of more than 10 needs a batching window of at least 1 s (AWS's rule), which only delays a
batch that is not full (with a backlog every batch fills at once).
Target: at least 5,000 messages/s at batch size 100.

Usage: python benchmarks/queue_throughput.py [--batch 1 10 100] [--messages N ...]
       [--window S] [--profile FILE]   (--profile: the worker runs under py-spy, raw stacks)
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANDLER = """\
import os, time

_stamped = False


def noop(event, context):
    global _stamped
    if not _stamped:
        _stamped = True
        with open(os.environ["STAMPS"], "a") as f:
            f.write(f"{time.time()}\\n")
    return None
"""

DEFAULT_MESSAGES = {1: 3_000, 10: 20_000, 100: 50_000}


def manifest(batch: int, window: int, stamps: Path) -> str:
    return (
        "queues:\n  work: {visibility_timeout: 120}\n"
        "functions:\n  noop:\n    handler: app.noop\n    code: fn\n    timeout: 30\n"
        f"    environment: {{STAMPS: {stamps}}}\n"
        f"    events:\n      - queue: work\n        batch_size: {batch}\n"
        f"        batching_window: {window}\n"
    )


def fill(root: Path, count: int) -> float:
    """Send `count` messages through `queues.send` (as `lambdactl queue send` does); s/msg."""
    from lambdactl import queues
    from lambdactl.project import Project

    project = Project.open(root / "functions.yaml")
    started = time.perf_counter()
    for i in range(count):
        queues.send(project, "work", f'{{"n": {i}, "order": "benchmark"}}')
    elapsed = time.perf_counter() - started
    project.store.close()
    return elapsed


def remaining(db: object) -> int:
    return int(db.execute("SELECT count(*) FROM messages WHERE queue = 'work'").fetchone()[0])  # type: ignore[attr-defined]


def run(batch: int, count: int, window: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        stamps = root / "stamps.txt"
        (root / "functions.yaml").write_text(manifest(batch, window, stamps))
        fill_seconds = fill(root, count)
        command = [sys.executable, "-m", "lambdactl", "worker"]
        if profile:  # py-spy samples every thread (cProfile would see only the main one)
            command[:0] = ["py-spy", "record", "--format", "raw", "-o", profile, "--"]
        load = os.getloadavg()
        worker = subprocess.Popen(
            command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        # mode=ro, never immutable: the worker's writes must show
        db = sqlite3.connect(f"{(root / '.lambda' / 'state.db').as_uri()}?mode=ro", uri=True)
        try:
            deadline = time.monotonic() + 300
            while remaining(db) and time.monotonic() < deadline:
                if worker.poll() is not None:
                    error = worker.stderr.read() if worker.stderr else b""
                    raise SystemExit(f"queue_throughput: the worker exited: {error!r}")
                time.sleep(0.02)
            ended = time.time()
            if remaining(db):
                raise SystemExit("queue_throughput: the queue did not drain in 300 s")
        finally:
            db.close()
            worker.send_signal(2)  # Ctrl-C: in-flight batches settle, then it exits
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        stamp_lines = [p for p in stamps.read_text().split()] if stamps.exists() else []
        first = min(float(s) for s in stamp_lines)
        drain = ended - first
        print(
            f"batch {batch:>3} (window {window} s): {count} messages drained in {drain:.2f} s "
            f"-> {count / drain:,.0f} msg/s ({len(stamp_lines)} environments; "
            f"filled at {count / fill_seconds:,.0f} msg/s, not counted; "
            f"load {load[0]:.2f} at start)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--messages", type=int, nargs="+", help="one count per --batch")
    parser.add_argument("--window", type=int, help="batching window, s (default: 1 above 10)")
    parser.add_argument("--profile", help="run the worker under py-spy (raw stacks to this file)")
    args = parser.parse_args()
    counts = args.messages or [DEFAULT_MESSAGES.get(b, 20_000) for b in args.batch]
    if len(counts) != len(args.batch):
        parser.error("give one --messages count per --batch")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    for batch, count in zip(args.batch, counts):
        window = args.window if args.window is not None else (1 if batch > 10 else 0)
        run(batch, count, window, args.profile)


if __name__ == "__main__":
    main()
