"""lambdactl's pytest plugin, loaded through the `pytest11` entry point by every pytest run
where lambdactl is installed: so this module imports pytest and the standard library only,
and the rest of lambdactl waits until a test asks for the `lambdactl` fixture.

- `lambdactl` fixture: the project of the manifest found from the test file's directory
  upward (or named by `@pytest.mark.lambdactl(manifest="path")`, relative to the test
  file), in a fresh state of its own; see `project.ProjectUnderTest`.
- `@pytest.mark.lambdactl(manifest=..., env={...})`: which project, and environment
  variables for its functions.
- `lambda_client`, `sqs_client`, `logs_client`: boto3 clients of the test's project, on one
  server per session (`lambdactl_endpoint`: its URL, with the SDKs' variables set).
- `--lambdactl-cold`: every test starts its environments cold.
- A failing test's report gets a `lambdactl log` section: what its functions logged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .project import ProjectUnderTest
    from .session import Session

MARKER = "lambdactl"
COLD_OPTION = "--lambdactl-cold"
SECTION = "lambdactl log"
"""The report section of a failing test's function logs (shown as `Captured lambdactl log
call`, beside `Captured stdout call`)."""

_UNDER_TEST = pytest.StashKey["ProjectUnderTest"]()
"""The test's `lambdactl` object, on its item, for the report."""
_SESSION = pytest.StashKey["Session"]()
"""The session of the test's manifest, on its item, for the client fixtures."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lambdactl")
    group.addoption(
        COLD_OPTION,
        action="store_true",
        default=False,
        help="start every test's lambdactl environments cold (default: warm environments "
        "are shared by the session's tests)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(manifest=None, env=None): the lambdactl project a test's `lambdactl` "
        "fixture opens (manifest: a path relative to the test file; default: the "
        "functions.yaml found from its directory upward), and environment variables for its "
        'functions ({"NAME": "value"} for all, {"function": {"NAME": "value"}} for one)',
    )


class Sessions:
    """The session's `Session` per manifest, made when a test first asks for it."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._open: dict[Path, Session] = {}

    def of(self, manifest: Path) -> Session:
        session = self._open.get(manifest)
        if session is None:
            from .session import Session

            session = Session(manifest, self._factory.mktemp("lambdactl", numbered=True))
            self._open[manifest] = session
        return session

    def close(self) -> None:
        for session in self._open.values():
            session.close()
        self._open.clear()


@pytest.fixture(scope="session")
def _lambdactl_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sessions]:
    sessions = Sessions(tmp_path_factory)
    yield sessions
    sessions.close()


@pytest.fixture
def lambdactl(
    request: pytest.FixtureRequest, _lambdactl_sessions: Sessions
) -> Iterator[ProjectUnderTest]:
    """The project under test, in a fresh state; its environments warm from earlier tests."""
    marker = request.node.get_closest_marker(MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    unknown = sorted(set(options) - {"manifest", "env"})
    if unknown:
        pytest.fail(f"@pytest.mark.{MARKER}: unknown argument {unknown[0]}=", pytrace=False)
    cold = bool(request.config.getoption(COLD_OPTION))
    from ..errors import LambdactlError

    try:
        session = _lambdactl_sessions.of(_manifest(request, options.get("manifest")))
        under_test = session.begin(env=options.get("env"), cold=cold)
    except LambdactlError as exc:  # no manifest, an invalid one, a bad env=: one line
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(f"lambdactl: {problem}", pytrace=False)
    request.node.stash[_UNDER_TEST] = under_test
    request.node.stash[_SESSION] = session
    yield under_test
    session.end(cold=cold)


@pytest.fixture
def lambdactl_endpoint(
    request: pytest.FixtureRequest,
    lambdactl: ProjectUnderTest,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The URL of the session's server for the test's project (`lambdactl serve`'s API on
    127.0.0.1, started once per session), with `AWS_ENDPOINT_URL_LAMBDA`, `_SQS` and
    `_CLOUDWATCH_LOGS`, the region and (unless set) dummy credentials in the environment for
    the test, so SDK clients the code under test makes talk to it."""
    from ..invoke import LOCAL_CREDENTIALS, SERVICE_ENDPOINT_VARIABLES

    url = request.node.stash[_SESSION].serve()
    for name in SERVICE_ENDPOINT_VARIABLES:
        monkeypatch.setenv(name, url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", lambdactl.project.manifest.region)
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        for name, value in LOCAL_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
    return url


@pytest.fixture
def lambda_client(request: pytest.FixtureRequest, lambdactl_endpoint: str) -> Any:
    """A boto3 Lambda client of the test's project (the session's server)."""
    return request.node.stash[_SESSION].client("lambda")


@pytest.fixture
def sqs_client(request: pytest.FixtureRequest, lambdactl_endpoint: str) -> Any:
    """A boto3 SQS client of the test's project's queues."""
    return request.node.stash[_SESSION].client("sqs")


@pytest.fixture
def logs_client(request: pytest.FixtureRequest, lambdactl_endpoint: str) -> Any:
    """A boto3 CloudWatch Logs client of the test's project's logs."""
    return request.node.stash[_SESSION].client("logs")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """A failing test's report shows what its functions logged, as it shows captured output."""
    under_test = item.stash.get(_UNDER_TEST, None)
    if under_test is None or call.when != "call" or call.excinfo is None:
        return
    if call.excinfo.errisinstance(pytest.skip.Exception):
        return
    text = under_test.log_text()
    if text:
        item.add_report_section(call.when, SECTION, text)


def _manifest(request: pytest.FixtureRequest, given: object) -> Path:
    from .. import layout

    directory = Path(request.node.path).parent
    if given is not None:
        return layout.find(explicit=str(directory / str(given)))
    return layout.find(start=directory)
