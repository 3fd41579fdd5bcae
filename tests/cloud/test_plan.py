"""The plan, pure: desired state against the state file and what AWS said."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lambdactl.cloud.plan import (
    Code,
    DeployRefused,
    Desired,
    LocalAlias,
    LocalFunction,
    LocalVersion,
    Ref,
    Remote,
    Step,
    plan,
)
from lambdactl.cloud.state import DeployState
from lambdactl.manifest import FunctionConfig, FunctionSpec
from lambdactl.sources import specs

CONFIG = FunctionConfig(runtime="python3.12", handler="app.handler")


def function(name: str = "hello", *events: specs.Source, **changes: object) -> LocalFunction:
    spec = FunctionSpec(name=name, code=Path("/p/src") / name, config=CONFIG, events=events)
    spec = replace(spec, **changes)  # type: ignore[arg-type]
    return LocalFunction(spec, Code(Path(f"/b/{name}.zip"), f"sha-{name}"))


def desired(*functions: LocalFunction, **options: object) -> Desired:
    return Desired(
        functions={f.spec.name: f for f in functions},
        queues=options.pop("queues", {}),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def empty(tmp_path: Path) -> DeployState:
    return DeployState(tmp_path / "state.json")


def deployed(steps: list[Step], state: DeployState) -> DeployState:
    """The state a successful apply of `steps` leaves (what `apply` records), without AWS."""
    for step in steps:
        p = step.params
        if step.kind == "function" and step.action == "create":
            entry = state.function(step.function, p["FunctionName"])
            entry.code_sha256, entry.config_digest = p["sha256"], p["config_digest"]
        elif step.kind == "version":
            entry = state.functions[step.function]
            entry.code_sha256, entry.config_digest = p["sha256"], p["config_digest"]
            entry.versions[p["local"]] = str(len(entry.versions) + 1)
        elif step.kind in ("code", "config") and step.action == "update":
            entry = state.functions[step.function]
            if step.kind == "code":
                entry.code_sha256 = p["sha256"]
            else:
                entry.config_digest = p["config_digest"]
        elif step.kind not in ("layer", "function", "code", "config") and step.writes:
            state.resources[step.resource] = {"digest": step.digest, "function": step.function}
    return state


def remote_of(state: DeployState) -> Remote:
    return Remote({f.name: f.code_sha256 for f in state.functions.values()})


def actions(steps: list[Step]) -> dict[str, str]:
    return {s.resource: s.action for s in steps}


def test_a_first_plan_creates_in_order_with_the_prefix(tmp_path: Path) -> None:
    queue = specs.QueueSource(uuid="u1", function="hello", queue="orders")
    steps = plan(
        desired(function("hello", queue), queues={"orders": {}}, prefix="dev-"),
        empty(tmp_path),
        Remote(),
    )
    assert [s.resource for s in steps] == [
        "queue:orders",
        "role:hello",
        "function:hello",
        "code:hello",
        "config:hello",
        "mapping:hello:u1",
    ]
    assert actions(steps) == {
        "queue:orders": "create",
        "role:hello": "create",
        "function:hello": "create",
        "code:hello": "unchanged",  # created with it
        "config:hello": "unchanged",
        "mapping:hello:u1": "create",
    }
    by = {s.resource: s for s in steps}
    assert by["queue:orders"].params["QueueName"] == "dev-orders"
    assert by["function:hello"].params["FunctionName"] == "dev-hello"
    assert by["function:hello"].params["config"]["Role"] == Ref("role:hello")
    role = by["role:hello"].params
    assert role["RoleName"] == "dev-hello-role"
    assert role["Statements"] == [
        {
            "Effect": "Allow",
            "Action": sorted(
                [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                ]
            ),
            "Resource": "arn:aws:sqs:us-east-1:*:dev-orders",
        }
    ]
    assert by["mapping:hello:u1"].params["EventSourceArn"] == Ref("queue:orders")


def test_a_given_role_makes_no_role(tmp_path: Path) -> None:
    arn = "arn:aws:iam::123456789012:role/mine"
    steps = plan(desired(function(config=replace(CONFIG, role=arn))), empty(tmp_path), Remote())
    assert "role:hello" not in actions(steps)
    assert steps[0].params["config"]["Role"] == arn


def test_nothing_changed_plans_no_write(tmp_path: Path) -> None:
    queue = specs.QueueSource(uuid="u1", function="hello", queue="orders")
    local = function("hello", queue, reserved_concurrency=3)
    version = LocalVersion("1", Code(Path("/b/v1.zip"), "sha-v1"), CONFIG, ())
    local = replace(local, versions=(version,), aliases=(LocalAlias("live", "1"),))
    wanted = desired(local, queues={"orders": {"visibility_timeout": 60}})
    state = deployed(plan(wanted, empty(tmp_path), Remote()), empty(tmp_path))
    again = plan(wanted, state, remote_of(state))
    assert {s.action for s in again} == {"unchanged"}, actions(again)


def test_a_new_local_version_is_published_and_moves_the_alias(tmp_path: Path) -> None:
    v1 = LocalVersion("1", Code(Path("/b/v1.zip"), "sha-v1"), CONFIG, ())
    local = replace(function(), versions=(v1,), aliases=(LocalAlias("live", "1"),))
    state = deployed(plan(desired(local), empty(tmp_path), Remote()), empty(tmp_path))
    v2 = LocalVersion("2", Code(Path("/b/v2.zip"), "sha-v2"), CONFIG, ())
    newer = replace(
        local,
        code=Code(Path("/b/v2.zip"), "sha-v2"),
        versions=(v1, v2),
        aliases=(LocalAlias("live", "2", {"1": 0.1}),),
    )
    steps = plan(desired(newer), state, remote_of(state))
    assert actions(steps) == {
        "role:hello": "unchanged",
        "function:hello": "unchanged",
        "version:hello:2": "create",
        "code:hello": "unchanged",  # version 2 brought $LATEST to its code
        "config:hello": "unchanged",
        "alias:hello:live": "update",
    }
    alias = next(s for s in steps if s.resource == "alias:hello:live").params
    assert alias["FunctionVersion"] == Ref("version:hello:2", "version")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"version:hello:1": 0.1}}


def test_latest_is_brought_back_after_publishing_an_older_version(tmp_path: Path) -> None:
    v1 = LocalVersion("1", Code(Path("/b/v1.zip"), "sha-v1"), CONFIG, ())
    local = replace(function(), versions=(v1,))  # $LATEST edited since version 1
    steps = plan(desired(local), empty(tmp_path), Remote())
    assert actions(steps)["version:hello:1"] == "create"
    assert actions(steps)["code:hello"] == "update"
    assert "takes its code first" in next(s.reason for s in steps if s.kind == "version")


def test_a_deprecated_runtime_is_refused_with_aws_message(tmp_path: Path) -> None:
    old = function(config=replace(CONFIG, runtime="python3.8"))
    with pytest.raises(DeployRefused) as refused:
        plan(desired(old), empty(tmp_path), Remote())
    assert str(refused.value) == (
        "hello: InvalidParameterValueException: The runtime parameter of python3.8 is no "
        "longer supported for creating or updating AWS Lambda functions. We recommend you use "
        "a supported runtime while creating or updating functions."
    )


def test_sources_without_a_counterpart_are_skipped_with_their_reason(tmp_path: Path) -> None:
    files = specs.FilesSource(uuid="f1", function="hello", path=Path("/p/inbox"))
    route = specs.HttpSource(uuid="h1", function="hello", path="/hi", method="GET")
    steps = plan(desired(function("hello", files, route)), empty(tmp_path), Remote())
    by = {s.resource: s for s in steps}
    assert by["files:hello:f1"].action == "skipped"
    assert "no AWS counterpart" in by["files:hello:f1"].reason
    assert by["http:hello:h1"].action == "skipped"
    assert by["http:hello:h1"].reason == "GET /hi: API Gateway is not deployed yet"


def test_a_function_gone_from_the_manifest_is_deleted_only_with_prune(tmp_path: Path) -> None:
    schedule = specs.ScheduleSource(uuid="s1", function="bye", expression="rate(1 hour)")
    both = desired(function("hello"), function("bye", schedule))
    state = deployed(plan(both, empty(tmp_path), Remote()), empty(tmp_path))
    kept = plan(desired(function("hello")), state, remote_of(state))
    assert actions(kept)["function:bye"] == "skipped"
    assert not [s for s in kept if s.writes]
    pruned = plan(desired(function("hello"), prune=True), state, remote_of(state))
    deletions = [s.resource for s in pruned if s.action == "delete"]
    assert deletions == ["schedule:bye:s1", "function:bye", "role:bye"]


def test_a_removed_source_of_a_kept_function_is_deleted(tmp_path: Path) -> None:
    queue = specs.QueueSource(uuid="u1", function="hello", queue="orders")
    state = deployed(
        plan(desired(function("hello", queue)), empty(tmp_path), Remote()), empty(tmp_path)
    )
    steps = plan(desired(function("hello")), state, remote_of(state))
    assert actions(steps)["mapping:hello:u1"] == "delete"
    assert actions(steps)["queue:orders"] == "skipped"  # shared: only with --prune


def test_what_aws_says_of_the_function_wins_over_the_state(tmp_path: Path) -> None:
    state = deployed(plan(desired(function()), empty(tmp_path), Remote()), empty(tmp_path))
    gone = plan(desired(function()), state, Remote({"hello": None}))
    assert actions(gone)["function:hello"] == "create"
    drifted = plan(desired(function()), state, Remote({"hello": "edited-in-console"}))
    assert actions(drifted)["code:hello"] == "update"
    foreign = plan(desired(function()), empty(tmp_path), Remote({"hello": "theirs"}))
    assert actions(foreign)["function:hello"] == "update"
    assert actions(foreign)["config:hello"] == "update"


def test_naming_functions_plans_only_those(tmp_path: Path) -> None:
    steps = plan(
        desired(function("hello"), function("other"), selected=("other",)),
        empty(tmp_path),
        Remote(),
    )
    assert {s.function for s in steps} == {"other"}
