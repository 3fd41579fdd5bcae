"""Time from a file save to the new code answering an invoke, through `lambdactl dev` (run by
hand; results go in the README).

`lambdactl dev --no-ui -o json --port 0` runs as a subprocess on a project of three functions:
`plain` (one module), `package` (a handler inside a package that imports a module of its
layer) and `bystander` (never edited, invoked before and after: the same process id answers
both times if no reload touched its warm environment). For each edited file, N saves, each
a new return value written in place; after each save, Invoke (raw keep-alive HTTP) is called
in a loop until the new value answers. Reported: p50 / p95 / max over the saves, settle time
included, and how many of the answers in between came from the old code.

Usage: python benchmarks/dev_reload.py [--saves 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = """\
functions:
  plain:
    handler: app.handler
    code: plain
  package:
    handler: shop/orders.handler
    code: package
    layers: [common]
  bystander:
    handler: app.handler
    code: bystander
"""
PLAIN = "def handler(event, context):\n    return {{'value': {}}}\n"
ORDERS = (
    "import common\n\n\ndef handler(event, context):\n"
    "    return {{'value': {}, 'layer': common.VALUE}}\n"
)
LAYER = "VALUE = {}\n"
BYSTANDER = "import os\n\n\ndef handler(event, context):\n    return {'pid': os.getpid()}\n"


def project(root: Path) -> dict[str, Path]:
    files = {
        "plain": root / "plain" / "app.py",
        "package": root / "package" / "shop" / "orders.py",
        "layer": root / "common" / "python" / "common.py",
        "bystander": root / "bystander" / "app.py",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    (root / "package" / "shop" / "__init__.py").write_text("")
    files["plain"].write_text(PLAIN.format(0))
    files["package"].write_text(ORDERS.format(0))
    files["layer"].write_text(LAYER.format(0))
    files["bystander"].write_text(BYSTANDER)
    (root / "functions.yaml").write_text(MANIFEST)
    return files


class Client:
    def __init__(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").rpartition(":")
        self.connection = http.client.HTTPConnection(host, int(port))

    def invoke(self, function: str) -> dict:
        self.connection.request("POST", f"/2015-03-31/functions/{function}/invocations", b"{}")
        return json.loads(self.connection.getresponse().read())  # type: ignore[no-any-return]


def measure(client: Client, function: str, path: Path, template: str, key: str, saves: int):
    latencies, stale = [], 0
    for save in range(1, saves + 1):
        time.sleep(0.3)  # saves apart, as a person makes them
        start = time.perf_counter()
        path.write_text(template.format(save))
        while client.invoke(function).get(key) != save:
            stale += 1
        latencies.append((time.perf_counter() - start) * 1e3)
    return sorted(latencies), stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    saves = parser.parse_args().saves
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = project(root)
        dev = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "dev", "--no-ui", "-o", "json", "--port", "0"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert dev.stdout is not None
            url = json.loads(dev.stdout.readline())["Endpoint"]
            client = Client(url)
            for name in ("plain", "package"):
                client.invoke(name)  # warm, as a person who invoked once before editing
            pid = client.invoke("bystander")["pid"]
            rows = [
                ("plain handler (app.py)", "plain", files["plain"], PLAIN, "value"),
                ("handler in a package with a layer", "package", files["package"], ORDERS,
                 "value"),
                ("the layer's module", "package", files["layer"], LAYER, "layer"),
            ]
            print(f"save -> new code answering an invoke, over {saves} saves each (ms):")
            for label, function, path, template, key in rows:
                times, stale = measure(client, function, path, template, key, saves)
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(
                    f"  {label:36} p50 {statistics.median(times):6.1f}  p95 {p95:6.1f}  "
                    f"max {times[-1]:6.1f}  (old code answered {stale} polls)"
                )
            same = client.invoke("bystander")["pid"] == pid
            print(f"  bystander's warm environment untouched by {3 * saves} reloads: {same}")
        finally:
            dev.terminate()
            dev.communicate(timeout=30)


if __name__ == "__main__":
    main()
