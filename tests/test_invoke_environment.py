"""What a function's environment gets from the invoker rather than its configuration: the
project's server as the SDKs' endpoints (while it runs), credentials (the caller's, or dummy
ones for the server), and `--env-vars` overrides (each invoker its own)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdactl import endpoint, invoke, variables, versions
from lambdactl.invoke import Invoker
from tests.runtime import fn, payload

URL = "http://127.0.0.1:3001"
ENDPOINTS = invoke.SERVICE_ENDPOINT_VARIABLES
CREDENTIALS = invoke.PASSTHROUGH_VARIABLES


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller has none, unless a test gives some."""
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


def environ(invoker: Invoker, function: str = "env") -> dict[str, str]:
    seen: dict[str, str] = payload(invoker.invoke(function))
    return seen


def test_the_servers_environments_point_the_sdks_at_it_with_dummy_credentials(launch) -> None:  # type: ignore[no-untyped-def]
    seen = environ(launch(env=fn("app.environ"), server_url=URL))
    assert {name: seen.get(name) for name in ENDPOINTS} == dict.fromkeys(ENDPOINTS, URL)
    assert {name: seen.get(name) for name in CREDENTIALS} == invoke.LOCAL_CREDENTIALS


def test_the_callers_credentials_are_kept(launch, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    seen = environ(launch(env=fn("app.environ"), server_url=URL))
    assert (seen["AWS_ACCESS_KEY_ID"], seen["AWS_SECRET_ACCESS_KEY"]) == ("AKIDREAL", "secret")
    assert "AWS_SESSION_TOKEN" not in seen  # long-term keys: a made-up token would break them
    assert seen["AWS_ENDPOINT_URL_LAMBDA"] == URL


def test_the_manifests_endpoint_wins(launch) -> None:  # type: ignore[no-untyped-def]
    own = {"AWS_ENDPOINT_URL_SQS": "http://elsewhere:4566"}
    seen = environ(launch(env=fn("app.environ", environment=own), server_url=URL))
    assert seen["AWS_ENDPOINT_URL_SQS"] == "http://elsewhere:4566"
    assert seen["AWS_ENDPOINT_URL_LAMBDA"] == URL


def test_without_a_server_nothing_is_added(launch) -> None:  # type: ignore[no-untyped-def]
    seen = environ(launch(env=fn("app.environ")))
    assert not {*ENDPOINTS, *CREDENTIALS} & set(seen)


def test_an_environment_follows_the_server_coming_and_going(
    launch, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The server's address is part of what an environment is: one started without it (or
    with another) is replaced, not reused, once the invoker sees the change."""
    monkeypatch.setattr(invoke, "ENDPOINT_RECHECK_SECONDS", 0.0)
    invoker = launch(env=fn("app.environ"))
    state = project_dir / ".lambda"
    before = environ(invoker)
    assert "AWS_ENDPOINT_URL_LAMBDA" not in before
    endpoint.publish(state, endpoint.Endpoint(URL, os.getpid()))  # a server came up
    during = environ(invoker)
    assert during["AWS_ENDPOINT_URL_LAMBDA"] == URL
    assert during["AWS_LAMBDA_LOG_STREAM_NAME"] != before["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert environ(invoker)["AWS_LAMBDA_LOG_STREAM_NAME"] == during["AWS_LAMBDA_LOG_STREAM_NAME"]
    endpoint.withdraw(state, os.getpid())  # and went away
    after = environ(invoker)
    assert "AWS_ENDPOINT_URL_LAMBDA" not in after
    assert after["AWS_LAMBDA_LOG_STREAM_NAME"] != during["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_overrides_reach_only_their_invokers_environments(launch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "env.json"
    env_file.write_text('{"Parameters": {"STAGE": "local"}, "env": {"TABLE": "test", "NEW": "x"}}')
    overrides = variables.load(str(env_file))
    declared = {"STAGE": "prod", "TABLE": "prod-table"}
    plain = launch(env=fn("app.environ", environment=declared))
    overridden = launch(env=fn("app.environ", environment=declared), overrides=overrides)
    for _ in range(2):  # warm environments of both, side by side
        seen = environ(overridden)
        assert (seen["STAGE"], seen["TABLE"], seen["NEW"]) == ("local", "test", "x")
        seen = environ(plain)
        assert (seen["STAGE"], seen["TABLE"]) == ("prod", "prod-table")
        assert "NEW" not in seen


def test_overrides_reach_functions_without_an_environment_and_published_versions(  # type: ignore[no-untyped-def]
    launch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ADDED=everywhere\n")
    invoker = launch(env=fn("app.environ"), overrides=variables.load(str(env_file)))
    versions.publish(invoker.project, "env")
    for qualifier in ("$LATEST", "1"):
        seen = payload(invoker.invoke("env", qualifier=qualifier))
        assert (seen["ADDED"], seen["AWS_LAMBDA_FUNCTION_VERSION"]) == ("everywhere", qualifier)
