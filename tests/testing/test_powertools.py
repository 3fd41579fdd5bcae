"""aws-lambda-powertools in a function under the plugin: its Logger sees the real context
(request id, cold start), its batch utility answers `events.generate`'s SQS records."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.conftest import run

pytest_plugins = ("pytester",)

HANDLER = """\
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

logger = Logger(service="orders")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record):
    logger.info("record", extra={"body": record.body})
    if record.body.startswith("bad"):
        raise ValueError(record.body)


@logger.inject_lambda_context
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
"""


def powertools_layer(root: Path) -> None:
    """A layer whose python/ links to the installed aws-lambda-powertools (and the one
    package it needs that AWS's runtime lacks)."""
    import aws_lambda_powertools
    import typing_extensions

    python = root / "layers" / "powertools" / "python"
    python.mkdir(parents=True)
    (python / "aws_lambda_powertools").symlink_to(Path(aws_lambda_powertools.__file__).parent)
    (python / "typing_extensions.py").symlink_to(typing_extensions.__file__)


def test_powertools_logger_and_batch_processor(functions: pytest.Pytester) -> None:
    pytest.importorskip("aws_lambda_powertools")
    powertools_layer(functions.path)
    (functions.path / "src" / "orders").mkdir()
    (functions.path / "src" / "orders" / "app.py").write_text(HANDLER)
    manifest = functions.path / "functions.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "functions:\n",
            "functions:\n  orders:\n    handler: app.handler\n    code: src/orders\n"
            "    layers: [layers/powertools]\n    timeout: 10\n",
        )
    )
    result = run(
        functions,
        """
        import json

        def test_partial_batch_response(lambdactl):
            event = lambdactl.events.generate("sqs", body=["ok", "bad one"])
            got = lambdactl.invoke("orders", event)
            assert got.function_error is None, got.payload
            bad = event["Records"][1]["messageId"]
            assert got.payload == {"batchItemFailures": [{"itemIdentifier": bad}]}
            lines = [json.loads(l) for l in lambdactl.logs("orders") if l.startswith("{")]
            records = [line for line in lines if line["message"] == "record"]
            assert [line["body"] for line in records] == ["ok", "bad one"]
            assert {line["function_request_id"] for line in records} == {got.request_id}
            assert records[0]["cold_start"] is True
            assert records[0]["service"] == "orders"

        def test_warm_in_the_next_test(lambdactl):
            got = lambdactl.invoke("orders", lambdactl.events.generate("sqs", body="ok"))
            [line] = [json.loads(l) for l in lambdactl.logs("orders") if l.startswith("{")]
            assert line["cold_start"] is False
            assert line["function_request_id"] == got.request_id
        """,
    )
    result.assert_outcomes(passed=2)
