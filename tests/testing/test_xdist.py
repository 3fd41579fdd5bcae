"""The plugin under pytest-xdist: each worker process has its own server and its own state, and
the tests spread over them still each start from the template."""

from __future__ import annotations

import json

import pytest

from tests.testing.conftest import run

pytest_plugins = ("pytester",)

pytest.importorskip("xdist", reason="pytest-xdist is in the test extra")

TESTS = """
import json, os
import pytest

@pytest.mark.parametrize("n", range(6))
def test_isolated(lambdactl, lambda_client, sqs_client, n):
    # each test's state is the template's: its first publish is version 1, its queue holds
    # only what it sent, whichever worker runs it and whatever ran there before
    assert lambdactl.publish("hello") == "1"
    url = sqs_client.get_queue_url(QueueName="inbox")["QueueUrl"]
    sqs_client.send_message(QueueUrl=url, MessageBody=f"test {n}")
    bodies = [m["Body"] for m in lambdactl.queue("inbox").receive(max=10)]
    assert bodies == [f"test {n}"]
    got = lambda_client.invoke(FunctionName="hello:1", Payload=json.dumps({"name": str(n)}))
    answer = json.loads(got["Payload"].read())
    assert got["ExecutedVersion"] == "1" and answer["hello"] == str(n)
    with open(os.environ["SEEN"], "a") as seen:
        seen.write(json.dumps({
            "worker": os.environ["PYTEST_XDIST_WORKER"],
            "endpoint": os.environ["AWS_ENDPOINT_URL_LAMBDA"],
            "state": str(lambdactl.state_dir),
        }) + "\\n")
"""


def test_each_worker_has_its_own_server_and_state(
    functions: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = functions.path / "seen.jsonl"
    monkeypatch.setenv("SEEN", str(seen))
    # pytest-benchmark, where installed, warns that xdist disables it: an error here
    args = ("-p", "no:benchmark", "-p", "xdist", "-n", "2")
    result = run(functions, TESTS, *args)
    result.assert_outcomes(passed=6)
    records = [json.loads(line) for line in seen.read_text().splitlines()]
    by_worker: dict[str, set[tuple[str, str]]] = {}
    for record in records:
        by_worker.setdefault(record["worker"], set()).add((record["endpoint"], record["state"]))
    assert sorted(by_worker) == ["gw0", "gw1"], by_worker
    # one server and one state directory per worker, none shared between them
    assert all(len(places) == 1 for places in by_worker.values()), by_worker
    (first,), (second,) = by_worker.values()
    assert first[0] != second[0] and first[1] != second[1]
