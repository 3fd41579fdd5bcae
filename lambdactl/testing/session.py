"""One manifest under test for a whole pytest session: one invoker, warm environments
shared by its tests, and a fresh state for each test.

The rule (README, "Testing your functions"): every test starts from the same state, a copy
of the template made once when the session first uses the manifest; the state directory
keeps its path, and its contents are replaced before each test. Environments of a manifest
function's `$LATEST` stay warm from one test to the next while the test's environment
variables (`@pytest.mark.lambdactl(env=...)`) are the same; anything else (published
versions, functions created through the API, other variables, `--lambdactl-cold`) starts
cold in each test.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import variables
from ..errors import UsageError
from ..invoke import LOCAL_CREDENTIALS, Invoker
from ..project import Project
from ..variables import Overrides
from . import state
from .project import ProjectUnderTest

if TYPE_CHECKING:
    from ..api.threaded import Endpoint

MARKER_SOURCE = "@pytest.mark.lambdactl(env=...)"
"""What an override from the marker names as its source in warnings and errors."""


class Session:
    """A manifest's invoker and state directories for the session (under `root`)."""

    def __init__(self, manifest_path: Path, root: Path) -> None:
        self.manifest_path = manifest_path
        self.template = root / "template"
        self.live = root / "state"
        state.make_template(state.load(manifest_path, self.template))
        self.manifest = state.load(manifest_path, self.live)
        state.reset(self.live, self.template)
        self.project: Project = state.open_project(self.manifest)
        self.invoker = Invoker(self.project, start_worker=False)
        self.endpoint: Endpoint | None = None
        """The server, once a test asked for it (`serve`)."""
        self._clients: dict[str, Any] = {}
        self.current: ProjectUnderTest | None = None
        self._fresh = True
        """The live state is still the template's: the first test need not copy it again."""

    def begin(
        self, *, env: Mapping[str, Any] | None = None, cold: bool = False
    ) -> ProjectUnderTest:
        """A fresh state for the next test, and its `lambdactl` object."""
        if self.current is not None:
            self.end()
        overrides = _overrides(env)
        if cold or overrides != self.invoker.overrides:
            self.invoker.retire()
        self.invoker.override(overrides)
        if not self._fresh:
            self.invoker.logs.close()  # nothing may hold a file of the state being replaced
            self.project.close()
            state.reset(self.live, self.template)
            self.project = state.open_project(self.manifest)
            self.invoker.switch(self.project)
            if self.endpoint is not None:
                self.endpoint.follow(self.project)
        self._fresh = False
        self.current = ProjectUnderTest(self.project, self.invoker)
        return self.current

    def end(self, *, cold: bool = False) -> None:
        """The test is over: its worker stops (its log lines are stored when the next test
        begins, or the session ends: nobody reads them in between)."""
        if self.current is not None:
            self.current.close()
            self.current = None
        if cold:
            self.invoker.retire()

    def serve(self) -> str:
        """The URL of the session's server (started on first use): from now on, functions
        point their SDKs at it."""
        if self.endpoint is None:
            from ..api.threaded import Endpoint

            self.endpoint = Endpoint(self.project, self.invoker)
            self.invoker.attach(self.endpoint.url)
            # What a client reads through the Logs API is stored before the invoke answers:
            # a test reads its function's lines at once, never "not yet".
            self.invoker.observe(self._store_logs)
        return self.endpoint.url

    def _store_logs(self, _function: str, _result: object) -> None:
        self.invoker.logs.flush()

    def client(self, service: str) -> Any:
        """A boto3 client of `service` bound to the session's server (made once: a client
        costs tens of milliseconds)."""
        made = self._clients.get(service)
        if made is None:
            import boto3

            made = boto3.client(
                service,
                endpoint_url=self.serve(),
                region_name=self.manifest.region,
                **{key.lower(): value for key, value in LOCAL_CREDENTIALS.items()},
            )
            self._clients[service] = made
        return made

    def close(self) -> None:
        self.end()
        for client in self._clients.values():
            client.close()
        if self.endpoint is not None:
            self.endpoint.close()
        self.invoker.close()
        self.project.close()


def _overrides(env: Mapping[str, Any] | None) -> Overrides | None:
    """The marker's `env`: `{"NAME": "value"}` for every function, `{"function": {"NAME":
    "value"}}` for one (checked as an `--env-vars` file is)."""
    if not env:
        return None
    if not isinstance(env, Mapping):
        raise UsageError(f"{MARKER_SOURCE}: env must be a dict, not {type(env).__name__}")
    return variables.from_mapping(MARKER_SOURCE, env)
