"""Packaging time for `lambdactl deploy` (run by hand; results go in the README).

For a function without dependencies and one whose requirements.txt names two wheels (one of
`--files` modules, ~8 KB each, about the size of a mid-sized library such as requests with
its dependencies; one small), built here and installed offline (`--no-index --find-links`):
  1. the first build of a fresh project (with dependencies: pip runs);
  2. a second build, nothing changed (the zip made last time is reused: a `stat` per file);
  3. a build after the handler was edited (the dependencies from `.lambda/cloud/deps/`: pip
     does not run, the zip is made again).
Medians of `--repeat` fresh projects, in-process (`cloud.package.function_zip`).

Usage: python benchmarks/deploy_package.py [--files 800] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform
import random
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

MANIFEST = """\
functions:
  plain: {handler: app.handler, code: plain, runtime: python3.12}
  deps: {handler: app.handler, code: deps, runtime: python3.12}
"""

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def wheel(directory: Path, name: str, modules: int, rng: random.Random) -> None:
    """A manylinux2014_x86_64 wheel of `modules` modules of ~8 KB of Python-like text."""
    words = ["def", "return", "self", "value", "import", "class", "None", "if", "for", "in"]
    dist_info = f"{name}-1.0.dist-info"
    files: dict[str, bytes] = {}
    for number in range(modules):
        lines = (" ".join(rng.choices(words, k=8)) + f"  # {rng.random()}" for _ in range(130))
        files[f"{name}/m{number:04d}.py"] = "\n".join(lines).encode()
    files[f"{name}/__init__.py"] = b""
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\n"
        b"Tag: cp312-cp312-manylinux2014_x86_64\n"
    )
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(directory / f"{name}-1.0-cp312-cp312-manylinux2014_x86_64.whl", "w",
                         compression=zipfile.ZIP_DEFLATED) as zf:  # fmt: skip
        for path, data in files.items():
            zf.writestr(path, data)


def project(root: Path) -> Path:
    for name in ("plain", "deps"):
        (root / name).mkdir(parents=True)
        (root / name / "app.py").write_text(HANDLER)
        for number in range(20):
            (root / name / f"lib{number}.py").write_text(f"VALUE = {number}\n" * 50)
    (root / "deps" / "requirements.txt").write_text("bigdep==1.0\nsmalldep\n")
    (root / "functions.yaml").write_text(MANIFEST)
    return root / "functions.yaml"


def timed(build) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = build()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from lambdactl.cloud import package
    from lambdactl.project import Project

    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp) / "wheels"
        wheels.mkdir()
        rng = random.Random(15)
        wheel(wheels, "bigdep", args.files, rng)
        wheel(wheels, "smalldep", 5, rng)
        pip = ["--no-index", "--find-links", str(wheels)]
        sizes = {}
        for run in range(args.repeat):
            proj = Project.open(project(Path(tmp) / f"p{run}"))
            try:
                for name in ("plain", "deps"):
                    builds = [timed(lambda: package.function_zip(proj, name, pip_options=pip))
                              for _ in range(2)]  # fmt: skip
                    assert builds[0][1] == builds[1][1], "the second zip differs"
                    times.setdefault(f"{name} first", []).append(builds[0][0])
                    times.setdefault(f"{name} second", []).append(builds[1][0])
                    (proj.manifest.path.parent / name / "app.py").write_text(HANDLER + "# edit\n")
                    edited = timed(lambda: package.function_zip(proj, name, pip_options=pip))
                    times.setdefault(f"{name} edited", []).append(edited[0])
                    built = builds[0][1]
                    sizes[name] = (built.size, built.unzipped_size)  # type: ignore[attr-defined]
            finally:
                proj.close()
    print(f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; medians of {args.repeat}")  # fmt: skip
    print(f"{'build':<14} {'ms':>8}   zip / unzipped")
    for key, values in times.items():
        name = key.split()[0]
        size, unzipped = sizes[name]
        median = statistics.median(values) * 1000
        print(f"{key:<14} {median:8.0f}   {size / 1e6:.2f} MB / {unzipped / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
