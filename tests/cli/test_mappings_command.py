"""`lambdactl mappings list|show|enable|disable`: each `events:` source as a mapping, its
state kept in `.lambda/` across commands, and AWS's error for an unknown UUID."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

MANIFEST = """\
functions:
  hello:
    handler: app.handler
    code: src/hello
    events:
      - queue: orders
        batch_size: 5
        report_batch_item_failures: true
      - queue: jobs
        enabled: false
queues:
  orders: {}
  jobs: {}
"""


def test_list_show_disable_enable(
    cli: Callable[..., Result], write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(MANIFEST)
    listed = cli("mappings", "list", "-o", "json").json()["EventSourceMappings"]
    assert [m["State"] for m in listed] == ["Enabled", "Disabled"]
    assert [m["LastProcessingResult"] for m in listed] == ["No records processed"] * 2
    orders = listed[0]
    assert orders["EventSourceArn"] == "arn:aws:sqs:us-east-1:000000000000:orders"
    assert (orders["BatchSize"], orders["FunctionResponseTypes"]) == (
        5,
        ["ReportBatchItemFailures"],
    )
    uuid = orders["UUID"]
    # As AWS answers: the transitional state, until the process running the pollers (none
    # here) applies it.
    assert cli("mappings", "disable", uuid, "-o", "json").json()["State"] == "Disabling"
    assert cli("mappings", "show", uuid, "-o", "json").json()["State"] == "Disabling"
    busy = cli("mappings", "enable", uuid)
    assert busy.code == 4 and busy.err.strip().splitlines() == [
        "error: ResourceInUseException: Cannot update the event source mapping because it is "
        "in use."
    ]
    assert cli("mappings", "enable", listed[1]["UUID"], "-o", "json").json()["State"] == "Enabling"
    text = cli("mappings", "list")
    assert text.code == 0 and "queue orders" in text.out and "Disabling" in text.out


def test_a_worker_settles_what_enable_and_disable_asked(
    cli: Callable[..., Result], write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(MANIFEST)
    orders, jobs = (
        m["UUID"] for m in cli("mappings", "list", "-o", "json").json()["EventSourceMappings"]
    )
    cli("mappings", "disable", orders)
    cli("mappings", "enable", jobs)
    from lambdactl.invoke import Invoker
    from lambdactl.project import Project
    from lambdactl.sources.host import Host

    project = Project.open(Path("functions.yaml"))
    invoker = Invoker(project)
    host = Host(project, invoker)
    try:
        host.sync()  # what the lock holder does every half second
        states = [
            m["State"] for m in cli("mappings", "list", "-o", "json").json()["EventSourceMappings"]
        ]
        assert states == ["Disabled", "Enabled"]
        assert set(host.pollers) == {jobs}
    finally:
        host.stop()
        invoker.close()
        project.close()


def test_an_unknown_uuid_is_aws_resource_not_found(
    cli: Callable[..., Result], write_manifest: Callable[[str], Path]
) -> None:
    write_manifest(MANIFEST)
    result = cli("mappings", "show", "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert result.code == 3
    assert result.err.strip().splitlines() == [
        "error: ResourceNotFoundException: The resource you requested does not exist."
    ]


def test_list_says_schedules_and_files_need_a_running_process(
    cli: Callable[..., Result], write_manifest: Callable[[str], Path], project_dir: Path
) -> None:
    (project_dir / "inbox").mkdir()
    write_manifest(
        MANIFEST.replace(
            "      - queue: jobs\n",
            "      - schedule: rate(5 minutes)\n      - files: {path: inbox}\n"
            "      - queue: jobs\n",
        )
    )
    text = cli("mappings", "list")
    assert text.code == 0 and "schedule" in text.out
    assert text.err.splitlines() == [
        "files and schedule sources run only while `lambdactl serve`, `dev` or a foreground "
        "`lambdactl worker` runs, and none runs now"
    ]
    write_manifest(MANIFEST)
    assert cli("mappings", "list").err == ""  # queues: a `queue send` starts the worker
