"""The plugin with Node.js functions: the `lambdactl` fixture invoking one, an asynchronous
invoke of a failing one retried (the manifest's shortened delays, in real time) to its
on-failure destination, and a queue delivering to one that answers a partial batch response.
Handlers: tests/fixtures/node/features.js."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.testing.conftest import run

pytest_plugins = ("pytester",)

FEATURES = Path(__file__).resolve().parents[1] / "fixtures" / "node" / "features.js"

MANIFEST = """\
defaults:
  runtime: nodejs22.x
  timeout: 10
functions:
  counter:
    handler: index.counter
    code: src
  broken:
    handler: index.fails
    code: src
    runtime: nodejs20.x
    async:
      maximum_retry_attempts: 2
      retry_delays: [0.05, 0.1]
      on_failure: {queue: failures}
  consumer:
    handler: index.batch
    code: src
    runtime: nodejs24.x
    events:
      - queue: orders
        batch_size: 10
        report_batch_item_failures: true
queues:
  orders: {}
  failures: {}
"""


def test_the_fixture_async_retries_and_a_queue_with_node_functions(
    functions: pytest.Pytester,
) -> None:
    project = functions.path / "node"
    (project / "src").mkdir(parents=True)
    shutil.copy(FEATURES, project / "src" / "index.js")
    (project / "functions.yaml").write_text(MANIFEST)
    result = run(
        functions,
        """
        import json
        import pytest
        from lambdactl import queues

        pytestmark = pytest.mark.lambdactl(manifest="../node/functions.yaml")

        def test_invoke(lambdactl):
            got = lambdactl.invoke("counter", {"name": "plugin"})
            assert got.function_error is None
            assert (got.payload["count"], got.payload["name"]) == (1, "plugin")
            assert lambdactl.invoke("counter").payload["count"] == 2  # warm
            lines = got.log.splitlines()
            assert lines[0].startswith("INIT_START Runtime Version: nodejs:")
            assert lines[-3].endswith("\\tINFO\\tcall 1 of counter")
            assert lines[-1].startswith(f"REPORT RequestId: {got.request_id}\\t")
            failed = lambdactl.invoke("broken", {"message": "sync"})
            assert failed.function_error == "Unhandled"
            assert failed.payload["errorType"] == "RangeError"
            assert failed.payload["errorMessage"] == "sync"

        def test_async_failure_is_retried_then_goes_to_its_destination(lambdactl):
            request_id = lambdactl.invoke_async("broken", {"message": "later"})
            event = lambdactl.wait(request_id, advance=False)  # the manifest's real delays
            assert event.state.value == "failed"
            assert event.attempts == 3
            assert event.condition == "RetriesExhausted"
            [message] = lambdactl.queue("failures").receive()
            record = json.loads(message["Body"])
            assert record["requestContext"]["requestId"] == request_id
            assert record["requestContext"]["approximateInvokeCount"] == 3
            assert record["requestPayload"] == {"message": "later"}
            assert record["responseContext"]["functionError"] == "Unhandled"
            assert record["responsePayload"]["errorType"] == "RangeError"
            assert record["responsePayload"]["errorMessage"] == "later"
            failing = [l for l in lambdactl.logs("broken") if "\\tINFO\\tfailing " in l]
            assert len(failing) == 3

        def test_a_partial_batch_response_keeps_only_the_failed_message(lambdactl):
            orders = lambdactl.queue("orders")
            for body in ("a", "bad", "c"):
                orders.send(body)
            lambdactl.deliver()
            said = [l.rpartition("\\t")[2] for l in lambdactl.logs("consumer") if "order " in l]
            assert sorted(said) == ["order a", "order bad", "order c"]
            # a and c deleted; bad back in the queue after its visibility timeout (30 s)
            assert queues.counts(lambdactl.project, "orders") == (0, 1)
        """,
    )
    result.assert_outcomes(passed=3)
