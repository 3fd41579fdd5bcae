"""Tables fit the terminal: free text gives way, numbers never do (real `lambdactl` processes,
with the width given as a terminal's is, by COLUMNS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime import fn, write_functions

HANDLER = "handlers/orders/processing/main_entrypoint.handle_incoming_order_event"
DESCRIPTION = (
    "Processes incoming orders from the storefront, validates them against the catalogue and "
    "writes them to the ledger"
)


def run(project_dir: Path, columns: int, *args: str) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("LINES", None)
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    return done.stdout


@pytest.fixture
def functions(project_dir: Path) -> Path:
    write_functions(
        project_dir,
        {
            "orders": fn(HANDLER, None, memory=10240, timeout=900, description=DESCRIPTION),
            "hello": fn("app.handler", None, description="Greets"),
        },
    )
    return project_dir


@pytest.mark.parametrize("columns", [60, 80, 100, 120, 200, 300])
def test_list_fits_the_terminal_and_keeps_the_numbers(functions: Path, columns: int) -> None:
    out = run(functions, columns, "list")
    lines = out.splitlines()
    too_wide = [line for line in lines if len(line) > columns]
    assert not too_wide, "\n" + out
    rows = {line.split()[0]: line for line in lines if line.split()[:1] in (["orders"], ["hello"])}
    assert set(rows) == {"orders", "hello"}, "\n" + out
    for name, numbers in (("orders", ("10240 MB", "900 s")), ("hello", ("128 MB", "1 s"))):
        for number in numbers:
            assert number in rows[name], "\n" + out
        if columns >= 80:  # other text folds only when the free text has given way
            assert "python3.11" in rows[name], "\n" + out
    if columns >= 80:  # the handler is shortened or folded, never gone
        assert "handlers/orders" in out and "app.handler" in out, "\n" + out
    if columns >= 300:  # room enough: nothing is cut
        assert DESCRIPTION in out and HANDLER in out, "\n" + out


def test_versions_fits_the_terminal(functions: Path) -> None:
    run(functions, 80, "publish", "--description", DESCRIPTION)
    out = run(functions, 80, "versions", "orders")
    assert all(len(line) <= 80 for line in out.splitlines()), "\n" + out
    assert "10240 MB" in out and "900 s" in out, "\n" + out
