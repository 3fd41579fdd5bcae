"""Run the CLI in-process through its real entry point (`run`), capturing output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from lambdactl.cli import run


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    def invoke(*args: str) -> Result:
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
