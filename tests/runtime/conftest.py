"""Fixtures for tests that run real execution environments (child processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl.invoke import Invoker
from lambdactl.project import Project
from tests.runtime import Deployment


@pytest.fixture
def deploy(project_dir: Path) -> Iterator[Deployment]:
    """`deploy(name=fn(...), ...)` writes the manifest and returns an Invoker on it."""
    deployment = Deployment(project_dir)
    yield deployment
    deployment.close()


@pytest.fixture
def invoker(project: Project) -> Iterator[Invoker]:
    """An Invoker on the default project (function `hello`), closed at the end."""
    opened = Invoker(project)
    yield opened
    opened.close()
