"""Shared fixtures: every test gets its own project directory and working directory."""

from __future__ import annotations

import json
import textwrap
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambdactl.cli import render, run
from lambdactl.invoke import Invoker
from lambdactl.project import Project

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    environment: {GREETING: Hello}
    description: Greets
"""

HELLO = """\
def handler(event, context):
    return {"hello": event.get("name", "world")}
"""


@pytest.fixture(autouse=True)
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project directory, also the working directory, with one function `hello`."""
    root = tmp_path / "project"
    (root / "src" / "hello").mkdir(parents=True)
    (root / "src" / "hello" / "app.py").write_text(HELLO)
    (root / "functions.yaml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    monkeypatch.delenv("LAMBDACTL_MANIFEST", raising=False)
    monkeypatch.delenv("LAMBDACTL_DEBUG", raising=False)
    return root


@pytest.fixture
def write_manifest(project_dir: Path) -> Callable[[str], Path]:
    """Replace the manifest with dedented `text`; returns its path."""

    def write(text: str) -> Path:
        path = project_dir / "functions.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def project(project_dir: Path) -> Project:
    opened = Project.open(project_dir / "functions.yaml")
    yield opened
    opened.close()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the CLI in-process through its real entry point (`run`), capturing output."""

    def invoke(*args: str) -> Result:
        render._console.cache_clear()  # a new console per command, as a new process has:
        code = run(list(args))  # its width from this test's COLUMNS, not an earlier test's
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def deploy(project_dir: Path):  # type: ignore[no-untyped-def]
    """`deploy(name=fn(...), ...)` writes the manifest and returns an Invoker on it."""
    from tests.runtime import Deployment

    deployment = Deployment(project_dir)
    yield deployment
    deployment.close()


@pytest.fixture
def invoker(project: Project):  # type: ignore[no-untyped-def]
    """An Invoker on the default project (function `hello`), closed at the end."""
    opened = Invoker(project)
    yield opened
    opened.close()


@pytest.fixture
def launch(project_dir: Path):  # type: ignore[no-untyped-def]
    """`launch(top, name=fn(...), ..., **invoker_options)`: write the manifest (plus top-level
    keys `top`), open the project and an Invoker on it (with `throttle_cpu`, `watch_code`,
    `server_url`, `overrides`); all closed at the end."""
    from tests.runtime import write_functions

    opened: list[tuple[Project, Invoker]] = []
    options = ("throttle_cpu", "watch_code", "server_url", "overrides")

    def open_invoker(top: dict[str, Any] | None = None, **named: Any) -> Invoker:
        invoker_options = {key: named.pop(key) for key in options if key in named}
        path = write_functions(project_dir, named)
        if top:
            path.write_text(json.dumps({**json.loads(path.read_text()), **top}, indent=2))
        project = Project.open(path)
        invoker = Invoker(project, **invoker_options)
        opened.append((project, invoker))
        return invoker

    yield open_invoker
    for project, invoker in reversed(opened):
        invoker.close()
        project.close()


@pytest.fixture(scope="session")
def debugpy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the session: debugpy is installed once per test session."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def debug_cache(debugpy_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`XDG_CACHE_HOME` (where lambdactl keeps debugpy) set to the session's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(debugpy_cache))
    return debugpy_cache


# -- a moto server (the real-endpoint sources, deploy) ------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where the moto server answers, and the region the tests' manifests name."""

    url: str
    region: str = "us-east-1"

    def client(self, service: str) -> Any:
        """A boto3 client of `service` against the server, with test credentials."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The session's moto server (imported only by tests that use it: moto is heavy)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    """The moto server, emptied, and test credentials in the environment, so code under test
    that builds its own clients finds them (never a real account's)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    return Endpoint(moto_url)
