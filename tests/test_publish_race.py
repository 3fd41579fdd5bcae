"""`lambdactl publish` racing in real OS processes on one project.

Every round starts N processes at once. Between rounds the test edits the code, so each round
must create exactly one new version, which every process of the round reports.

To make "at once" real, a `sitecustomize` (found through PYTHONPATH) imports lambdactl in each
process and then waits at a file barrier; the test opens the barrier when all N are ready, so
the processes reach the store together instead of being spread out by their import times.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

N = 6
ROUNDS = 3
PUBLISH = [sys.executable, "-m", "lambdactl", "publish", "hello", "-o", "json"]


def _code(round_number: int) -> str:
    return f"def handler(event, context):\n    return {{'round': {round_number}}}\n"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LAMBDACTL_MANIFEST", None)
    env.pop("LAMBDACTL_DEBUG", None)
    env["COLUMNS"] = "200"
    return env


SITECUSTOMIZE = """\
import os
import time

_barrier = os.environ.get("LAMBDACTL_TEST_BARRIER")
if _barrier:
    import lambdactl.cli  # noqa: F401  (pay the import cost before the barrier)
    import lambdactl.shapes  # noqa: F401
    import lambdactl.store.sqlite  # noqa: F401
    import lambdactl.versions  # noqa: F401

    open(os.path.join(_barrier, f"ready-{os.getpid()}"), "w").close()
    _deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(_barrier, "go")) and time.monotonic() < _deadline:
        time.sleep(0.002)
"""


def _race(project_dir: Path, argv: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start N processes, release them together at the barrier, then wait for all of them."""
    barrier = project_dir.parent / f"barrier-{time.monotonic_ns()}"
    hook = barrier / "hook"
    hook.mkdir(parents=True)
    (hook / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    env = _env()
    env["LAMBDACTL_TEST_BARRIER"] = str(barrier)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    procs = [
        subprocess.Popen(
            argv, cwd=project_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(N)
    ]
    deadline = time.monotonic() + 30
    while len(list(barrier.glob("ready-*"))) < N:
        assert all(p.poll() is None for p in procs), "a racer exited before the barrier"
        assert time.monotonic() < deadline, "racers never reached the barrier"
        time.sleep(0.005)
    (barrier / "go").touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    return results


def _run(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=project_dir, env=_env(), capture_output=True, text=True, timeout=60, check=True,
    )


def _integrity(project_dir: Path) -> None:
    db = sqlite3.connect(project_dir / ".lambda" / "state.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT number, data FROM versions WHERE function = 'hello'").fetchall()
        for _number, data in rows:
            json.loads(data)  # no torn record
    finally:
        db.close()


def test_racing_publish_rounds_create_one_version_each(project_dir: Path) -> None:
    app = project_dir / "src" / "hello" / "app.py"
    reported: list[int] = []
    shas: list[str] = []
    for round_number in range(ROUNDS):
        if round_number:  # round 0 races on a fresh project: no .lambda/ yet
            app.write_text(_code(round_number))
        outputs = [json.loads(r.stdout) for r in _race(project_dir, PUBLISH)]
        numbers = {o["Version"] for o in outputs}
        assert len(numbers) == 1, f"round {round_number}: processes disagree: {numbers}"
        assert len({o["RevisionId"] for o in outputs}) == 1  # one record, read back by all
        assert len({o["CodeSha256"] for o in outputs}) == 1
        assert {o["FunctionArn"] for o in outputs} == {
            f"arn:aws:lambda:us-east-1:123456789012:function:hello:{numbers.pop()}"
        }
        reported.append(int(outputs[0]["Version"]))
        shas.append(outputs[0]["CodeSha256"])

    assert reported == list(range(1, ROUNDS + 1))  # consecutive, no duplicates
    assert len(set(shas)) == ROUNDS

    listed = json.loads(_run(project_dir, "versions", "hello", "-o", "json").stdout)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST"] + [str(n) for n in reported]
    assert [v["CodeSha256"] for v in listed[1:]] == shas
    _integrity(project_dir)

    # every version runs its own round's code from its snapshot
    from lambdactl import versions
    from lambdactl.project import Project

    project = Project.open(project_dir / "functions.yaml")
    try:
        for number in reported:
            snapshot = versions.get(project, "hello", str(number)).code_dir
            text = (snapshot / "app.py").read_text()
            if number == 1:
                assert "'round'" not in text
            else:
                assert text == _code(number - 1)
    finally:
        project.close()
    leftovers = [p.name for p in (project_dir / ".lambda" / "code").iterdir()
                 if p.name.startswith(".")]
    assert leftovers == []


def test_racing_publish_after_a_code_change_creates_exactly_one_version(
    project_dir: Path,
) -> None:
    first = json.loads(_run(project_dir, "publish", "hello", "-o", "json").stdout)
    assert first["Version"] == "1"
    (project_dir / "src" / "hello" / "app.py").write_text(_code(99))

    text_publish = [sys.executable, "-m", "lambdactl", "publish", "hello"]
    results = _race(project_dir, text_publish)
    statuses = []
    for result in results:
        rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:5] == "hello"]
        assert len(rows) == 1, result.stdout
        statuses.append((rows[0][1], rows[0][2]))
    assert sorted(statuses) == [("2", "published")] + [("2", "unchanged")] * (N - 1)

    listed = json.loads(_run(project_dir, "versions", "hello", "-o", "json").stdout)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    _integrity(project_dir)
