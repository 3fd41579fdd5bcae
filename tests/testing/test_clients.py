"""boto3 clients on one server per session, following each test's state; the SDK clients of
the code under test and of the functions reach it too."""

from __future__ import annotations

import pytest

from tests.testing.conftest import run

pytest_plugins = ("pytester",)


def test_clients_talk_to_the_tests_own_state(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        import base64, io, json, os, zipfile
        import boto3

        SEEN = os.path.join(os.path.dirname(__file__), "seen.txt")

        def zipped(source):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("made.py", source)
            return buffer.getvalue()

        def test_lambda_client(lambda_client, lambdactl_endpoint):
            got = lambda_client.invoke(FunctionName="hello", Payload=b'{"name": "boto"}')
            assert json.loads(got["Payload"].read())["hello"] == "boto"
            lambda_client.create_function(
                FunctionName="made",
                Runtime="python3.11",
                Role="arn:aws:iam::000000000000:role/x",
                Handler="made.handler",
                Code={"ZipFile": zipped("def handler(e, c):\\n    return 'made'\\n")},
            )
            assert json.loads(lambda_client.invoke(FunctionName="made")["Payload"].read()) == "made"
            assert lambda_client.publish_version(FunctionName="hello")["Version"] == "1"
            with open(SEEN, "a") as out:
                out.write(lambdactl_endpoint + "\\n")

        def test_the_next_test_has_none_of_it(lambda_client, lambdactl, lambdactl_endpoint):
            names = {f["FunctionName"] for f in lambda_client.list_functions()["Functions"]}
            assert "made" not in names and "hello" in names
            versions = lambda_client.list_versions_by_function(FunctionName="hello")["Versions"]
            assert [v["Version"] for v in versions] == ["$LATEST"]
            assert "made" not in lambdactl.project.functions
            with open(SEEN, "a") as out:
                out.write(lambdactl_endpoint + "\\n")

        def test_sqs_and_logs_clients(sqs_client, logs_client, lambdactl):
            url = sqs_client.get_queue_url(QueueName="inbox")["QueueUrl"]
            sqs_client.send_message(QueueUrl=url, MessageBody="via boto3")
            [message] = lambdactl.queue("inbox").receive()
            assert message["Body"] == "via boto3"
            lambdactl.invoke("hello", {"name": "logged"})
            events = logs_client.filter_log_events(logGroupName="/aws/lambda/hello")["events"]
            assert any(e["message"].startswith("handling logged") for e in events)

        def test_code_under_test_makes_its_own_client(lambdactl_endpoint, lambdactl):
            assert os.environ["AWS_ENDPOINT_URL_LAMBDA"] == lambdactl_endpoint
            own = boto3.client("lambda")
            got = own.invoke(FunctionName="hello", Payload=b'{"name": "own"}')
            assert json.loads(got["Payload"].read())["hello"] == "own"
            own.close()

        def test_a_function_reaches_the_server_with_its_sdk(lambdactl_endpoint, lambdactl):
            got = lambdactl.invoke("relay", {"from": "function"})
            assert got.function_error is None, got.payload
            assert got.payload.startswith(lambdactl_endpoint)
            [message] = lambdactl.queue("inbox").receive()
            assert json.loads(message["Body"]) == {"from": "function"}

        def test_without_the_endpoint_fixture_nothing_is_set(lambdactl):
            assert "AWS_ENDPOINT_URL_LAMBDA" not in os.environ
        """,
    )
    result.assert_outcomes(passed=6)
    first, second = (functions.path / "tests" / "seen.txt").read_text().split()
    assert first == second and first.startswith("http://127.0.0.1:")
