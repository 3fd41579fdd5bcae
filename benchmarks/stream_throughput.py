"""Local stream -> function throughput per shard (run by hand; results go in the README).

A stream of 1 (then 4) shards is filled beforehand with `streams.put_many` (as
`lambdactl stream put` and PutRecords append; timed apart, not counted), then a real
`lambdactl worker` (the worker-lock holder, running the sources host and its stream poller:
one reader per shard, batches in order) delivers it to a no-op handler with batch size 100
from TRIM_HORIZON. Drain time: from the first handler call (each environment stamps its
first call) to the moment every shard's checkpoint holds its last record (read every 20 ms
from a read-only connection). Records/s per shard = records / drain time / shards.

Usage: python benchmarks/stream_throughput.py [--shards 1 4] [--records N] [--batch 100]
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


def manifest(shards: int, batch: int, stamps: Path) -> str:
    return (
        f"streams:\n  clicks: {{shards: {shards}}}\n"
        "functions:\n  noop:\n    handler: app.noop\n    code: fn\n    timeout: 30\n"
        f"    environment: {{STAMPS: {stamps}}}\n"
        "    events:\n      - stream: clicks\n        starting_position: TRIM_HORIZON\n"
        f"        batch_size: {batch}\n"
    )


def fill(root: Path, count: int) -> tuple[dict[str, str], float]:
    """Append `count` records, 500 a call; (last sequence number by shard id, seconds)."""
    from lambdactl import streams
    from lambdactl.project import Project

    project = Project.open(root / "functions.yaml")
    last: dict[str, str] = {}
    started = time.perf_counter()
    for start in range(0, count, 500):
        entries = [
            {"Data": f'{{"n": {i}, "page": "/benchmark"}}'.encode(), "PartitionKey": f"k{i}"}
            for i in range(start, min(count, start + 500))
        ]
        for record in streams.put_many(project, "clicks", entries)["Records"]:
            last[record["ShardId"]] = record["SequenceNumber"]
    elapsed = time.perf_counter() - started
    project.store.close()
    return last, elapsed


def done(db: sqlite3.Connection, last: dict[str, str]) -> bool:
    saved = dict(db.execute("SELECT shard, sequence FROM stream_checkpoints").fetchall())
    return all(saved.get(shard) == sequence for shard, sequence in last.items())


def run(shards: int, count: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        stamps = root / "stamps.txt"
        (root / "functions.yaml").write_text(manifest(shards, batch, stamps))
        last, fill_seconds = fill(root, count)
        load = os.getloadavg()
        worker = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "worker"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # mode=ro, never immutable: the worker's writes must show
        db = sqlite3.connect(f"{(root / '.lambda' / 'state.db').as_uri()}?mode=ro", uri=True)
        try:
            deadline = time.monotonic() + 300
            while not done(db, last) and time.monotonic() < deadline:
                if worker.poll() is not None:
                    error = worker.stderr.read() if worker.stderr else b""
                    raise SystemExit(f"stream_throughput: the worker exited: {error!r}")
                time.sleep(0.02)
            ended = time.time()
            if not done(db, last):
                raise SystemExit("stream_throughput: the stream was not read in 300 s")
        finally:
            db.close()
            worker.send_signal(2)  # Ctrl-C: in-flight batches settle, then it exits
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        first = min(float(s) for s in stamps.read_text().split())
        drain = ended - first
        print(
            f"{shards} shard(s), batch {batch}: {count} records in {drain:.2f} s -> "
            f"{count / drain:,.0f} records/s, {count / drain / shards:,.0f} per shard "
            f"(filled at {count / fill_seconds:,.0f} records/s, not counted; "
            f"load {load[0]:.2f} at start)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    for shards in args.shards:
        run(shards, args.records, args.batch)


if __name__ == "__main__":
    main()
