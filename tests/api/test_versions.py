"""PublishVersion and ListVersionsByFunction through boto3 against a real server: status
codes, AWS's preconditions and messages, pages, and the shapes the CLI prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Server

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"
REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def edit(project_dir: Path, value: int) -> None:
    (project_dir / "src" / "hello" / "app.py").write_text(
        f"def handler(event, context):\n    return {value}\n"
    )


def test_publish_is_201_with_the_version_and_unchanged_code_gives_it_back(
    lambda_client: Any,
) -> None:
    first = lambda_client.publish_version(FunctionName="hello", Description="release")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (first["Version"], first["FunctionArn"]) == ("1", f"{ARN}:1")
    assert first["Description"] == "release"
    again = lambda_client.publish_version(FunctionName=ARN)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (again["Version"], again["RevisionId"]) == ("1", first["RevisionId"])


def test_publish_preconditions_are_aws_errors_boto3_raises(
    lambda_client: Any, project_dir: Path
) -> None:
    latest = lambda_client.get_function_configuration(FunctionName="hello")
    edit(project_dir, 2)  # $LATEST moves on: the RevisionId read above is stale
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException) as stale:
        lambda_client.publish_version(FunctionName="hello", RevisionId=latest["RevisionId"])
    assert stale.value.response["Error"]["Message"] == REVISION_MISMATCH
    assert stale.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412

    current = lambda_client.get_function_configuration(FunctionName="hello")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as sha:
        lambda_client.publish_version(FunctionName="hello", CodeSha256=latest["CodeSha256"])
    assert sha.value.response["Error"]["Message"] == (
        f"CodeSHA256 ({latest['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
        f"({current['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
    )
    versions = lambda_client.list_versions_by_function(FunctionName="hello")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]  # nothing was published

    published = lambda_client.publish_version(
        FunctionName="hello",
        RevisionId=current["RevisionId"],
        CodeSha256=current["CodeSha256"],
    )
    assert published["Version"] == "1"


def test_a_description_over_256_characters_is_a_validation_error(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ClientError) as caught:
        lambda_client.publish_version(FunctionName="hello", Description="d" * 257)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].endswith(
        "at 'description' failed to satisfy constraint: Member must have length less than or "
        "equal to 256"
    )


def test_versions_list_latest_first_in_pages_and_as_the_cli_prints_them(
    server: Server, project_dir: Path, cli: Any
) -> None:
    client = server.client()
    for value in (1, 2, 3):
        edit(project_dir, value)
        client.publish_version(FunctionName="hello")
    first = client.list_versions_by_function(FunctionName="hello", MaxItems=2)
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"]
    assert first["Versions"][0]["FunctionArn"] == f"{ARN}:$LATEST"
    rest = client.list_versions_by_function(FunctionName="hello", Marker=first["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["2", "3"]
    assert "NextMarker" not in rest

    pages = client.get_paginator("list_versions_by_function").paginate(
        FunctionName="hello", PaginationConfig={"PageSize": 1}
    )
    listed = [v for page in pages for v in page["Versions"]]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2", "3"]
    assert listed == cli("versions", "hello", "-o", "json").json()["Versions"]


def test_unknown_function_and_bad_paging_values(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as missing:
        lambda_client.publish_version(FunctionName="nope")
    assert missing.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.list_versions_by_function(FunctionName="nope")
    with pytest.raises(lambda_client.exceptions.ClientError) as items:
        lambda_client.list_versions_by_function(FunctionName="hello", MaxItems=10001)
    assert items.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.list_versions_by_function(FunctionName="hello", Marker="not-a-version")
