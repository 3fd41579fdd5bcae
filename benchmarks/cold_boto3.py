"""The first cold start of a fresh project: a 128 MB Python function that imports boto3 and
makes an SQS client, run by `lambdactl invoke` (a new invoker, so nothing of the project's
bytecode to seed from), then the same command again on the same revision (its cache made).

Each run uses a new project in a temporary directory. Reports the function's duration (its
`REPORT` line: init + handler, at the 128 MB CPU share) and the command's wall time, plus,
when the project has one, the base bytecode cache (`.lambda/pycache/base-*`: files, and the
ms its making took, from the `.lambda/pycache/base-*.json` record).

`--in-handler` imports boto3 in the handler rather than at init: init runs at full CPU (as
AWS's does), the handler at the 128 MB share, where compiling costs ~14x more.

Usage: python benchmarks/cold_boto3.py [--runs N] [--in-handler]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = """\
functions:
  sqs:
    handler: app.handler
    code: src
    runtime: python3.11
    memory: 128
    timeout: 120
"""
HANDLER = """\
import boto3

def handler(event, context):
    boto3.client("sqs", region_name="us-east-1")
    return "ok"
"""
IN_HANDLER = """\
def handler(event, context):
    import boto3  # in the handler: at the 128 MB CPU share (init runs unthrottled)

    boto3.client("sqs", region_name="us-east-1")
    return "ok"
"""


def invoke(root: Path) -> tuple[float, float]:
    """(wall s of `lambdactl invoke`, the function's reported duration in s: init + run)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "invoke", "sqs", "--log-type", "Tail", "-o", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"invoke failed: {done.stdout}{done.stderr}")
    log = base64.b64decode(json.loads(done.stdout)["LogResult"]).decode()
    report = log.splitlines()[-1]
    durations = [float(x) for x in re.findall(r"\t(?:Init )?Duration: ([0-9.]+) ms", report)]
    return wall, sum(durations) / 1000  # Duration + Init Duration


def one_run(handler: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "src").mkdir()
        (root / "src" / "app.py").write_text(handler)
        (root / "functions.yaml").write_text(MANIFEST)
        cold_wall, cold = invoke(root)
        again_wall, again = invoke(root)
        result = {"cold": cold, "cold_wall": cold_wall, "again": again, "again_wall": again_wall}
        for record in (root / ".lambda" / "pycache").glob("base-*.json"):
            made = json.loads(record.read_text()).get("value", {})
            result["base_files"] = made.get("files", 0)
            result["base_ms"] = made.get("ms", 0)
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--in-handler", action="store_true", help="import boto3 in the handler")
    options = parser.parse_args()
    runs = [one_run(IN_HANDLER if options.in_handler else HANDLER) for _ in range(options.runs)]
    for run in runs:
        print(json.dumps({k: round(v, 3) for k, v in run.items()}))
    for key in runs[0]:
        print(f"{key}: median {statistics.median(r[key] for r in runs):.3f}")


if __name__ == "__main__":
    main()
