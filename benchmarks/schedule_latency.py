"""Schedule tick lateness (run by hand; results go in the README).

A real `lambdactl worker` (the worker-lock holder, running the sources host and its schedule
poller) fires a `rate(1 minute)` rule at a no-op handler; the handler notes when it started
(`time.time()`) and the tick's scheduled time (the Scheduled Event's `time`: ticks fall on
whole minutes, see `schedule.RateSchedule`). Lateness = handler start - scheduled time,
through the whole path: the poller's wake-up, the async invoke through the durable event
queue, the worker, the environment (cold for the first tick, warm after).
It takes about `--ticks` minutes (plus up to one to the first tick).

Usage: python benchmarks/schedule_latency.py [--ticks N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HANDLER = """\
import json, os, time


def handler(event, context):
    started = time.time()
    with open(os.environ["SEEN"], "a") as f:
        f.write(json.dumps({"time": event["time"], "started": started}) + "\\n")
"""


def seen(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        log = root / "seen.jsonl"
        (root / "functions.yaml").write_text(
            "functions:\n  tick:\n    handler: app.handler\n    code: fn\n"
            f"    environment: {{SEEN: {log}}}\n"
            "    events:\n      - schedule: rate(1 minute)\n"
        )
        load = os.getloadavg()
        worker = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "worker"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60 * (args.ticks + 2)
            while len(seen(log)) < args.ticks:
                if time.monotonic() > deadline:
                    raise SystemExit("schedule_latency: the ticks did not all come")
                if worker.poll() is not None:
                    raise SystemExit("schedule_latency: the worker exited")
                time.sleep(0.5)
        finally:
            worker.send_signal(2)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        ticks = seen(log)
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    for number, tick in enumerate(ticks, 1):
        due = datetime.strptime(str(tick["time"]), "%Y-%m-%dT%H:%M:%SZ")
        due_at = due.replace(tzinfo=timezone.utc).timestamp()
        late = (float(tick["started"]) - due_at) * 1000  # type: ignore[arg-type]
        kind = "cold environment" if number == 1 else "warm"
        print(f"tick {number} due {tick['time']}: handler started {late:.1f} ms late ({kind})")
    print(f"load average {load[0]:.2f} at the start")


if __name__ == "__main__":
    main()
