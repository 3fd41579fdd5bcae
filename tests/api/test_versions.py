"""PublishVersion through boto3 against a real server: 201 and the version's
FunctionConfiguration, AWS's no-change rule and its two preconditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def test_publish_returns_the_new_versions_configuration(lambda_client: Any) -> None:
    published = lambda_client.publish_version(FunctionName="hello", Description="first")
    assert published["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (published["Version"], published["Description"]) == ("1", "first")
    assert published["FunctionArn"].endswith(":function:hello:1")
    latest = lambda_client.get_function_configuration(FunctionName="hello")
    assert published["CodeSha256"] == latest["CodeSha256"]
    shown = lambda_client.get_function_configuration(FunctionName="hello", Qualifier="1")
    assert {k: v for k, v in shown.items() if k != "ResponseMetadata"} == {
        k: v for k, v in published.items() if k != "ResponseMetadata"
    }


def test_nothing_changed_returns_the_same_version(lambda_client: Any, project_dir: Path) -> None:
    first = lambda_client.publish_version(FunctionName="hello")
    again = lambda_client.publish_version(FunctionName="hello")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (again["Version"], again["RevisionId"]) == (first["Version"], first["RevisionId"])
    (project_dir / "src" / "hello" / "app.py").write_text("def handler(e, c):\n    return 2\n")
    assert lambda_client.publish_version(FunctionName="hello")["Version"] == "2"


def test_a_code_sha256_that_is_not_latests_is_refused(lambda_client: Any) -> None:
    latest = lambda_client.get_function_configuration(FunctionName="hello")["CodeSha256"]
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
        lambda_client.publish_version(FunctionName="hello", CodeSha256="abc=")
    assert raised.value.response["Error"]["Message"] == (
        f"CodeSHA256 (abc=) is different from current CodeSHA256 in $LATEST ({latest}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )
    assert lambda_client.publish_version(FunctionName="hello", CodeSha256=latest)["Version"] == "1"


def test_a_stale_revision_id_fails_the_precondition(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.publish_version(FunctionName="hello", RevisionId="not-the-revision")
    revision = lambda_client.get_function_configuration(FunctionName="hello")["RevisionId"]
    assert lambda_client.publish_version(FunctionName="hello", RevisionId=revision)["Version"]


def test_an_unknown_function_is_not_found(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.publish_version(FunctionName="nope")
    assert raised.value.response["Error"]["Message"] == f"Function not found: {ARN}:nope"
