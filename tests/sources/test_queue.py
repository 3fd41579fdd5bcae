"""The local queue poller (`lambdactl.sources.queue`), run by a real `Host` with a real
Invoker: messages sent to a local queue reach the function in batches, and what the function
answers decides what is deleted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl import queues
from lambdactl.project import Project
from lambdactl.sources import mappings
from lambdactl.sources.queue import BatchResponseError, failed_ids
from tests.sources import batches, hosting, wait_for

# Each batch is one line of `batches.jsonl` (its bodies; a long one as its length); a body
# `fail` raises, a body `partial:X` reports the record whose body is X as failed.
HANDLER = """\
import json, os

def handler(event, context):
    bodies = [r["body"] if len(r["body"]) < 100 else len(r["body"]) for r in event["Records"]]
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps(bodies) + "\\n")
    if "fail" in bodies:
        raise RuntimeError("batch failed")
    for body in (r["body"] for r in event["Records"]):
        if body.startswith("partial:"):
            wanted = body.split(":", 1)[1]
            return {"batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"]
                if r["body"] == wanted
            ]}
        if body == "malformed":
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return None
"""


def manifest(
    project_dir: Path,
    events: str,
    queues_text: str,
    *,
    handler: str = HANDLER,
    layer: str = "",
    timeout: int = 1,
) -> Path:
    (project_dir / "src" / "hello" / "app.py").write_text(handler)
    path = project_dir / "functions.yaml"
    path.write_text(
        "functions:\n  hello:\n    handler: app.handler\n    code: src/hello\n"
        f"    timeout: {timeout}\n    environment: {{BATCHES: {project_dir / 'batches.jsonl'}}}\n"
        + (f"    layers: [{layer}]\n" if layer else "")
        + f"    events:\n{events}queues:\n{queues_text}"
    )
    return path


@pytest.fixture
def hosted(project_dir: Path) -> Iterator[Callable[..., Project]]:
    """`hosted(events, queues)`: the manifest, then a project with a running Host."""
    with hosting(lambda *args, **options: manifest(project_dir, *args, **options)) as start:
        yield lambda *args, **options: start(*args, **options)[0]


def left(project: Project, name: str) -> tuple[int, int]:
    return queues.counts(project, name)


def test_messages_reach_the_function_in_batches_and_are_deleted(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for n in range(12):  # sent before the poller starts: they come in full batches
        queues.send(project, "orders", f"m{n}")
    project.close()
    project = hosted("      - queue: orders\n        batch_size: 5\n", "  orders: {}\n")
    wait_for(lambda: sum(len(b) for b in batches(project_dir)) >= 12)
    wait_for(lambda: left(project, "orders") == (0, 0))
    got = batches(project_dir)
    assert sorted(body for batch in got for body in batch) == sorted(f"m{n}" for n in range(12))
    assert max(len(batch) for batch in got) == 5
    source = project.functions["hello"].events[0]
    assert mappings.current(project, source).last_processing_result == mappings.OK


def test_a_batching_window_gathers_more_than_one_receive(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for n in range(15):
        queues.send(project, "orders", f"m{n}")
    project.close()
    project = hosted(
        "      - queue: orders\n        batch_size: 20\n        batching_window: 1\n",
        "  orders: {}\n",
    )
    wait_for(lambda: left(project, "orders") == (0, 0))
    assert [len(batch) for batch in batches(project_dir)] == [15]  # not 10 + 5


def test_a_batch_stays_under_the_6_mb_payload_limit(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for n in range(7):
        queues.send(project, "orders", str(n) * 1_000_000)
    project.close()
    project = hosted("      - queue: orders\n", "  orders: {}\n")
    wait_for(lambda: left(project, "orders") == (0, 0))
    assert sorted(len(batch) for batch in batches(project_dir)) == [1, 6]


def test_a_throw_returns_the_whole_batch_which_is_delivered_again(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = hosted(
        "      - queue: orders\n",
        "  orders: {visibility_timeout: 1, dead_letter: dlq, max_receive_count: 2}\n  dlq: {}\n",
    )
    queues.send(project, "orders", "fail")
    # delivered, returned after the visibility timeout, delivered again, then redriven
    wait_for(lambda: left(project, "dlq")[0] == 1)
    assert batches(project_dir) == [["fail"], ["fail"]]
    assert left(project, "orders") == (0, 0)
    source = project.functions["hello"].events[0]
    state = mappings.current(project, source)
    assert state.last_processing_result == mappings.FUNCTION_CALL_FAILED


def test_only_the_reported_failures_stay(hosted: Callable[..., Project], project_dir: Path) -> None:
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for body in ("a", "b", "partial:b"):
        queues.send(project, "orders", body)
    project.close()
    project = hosted(
        "      - queue: orders\n        report_batch_item_failures: true\n",
        "  orders: {visibility_timeout: 1}\n",
    )
    wait_for(lambda: len(batches(project_dir)) >= 2)
    first, second = batches(project_dir)[:2]
    assert sorted(first) == ["a", "b", "partial:b"]
    assert second == ["b"]  # the one reported, back after its visibility timeout
    wait_for(lambda: left(project, "orders") == (0, 0))


def test_a_malformed_response_fails_the_whole_batch(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = hosted(
        "      - queue: orders\n        report_batch_item_failures: true\n",
        "  orders: {visibility_timeout: 1, dead_letter: dlq, max_receive_count: 1}\n  dlq: {}\n",
    )
    queues.send(project, "orders", "malformed")
    wait_for(lambda: left(project, "dlq")[0] == 1)
    assert batches(project_dir) == [["malformed"]]


def test_a_filter_drops_messages(hosted: Callable[..., Project], project_dir: Path) -> None:
    project = hosted(
        '      - queue: orders\n        filter:\n          - {body: {kind: ["keep"]}}\n',
        "  orders: {}\n",
    )
    queues.send(project, "orders", json.dumps({"kind": "drop"}))
    queues.send(project, "orders", json.dumps({"kind": "keep"}))
    wait_for(lambda: batches(project_dir))
    wait_for(lambda: left(project, "orders") == (0, 0))
    delivered = [json.loads(body) for batch in batches(project_dir) for body in batch]
    assert delivered == [{"kind": "keep"}]


def test_fifo_groups_arrive_in_order(hosted: Callable[..., Project], project_dir: Path) -> None:
    project = hosted(
        "      - queue: jobs.fifo\n        batch_size: 2\n",
        "  jobs.fifo: {fifo: true, content_based_deduplication: true}\n",
    )
    for n in range(6):
        queues.send(project, "jobs.fifo", f"{'ab'[n % 2]}{n}", group_id="ab"[n % 2])
    wait_for(lambda: sum(len(b) for b in batches(project_dir)) >= 6)
    delivered = [body for batch in batches(project_dir) for body in batch]
    for group in "ab":
        mine = [body for body in delivered if body.startswith(group)]
        assert mine == sorted(mine, key=lambda body: int(body[1:]))


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (b"", set()),
        (b"null", set()),
        (b'{"batchItemFailures": null}', set()),
        (b'{"batchItemFailures": []}', set()),
        (b'"done"', set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "m1"}]}', {"m1"}),
    ],
)
def test_partial_responses(payload: bytes, failed: set[str]) -> None:
    assert failed_ids(payload, {"m1", "m2"}) == failed


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"itemIdentifier": "m9"}]}',
        b'{"batchItemFailures": [{"itemId": "m1"}]}',
        b'{"batchItemFailures": "m1"}',
    ],
)
def test_malformed_partial_responses_fail_the_batch(payload: bytes) -> None:
    with pytest.raises(BatchResponseError):
        failed_ids(payload, {"m1", "m2"})


POWERTOOLS_HANDLER = """\
import json, os

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record):
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps([record.body]) + "\\n")
    if record.body.startswith("bad"):
        raise ValueError(record.body)


def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
"""


def powertools_layer(project_dir: Path) -> str:
    """A layer whose python/ links to the installed aws-lambda-powertools (and the one
    package it needs that AWS's runtime lacks): the function imports it, nothing else."""
    import aws_lambda_powertools
    import typing_extensions

    python = project_dir / "layers" / "powertools" / "python"
    python.mkdir(parents=True)
    (python / "aws_lambda_powertools").symlink_to(Path(aws_lambda_powertools.__file__).parent)
    (python / "typing_extensions.py").symlink_to(typing_extensions.__file__)
    return "layers/powertools"


def test_powertools_batch_processor_reports_partial_failures(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    pytest.importorskip("aws_lambda_powertools")
    layer = powertools_layer(project_dir)
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for body in ("ok1", "bad1", "ok2"):
        queues.send(project, "orders", body)
    project.close()
    project = hosted(
        "      - queue: orders\n        report_batch_item_failures: true\n",
        "  orders: {visibility_timeout: 5}\n",
        handler=POWERTOOLS_HANDLER,
        layer=layer,
        timeout=5,  # importing powertools takes most of a second
    )
    wait_for(lambda: len(batches(project_dir)) == 3)
    # bad1 was reported: it stays in flight (until its visibility timeout); the rest is gone
    wait_for(lambda: left(project, "orders") == (0, 1))
    assert sorted(body for (body,) in batches(project_dir)) == ["bad1", "ok1", "ok2"]
    source = project.functions["hello"].events[0]
    assert mappings.current(project, source).last_processing_result == mappings.OK


CONCURRENT_HANDLER = """\
import json, os, time

def handler(event, context):
    running = os.path.join(os.environ["BATCHES"] + ".d", context.aws_request_id)
    os.makedirs(os.path.dirname(running), exist_ok=True)
    open(running, "w").close()
    at_once = len(os.listdir(os.path.dirname(running)))
    time.sleep(0.3)
    os.remove(running)
    with open(os.environ["BATCHES"], "a") as f:
        f.write(json.dumps([at_once]) + "\\n")
"""


def test_maximum_concurrency_bounds_the_batches_at_once(
    hosted: Callable[..., Project], project_dir: Path
) -> None:
    project = Project.open(manifest(project_dir, "      - queue: orders\n", "  orders: {}\n"))
    for n in range(8):
        queues.send(project, "orders", f"m{n}")
    project.close()
    project = hosted(
        "      - queue: orders\n        batch_size: 1\n        maximum_concurrency: 2\n",
        "  orders: {}\n",
        handler=CONCURRENT_HANDLER,
    )
    wait_for(lambda: len(batches(project_dir)) == 8)
    assert max(at_once for (at_once,) in batches(project_dir)) <= 2
