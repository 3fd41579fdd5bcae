"""The mappings service (`lambdactl.sources.mappings`) without a host running: API-made
mappings kept in the store, AWS's transitional states and when they refuse a change, the host's
settling that never undoes a change made meanwhile, and run-time overrides of declared ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl.errors import ResourceConflictException, ResourceInUseException
from lambdactl.project import Project
from lambdactl.sources import mappings

MANIFEST = """\
functions:
  hello:
    handler: app.handler
    code: src/hello
    events:
      - queue: jobs
queues:
  jobs: {}
  orders: {}
"""
ORDERS = "arn:aws:sqs:us-east-1:000000000000:orders"


@pytest.fixture
def project(write_manifest: Callable[[str], Path]) -> Iterator[Project]:
    handle = Project.open(write_manifest(MANIFEST))
    yield handle
    handle.close()


def made(project: Project, **given: object) -> str:
    source = mappings.source_of(project, ORDERS, "hello", dict(given), uuid=mappings.new_uuid())
    return mappings.create(project, source).uuid


def everything_applied(_uuid: str) -> bool:
    return True


def test_transitional_states_refuse_changes_until_settled(project: Project) -> None:
    uuid = made(project, BatchSize=4)
    assert mappings.get(project, uuid)[1].state == mappings.CREATING
    with pytest.raises(ResourceInUseException) as busy:
        mappings.update(project, uuid, enabled=False)
    assert busy.value.message == "Cannot update the event source mapping because it is in use."
    with pytest.raises(ResourceInUseException) as busy:
        mappings.delete(project, uuid)
    assert busy.value.message == "Cannot delete the event source mapping because it is in use."
    wanted, seen = mappings.plan(project)
    assert wanted[uuid].settings.batch_size == 4  # type: ignore[union-attr]
    mappings.settle(project, seen, everything_applied)
    assert mappings.get(project, uuid)[1].state == mappings.ENABLED
    # `Enabled` that changes nothing, alone, changes no state (AWS's answer)
    assert mappings.update(project, uuid, enabled=True)[1].state == mappings.ENABLED
    assert mappings.update(project, uuid, enabled=False)[1].state == mappings.DISABLING
    wanted, seen = mappings.plan(project)
    assert uuid not in wanted
    mappings.settle(project, seen, lambda _uuid: False)  # not applied yet: still Disabling
    assert mappings.get(project, uuid)[1].state == mappings.DISABLING
    mappings.settle(project, seen, everything_applied)
    assert mappings.get(project, uuid)[1].state == mappings.DISABLED


def test_settling_never_undoes_a_change_made_after_the_plan(project: Project) -> None:
    uuid = made(project)
    mappings.settle(project, mappings.plan(project)[1], everything_applied)
    _wanted, seen = mappings.plan(project)  # the host reads...
    mappings.update(project, uuid, enabled=False)  # ...the API changes it meanwhile...
    mappings.settle(project, seen, everything_applied)  # ...the host settles what it read
    assert mappings.get(project, uuid)[1].state == mappings.DISABLING


def test_a_deleted_mapping_goes_once_settled_and_stays_gone(project: Project) -> None:
    from lambdactl.errors import ResourceNotFoundException

    uuid = made(project)
    mappings.settle(project, mappings.plan(project)[1], everything_applied)
    source, state = mappings.delete(project, uuid)
    assert state.state == mappings.DELETING
    with pytest.raises(ResourceConflictException):  # gone only once settled: no second one yet
        mappings.create(project, source)
    mappings.settle(project, mappings.plan(project)[1], everything_applied)
    with pytest.raises(ResourceNotFoundException):
        mappings.get(project, uuid)
    mappings.record_result(project, source, mappings.OK)  # a poller's late word
    assert project.store.get_mapping(uuid) is None


def test_a_declared_mapping_takes_overrides_until_the_manifest_changes_under_them(
    project: Project, write_manifest: Callable[[str], Path]
) -> None:
    from lambdactl import manifest

    declared = project.functions["hello"].events[0]
    source, state = mappings.update(
        project,
        declared.uuid,
        settings=lambda s: mappings.settings_of(project, s, {"BatchSize": 3}),
    )
    assert (state.state, source.settings.batch_size) == (mappings.UPDATING, 3)  # type: ignore[union-attr]
    mappings.settle(project, mappings.plan(project)[1], everything_applied)
    assert mappings.find(project, declared.uuid).settings.batch_size == 3  # type: ignore[union-attr]
    with pytest.raises(ResourceConflictException) as refused:
        mappings.delete(project, declared.uuid)
    assert "declared in functions.yaml (functions.hello.events)" in refused.value.message
    path = write_manifest(MANIFEST.replace("- queue: jobs", "- queue: jobs\n        batch_size: 5"))
    project.adopt(manifest.load(path, remember=False))
    assert mappings.find(project, declared.uuid).settings.batch_size == 5  # type: ignore[union-attr]


def test_a_mapping_names_its_function_as_aws_takes_it(project: Project) -> None:
    from lambdactl.errors import InvalidParameterValueException

    arn = "arn:aws:lambda:us-east-1:000000000000:function:hello"
    assert mappings.function_of(project, arn) == "hello"
    assert mappings.function_of(project, "hello:$LATEST") == "hello:$LATEST"
    for missing in ("nobody", "hello:7", "hello:live"):
        with pytest.raises(InvalidParameterValueException) as refused:
            mappings.function_of(project, missing)
        assert refused.value.message == "Function does not exist"
