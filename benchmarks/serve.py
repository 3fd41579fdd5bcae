"""`lambdactl serve` over HTTP (run by hand; results go in the README).

  1. warm synchronous invokes of a small handler through a raw keep-alive client
     (`http.client`, `TCP_NODELAY`), 1, 8 and 32 concurrent clients, each a process of its
     own with its own connection: p50 / p99 latency, invokes/s, and the server's own CPU per
     invoke (targets: p50 under 2 ms; at least 800 invokes/s on 2 cores);
  2. the same through boto3 (`endpoint_url`, dummy credentials, no retries), as a test suite
     calls it;
  3. the account's 1,000 concurrent invocations: 1,000 invokes of a handler that sleeps,
     sent at once, twice (first with every environment to start, then warm): how long until
     all are answered, how long a GetFunctionConfiguration takes meanwhile, and the memory of
     the server and of its environments at the peak (proportional set size, so that pages the
     environments share are counted once).

The server is a `python -m lambdactl serve` subprocess of this script, in a temporary
project; the clients run on the same machine, so they share its cores with the server.

Usage: python benchmarks/serve.py [--seconds S] [--clients 1,8,32 (or "")] [--concurrent 1000]
                                  [--sleep 5] [--skip-boto3] [--skip-concurrent]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HANDLER = """\
import time


def handler(event, context):
    return {"ok": True, "echo": event}


def sleeps(event, context):
    time.sleep(event["sleep"])
    return {"i": event["i"]}
"""

MANIFEST = """\
functions:
  bench: {handler: app.handler, code: fn}
  sleeps: {handler: app.sleeps, code: fn, timeout: 300}
"""

EVENT = {"name": "bench", "items": [1, 2, 3]}
INVOKE = "/2015-03-31/functions/{}/invocations"
WARM_UP = 50
"""Invokes each client makes before the measure (its environment is then warm)."""


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "-o", "json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    return process, ready["Endpoint"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- clients (each in a process of its own) ------------------------------------------------------


def raw_client(url: str, start_at: float, stop_at: float) -> list[float]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port))
    body, path = json.dumps(EVENT).encode(), INVOKE.format("bench")

    def connect() -> None:  # again after the wait: the server closes idle connections
        connection.close()
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def invoke() -> None:
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("X-Amz-Function-Error") is None

    return measured(invoke, start_at, stop_at, connect)


def boto3_client(url: str, start_at: float, stop_at: float) -> list[float]:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )
    body = json.dumps(EVENT).encode()

    def invoke() -> None:
        response = client.invoke(FunctionName="bench", Payload=body)
        response["Payload"].read()
        assert response["StatusCode"] == 200 and "FunctionError" not in response

    return measured(invoke, start_at, stop_at, lambda: None)  # botocore reconnects itself


def measured(invoke: Any, start_at: float, stop_at: float, connect: Any) -> list[float]:
    connect()
    for _ in range(WARM_UP):
        invoke()
    time.sleep(max(0.0, start_at - time.time()))
    connect()
    invoke()
    samples = []
    while time.time() < stop_at:
        started = time.perf_counter()
        invoke()
        samples.append(time.perf_counter() - started)
    return samples


def throughput(
    server: subprocess.Popen[str], url: str, kind: str, clients: int, seconds: float
) -> dict[str, float]:
    client = raw_client if kind == "raw" else boto3_client
    setup = 3.0 + clients * (0.15 if kind == "raw" else 0.4)  # start, import, warm up
    start_at = time.time() + setup
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        pending = pool.starmap_async(client, [(url, start_at, start_at + seconds)] * clients)
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = cpu_seconds(server.pid)
        per_client = pending.get()
        cpu = cpu_seconds(server.pid) - cpu_before
    samples = [s for each in per_client for s in each]
    return {
        "p50_ms": percentile(samples, 0.5) * 1000,
        "p99_ms": percentile(samples, 0.99) * 1000,
        "per_second": len(samples) / seconds,
        "server_cpu_ms": cpu * 1000 / len(samples),
    }


# -- the account's concurrency -------------------------------------------------------------------


def memory_mb(pid: int) -> tuple[float, float, int]:
    """(the server's peak RSS, the summed PSS of everything below it now, how many
    processes), MB. Read once a round is over (its environments idle, still there): reading
    every process's smaps while they run would load the machine being measured."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(") ", 1)[1].split()[1]), []).append(int(entry))
    below, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            below.append(child)
            pending.append(child)
    pss = 0
    for child in below:
        try:
            for line in Path(f"/proc/{child}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return peak_rss_mb(pid), pss / 1024, len(below)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def concurrent(server: subprocess.Popen[str], url: str, count: int, sleep: float) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host, port = url.removeprefix("http://").rsplit(":", 1)
    answers: list[int] = []
    failures: dict[str, int] = {}
    go = threading.Barrier(count + 1)

    def call(i: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=600)
        body = json.dumps({"sleep": sleep, "i": i}).encode()
        go.wait()
        connection.request("POST", INVOKE.format("sleeps"), body=body)
        response = connection.getresponse()
        reply = json.loads(response.read() or b"null")
        if response.status == 200 and reply == {"i": i}:
            answers.append(i)
        else:
            why = f"{response.status} {response.getheader('x-amzn-ErrorType') or ''}"
            if isinstance(reply, dict):
                why += f" {reply.get('errorType') or ''} {reply.get('errorMessage', '')[-40:]}"
            failures[why] = failures.get(why, 0) + 1
        connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    go.wait()
    started = time.perf_counter()
    time.sleep(min(sleep / 2, 2.0))
    asked = time.perf_counter()
    quick = http.client.HTTPConnection(host, int(port), timeout=600)
    quick.request("GET", "/2015-03-31/functions/bench/configuration")
    quick.getresponse().read()
    quick_ms = (time.perf_counter() - asked) * 1000
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    peak = memory_mb(server.pid)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return {
        "answered": len(answers),
        "failures": failures,
        "seconds": elapsed,
        "quick_ms": quick_ms,
        "server_rss_mb": peak[0],
        "environments_pss_mb": peak[1],
        "processes": peak[2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--sleep", type=float, default=5.0)
    parser.add_argument("--skip-boto3", action="store_true")
    parser.add_argument("--skip-concurrent", action="store_true")
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",") if n]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fn").mkdir()
        (root / "fn" / "app.py").write_text(HANDLER)
        (root / "functions.yaml").write_text(MANIFEST)
        server, url = start_server(root)
        try:
            print(
                f"{'client':<8}{'callers':>8}{'p50 ms':>10}{'p99 ms':>10}{'invokes/s':>11}"
                f"{'server CPU ms/invoke':>22}"
            )
            for kind in ("raw", "boto3"):
                if kind == "boto3" and args.skip_boto3:
                    continue
                for n in clients:
                    f = throughput(server, url, kind, n, args.seconds)
                    print(
                        f"{kind:<8}{n:>8}{f['p50_ms']:>10.2f}{f['p99_ms']:>10.2f}"
                        f"{f['per_second']:>11.0f}{f['server_cpu_ms']:>22.3f}"
                    )
            if not args.skip_concurrent:
                for round_ in ("cold", "warm"):
                    f = concurrent(server, url, args.concurrent, args.sleep)
                    print(
                        f"{args.concurrent} concurrent invokes sleeping {args.sleep:g} s "
                        f"({round_}): {f['answered']} answered in {f['seconds']:.1f} s; "
                        f"GetFunctionConfiguration meanwhile {f['quick_ms']:.0f} ms; memory: "
                        f"server {f['server_rss_mb']:.0f} MB (peak RSS), {f['processes']} "
                        f"processes below it {f['environments_pss_mb']:.0f} MB (PSS)"
                    )
                    for why, n in f["failures"].items():
                        print(f"  {n} answered {why}")
            print(f"load average {os.getloadavg()[0]:.1f} at the end")
        finally:
            server.terminate()
            out, _ = server.communicate(timeout=60)
            if server.returncode != 0 or "Traceback" in out:
                print(f"the server ended with {server.returncode}:\n{out}")


if __name__ == "__main__":
    main()
