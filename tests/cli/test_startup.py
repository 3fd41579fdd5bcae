"""What a command costs before it does anything: which modules it imports and which commands
typer builds. Each start of `lambdactl` pays for both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambdactl.cli import commands as cli

REPO = Path(__file__).resolve().parents[2]

NEVER_ON_INVOKE = (
    "yaml",
    "rich",
    "boto3",
    "botocore",
    "watchdog",
    "pathspec",
    "lambdactl.store.lifecycle",
)
"""Modules `lambdactl invoke` never needs once the manifest is cached: the manifest's YAML
reader, tables, the SDK offered to functions, file watching, `.lambdaignore` patterns, the
asynchronous event model."""


def test_a_cold_invoke_imports_none_of_the_heavy_modules(project_dir: Path) -> None:
    probe = (
        "import sys\n"
        "from lambdactl.cli import run\n"
        "code = run(['invoke', 'hello', '-p', '{\"name\": \"x\"}'])\n"
        f"print(sorted(set({NEVER_ON_INVOKE!r}) & set(sys.modules)), code, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
        )
        for _ in range(3)
    ]
    imported = [run.stderr.splitlines()[-1] for run in runs]
    # The first run creates .lambda/, the second remembers the manifest there (neither is
    # the first to create it), the third reads it back.
    assert imported == ["['yaml'] 0", "['yaml'] 0", "[] 0"]
    assert json.loads(runs[2].stdout) == {"hello": "x"}


@pytest.mark.parametrize(
    ("argv", "commands", "groups"),
    [
        (["invoke", "hello"], ["invoke"], []),
        (["-f", "x.yaml", "invoke", "hello", "--help"], ["invoke"], []),
        (["--manifest=x.yaml", "logs"], ["logs"], []),
        (["-fx.yaml", "tail", "hello"], ["tail"], []),
        (["alias", "list", "hello"], [], ["alias"]),
    ],
)
def test_only_the_command_named_is_built(argv, commands, groups) -> None:
    app = cli._only_the_command(argv)
    assert [c.name for c in app.registered_commands] == commands
    assert [g.name for g in app.registered_groups] == groups
    assert len(cli.app.registered_commands) > 1  # the app itself keeps every command


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h", "invoke"], ["nosuch"], ["-f"]])
def test_help_and_the_unknown_get_the_whole_app(argv) -> None:
    assert cli._only_the_command(argv) is cli.app


def test_an_unknown_command_still_says_so(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("invok", "hello")
    assert result.code == 2
    assert "No such command 'invok'" in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["invoke", "hello"],
        ["publish"],
        ["list"],
        ["versions", "hello"],
        ["alias", "create", "hello", "live", "--version", "1"],
        ["logs", "hello"],
        ["queue", "create", "jobs"],
        ["queue", "send", "orders", "x"],
        ["events", "list"],
        ["doctor"],
        ["export", "sam"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_command_closes_what_it_opened_before_leaving(project_dir: Path, argv) -> None:
    """`lambdactl` leaves without the interpreter's teardown: every database the command
    opened is closed by then (SQLite folds its write-ahead log in and removes it)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for setup in (["publish"], ["queue", "create", "orders"], argv):
        done = subprocess.run(
            [sys.executable, "-m", "lambdactl", *setup],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in (project_dir / ".lambda").rglob("*-wal"))
    assert left == []
