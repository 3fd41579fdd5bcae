"""Helpers shared by the tests that run real execution environments.

`Deployment` writes a manifest whose functions' code directories are copied from
`tests/fixtures/handlers`, opens the project and hands out `Invoker`s; `close()` shuts every
environment down, so no child process outlives a test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path
from typing import Any

from lambdactl.invoke import Invoker
from lambdactl.project import Project

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"

REQUEST_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def fn(handler: str = "app.echo", source: str | None = "basic.py", **extra: Any) -> dict:
    """One function: `source` (a file in tests/fixtures/handlers) becomes its `app.py`."""
    files = {} if source is None else {"app.py": source}
    return {"handler": handler, "files": files, "timeout": 1, **extra}


def write_functions(root: Path, functions: dict[str, dict]) -> Path:
    """Write `functions.yaml` (as JSON, which YAML reads) declaring `functions`."""
    declared: dict[str, dict] = {}
    for name, spec in functions.items():
        spec = dict(spec)
        code = root / "src" / name
        code.mkdir(parents=True, exist_ok=True)
        for target, source in spec.pop("files", {}).items():
            (code / target).parent.mkdir(parents=True, exist_ok=True)  # `lib/app.py`
            shutil.copyfile(HANDLERS / source, code / target)
        declared[name] = {"code": f"src/{name}", **spec}
    manifest = {"region": "us-east-1", "account": "123456789012", "functions": declared}
    path = root / "functions.yaml"
    path.write_text(json.dumps(manifest, indent=2))
    return path


class Deployment:
    """Declares functions and opens Invokers on them; `close()` stops everything."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._opened: list[tuple[Project, Invoker]] = []

    def __call__(self, **functions: dict) -> Invoker:
        path = write_functions(self.root, functions)
        project = Project.open(path)
        invoker = Invoker(project)
        self._opened.append((project, invoker))
        return invoker

    def code_dir(self, name: str) -> Path:
        return (self.root / "src" / name).resolve()

    def close(self) -> None:
        for project, invoker in reversed(self._opened):
            invoker.close()
            project.close()
        self._opened.clear()


def payload(result: Any) -> Any:
    return json.loads(result.payload)


def report_line(lines: tuple[str, ...] | list[str]) -> str:
    reports = [line for line in lines if line.startswith("REPORT ")]
    assert len(reports) == 1, lines
    return reports[0]


def report_fields(line: str) -> dict[str, str]:
    """`REPORT RequestId: x\\tDuration: 1.00 ms\\t...` -> {'RequestId': 'x', 'Duration': ...}."""
    fields = {}
    for part in line.removeprefix("REPORT ").split("\t"):
        if part:
            key, _, value = part.partition(": ")
            fields[key] = value
    return fields


def kill_leftovers(pids: list[int]) -> None:
    """Kill (stopped ones too) whichever of `pids` still run: a failed test leaks nothing."""
    for pid in pids:
        if not process_gone(pid):
            for signum in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass


def process_gone(pid: int) -> bool:
    """True once `pid` no longer runs. A zombie counts as gone: in a container whose PID 1
    does not reap orphans, a killed grandchild stays a zombie forever."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return re.sub(r"^.*\) ", "", stat).startswith("Z")


def call(invoker: Any, function: str = "f", **event: object) -> Any:
    """Invoke `function` with `event` as its JSON payload."""
    return invoker.invoke(function, payload=json.dumps(event).encode())


def descendants(pid: int) -> list[int]:
    """Every process below `pid` now (children, theirs, ...), from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(re.sub(r"^.*\) ", "", stat).split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
